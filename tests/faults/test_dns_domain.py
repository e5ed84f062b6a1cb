"""Self-test for the domain variant of the stack (DomainName + HostedZoneId): the healthy
stack with a domain passes every dns, edge and waf probe, and the dns probes really run
(the default lab stack has no domain, so there they are skipped)."""
from __future__ import annotations

from tests.faults.f_dns import with_domain

LAYERS = ("dns", "edge", "waf")


def test_healthy_domain_stack_passes_dns_edge_waf(lab):
    stack = lab.deploy()
    domain = with_domain(stack)
    outcomes = lab.run(stack)
    ours = {pid: o for pid, o in outcomes.items() if pid.split(".")[0] in LAYERS}
    bad = {pid: o.summary() for pid, o in ours.items() if o.status in ("failed", "error")}
    assert not bad, f"probes fail on the healthy stack with domain {domain}:\n" + \
        "\n".join(bad.values())
    skipped = sorted(pid for pid, o in ours.items() if o.status == "skipped")
    assert not skipped, f"with a domain nothing should be skipped: {skipped}"
    others = {pid: o.summary() for pid, o in outcomes.items()
              if pid not in ours and o.status in ("failed", "error")}
    assert not others, "other layers fail on the domain stack:\n" + "\n".join(others.values())
