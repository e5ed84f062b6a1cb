"""The walk of the request path: hop checks run in order on one shared context.

A hop check is ``fn(ctx) -> (source, target, what was found)`` and reports trouble by
raising one of the signals below:

- :class:`Broken`: the link is broken (observed, expected, fix); the request stops here.
- :class:`Exposed`: the link carries a legitimate request, but it also lets requests go
  around a control the path relies on (the API reachable without passing the WAF). The
  path is not cut, so such a hop never counts as *the first broken hop* of the request
  path, and later hops are judged as usual; ``e2e.request_path`` still fails on it when no
  hop cuts the path, since a path whose guard can be skipped is not the path the stack
  means to offer. Its status in the table is ``exposed``.
- :class:`Skip` (or :class:`~probes.result.Absent`): the hop does not apply here.
- :class:`Blocked`: an earlier hop left nothing to follow.

A hop whose starting roles nothing in the stack plays (``needs``) is skipped before it
runs, naming what was followed, unless the environment requires the hop's layer.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, NamedTuple, Sequence

from probes import graph, reads
from probes.expectations import Strict, layer_expectations
from probes.inventory import Inventory
from probes.registry import ALTERNATIVES
from probes.result import Absent

OK, BROKEN, EXPOSED, SKIPPED, BLOCKED = "ok", "broken", "exposed", "skipped", "blocked"


@layer_expectations("e2e")
class E2eExpect(Strict):
    # Methods under these paths are public by design (no authorizer); all others need one.
    public_paths: tuple[str, ...] = ("/health", "/api/health")
    # The CloudFront path pattern that routes to the API.
    api_path_pattern: str = "/api/*"
    # The path must have at least this many InService, healthy targets behind the NLB.
    min_healthy_instances: int = 1


@dataclass
class Hop:
    index: int
    name: str
    source: str
    target: str
    status: str          # ok | broken | exposed | skipped | blocked (an earlier hop left no input)
    evidence: str        # what was found, one sentence fragment with resource ids
    layer: str           # the layer suite that owns the resources of this link
    fix: str = ""
    expected: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def next_step(self) -> str:
        return f"pytest -m {self.layer}"


class Broken(Exception):
    """Raised inside a hop check: the link is broken (observed, expected, fix)."""
    cuts_path = True

    def __init__(self, observed: str, expected: str, fix: str, *, layer: str | None = None,
                 **details: Any):
        super().__init__(observed)
        self.observed, self.expected, self.fix, self.details = observed, expected, fix, details
        self.layer = layer  # overrides the hop's layer when another layer owns the cause


class Exposed(Broken):
    """The link works, but requests can also go around a control of the path."""
    cuts_path = False


class Skip(Exception):
    pass


class Blocked(Exception):
    pass


class Check(NamedTuple):
    name: str
    layer: str
    run: Callable[[Ctx], tuple[str, str, str]]


# ---- small helpers shared by the hop modules ------------------------------------------
def norm(name: str | None) -> str:
    return (name or "").strip().rstrip(".").lower()


def items(value: Any) -> list:
    """CloudFront's {Quantity, Items} lists."""
    return list((value or {}).get("Items") or [])


def domain(inv: Inventory, exp: Any) -> str | None:
    configured = getattr(getattr(exp, "dns", None), "domain", None)
    return norm(configured or reads.stack_parameter(inv, "DomainName")) or None


def dist_name(d: dict) -> str:
    return f"distribution {d.get('Id')} ({d.get('DomainName')})"


def subnet_cidrs(inv: Inventory, ids: list[str]) -> list[str]:
    by_id = {s["SubnetId"]: s.get("CidrBlock") for s in reads.subnets(inv)}
    return [by_id[i] for i in ids if by_id.get(i)]


def asg_subnets(inv: Inventory) -> list[str]:
    """The subnets the Auto Scaling group launches the app instances in."""
    return [s for s in (reads.auto_scaling_group(inv) or {}).get("VPCZoneIdentifier", "").split(",") if s]


def sg_summary(groups: list[dict], direction: str) -> list[str]:
    """The groups' rules in one direction, one short line each, for a hop's evidence."""
    key = "IpPermissions" if direction == "ingress" else "IpPermissionsEgress"
    out = []
    for g in groups:
        for r in g.get(key, []):
            proto = r.get("IpProtocol")
            ports = "all" if proto == "-1" else f"{r.get('FromPort')}-{r.get('ToPort')}"
            peers = [x.get("CidrIp") for x in r.get("IpRanges", [])]
            peers += [x.get("GroupId") for x in r.get("UserIdGroupPairs", [])]
            out.append(f"{g['GroupId']} {proto} {ports} {'in from' if direction == 'ingress' else 'out to'} "
                       f"{','.join(str(p) for p in peers) or '-'}")
    return out


