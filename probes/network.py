"""Network probes: subnet tiers and AZ spread, private routing through NAT, security-group
exposure (no SSH, nothing open to the world, app tier from the VPC only, database from the
app tier only) and VPC Flow Logs with a retention policy.

Tiers come from what uses the subnets (never from our Outputs): the Auto Scaling group
(app), the database's subnet group (db), an internet route (public); the app and database
security groups from the resource graph (the launch template's, the DB instance's).
"""
from __future__ import annotations

import ipaddress
from typing import Any, Callable

from probes import evaluators, graph, reads
from probes.expectations import Strict, layer_expectations
from probes.inventory import Ambiguous, Inventory
from probes.registry import probe
from probes.result import Finding, Missing, absent, failed, passed, skipped

WORLD = ("0.0.0.0/0", "::/0")
TIER_ANCHORS = {"app": "auto_scaling_group", "db": "db_instance"}
TIER_NAMES = {"public": "public", "app": "private app", "db": "private db"}


@layer_expectations("network")
class NetworkExpect(Strict):
    min_azs: int = 2
    app_port: int = 8080
    db_port: int = 5432
    flow_log_retention_days: int = 7
    # Ports a design deliberately opens to 0.0.0.0/0 or ::/0 (none in the bundled stack).
    world_open_ports: tuple[int, ...] = ()
    # Flow-log destination types that must each exist ("cloud-watch-logs", "s3",
    # "kinesis-data-firehose"); empty means any one destination with traffic type ALL.
    flow_log_destinations: tuple[str, ...] = ()


# ---- helpers ------------------------------------------------------------------------------
def _vpc_label(inv: Inventory) -> str:
    return f"VPC {reads.vpc_id(inv)}"


def _tiers(inv: Inventory) -> dict[str, list[str]]:
    return reads.tiers(inv)


def _route_table_of(inv: Inventory, subnet_id: str) -> dict | None:
    return reads.route_table_of(inv, subnet_id)


def _default_routes(rt: dict | None) -> list[dict]:
    if not rt:
        return []
    return [r for r in rt.get("Routes", [])
            if r.get("DestinationCidrBlock") in WORLD
            or r.get("DestinationIpv6CidrBlock") in WORLD]


def _target(route: dict) -> tuple[str, str]:
    """(kind, id) of a route's target; kind in igw/nat/eigw/other."""
    gw = route.get("GatewayId") or ""
    if gw.startswith("igw-"):
        return "igw", gw
    if route.get("NatGatewayId"):
        return "nat", route["NatGatewayId"]
    if route.get("EgressOnlyInternetGatewayId"):
        return "eigw", route["EgressOnlyInternetGatewayId"]
    for key in ("TransitGatewayId", "NetworkInterfaceId", "InstanceId", "VpcPeeringConnectionId",
                "GatewayId", "LocalGatewayId", "CarrierGatewayId", "CoreNetworkArn"):
        if route.get(key):
            return "other", route[key]
    return "other", "?"


def _default_target(rt: dict | None) -> tuple[str, str]:
    v4 = [r for r in _default_routes(rt) if r.get("DestinationCidrBlock") == "0.0.0.0/0"]
    return _target(v4[0]) if v4 else ("none", "")


def _route_text(route: dict) -> str:
    dest = route.get("DestinationCidrBlock") or route.get("DestinationIpv6CidrBlock")
    kind, tid = _target(route)
    word = {"igw": "internet gateway", "nat": "NAT gateway",
            "eigw": "egress-only internet gateway"}.get(kind, "target")
    state = f" ({route['State']})" if route.get("State") not in (None, "active") else ""
    return f"{dest} -> {word} {tid}{state}"


def _ports(perm: dict) -> tuple[int, int] | None:
    """(from, to) port range of a rule; None means every port (protocol -1)."""
    proto = str(perm.get("IpProtocol"))
    if proto in ("-1", "all"):
        return None
    if proto not in ("tcp", "6", "udp", "17"):
        return (-1, -1)  # icmp and others carry types, not ports
    lo, hi = perm.get("FromPort"), perm.get("ToPort")
    if lo in (None, -1) and hi in (None, -1):
        return None
    return (int(lo), int(hi))


def _is_tcp(perm: dict) -> bool:
    return str(perm.get("IpProtocol")) in ("-1", "all", "tcp", "6")


