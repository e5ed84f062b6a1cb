"""Evaluators: one function per question a layer probe and the request-path trace both ask,
so that the two can never disagree.

Each takes described AWS objects (plain dicts, as the inventory returns them) and answers
one question; none reads AWS itself:

- :func:`nacl_decision`: does a subnet's network ACL let this packet through (rules in
  number order, first match wins, the ``*`` rule denies)?
- :func:`health_check_problems`: can a target group's health check succeed against the app?
- :func:`waf_rules_blocking_everyone`: which web ACL rules block every ordinary request?
- :func:`throttle_blocks_all`: does a stage's throttling refuse every request?
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

TCP = "6"
ANY_PROTOCOL = "-1"


# ---- network ACLs -------------------------------------------------------------------------
def nacl_of(nacls: list[dict], subnet_id: str) -> dict | None:
    """The network ACL a subnet is associated with (every subnet has exactly one)."""
    for acl in nacls:
        if any(a.get("SubnetId") == subnet_id for a in acl.get("Associations", [])):
            return acl
    return next((a for a in nacls if a.get("IsDefault")), None)


@dataclass
class NaclDecision:
    allowed: bool
    acl_id: str
    rule: str  # the rule that decided, in words
    egress: bool = False

    def __str__(self) -> str:
        return f"network ACL {self.acl_id} {self.rule}"


def _entry_matches(entry: dict, port: int, cidr: str, protocol: str) -> bool:
    proto = str(entry.get("Protocol", ANY_PROTOCOL))
    if proto not in (ANY_PROTOCOL, protocol):
        return False
    if proto != ANY_PROTOCOL:
        rng = entry.get("PortRange") or {}
        lo, hi = rng.get("From"), rng.get("To")
        if lo is not None and hi is not None and not (int(lo) <= port <= int(hi)):
            return False
    block = entry.get("CidrBlock") or entry.get("Ipv6CidrBlock")
    if not block:
        return False
    try:
        peer = ipaddress.ip_network(cidr, strict=False)
        net = ipaddress.ip_network(block, strict=False)
    except ValueError:
        return False
    if peer.version != net.version:
        return False
    return peer.subnet_of(net)  # type: ignore[arg-type]


def _entry_text(entry: dict) -> str:
    proto = str(entry.get("Protocol", ANY_PROTOCOL))
    rng = entry.get("PortRange") or {}
    ports = "all ports" if proto == ANY_PROTOCOL or not rng else (
        f"port {rng.get('From')}" if rng.get("From") == rng.get("To") else f"ports {rng.get('From')}-{rng.get('To')}")
    what = "all traffic" if proto == ANY_PROTOCOL else f"{'tcp' if proto == TCP else 'protocol ' + proto} {ports}"
    direction = "out to" if entry.get("Egress") else "in from"
    return (f"rule {entry.get('RuleNumber')} {str(entry.get('RuleAction', '')).upper()} "
            f"{what} {direction} {entry.get('CidrBlock') or entry.get('Ipv6CidrBlock')}")


def nacl_decision(acl: dict | None, *, egress: bool, port: int, cidr: str,
                  protocol: str = TCP) -> NaclDecision:
    """Whether ``acl`` lets a ``protocol`` packet to/from ``port`` with peer ``cidr`` pass in
    the given direction. No ACL known: allowed (nothing to judge)."""
    if not acl:
        return NaclDecision(True, "(none)", "is not known")
    entries = sorted((e for e in acl.get("Entries", []) if bool(e.get("Egress")) == egress),
                     key=lambda e: int(e.get("RuleNumber", 32767)))
    for e in entries:
        if _entry_matches(e, port, cidr, protocol):
            return NaclDecision(str(e.get("RuleAction", "")).lower() == "allow", acl.get("NetworkAclId", "?"),
                                _entry_text(e), egress)
    return NaclDecision(False, acl.get("NetworkAclId", "?"), "has no rule matching it (the * rule denies)",
                        egress)


def nacl_path(nacls: list[dict], subnet_id: str, *, port: int, peer_cidr: str) -> NaclDecision | None:
    """The first way a subnet's NACL stops a TCP connection *into* ``port`` from ``peer_cidr``:
    the request inbound, or the reply outbound to the peer's ephemeral ports (NACLs are
    stateless). None when both directions pass."""
    acl = nacl_of(nacls, subnet_id)
    inbound = nacl_decision(acl, egress=False, port=port, cidr=peer_cidr)
    if not inbound.allowed:
        return inbound
    for eph in (1024, 32768, 65535):  # Linux, NLB and AWS's documented ephemeral ranges
        reply = nacl_decision(acl, egress=True, port=eph, cidr=peer_cidr)
        if not reply.allowed:
            return reply
    return None


# ---- target group health checks -----------------------------------------------------------
def health_check_problems(tg: dict, app_port: int | None, health_path: str | None) -> list[str]:
    """Why a target group's health check cannot succeed against an app listening on
    ``app_port`` and answering ``health_path``; [] when it can."""
    problems = []
    if tg.get("HealthCheckEnabled") is False:
        problems.append("has health checks disabled (targets are never marked unhealthy, so a dead "
                        "instance keeps receiving traffic)")
    port = str(tg.get("HealthCheckPort") or "traffic-port")
    traffic = tg.get("Port")
    checked = traffic if port == "traffic-port" else int(port) if port.isdigit() else None
    if app_port and checked and int(checked) != int(app_port):
        problems.append(f"health-checks port {checked} where the app listens on {app_port} "
                        "(every target will be unhealthy)")
    proto = str(tg.get("HealthCheckProtocol") or "TCP").upper()
    path = tg.get("HealthCheckPath")
    if proto in ("HTTP", "HTTPS") and health_path and path and path != health_path:
        problems.append(f"health-checks {proto} {path} where the app answers {health_path}")
    matcher = (tg.get("Matcher") or {}).get("HttpCode")
    if proto in ("HTTP", "HTTPS") and matcher and not any(
            c.strip().startswith("2") or "-" in c and c.split("-")[0].startswith("2")
            for c in str(matcher).split(",")):
        problems.append(f"expects HTTP {matcher} from a healthy app (a 200 counts as unhealthy)")
    return problems


# ---- WAF ----------------------------------------------------------------------------------
def covers_everyone(addresses: list[str]) -> str | None:
    """The whole IPv4 or IPv6 space when ``addresses`` together cover it (WAF refuses /0,
    so a block-all IP set holds two /1s), else None."""
    for version, everyone in ((4, "0.0.0.0/0"), (6, "::/0")):
        nets = []
        for a in addresses:
            try:
                n = ipaddress.ip_network(a, strict=False)
            except ValueError:
                continue
            if n.version == version:
                nets.append(n)
        if any(str(n) == everyone for n in ipaddress.collapse_addresses(nets)):  # type: ignore[arg-type]
            return everyone
    return None


def _matches_everyone(statement: dict, ip_sets: dict[str, dict]) -> str | None:
    """Why a rule statement matches every request (None when it does not, or may not)."""
    if "IPSetReferenceStatement" in statement:
        arn = statement["IPSetReferenceStatement"].get("ARN", "")
        ip_set = ip_sets.get(arn) or {}
        everyone = covers_everyone(ip_set.get("Addresses") or [])
        if everyone:
            return f"IP set {ip_set.get('Name', arn)} covers {everyone} ({', '.join(ip_set['Addresses'])})"
    if "ByteMatchStatement" in statement:
        bm = statement["ByteMatchStatement"]
        field = bm.get("FieldToMatch") or {}
        search = bm.get("SearchString")
        if isinstance(search, bytes):
            search = search.decode(errors="replace")
        if "UriPath" in field and bm.get("PositionalConstraint") == "STARTS_WITH" and search == "/":
            return "it matches every URI path (starts with /)"
        if bm.get("PositionalConstraint") == "CONTAINS" and search == "":
            return "it matches an empty string"
    if "SizeConstraintStatement" in statement:
        sc = statement["SizeConstraintStatement"]
        if sc.get("ComparisonOperator") == "GE" and int(sc.get("Size", 1)) == 0:
            return "it matches any size >= 0"
    if "NotStatement" in statement:
        inner = statement["NotStatement"].get("Statement") or {}
        if "IPSetReferenceStatement" in inner:
            ip_set = ip_sets.get(inner["IPSetReferenceStatement"].get("ARN", "")) or {}
            if ip_set and not ip_set.get("Addresses"):
                return f"it negates the empty IP set {ip_set.get('Name')}"
    if "OrStatement" in statement:
        for inner in statement["OrStatement"].get("Statements") or []:
            why = _matches_everyone(inner, ip_sets)
            if why:
                return why
    if "AndStatement" in statement:
        whys = [_matches_everyone(s, ip_sets) for s in statement["AndStatement"].get("Statements") or []]
        if whys and all(whys):
            return "; ".join(w for w in whys if w)
    return None


def waf_rules_blocking_everyone(acl: dict, ip_sets: dict[str, dict]) -> list[tuple[str, int, str]]:
    """[(rule name, priority, why)] of rules whose action Block applies to every request,
    in the order WAF evaluates them (a lower priority runs first)."""
    out = []
    for rule in sorted(acl.get("Rules") or [], key=lambda r: r.get("Priority", 0)):
        if "Block" not in (rule.get("Action") or {}):
            continue
        why = _matches_everyone(rule.get("Statement") or {}, ip_sets)
        if why:
            out.append((rule.get("Name", "?"), int(rule.get("Priority", 0)), why))
    return out


def ip_set_arns(acl: dict) -> list[str]:
    """Every IP set a web ACL's rules reference (nested statements included)."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("IPSetReferenceStatement")
            if isinstance(ref, dict) and ref.get("ARN") and ref["ARN"] not in found:
                found.append(ref["ARN"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(acl.get("Rules") or [])
    return found


# ---- API Gateway --------------------------------------------------------------------------
def throttle_blocks_all(defaults: dict | None) -> str | None:
    """Why a stage's */* throttling refuses every request (rate or burst 0), else None."""
    if not defaults:
        return None
    rate, burst = defaults.get("throttlingRateLimit"), defaults.get("throttlingBurstLimit")
    if rate is not None and float(rate) <= 0:
        return f"throttles */* at rate {rate} req/s: every request is answered 429 Too Many Requests"
    if burst is not None and int(burst) <= 0:
        return f"throttles */* at burst {burst}: every request is answered 429 Too Many Requests"
    return None
