"""Hops through security groups, routes and network ACLs (network layer): the NLB to the
app port, the app tier to Secrets Manager (credentials, route and HTTPS egress), and the
app tier to the database port."""
from __future__ import annotations

from probes import evaluators, graph, iam, network, reads
from probes.inventory import Ambiguous
from probes.trace.engine import Blocked, Broken, Ctx, asg_subnets, sg_summary, subnet_cidrs


def _app_groups(c: Ctx) -> list[dict]:
    if c.app_groups:
        return c.app_groups
    ids: set[str] = set()
    for inst in c.instances:
        ids |= {g["GroupId"] for g in inst.get("SecurityGroups", [])}
    if not ids:  # no instance yet: the groups its launch template gives them
        ids |= set(graph.of(c.inv).app_group_ids())
    if not ids and graph.role(c.inv, "app_security_group"):
        ids.add(graph.role(c.inv, "app_security_group"))
    c.app_groups = [g for g in (reads.security_group(c.inv, i) for i in sorted(ids)) if g]
    return c.app_groups


def app_port(c: Ctx) -> tuple[str, str, str]:
    nlb = c.nlb()
    port = c.app_port or (int(reads.target_group(c.inv).get("Port")) if reads.target_group(c.inv) else None)
    if not nlb or not port:
        raise Blocked("no NLB or target port")
    groups = _app_groups(c)
    if not groups:
        raise Broken("the app instances have no security group", "the app security group",
                     "Check the launch template's security groups")
    nlb_subnets = [z.get("SubnetId") for z in nlb.get("AvailabilityZones", []) if z.get("SubnetId")]
    cidrs = subnet_cidrs(c.inv, nlb_subnets)
    if not cidrs:
        vpc = reads.vpc(c.inv)
        cidrs = [vpc["CidrBlock"]] if vpc else []
    ids = ", ".join(g["GroupId"] for g in groups)
    rule = evaluators.sg_admits(groups, "ingress", port, from_groups=set(nlb.get("SecurityGroups") or []),
                                from_cidrs=cidrs)
    if not rule:
        raise Broken(f"security group(s) {ids} of the app instances do not allow tcp {port} from "
                     f"the NLB's subnets {cidrs} (ingress: {sg_summary(groups, 'ingress') or 'none'})",
                     f"tcp {port} open from the VPC CIDR / NLB subnets (NLB health checks and "
                     "VPC-link traffic come from NLB node addresses)",
                     f"aws ec2 authorize-security-group-ingress --group-id {groups[0]['GroupId']} "
                     f"--protocol tcp --port {port} --cidr {(reads.vpc(c.inv) or {}).get('CidrBlock', '<VPC CIDR>')}")
    blocked = network.nacl_blocks(c.inv, asg_subnets(c.inv), port, cidrs)
    if blocked:
        sid, peer, stop = blocked[0]
        raise Broken(f"subnet {sid} of the app tier drops tcp {port} {'replies to' if stop.egress else 'from'} "
                     f"{peer}: {stop}", f"the network ACL to pass tcp {port} from the NLB and the replies",
                     f"Allow tcp {port} in and 1024-65535 out on {stop.acl_id} (aws ec2 "
                     f"create-network-acl-entry), or remove the DENY rule", network_acl=stop.acl_id)
    return f"NLB {nlb.get('LoadBalancerName')} ({', '.join(cidrs)})", f"{ids} tcp {port}", \
        f"{rule['group']} allows tcp {port} from the NLB; network ACLs pass it"


# ---- app tier -> Secrets Manager ----------------------------------------------------------
# Before it can open a connection to the database the app reads the master user secret
# (GetSecretValue) with the instance role's credentials, over HTTPS to Secrets Manager: a
# public endpoint reached through the NAT gateway, or an interface VPC endpoint.
def _instance_role(c: Ctx) -> tuple[str | None, str]:
    """(role name, how it was found): the role of the launch template's instance profile,
    as the resource graph follows it for the compute and database layers."""
    try:
        return graph.role(c.inv, "instance_role"), graph.of(c.inv).followed("instance_role")
    except Ambiguous:
        return None, ""