def _covers(perm: dict, port: int) -> bool:
    rng = _ports(perm)
    return rng is None or rng[0] <= port <= rng[1]


def _sources(perm: dict) -> list[str]:
    return ([r["CidrIp"] for r in perm.get("IpRanges", [])]
            + [r["CidrIpv6"] for r in perm.get("Ipv6Ranges", [])]
            + [g.get("GroupId") or g.get("GroupName", "?") for g in perm.get("UserIdGroupPairs", [])]
            + [p["PrefixListId"] for p in perm.get("PrefixListIds", [])])


def _rule_text(perm: dict, source: str | None = None) -> str:
    proto = str(perm.get("IpProtocol"))
    rng = _ports(perm)
    if rng is None:
        what = "all traffic" if proto in ("-1", "all") else f"{proto} all ports"
    elif rng == (-1, -1):
        what = f"protocol {proto}"
    else:
        what = f"{proto} {rng[0]}" if rng[0] == rng[1] else f"{proto} {rng[0]}-{rng[1]}"
    src = source if source is not None else ", ".join(_sources(perm)) or "nowhere"
    return f"{what} from {src}"


def _group_label(group: dict) -> str:
    name = group.get("GroupName", "")
    return f"security group {group['GroupId']}" + (f" ({name})" if name else "")


def _admits_only(inv: Inventory, group_ids: list[str], port: int, *, noun: str,
                 exact: Callable[[dict], bool], allowed: Callable[[str], bool], expected: str,
                 source: str, cut_off: str, keep: str, grant_from: str) -> list[Finding]:
    """One finding per group: it admits tcp ``port`` (a rule ``exact`` accepts) from ``allowed``
    sources and nothing else. ``source`` names the allowed sources in words, ``cut_off`` what
    breaks without the rule, ``keep`` what to leave when revoking, ``grant_from`` whom to
    authorize."""
    out = []
    for gid in group_ids:
        g = reads.security_group(inv, gid)
        if not g:
            out.append(absent(f"{noun} {gid}", "it to exist in the stack's VPC"))
            continue
        bad, admits = [], False
        for p in g.get("IpPermissions", []):
            ok = exact(p)
            for src in _sources(p):
                if ok and allowed(src):
                    admits = True
                else:
                    bad.append(_rule_text(p, src))
        label = _group_label(g)
        evidence = {"rules": g.get("IpPermissions", [])}
        if bad:
            out.append(failed(label, f"also allows {'; '.join(bad)}", expected,
                              f"Revoke the extra rule(s) from {gid}; {keep}", **evidence))
        elif not admits:
            out.append(failed(label, f"does not admit tcp {port} from {source} ({cut_off})", expected,
                              f"Authorize tcp {port} from {grant_from} on {gid}", **evidence))
        else:
            out.append(passed(label, f"admits only tcp {port} from {source}", **evidence))
    return out


def _role_group(inv: Inventory, role: str, hint: str) -> str | None:
    try:
        return graph.role(inv, role)
    except Ambiguous:
        return None


def _app_group_ids(inv: Inventory) -> list[str]:
    gid = _role_group(inv, "app_security_group", "AppSecurityGroup")
    if gid:
        return [gid]
    return graph.of(inv).app_group_ids()


def _db_group_ids(inv: Inventory) -> list[str]:
    ids = []
    gid = _role_group(inv, "db_security_group", "DbSecurityGroup")
    if gid:
        ids.append(gid)
    db = reads.db_instance(inv) or {}
    for g in db.get("VpcSecurityGroups", []):
        if g.get("VpcSecurityGroupId") not in ids:
            ids.append(g["VpcSecurityGroupId"])
    return ids


def _vpc_cidrs(inv: Inventory) -> list[Any]:
    vpc = reads.vpc(inv) or {}
    blocks = [a["CidrBlock"] for a in vpc.get("CidrBlockAssociationSet", [])
              if a.get("CidrBlockState", {}).get("State", "associated") == "associated"]
    blocks += [a["Ipv6CidrBlock"] for a in vpc.get("Ipv6CidrBlockAssociationSet", [])
               if a.get("Ipv6CidrBlock")]
    if not blocks and vpc.get("CidrBlock"):
        blocks = [vpc["CidrBlock"]]
    return [ipaddress.ip_network(b) for b in blocks]


def _inside(cidr: str, networks: list[Any]) -> bool:
    net = ipaddress.ip_network(cidr, strict=False)
    return any(net.version == n.version and net.subnet_of(n) for n in networks)


