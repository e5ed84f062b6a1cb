"""Self-test: the healthy stack passes every probe; each fault fails exactly the probes it
should, with a message an on-call engineer can act on, and leaves other layers passing."""
from __future__ import annotations

import pytest

from probes import registry
from tests.corpus.test_http_api_faults import FAULTS as HTTP_API_FAULTS
from tests.faults.catalog import all_faults
from tests.faults.hops import FAULT_HOPS

FAULTS = all_faults()


def test_healthy_stack_passes_every_probe(lab, healthy):
    outcomes = lab.run(healthy)
    bad = {pid: o.summary() for pid, o in outcomes.items() if o.status in ("failed", "error")}
    assert not bad, "probes fail on the healthy stack:\n" + "\n".join(bad.values())


def test_every_probe_has_a_fault_that_makes_it_fail():
    # The HTTP API probes skip on the bundled stack (its API is a REST API): their faults are
    # injected on the kiosk corpus stack, which has an HTTP API.
    covered = {pid for f in FAULTS for pid in f.breaks} | {f.probe for f in HTTP_API_FAULTS.values()}
    probes = {pid for pid, spec in registry.load_all().items()
              if not spec.mutating and spec.layer not in ("e2e",)}
    assert not probes - covered, f"probes without a fault: {sorted(probes - covered)}"


@pytest.mark.parametrize("fault", FAULTS, ids=str)
def test_fault_is_caught(lab, fault):
    stack = lab.deploy()
    fault.inject(stack)
    outcomes = lab.run(stack, expectations=lab.expectations_with(dict(fault.expect)))
    for pid in fault.breaks:
        outcome = outcomes[pid]
        assert outcome.status == "failed", (
            f"{fault.id} should make {pid} fail; it {outcome.status}: {outcome.summary()}")
        for finding in outcome.failures:
            assert "; expected " in finding.message and " Fix: " in finding.message, finding.message
        text = outcome.summary()
        for word in fault.mentions:
            assert word in text, f"{pid} failure should mention {word!r}: {text}"
    hop = fault.hop or FAULT_HOPS.get(fault.id)
    if hop:  # the trace must name this fault's hop first
        trace = outcomes["e2e.request_path"]
        named = next((f.evidence.get("first_broken_hop") for f in trace.failures), None)
        assert named == hop, (f"{fault.id} breaks the request path at {hop!r}; the trace named "
                              f"{named!r}: {trace.summary()}")
    broken_layers = {registry.get(p).layer for p in fault.breaks}
    tolerated = set(fault.breaks) | set(fault.also_breaks) | ({"e2e.request_path"} if hop else set())
    unrelated = {pid: o.summary() for pid, o in outcomes.items()
                 if o.status in ("failed", "error") and pid not in tolerated
                 and registry.get(pid).layer not in broken_layers}
    assert not unrelated, f"{fault.id} also broke unrelated probes:\n" + "\n".join(unrelated.values())