def _default_route(c: Ctx, subnet_id: str) -> dict | None:
    """The subnet's 0.0.0.0/0 route, if its route table has one."""
    table = reads.route_table_of(c.inv, subnet_id)
    return next((r for r in (table or {}).get("Routes", [])
                 if r.get("DestinationCidrBlock") == "0.0.0.0/0"), None)


def _egress_of(c: Ctx, subnet_id: str, nats: dict[str, dict], public: set[str]) -> str | None:
    """How the subnet reaches public AWS endpoints (None: it does not)."""
    route = _default_route(c, subnet_id)
    if not route or route.get("State") == "blackhole":
        return None
    nat_id = route.get("NatGatewayId")
    if nat_id:
        nat = nats.get(nat_id)
        if not nat or nat.get("State") != "available" or nat.get("SubnetId") not in public:
            return None
        return f"NAT gateway {nat_id}"
    # A NAT instance or a transit gateway (central egress) is an egress we cannot follow
    # further; an internet gateway gives a private instance no way out (and the instances
    # hop already reports app instances in IGW-routed subnets).
    for key in ("TransitGatewayId", "NetworkInterfaceId", "InstanceId"):
        if route.get(key):
            return f"{key[:-2]} {route[key]}"
    return None


def _route_summary(c: Ctx, subnet_id: str, nats: dict[str, dict]) -> str:
    route = _default_route(c, subnet_id)
    if not route:
        return f"{subnet_id}: no 0.0.0.0/0 route"
    target = next((route[k] for k in ("NatGatewayId", "GatewayId", "TransitGatewayId",
                                      "NetworkInterfaceId", "InstanceId") if route.get(k)), "?")
    state = (nats.get(target) or {}).get("State", "not found") if target.startswith("nat-") else \
        route.get("State", "active")
    return f"{subnet_id}: 0.0.0.0/0 -> {target} ({state})"


def _secretsmanager_endpoints(c: Ctx) -> list[dict]:
    """Available interface endpoints for Secrets Manager in the VPC with private DNS (so
    the SDK's default endpoint name resolves to them). Read only when a subnet has no NAT
    egress, so a healthy NAT-routed stack makes no extra read."""
    vid = reads.vpc_id(c.inv)
    if not vid:
        return []
    service = f"com.amazonaws.{c.inv.session.region}.secretsmanager"
    eps = c.inv.paginate("ec2", "describe_vpc_endpoints", "VpcEndpoints", missing_ok=True,
                         Filters=[{"Name": "vpc-id", "Values": [vid]},
                                  {"Name": "service-name", "Values": [service]}])
    return [e for e in eps if e.get("ServiceName") == service
            and e.get("VpcEndpointType", "Interface") == "Interface"
            and str(e.get("State", "")).lower() == "available" and e.get("PrivateDnsEnabled")]