def _need_vpc(inv: Inventory) -> str:
    """The stack's VPC id; :class:`Missing` when there is none."""
    vid = reads.vpc_id(inv)
    if not vid:
        raise Missing(absent("the stack's VPC", "an AWS::EC2::VPC in the stack (or resources.vpc)",
                             "Deploy the stack or set resources.vpc in the environment file"))
    return vid


# ---- subnets and routes ------------------------------------------------------------------
@probe(layer="network", component="subnets",
       title="Public, private app and private db subnets each span the expected AZs",
       severity="critical", gate=True, challenge=10,
       remediation="Create the missing subnet in a second Availability Zone (and associate it "
                   "with the tier's route table) so one AZ outage does not take the tier down")
def subnet_tiers_span_azs(inv: Inventory, exp: Any) -> list[Finding]:
    _need_vpc(inv)
    want = exp.network.min_azs
    described = {s["SubnetId"]: s for s in reads.subnets(inv)}
    out = []
    for tier, ids in _tiers(inv).items():
        label = f"{TIER_NAMES[tier]} subnet tier of {_vpc_label(inv)}"
        if not ids:
            anchor = TIER_ANCHORS.get(tier)
            if anchor and not graph.role(inv, anchor):
                out.append(skipped(f"the {TIER_NAMES[tier]} subnet tier",
                                   f"is not judged: it is the subnets of the {anchor.replace('_', ' ')}, "
                                   f"and there is none ({graph.of(inv).followed(anchor)})"))
                continue
            out.append(absent(f"the {TIER_NAMES[tier]} subnet tier",
                              f"at least {want} subnets in distinct AZs",
                              f"Add {TIER_NAMES[tier]} subnets in at least {want} AZs"))
            continue
        gone = [s for s in ids if s not in described]
        azs = sorted({described[s]["AvailabilityZone"] for s in ids if s in described})
        evidence = {"subnets": {s: described.get(s, {}).get("AvailabilityZone", "missing")
                                for s in ids}}
        if gone:
            out.append(failed(label, f"lists subnet(s) {', '.join(gone)} that do not exist in the "
                                     f"VPC (remaining AZs: {', '.join(azs) or 'none'})",
                              f"every listed subnet to exist, across at least {want} AZs",
                              "Recreate the deleted subnet (redeploy the stack) or remove it from "
                              "the tier's configuration", **evidence))
        elif len(azs) < want:
            out.append(failed(label, f"spans {len(azs)} AZ(s) ({', '.join(azs)})",
                              f"at least {want} AZs", **evidence))
        else:
            out.append(passed(label, f"spans {len(azs)} AZs ({', '.join(azs)})", **evidence))
    # A subnet the stack declares that no longer exists is broken, whatever tier it was in.
    lost = [n for n in graph.of(inv).declared("AWS::EC2::Subnet") if n.id not in described]
    if lost:
        out.append(failed(f"subnets of stack {inv.stack_name} in {_vpc_label(inv)}",
                          f"lists subnet(s) {', '.join(n.label for n in lost)} that do not exist in "
                          "the VPC", "every subnet the stack declares to exist",
                          "Recreate the deleted subnet (redeploy the stack) and re-associate its "
                          "route table", lost=[n.id for n in lost]))
    return out


@probe(layer="network", component="routing",
       title="Private subnets reach the internet only through a NAT gateway, never an IGW",
       severity="blocker", gate=True, challenge=10,
       remediation="Point the private route table's 0.0.0.0/0 route at the NAT gateway "
                   "(aws ec2 replace-route --route-table-id RTB --destination-cidr-block 0.0.0.0/0 "
                   "--nat-gateway-id NAT) and remove any internet-gateway route")