# ---- the context ------------------------------------------------------------------------
class Ctx:
    """What earlier hops found and later hops build on."""

    def __init__(self, inv: Inventory, exp: Any):
        self.inv, self.exp = inv, exp
        self.e2e = getattr(exp, "e2e", None) or E2eExpect()
        self.domain = domain(inv, exp)
        self.dist: dict | None = None
        self.api_methods: list[tuple[str, str, dict]] = []   # (path, verb, method)
        self._nlb: dict | None = None
        self.app_port: int | None = None
        self.instances: list[dict] = []
        self.app_groups: list[dict] = []
        self.db: dict | None = None

    def distribution(self) -> dict:
        if self.dist is None:
            self.dist = reads.distribution(self.inv)
        if not self.dist:
            raise Blocked("the stack has no CloudFront distribution")
        return self.dist

    def nlb(self) -> dict | None:
        if self._nlb is None:
            self._nlb = reads.load_balancer(self.inv) or {}
        return self._nlb or None


# ---- the walk ---------------------------------------------------------------------------
def _absent_part(inv: Inventory, exp: Any, layer: str, needs: tuple[str, ...]) -> Absent | None:
    """Absent when the stack lacks this part of the path (and its layer is not required).

    A role whose alternative plays (``registry.ALTERNATIVES``: the stack's API is an HTTP API
    where the hop names a REST API) is met: the hop judges that kind."""
    required = layer in (getattr(exp, "required_layers", None) or ())
    for role in needs:
        try:
            graph.need(inv, role)
        except Absent as exc:
            other = ALTERNATIVES.get(role)
            if other and graph.role(inv, other):
                continue
            if not required:
                return exc
    return None


def trace(inv: Inventory, exp: Any, checks: Sequence[Check],
          needs: dict[str, tuple[str, ...]]) -> list[Hop]:
    """Every hop of ``checks``, in order; ``needs`` names the roles a hop starts from."""
    _warm(inv, exp, checks)
    ctx = Ctx(inv, exp)
    hops = []
    for index, (name, layer, check) in enumerate(checks, 1):
        src, _, tgt = name.partition(" → ")
        missing = _absent_part(inv, exp, layer, needs.get(name, ()))
        if missing:
            hops.append(Hop(index, name, src, tgt, SKIPPED, f"not in this stack: {missing}", layer))
            continue
        try:
            source, target, found = check(ctx)
            hops.append(Hop(index, name, source, target, OK, found, layer))
        except Broken as b:
            hops.append(Hop(index, name, src, tgt, BROKEN if b.cuts_path else EXPOSED, b.observed,
                            b.layer or layer, b.fix, b.expected, b.details))
        except (Skip, Absent) as s:
            hops.append(Hop(index, name, src, tgt, SKIPPED, str(s), layer))
        except Blocked as s:
            hops.append(Hop(index, name, src, tgt, BLOCKED, f"could not be followed: {s}", layer,
                            f"Run pytest -m {layer} to see which {layer} resource is missing",
                            "the resources this link starts from to exist"))
    return hops


def _warm(inv: Inventory, exp: Any, checks: Sequence[Check]) -> None:
    """Make the walk's reads side by side first. Each hop is tried once on its own context
    on the inventory's threads and the verdict thrown away: the reads it gets to land in
    the inventory, so the walk, which needs what earlier hops found and so goes in order,
    finds them there instead of paying one round trip after another (30 reads in a row
    against real AWS). A hop that needs an earlier hop's finding gets less far alone; the
    walk makes what it missed."""
    def attempt(check: Callable[[Ctx], Any]) -> None:
        try:
            check(Ctx(inv, exp))
        except Exception:  # the walk reports what this hop really finds
            pass
    inv.parallel(attempt, [c.run for c in checks])


def first_broken(hops: list[Hop]) -> Hop | None:
    """The first hop that cuts the path."""
    return next((h for h in hops if h.status == BROKEN), None)


def first_finding(hops: list[Hop]) -> Hop | None:
    """The hop a failing trace is about: the first that cuts the path, else the first that
    could not be followed, else the first exposed one."""
    for status in (BROKEN, BLOCKED, EXPOSED):
        hop = next((h for h in hops if h.status == status), None)
        if hop:
            return hop
    return None


def render_table(hops: list[Hop]) -> str:
    """A plain-text table an engineer can read in a terminal or a report attachment."""
    rows = [("#", "hop", "status", "layer", "found")]
    rows += [(str(h.index), h.name, h.status, h.layer, h.evidence) for h in hops]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = []
    for r in rows:
        lines.append("  ".join(r[i].ljust(widths[i]) for i in range(4)) + "  " + r[4])
    lines.insert(1, "  ".join("-" * w for w in widths) + "  " + "-" * 5)
    broken = first_broken(hops)
    if broken:
        lines.append("")
        lines.append(f"first broken hop: {broken.index} {broken.name}; expected {broken.expected}. "
                     f"Fix: {broken.fix} Next: {broken.next_step}")
    for h in hops:
        if h.status == EXPOSED:
            lines.append("")
            lines.append(f"exposed hop (does not cut the path): {h.index} {h.name}; expected "
                         f"{h.expected}. Fix: {h.fix} Next: {h.next_step}")
    return "\n".join(lines)


def hops_from_evidence(evidence: dict[str, Any]) -> list[Hop]:
    """Rebuild the hop table from a Finding's evidence (for report attachments)."""
    return [Hop(**h) for h in evidence.get("hops", [])]