def secrets_manager(c: Ctx) -> tuple[str, str, str]:
    c.db = c.db or reads.db_instance(c.inv)
    arn = ((c.db or {}).get("MasterUserSecret") or {}).get("SecretArn")
    if not arn:
        try:
            arn = graph.role(c.inv, "db_secret")
        except Ambiguous:
            arn = None
    # 1. Credentials: the instance role may read the secret.
    role, source = _instance_role(c)
    granted = ""
    if arn:  # no secret at all is the "database → secret" hop's finding
        if not role:
            raise Broken("the app instances have no instance role", "an instance profile whose "
                         f"role may call secretsmanager:GetSecretValue on {arn}",
                         "Set IamInstanceProfile in the launch template to the app's instance "
                         "profile and refresh the instances", layer="compute")
        decision = iam.decide_secret_read(c.inv, role, arn)
        allow, deny = decision.allowed_by, decision.denied_by
        if deny or not allow:
            raise Broken(f"instance role {role} (from {source}) "
                         + (f"is denied secretsmanager:GetSecretValue on {arn} by "
                            f"{', '.join(deny)}" if deny else
                             f"has no policy allowing secretsmanager:GetSecretValue on {arn}")
                         + ", so the app cannot read its DB credentials (/health: database "
                         "unreachable)", "GetSecretValue allowed on the DB secret's ARN",
                         (f"Remove the Deny for {arn} from {', '.join(deny)}" if deny else
                          f"aws iam put-role-policy --role-name {role} --policy-name ReadDbSecret "
                          "--policy-document '{\"Version\":\"2012-10-17\",\"Statement\":[{"
                          "\"Effect\":\"Allow\",\"Action\":[\"secretsmanager:GetSecretValue\"],"
                          f"\"Resource\":\"{arn}\"}}]}}' (then pytest -m database)"),
                         layer="compute", secret_arn=arn, allowing=allow, denying=deny)
        granted = f"role {role} may GetSecretValue ({', '.join(allow)})"
    # 2. Network: every app subnet has a way to Secrets Manager.
    subnets = sorted({i["SubnetId"] for i in c.instances if i.get("SubnetId")}) or sorted(asg_subnets(c.inv))
    if not subnets:
        raise Blocked("no app subnets")
    nats = {n["NatGatewayId"]: n for n in reads.nat_gateways(c.inv)}
    public = reads.public_subnets(c.inv)
    ways = {s: _egress_of(c, s, nats, public) for s in subnets}
    closed = [s for s, w in ways.items() if not w]
    endpoints = _secretsmanager_endpoints(c) if closed else []
    if closed and not endpoints:
        raise Broken("app subnet(s) " + "; ".join(_route_summary(c, s, nats) for s in closed)
                     + " have no path to Secrets Manager (no available NAT gateway route and no "
                     "secretsmanager interface endpoint), so the app cannot fetch its DB secret",
                     "0.0.0.0/0 through an available NAT gateway in a public subnet, or an "
                     "interface VPC endpoint for secretsmanager with private DNS",
                     "Recreate the NAT gateway in a public subnet and point the app route "
                     "table's 0.0.0.0/0 at it (aws ec2 create-nat-gateway; aws ec2 replace-route "
                     "--nat-gateway-id ...), or create a secretsmanager interface endpoint",
                     routes={s: _route_summary(c, s, nats) for s in subnets})
    # 3. The app's security groups let HTTPS out to where the calls go: the internet via
    # NAT, or (private DNS sends every call in the VPC there) an interface endpoint.
    groups = _app_groups(c)
    if groups:
        nat_out = not closed and bool(evaluators.sg_admits(groups, "egress", 443, from_groups=set(),
                                                           from_cidrs=["0.0.0.0/0"])
                                      or _prefix_list_egress(groups, 443))
        if not nat_out:
            endpoints = endpoints or _secretsmanager_endpoints(c)
            vpc_cidr = (reads.vpc(c.inv) or {}).get("CidrBlock")
            ep_groups = {g.get("GroupId") for e in endpoints for g in e.get("Groups", [])}
            if not (endpoints and evaluators.sg_admits(groups, "egress", 443, from_groups=ep_groups,
                                                       from_cidrs=[vpc_cidr] if vpc_cidr else [])):
                ids = ", ".join(g["GroupId"] for g in groups)
                raise Broken(f"app security group(s) {ids} do not allow egress tcp 443 to "
                             + ("the Secrets Manager endpoint" if closed else
                                "the internet (through the NAT gateway)")
                             + f" (egress: {sg_summary(groups, 'egress') or 'none'})",
                             "egress tcp 443 to Secrets Manager",
                             f"aws ec2 authorize-security-group-egress --group-id "
                             f"{groups[0]['GroupId']} --protocol tcp --port 443 --cidr 0.0.0.0/0")
    how = sorted({w for w in ways.values() if w}) + (
        [f"endpoint {e.get('VpcEndpointId')}" for e in endpoints])
    return f"app subnets {', '.join(subnets)}", f"Secrets Manager ({arn or 'DB secret'})", \
        "; ".join(x for x in (granted, "reached via " + ", ".join(how)) if x)