def private_subnets_egress_via_nat(inv: Inventory, exp: Any) -> list[Finding]:
    _need_vpc(inv)
    tiers = _tiers(inv)
    if not tiers["app"] and not tiers["db"]:
        if not graph.role(inv, "auto_scaling_group") and not graph.role(inv, "db_instance"):
            return [skipped("private subnets of the stack", "are not judged: they are the subnets "
                            "of the Auto Scaling group and the DB, and the stack has neither")]
        return [absent("private subnets of the stack", "private app and db subnets",
                       "Place the Auto Scaling group and the DB subnet group in private subnets")]
    nats = {n["NatGatewayId"]: n for n in reads.nat_gateways(inv)}
    out = []
    for tier in ("app", "db"):
        for sid in tiers[tier]:
            rt = _route_table_of(inv, sid)
            label = f"route table {rt['RouteTableId'] if rt else '(none)'} of {TIER_NAMES[tier]} subnet {sid}"
            defaults = _default_routes(rt)
            evidence = {"routes": [_route_text(r) for r in (rt or {}).get("Routes", [])]}
            igw = [r for r in defaults if _target(r)[0] == "igw"]
            if igw:
                out.append(failed(label, f"routes {'; '.join(_route_text(r) for r in igw)}",
                                  "private subnets never to route to an internet gateway "
                                  "(default route through a NAT gateway, or none for db)",
                                  **evidence))
                continue
            if tier == "db":
                out.append(passed(label, "has no internet-gateway route", **evidence))
                continue
            kind, tid = _default_target(rt)
            if kind != "nat":
                seen = "has no 0.0.0.0/0 route" if kind == "none" else (
                    f"sends 0.0.0.0/0 to {tid}, not a NAT gateway")
                out.append(failed(label, seen, "0.0.0.0/0 through an available NAT gateway",
                                  **evidence))
                continue
            nat = nats.get(tid)
            state = (nat or {}).get("State", "not found")
            if state != "available":
                out.append(failed(label, f"sends 0.0.0.0/0 to NAT gateway {tid} which is {state}",
                                  "0.0.0.0/0 through an available NAT gateway",
                                  "Recreate the NAT gateway in a public subnet (redeploy the "
                                  "stack) and point the route at it", **evidence))
                continue
            nat_rt = _route_table_of(inv, nat.get("SubnetId", ""))
            if _default_target(nat_rt)[0] != "igw":
                out.append(failed(label, f"sends 0.0.0.0/0 to NAT gateway {tid}, whose subnet "
                                         f"{nat.get('SubnetId')} has no internet-gateway route",
                                  "the NAT gateway to sit in a public subnet routed to the IGW",
                                  "Add 0.0.0.0/0 -> internet gateway to the NAT subnet's route "
                                  "table", **evidence))
                continue
            out.append(passed(label, f"sends 0.0.0.0/0 through available NAT gateway {tid}",
                              **evidence))
    return out


@probe(concern="security", layer="network", component="routing",
       title="Database subnets have no internet route at all", severity="normal",
       needs=("vpc", "db_instance"),
       remediation="Remove the 0.0.0.0/0 (and ::/0) routes from the database subnets' route "
                   "table; the database needs no internet access")
def db_subnets_have_no_internet_route(inv: Inventory, exp: Any) -> list[Finding]:
    _need_vpc(inv)
    ids = _tiers(inv)["db"]
    if not ids:
        return [absent("the private db subnet tier", "database subnets without internet routes",
                       "Give the DB instance a DB subnet group of private subnets")]
    out = []
    for sid in ids:
        rt = _route_table_of(inv, sid)
        label = f"route table {rt['RouteTableId'] if rt else '(none)'} of private db subnet {sid}"
        defaults = _default_routes(rt)
        if defaults:
            out.append(failed(label, f"has internet route(s) {'; '.join(_route_text(r) for r in defaults)}",
                              "no default route (local VPC routes only)"))
        else:
            out.append(passed(label, "has no internet route"))
    return out


# ---- security groups ---------------------------------------------------------------------
@probe(layer="network", component="security-groups",
       title="No security group in the VPC allows port 22 (SSH-less operation)",
       severity="critical", gate=True, challenge=5,
       remediation="Revoke the rule (aws ec2 revoke-security-group-ingress --group-id SG "
                   "--ip-permissions ...); reach instances with SSM Session Manager instead")
def no_ssh_ingress(inv: Inventory, exp: Any) -> list[Finding]:
    _need_vpc(inv)
    groups = reads.judged_security_groups(inv)
    out = []
    for g in groups:
        bad = [_rule_text(p) for p in g.get("IpPermissions", []) if _is_tcp(p) and _covers(p, 22)]
        if bad:
            out.append(failed(_group_label(g), f"allows {'; '.join(bad)}",
                              "port 22 closed everywhere (SSH-less: use SSM Session Manager)",
                              f"Revoke the rule(s) from {g['GroupId']} (aws ec2 "
                              "revoke-security-group-ingress); use SSM Session Manager for access",
                              rules=g.get("IpPermissions", [])))
    if not out:
        out.append(passed(_vpc_label(inv), f"has no rule admitting port 22 in its {len(groups)} "
                                           "security groups"))
    return out


