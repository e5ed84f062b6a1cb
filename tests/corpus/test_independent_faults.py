"""Faults injected into the corpus's independently written stacks (issue 11: "each of the 2
independently written stacks, once its faults are injected as the fault catalog does for
the bundled stack, is caught in the right layer, as the bundled stack is").

Each stack deploys once per worker (its faults share an xdist group); every fault
(tests/faults/anystack.py, resources found through the resource graph) is injected, every
read-only probe runs attached, and:

- the fault's probes fail, in the fault's layer, naming the broken resource, with a
  ``<resource> <observed>; expected <expected>. Fix: ...`` message and the fault's words;
- no probe ERRORs, and no probe of another layer differs from the stack's review
  (tests/corpus/expect/<stack>.yaml, the healthy run) but the fault's ``also_breaks``;
- where the fault cuts the request path, the trace names its hop first; where it does
  not, the trace passes as on the healthy stack.

The fault is then undone and the probes it broke (and the trace) must match the review
again, so the next fault starts from the healthy stack; a stack that does not come back is
redeployed.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from probes import expectations as expmod
from probes import registry
from probes.aws import AwsSession
from probes.inventory import Inventory
from probes.result import ERROR
from tests.conftest import CREDS
from tests.corpus import corpus
from tests.faults.anystack import FAULTS, ForeignFault, Target

STACKS = ("shop-app", "ledger")
# (stack, fault id) -> why the fault is not caught as it is on the bundled stack: a probe gap,
# named until it is fixed (strict: a fixed gap fails here until its entry goes).
XFAIL: dict[tuple[str, str], str] = {}
# (stack, fault id) -> why the fault does not apply to the stack (it lacks the resource the
# fault breaks, or has it broken already: a reviewed finding).
NOT_APPLICABLE: dict[tuple[str, str], str] = {
    ("shop-app", "net-flow-log-bucket-lifecycle-removed"): "its VPC's flow log delivers to CloudWatch Logs, not S3",
    ("ledger", "net-flow-log-group-never-expires"): "its VPC's flow log delivers to S3, not CloudWatch Logs",
    ("ledger", "trail-single-region"): "LedgerTrail is single-region already (a reviewed finding)",
    ("shop-app", "bucket-flow-log-public-access-block-removed"): "its VPC's flow log delivers to CloudWatch Logs",
    ("shop-app", "bucket-flow-log-acls-enabled"): "its VPC's flow log delivers to CloudWatch Logs",
    ("shop-app", "bucket-trail-admits-plain-http"): "AuditArchive has no TLS-only Deny already (a reviewed finding)",
    ("shop-app", "waf-api-resource-policy-removed"): "OrdersApi has no resource policy already (a reviewed finding)",
    ("shop-app", "auth-pool-self-sign-up-opened"): "Customers sign themselves up by design (its expectations)",
    ("ledger", "db-tls-not-forced"): "LedgerDb does not require TLS already (a reviewed finding)",
    ("ledger", "api-access-logging-removed"): "ProdStage has no access logging already (a reviewed finding)",
    ("shop-app", "db-tls-not-forced"): "OrdersDbSettings leaves rds.force_ssl to the engine default, and the "
                                       "emulator has no ResetDBParameterGroup to leave it unset again",
    ("shop-app", "net-nacl-admits-ssh-from-anywhere"): "shop-network's default ACL admits SSH already (a reviewed finding)",
}


@dataclass
class Attached:
    name: str
    deployer: corpus.Deployer
    stack_name: str
    expect: dict[str, Any]
    expectations: Any
    dirty: bool = False

    def target(self) -> Target:
        return Target(self.deployer.session, self.stack_name, self.expectations)

    def run(self, probes: set[str] | None = None) -> dict[str, registry.Outcome]:
        """Every read-only probe (or those of ``probes``) on a fresh read-only inventory."""
        session = AwsSession("us-east-1", self.deployer.session.endpoint_url, allow_mutations=False,
                             credentials=CREDS)
        inv = Inventory(session, self.stack_name)
        return {pid: registry.run(pid, inv, self.expectations)
                for pid, spec in sorted(registry.load_all().items())
                if not spec.mutating and (probes is None or pid in probes)}

    def differences(self, outcomes: dict[str, registry.Outcome]) -> list[str]:
        """How ``outcomes`` differ from the review, for the probes they hold."""
        expect = dict(self.expect, failures=[f for f in self.expect.get("failures") or []
                                             if f["probe"] in outcomes])
        return corpus.judge(outcomes, expect, corpus.index(self.deployer, self.name)).problems


class Stacks:
    """The independent stacks of this worker, each deployed on first use."""

    def __init__(self, emulator: Any):
        self.emulator = emulator
        self.attached: dict[str, Attached] = {}

    def get(self, name: str) -> Attached:
        current = self.attached.get(name)
        if current and current.dirty:
            current.deployer.delete_all()
            current = None
        if current is None:
            item = corpus.entry(name)
            deployer = corpus.Deployer(self.emulator)
            current = Attached(name, deployer, deployer.deploy(name), item.expect,
                               expmod.build(item.expect.get("expectations")))
            self.attached[name] = current
        return current

    def close(self) -> None:
        for attached in self.attached.values():
            attached.deployer.delete_all()


@pytest.fixture(scope="module")
def stacks(emulator):
    pool = Stacks(emulator)
    yield pool
    pool.close()


def _cases() -> list[Any]:
    cases = []
    for name in STACKS:
        for fault in FAULTS:
            marks = [pytest.mark.xdist_group(f"independent-faults-{name}")]
            if (name, fault.id) in NOT_APPLICABLE:
                marks.append(pytest.mark.skip(reason=f"not applicable to {name}: {NOT_APPLICABLE[(name, fault.id)]}"))
            if (name, fault.id) in XFAIL:
                marks.append(pytest.mark.xfail(strict=True, reason=XFAIL[(name, fault.id)]))
            cases.append(pytest.param(name, fault, marks=marks, id=f"{name}-{fault.id}"))
    return cases


@pytest.mark.parametrize(("name", "fault"), _cases())
def test_fault_is_caught_in_its_layer(stacks, name: str, fault: ForeignFault):
    stack = stacks.get(name)
    injected = fault.inject(stack.target())
    try:
        outcomes = stack.run()
    finally:
        try:
            injected.undo()
        except Exception:
            stack.dirty = True  # redeployed for the next fault
            raise
    restored = _restored(stack, fault)

    errors = [f"{pid}: {f.message}" for pid, o in outcomes.items() for f in o.findings if f.status == ERROR]
    assert not errors, f"{name}/{fault.id}: probes ERROR:\n" + "\n".join(errors)
    ids = set().union(*(corpus.identifiers(r) for r in injected.resources))
    for pid in fault.breaks:
        outcome = outcomes[pid]
        assert registry.get(pid).layer == fault.layer, f"{fault.id}: {pid} is not of layer {fault.layer}"
        assert outcome.status == "failed", (
            f"{name}/{fault.id} should make {pid} fail; it {outcome.status}: {outcome.summary()}")
        for finding in outcome.failures:
            assert "; expected " in finding.message and " Fix: " in finding.message, finding.message
        text = outcome.summary()
        assert any(i in text for i in ids), (
            f"{name}/{fault.id}: {pid} names none of the broken resources {injected.resources}: {text}")
        for word in fault.mentions:
            assert word in text, f"{name}/{fault.id}: {pid} failure should mention {word!r}: {text}"

    trace = outcomes["e2e.request_path"]
    if fault.hop:
        named = next((f.evidence.get("first_broken_hop") for f in trace.failures), None)
        assert named == fault.hop, (f"{name}/{fault.id} breaks the request path at {fault.hop!r}; the "
                                    f"trace named {named!r}: {trace.summary()}")
    tolerated = set(fault.breaks) | set(fault.also_breaks) | ({"e2e.request_path"} if fault.hop else set())
    others = {pid: o for pid, o in outcomes.items()
              if pid not in tolerated and registry.get(pid).layer != fault.layer}
    problems = stack.differences(others)
    assert not problems, (f"{name}/{fault.id} changed probes of other layers than {fault.layer} "
                          f"(vs tests/corpus/expect/{name}.yaml):\n" + "\n".join(f"- {p}" for p in problems))
    assert not restored, (f"{name}/{fault.id}: undoing the fault did not restore the stack "
                          "(redeployed for the next fault):\n" + "\n".join(f"- {p}" for p in restored))


def _restored(stack: Attached, fault: ForeignFault) -> list[str]:
    """Differences from the review left after the undo, in the probes the fault broke and
    the trace; a stack left different is redeployed before its next fault."""
    problems = stack.differences(stack.run({*fault.breaks, *fault.also_breaks, "e2e.request_path"}))
    stack.dirty = bool(problems)
    return problems