def _prefix_list_egress(groups: list[dict], port: int) -> bool:
    """An egress rule to a prefix list (e.g. a managed AWS list) we do not resolve."""
    return any(evaluators.rule_ports(r, port) and r.get("PrefixListIds")
               for g in groups for r in g.get("IpPermissionsEgress", []))


def _db_groups(c: Ctx) -> list[dict]:
    ids = [g["VpcSecurityGroupId"] for g in (c.db or {}).get("VpcSecurityGroups", [])
           if g.get("Status", "active") == "active"]
    if not ids and graph.role(c.inv, "db_security_group"):
        ids = [graph.role(c.inv, "db_security_group")]
    return [g for g in (reads.security_group(c.inv, i) for i in ids) if g]


def db_port(c: Ctx) -> tuple[str, str, str]:
    c.db = reads.db_instance(c.inv)
    port = int(((c.db or {}).get("Endpoint") or {}).get("Port") or 5432)
    app = _app_groups(c)
    db = _db_groups(c)
    if not app or not db:
        raise Blocked("no app or database security group")
    app_ids = {g["GroupId"] for g in app}
    src_cidrs = [i["PrivateIpAddress"] for i in c.instances if i.get("PrivateIpAddress")]
    if not src_cidrs:
        src_cidrs = subnet_cidrs(c.inv, asg_subnets(c.inv))
    db_ids = {g["GroupId"] for g in db}
    db_subnets = [s.get("SubnetIdentifier") for s in
                  ((c.db or {}).get("DBSubnetGroup") or {}).get("Subnets", [])]
    dst_cidrs = subnet_cidrs(c.inv, db_subnets)
    ingress = evaluators.sg_admits(db, "ingress", port, from_groups=app_ids, from_cidrs=src_cidrs)
    src, tgt = f"app SG {', '.join(sorted(app_ids))}", f"DB SG {', '.join(sorted(db_ids))} tcp {port}"
    if not ingress:
        raise Broken(f"database security group(s) {', '.join(sorted(db_ids))} do not allow tcp {port} "
                     f"from the app tier {sorted(app_ids)} (ingress: {sg_summary(db, 'ingress') or 'none'})",
                     f"ingress tcp {port} from the app security group",
                     f"aws ec2 authorize-security-group-ingress --group-id {sorted(db_ids)[0]} "
                     f"--protocol tcp --port {port} --source-group {sorted(app_ids)[0]} (Challenge 3)")
    egress = evaluators.sg_admits(app, "egress", port, from_groups=db_ids, from_cidrs=dst_cidrs)
    if not egress:
        raise Broken(f"app security group(s) {', '.join(sorted(app_ids))} do not allow egress tcp "
                     f"{port} to the database {sorted(db_ids)} (egress: {sg_summary(app, 'egress') or 'none'})",
                     f"egress tcp {port} to the DB security group",
                     f"aws ec2 authorize-security-group-egress --group-id {sorted(app_ids)[0]} "
                     f"--ip-permissions IpProtocol=tcp,FromPort={port},ToPort={port},"
                     f"UserIdGroupPairs=[{{GroupId={sorted(db_ids)[0]}}}] (Challenge 3)")
    blocked = network.nacl_blocks(c.inv, db_subnets, port, subnet_cidrs(c.inv, asg_subnets(c.inv)))
    if blocked:
        sid, peer, stop = blocked[0]
        raise Broken(f"subnet {sid} of the database drops tcp {port} "
                     f"{'replies to' if stop.egress else 'from'} the app subnet {peer}: {stop}",
                     f"the network ACL to pass tcp {port} from the app subnets and the replies",
                     f"Allow tcp {port} in and 1024-65535 out on {stop.acl_id} (aws ec2 "
                     "create-network-acl-entry), or remove the DENY rule", network_acl=stop.acl_id)
    return src, tgt, f"{ingress['group']} ingress and {egress['group']} egress allow tcp {port}"