@probe(layer="network", component="security-groups",
       title="No security group in the VPC is open to the world (0.0.0.0/0 or ::/0)",
       severity="critical", gate=True, challenge=10,
       remediation="Revoke the world-open rule; traffic enters only through CloudFront/API "
                   "Gateway and the VPC link, so nothing in the VPC needs 0.0.0.0/0 ingress")
def no_world_open_ingress(inv: Inventory, exp: Any) -> list[Finding]:
    _need_vpc(inv)
    allowed = set(exp.network.world_open_ports)
    groups = reads.judged_security_groups(inv)
    out = []
    for g in groups:
        bad = []
        for p in g.get("IpPermissions", []):
            rng = _ports(p)
            ok_port = rng is not None and rng[0] == rng[1] and rng[0] in allowed and _is_tcp(p)
            for src in _sources(p):
                if src in WORLD and not ok_port:
                    bad.append(_rule_text(p, src))
        if bad:
            out.append(failed(_group_label(g), f"allows {'; '.join(bad)}",
                              "no ingress from 0.0.0.0/0 or ::/0"
                              + (f" except tcp {sorted(allowed)}" if allowed else ""),
                              f"Revoke the rule(s) from {g['GroupId']} (aws ec2 "
                              "revoke-security-group-ingress)", rules=g.get("IpPermissions", [])))
    if not out:
        out.append(passed(_vpc_label(inv), f"has no world-open ingress in its {len(groups)} "
                                           "security groups"))
    return out


@probe(layer="network", component="security-groups",
       title="App tier admits only the app port, only from inside the VPC",
       severity="critical", gate=True, challenge=2,
       needs=("vpc", "auto_scaling_group"),
       remediation="Leave exactly one ingress rule on the app security group: tcp APP_PORT from "
                   "the VPC CIDR (NLB health checks and VPC-link traffic); revoke the others")
def app_port_only_from_vpc(inv: Inventory, exp: Any) -> list[Finding]:
    _need_vpc(inv)
    port = exp.network.app_port
    ids = _app_group_ids(inv)
    if not ids:
        return [absent("the app security group", "the launch template's security group",
                       "Give the launch template the app security group (or set resources.app_security_group)")]
    nets = _vpc_cidrs(inv)
    vpc_groups = {g["GroupId"] for g in reads.security_groups(inv)}
    return _admits_only(
        inv, ids, port, noun="app security group",
        exact=lambda p: _is_tcp(p) and _ports(p) == (port, port) and str(p.get("IpProtocol")) != "-1",
        allowed=lambda src: (src in vpc_groups) or ("/" in src and _inside(src, nets)),
        expected=f"only tcp {port} from the VPC CIDR ({', '.join(map(str, nets))})",
        source="inside the VPC", cut_off="NLB health checks and the VPC link cannot reach the app",
        keep=f"keep tcp {port} from the VPC CIDR", grant_from="the VPC CIDR")


@probe(layer="network", component="security-groups",
       title="Database admits the DB port only from the app security group",
       severity="critical", gate=True, challenge=3,
       needs=("vpc", "db_instance"),
       remediation="Leave exactly one ingress rule on the database security group: tcp DB_PORT "
                   "from the app security group; revoke CIDR rules and other groups")
def db_port_only_from_app_sg(inv: Inventory, exp: Any) -> list[Finding]:
    _need_vpc(inv)
    port = exp.network.db_port
    db_ids, app_ids = _db_group_ids(inv), set(_app_group_ids(inv))
    if not db_ids:
        return [absent("the database security group", "the RDS instance's VPC security group",
                       "Give the DB instance its security group (or set resources.db_security_group)")]
    if not app_ids:
        return [absent("the app security group", "the group the database admits",
                       "Give the launch template the app security group (or set resources.app_security_group)")]
    return _admits_only(
        inv, db_ids, port, noun="database security group",
        exact=lambda p: _ports(p) == (port, port) and str(p.get("IpProtocol")) in ("tcp", "6"),
        allowed=lambda src: src in app_ids,
        expected=f"only tcp {port} from the app security group {', '.join(sorted(app_ids))}",
        source="the app security group", cut_off="the app cannot connect to the database",
        keep="the app tier reaches the database through its security group",
        grant_from="the app security group")


# ---- flow logs ---------------------------------------------------------------------------
def _active(fl: dict) -> bool:
    return fl.get("FlowLogStatus", "ACTIVE") == "ACTIVE"


@probe(concern="security", layer="network", component="flow-logs",
       title="VPC Flow Logs capture ALL traffic of the VPC", severity="normal", challenge=9,
       remediation="Create a flow log on the VPC with traffic type ALL (aws ec2 create-flow-logs "
                   "--resource-type VPC --traffic-type ALL ...) to CloudWatch Logs or S3")
def flow_logs_enabled(inv: Inventory, exp: Any) -> list[Finding]:
    _need_vpc(inv)
    logs = reads.flow_logs(inv)
    label = _vpc_label(inv)
    seen = [f"{fl['FlowLogId']} ({fl.get('TrafficType')} to {fl.get('LogDestinationType')}, "
            f"{fl.get('FlowLogStatus')})" for fl in logs]
    good = [fl for fl in logs if fl.get("TrafficType") == "ALL" and _active(fl)]
    wanted = exp.network.flow_log_destinations
    if not wanted:
        if good:
            return [passed(label, f"has flow log(s) {', '.join(seen)}", flow_logs=seen)]
        return [failed(label, f"has {'flow logs ' + ', '.join(seen) if seen else 'no flow log'}",
                       "an ACTIVE flow log with traffic type ALL", flow_logs=seen)]
    out = []
    for dest in wanted:
        hit = [fl for fl in good if fl.get("LogDestinationType") == dest]
        if hit:
            out.append(passed(label, f"has ALL-traffic flow log {hit[0]['FlowLogId']} to {dest}"))
        else:
            out.append(failed(label, f"has no ACTIVE ALL-traffic flow log to {dest} "
                                     f"(has: {', '.join(seen) or 'none'})",
                              f"an ACTIVE flow log with traffic type ALL to {dest}",
                              flow_logs=seen))
    return out


@probe(layer="network", component="flow-logs",
       title="Flow-log destinations have a retention policy (log group retention, S3 lifecycle)",
       severity="normal", challenge=9,
       remediation="Set the flow-log group's retention (aws logs put-retention-policy) and give "
                   "the S3 destination a lifecycle rule that transitions to a cheaper class")
def flow_log_retention(inv: Inventory, exp: Any) -> list[Finding]:
    _need_vpc(inv)
    days = exp.network.flow_log_retention_days
    logs = reads.flow_logs(inv)
    if not logs and not inv.of_type("AWS::EC2::FlowLog"):
        # Never had one: the missing flow log is network.flow_logs_enabled's finding.
        return [skipped(f"flow log of {_vpc_label(inv)}", "is not judged: the VPC has no flow log "
                        "(network.flow_logs_enabled reports it)")]
    if not logs:
        return [absent(f"flow log of {_vpc_label(inv)}", "a flow log whose destination has a "
                       "retention policy", "Create the flow log first (see network.flow_logs_enabled)")]
    out = []
    for fl in logs:
        kind = fl.get("LogDestinationType") or "cloud-watch-logs"
        fid = fl["FlowLogId"]
        if kind == "cloud-watch-logs":
            name = fl.get("LogGroupName") or (fl.get("LogDestination") or "").split(":log-group:")[-1]
            name = name.removesuffix(":*")
            group = reads.log_group(inv, name)
            label = f"flow log {fid} log group {name}"
            if not group:
                out.append(absent(label, "the destination log group to exist with a retention "
                                         "policy", f"Create log group {name} with "
                                                   f"--retention-in-days {days}"))
            elif group.get("retentionInDays") != days:
                seen = group.get("retentionInDays")
                out.append(failed(label, "never expires" if seen is None else f"keeps {seen} days",
                                  f"retention of {days} days",
                                  f"aws logs put-retention-policy --log-group-name {name} "
                                  f"--retention-in-days {days}", retention=seen))
            else:
                out.append(passed(label, f"keeps {days} days"))
        elif kind == "s3":
            arn = fl.get("LogDestination") or ""
            bucket = arn.split(":::", 1)[-1].split("/", 1)[0]
            label = f"flow log {fid} bucket {bucket}"
            rules = [r for r in reads.bucket_lifecycle_rules(inv, bucket)
                     if r.get("Status") == "Enabled"]
            tiers = sorted({t.get("StorageClass") for r in rules
                            for t in r.get("Transitions", []) if t.get("StorageClass")})
            evidence = {"rules": rules}
            if not tiers:
                out.append(failed(label, "has no enabled lifecycle transition"
                                  + (f" ({len(rules)} enabled rule(s) without transitions)"
                                     if rules else ""),
                                  "a lifecycle rule transitioning logs to a cheaper storage class",
                                  f"aws s3api put-bucket-lifecycle-configuration --bucket {bucket} "
                                  "with Transitions to STANDARD_IA/GLACIER and an Expiration",
                                  **evidence))
            else:
                out.append(passed(label, f"transitions logs to {', '.join(tiers)}", **evidence))
        else:
            out.append(skipped(f"flow log {fid}", f"delivers to {kind}; its retention is set "
                                                  "downstream and not visible to this probe"))
    return out


# ---- network ACLs --------------------------------------------------------------------------
def nacl_blocks(inv: Inventory, subnet_ids: list[str], port: int,
                peer_cidrs: list[str]) -> list[tuple[str, str, evaluators.NaclDecision]]:
    """[(subnet, peer, decision)] for every subnet whose NACL stops TCP ``port`` from a peer
    (the request in, or the reply out to the peer's ephemeral ports). The trace asks the same."""
    nacls = reads.network_acls(inv)
    out = []
    for sid in subnet_ids:
        for peer in peer_cidrs:
            stop = evaluators.nacl_path(nacls, sid, port=port, peer_cidr=peer)
            if stop:
                out.append((sid, peer, stop))
                break
    return out


def app_peers(inv: Inventory) -> list[str]:
    """Where the app tier's traffic comes from: the NLB's subnets, else the VPC."""
    lb = reads.load_balancer(inv) or {}
    subnets = [z.get("SubnetId") for z in lb.get("AvailabilityZones", []) if z.get("SubnetId")]
    return _subnet_cidr_list(inv, subnets) or [str(n) for n in _vpc_cidrs(inv) if n.version == 4]


def _subnet_cidr_list(inv: Inventory, ids: list[str]) -> list[str]:
    by_id = {s["SubnetId"]: s.get("CidrBlock") for s in reads.subnets(inv)}
    return [by_id[i] for i in ids if by_id.get(i)]


@probe(layer="network", component="nacls",
       title="Network ACLs let the app port and the database port through (both ways)",
       severity="blocker", gate=True, challenge=4, needs=("vpc", "auto_scaling_group"),
       remediation="Add network ACL entries allowing the port inbound from its callers and "
                   "TCP 1024-65535 outbound to them (NACLs are stateless): aws ec2 "
                   "create-network-acl-entry --network-acl-id <acl> ...; or remove the DENY rule")
def nacls_admit_request_path(inv: Inventory, exp: Any) -> list[Finding]:
    tiers = _tiers(inv)
    checks = [("private app", tiers["app"], exp.network.app_port, app_peers(inv))]
    if tiers["db"]:
        checks.append(("private db", tiers["db"], exp.network.db_port, _subnet_cidr_list(inv, tiers["app"])))
    out = []
    for tier, subnets, port, peers in checks:
        if not subnets or not peers:
            continue
        label = f"{tier} subnets of {_vpc_label(inv)}"
        blocked = nacl_blocks(inv, subnets, port, peers)
        for sid, peer, stop in blocked:
            way = "replies to" if stop.egress else "traffic from"
            out.append(failed(f"subnet {sid} ({tier} tier)",
                              f"drops TCP {port} {way} {peer}: {stop}",
                              f"the NACL to allow TCP {port} in from {peer} and ephemeral ports out",
                              f"aws ec2 describe-network-acls --filters Name=association.subnet-id,"
                              f"Values={sid}; allow TCP {port} in and 1024-65535 out, or remove "
                              f"the DENY rule (aws ec2 delete-network-acl-entry --network-acl-id "
                              f"{stop.acl_id} ...)", network_acl=stop.acl_id, rule=stop.rule))
        if not blocked:
            out.append(passed(label, f"let TCP {port} in from {', '.join(peers)} and replies out"))
    return out or [passed(f"{_vpc_label(inv)}", "has no app or db tier whose NACL to judge")]
