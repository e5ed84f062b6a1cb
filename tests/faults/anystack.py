"""Faults for any stack of this architecture: the fault catalog's (tests/faults/) operator
mistakes, with every resource found through the resource graph (``probes.graph`` roles:
the app security group, the Auto Scaling group's subnets, the distribution's S3 origin,
the stack's alarms, ...), never through a logical id or an Output. So they inject into the
corpus's independently written stacks as the catalog does into the bundled one.

Each ``inject(target)`` changes the deployed stack through the AWS APIs an operator uses,
and returns an :class:`Injected`: the ids of the resources it broke (each failure must name
one) and an ``undo`` that puts the stack back, so one deploy serves every fault of a stack
(tests/corpus/test_independent_faults.py). The catalog uses the same functions on the
bundled stack through :func:`on_lab_stack` (a fresh stack per fault: no undo).

Some faults have no exact undo through the AWS API (a deleted NAT gateway, subnet, secret or
scaling policy comes back with another id): their undo raises (:func:`_irreversible`), and
they stay out of ``FAULTS``, the independent stacks' ledger. Neither are the few that edit
the emulator's state where no API can express the fault (the catalog's ``via``).
"""
from __future__ import annotations

import base64
import json
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Callable

from probes import graph, reads
from probes import path as p
from probes.aws import AwsSession
from probes.inventory import Inventory
from tests.conftest import CREDS

ACCOUNT, REGION = "123456789012", "us-east-1"  # the emulator's (moto's default account)


@dataclass
class Target:
    """A deployed stack to inject into: mutating clients and its roles from the graph."""
    session: AwsSession
    stack_name: str
    expectations: Any

    def __post_init__(self) -> None:
        readonly = AwsSession(self.session.region, self.session.endpoint_url, allow_mutations=False,
                              credentials=CREDS)
        self.graph = graph.of(Inventory(readonly, self.stack_name))

    def client(self, service: str) -> Any:
        return self.session.client(service)

    def role(self, name: str) -> str:
        value = self.graph.role(name)
        if not value:
            raise LookupError(f"stack {self.stack_name} has no {name} ({self.graph.followed(name)})")
        return value


def on_lab_stack(inject: Callable[[Target], Injected]) -> Callable[[Any], None]:
    """``inject`` in the catalog's form: into a lab stack (:class:`tests.conftest.DeployedStack`)
    with the main job's expectations (the ``local`` environment)."""
    def run(stack: Any) -> None:
        inject(lab_target(stack))
    run.__name__ = run.__qualname__ = inject.__name__
    return run


def lab_target(stack: Any) -> Target:
    """A lab stack as a :class:`Target`, with the main job's expectations."""
    from fixtures import environment
    return Target(stack.session(), stack.name, environment.load("local").expectations_obj)


def _named(inject: Callable[[Target], Injected], name: str, doc: str) -> Callable[[Target], Injected]:
    """``inject`` made by a factory, named as the fault it is (the catalog shows the name)."""
    inject.__name__ = inject.__qualname__ = name
    inject.__doc__ = doc
    return inject


@dataclass
class Injected:
    resources: tuple[str, ...]     # physical ids of what it broke: each failure names one
    undo: Callable[[], None]


@dataclass(frozen=True)
class ForeignFault:
    id: str
    inject: Callable[[Target], Injected]
    breaks: tuple[str, ...]            # probes that must fail, all of one layer
    also_breaks: tuple[str, ...] = ()  # probes of other layers that legitimately fail too
    mentions: tuple[str, ...] = ()     # words the failure must contain
    hop: str | None = None             # the first broken hop the trace must name

    @property
    def layer(self) -> str:
        return self.breaks[0].split(".", 1)[0]

    def __str__(self) -> str:
        return self.id


# ---- shared reads ----------------------------------------------------------------------------
def _asg(t: Target) -> dict:
    return t.client("autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=[t.role("auto_scaling_group")])["AutoScalingGroups"][0]


def _app_subnets(t: Target) -> list[str]:
    return _asg(t)["VPCZoneIdentifier"].split(",")


def _route_table_of(t: Target, subnet: str) -> dict:
    ec2 = t.client("ec2")
    tables = ec2.describe_route_tables(
        Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])["RouteTables"]
    return tables[0] if tables else ec2.describe_route_tables(Filters=[
        {"Name": "vpc-id", "Values": [t.role("vpc")]},
        {"Name": "association.main", "Values": ["true"]}])["RouteTables"][0]


def _nacl_of(t: Target, subnet: str) -> dict:
    return t.client("ec2").describe_network_acls(
        Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])["NetworkAcls"][0]


def _igw(t: Target) -> str:
    """The internet gateway attached to the stack's VPC."""
    return t.client("ec2").describe_internet_gateways(Filters=[
        {"Name": "attachment.vpc-id", "Values": [t.role("vpc")]}])["InternetGateways"][0]["InternetGatewayId"]


def _nat(t: Target) -> str:
    """The NAT gateway the app subnets' default route goes through."""
    table = _route_table_of(t, _app_subnets(t)[0])
    return next(r["NatGatewayId"] for r in table["Routes"]
                if r.get("DestinationCidrBlock") == "0.0.0.0/0" and r.get("NatGatewayId"))


def _vpc_cidr(t: Target) -> str:
    return t.client("ec2").describe_vpcs(VpcIds=[t.role("vpc")])["Vpcs"][0]["CidrBlock"]


def _db(t: Target) -> dict:
    return t.client("rds").describe_db_instances(DBInstanceIdentifier=t.role("db_instance"))["DBInstances"][0]


def _db_subnets(t: Target) -> list[str]:
    return [s["SubnetIdentifier"] for s in _db(t)["DBSubnetGroup"]["Subnets"]]


def _db_route_tables(t: Target) -> list[str]:
    """The route tables of the DB subnet group's subnets (each once)."""
    return list(dict.fromkeys(_route_table_of(t, s)["RouteTableId"] for s in _db_subnets(t)))


def _flow_logs(t: Target) -> list[dict]:
    return t.client("ec2").describe_flow_logs(
        Filters=[{"Name": "resource-id", "Values": [t.role("vpc")]}])["FlowLogs"]


def _cwl_flow_log(t: Target) -> dict:
    """The VPC's first flow log delivering to CloudWatch Logs."""
    return next(f for f in _flow_logs(t) if f.get("LogDestinationType", "cloud-watch-logs") == "cloud-watch-logs"
                and f.get("LogGroupName"))


class NoExactUndo(RuntimeError):
    """The fault cannot be taken back exactly through the AWS API (a deleted resource comes
    back with another id): the stack must be deployed again."""


def _irreversible(what: str) -> Callable[[], None]:
    """The undo of such a fault: it runs only on a fresh stack (the catalog), and a ledger
    that calls it redeploys the stack."""
    def undo() -> None:
        raise NoExactUndo(f"{what} cannot be undone through the AWS API: redeploy the stack")
    return undo


def _role_policy_added(name: str, policy: str, statement: Callable[[Target], dict], doc: str
                       ) -> Callable[[Target], Injected]:
    """A fault that puts inline policy ``policy`` (one statement) on the instance role."""
    def inject(t: Target) -> Injected:
        iam, role = t.client("iam"), t.role("instance_role")
        iam.put_role_policy(RoleName=role, PolicyName=policy, PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [statement(t)]}))
        return Injected((role,), lambda: iam.delete_role_policy(RoleName=role, PolicyName=policy))
    return _named(inject, name, doc)


def _rest(t: Target) -> tuple[Any, str]:
    return t.client("apigateway"), t.role("rest_api")


def _authorized_method(t: Target) -> tuple[str, str, dict]:
    """(resource id, verb, method) of the first method an authorizer guards."""
    apigw, api = _rest(t)
    for res in apigw.get_resources(restApiId=api, embed=["methods"])["items"]:
        for verb, method in sorted((res.get("resourceMethods") or {}).items()):
            if method.get("authorizationType", "NONE") != "NONE":
                return res["id"], verb, method
    raise LookupError(f"REST API {api} has no authorized method")


_INTEGRATION_ARGS = {"type": "type", "httpMethod": "integrationHttpMethod", "uri": "uri",
                     "connectionType": "connectionType", "connectionId": "connectionId",
                     "timeoutInMillis": "timeoutInMillis", "requestParameters": "requestParameters"}
_METHOD_ARGS = ("authorizationType", "authorizerId", "authorizationScopes", "apiKeyRequired",
                "requestParameters")


def _put_method(t: Target, rid: str, verb: str, method: dict, integration: dict, **changes: Any) -> None:
    """Delete and re-put a method (what recreating it in the console does), keeping its
    integration; ``changes`` override the method's settings."""
    apigw, api = _rest(t)
    args = {k: method[k] for k in _METHOD_ARGS if method.get(k) not in (None, "", [], {})}
    args.update(changes)
    args = {k: v for k, v in args.items() if v is not None}
    apigw.delete_method(restApiId=api, resourceId=rid, httpMethod=verb)
    apigw.put_method(restApiId=api, resourceId=rid, httpMethod=verb, **args)
    _put_integration(t, rid, verb, integration)


def _recreated_method(t: Target, **changes: Any) -> Injected:
    apigw, api = _rest(t)
    rid, verb, method = _authorized_method(t)
    integration = apigw.get_integration(restApiId=api, resourceId=rid, httpMethod=verb)
    _put_method(t, rid, verb, method, integration, **changes)
    return Injected((api,), lambda: _put_method(t, rid, verb, method, integration))


def _update_distribution(t: Target, change: Callable[[dict], None]) -> Callable[[], None]:
    """Read-modify-write the distribution's config; returns the undo (the old config back)."""
    cf, did = t.client("cloudfront"), t.role("distribution")
    cur = cf.get_distribution_config(Id=did)
    before = json.loads(json.dumps(cur["DistributionConfig"]))
    config = cur["DistributionConfig"]
    change(config)
    cf.update_distribution(Id=did, IfMatch=cur["ETag"], DistributionConfig=config)

    def undo() -> None:
        etag = cf.get_distribution_config(Id=did)["ETag"]
        cf.update_distribution(Id=did, IfMatch=etag, DistributionConfig=before)
    return undo


def _web_acl(t: Target) -> tuple[Any, str, str]:
    name, acl_id, scope = t.role("web_acl").split("|")
    return t.client("wafv2"), name, acl_id


def _put_acl(t: Target, rules: list[dict], acl: dict) -> None:
    waf, name, acl_id = _web_acl(t)
    token = waf.get_web_acl(Name=name, Id=acl_id, Scope="CLOUDFRONT")["LockToken"]
    waf.update_web_acl(Name=name, Id=acl_id, Scope="CLOUDFRONT", LockToken=token,
                       DefaultAction=acl["DefaultAction"], Rules=rules,
                       VisibilityConfig=acl["VisibilityConfig"])


# ---- network -------------------------------------------------------------------------------
_PERM_KEYS = ("IpProtocol", "FromPort", "ToPort", "IpRanges", "Ipv6Ranges", "PrefixListIds")


def _perm(rule: dict) -> dict:
    out = {k: rule[k] for k in _PERM_KEYS if rule.get(k) not in (None, [])}
    pairs = [{"GroupId": g["GroupId"]} for g in rule.get("UserIdGroupPairs") or []]
    return {**out, **({"UserIdGroupPairs": pairs} if pairs else {})}


def app_port_closed(t: Target) -> Injected:
    """Every ingress rule admitting the app port revoked from the app tier's security group."""
    ec2, gid, port = t.client("ec2"), t.role("app_security_group"), t.expectations.network.app_port
    group = ec2.describe_security_groups(GroupIds=[gid])["SecurityGroups"][0]
    perms = [_perm(r) for r in group["IpPermissions"]
             if r.get("IpProtocol") == "-1" or r.get("FromPort", 0) <= port <= r.get("ToPort", 65535)]
    ec2.revoke_security_group_ingress(GroupId=gid, IpPermissions=perms)
    return Injected((gid,), lambda: ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=perms))


def private_route_to_igw(t: Target) -> Injected:
    """The app subnets' default route sent to the internet gateway in place of the NAT."""
    ec2, igw = t.client("ec2"), _igw(t)
    table = _route_table_of(t, _app_subnets(t)[0])
    route = next(r for r in table["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0")
    rtb = table["RouteTableId"]
    ec2.replace_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    return Injected((igw,), lambda: ec2.replace_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0",
                                                   NatGatewayId=route["NatGatewayId"]))


def nacl_denies_app_port(t: Target) -> Injected:
    """A DENY for the app port, numbered ahead of every inbound ALLOW of the app subnet's
    NACL (50 when that is free and comes first; DENY rules for other ports, such as admin
    ports closed at rules 10 and 11, may stay ahead of it)."""
    ec2, port = t.client("ec2"), t.expectations.network.app_port
    acl = _nacl_of(t, _app_subnets(t)[0])
    inbound = [e for e in acl["Entries"] if not e["Egress"]]
    used = {e["RuleNumber"] for e in inbound}
    first_allow = min({e["RuleNumber"] for e in inbound if e["RuleAction"] == "allow"} | {32767})
    number = 50 if first_allow > 50 and 50 not in used else \
        max(n for n in range(1, first_allow) if n not in used)
    ec2.create_network_acl_entry(NetworkAclId=acl["NetworkAclId"], RuleNumber=number, Protocol="6",
                                 RuleAction="deny", Egress=False, CidrBlock="0.0.0.0/0",
                                 PortRange={"From": port, "To": port})
    return Injected((acl["NetworkAclId"],), lambda: ec2.delete_network_acl_entry(
        NetworkAclId=acl["NetworkAclId"], RuleNumber=number, Egress=False))


def _added_ingress(name: str, group: str | Callable[[Target], str], perm: Callable[[Target], dict], doc: str
                   ) -> Callable[[Target], Injected]:
    """A fault that authorizes one ingress rule (``perm(target)``) on a security group: the one
    playing role ``group``, or ``group(target)``."""
    def inject(t: Target) -> Injected:
        ec2, rule = t.client("ec2"), perm(t)
        gid = group(t) if callable(group) else t.role(group)
        ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[rule])
        return Injected((gid,), lambda: ec2.revoke_security_group_ingress(GroupId=gid, IpPermissions=[rule]))
    return _named(inject, name, doc)


def _tcp(low: int, high: int | None = None, *, cidr: str = "", cidr6: str = "") -> dict:
    rule: dict[str, Any] = {"IpProtocol": "tcp", "FromPort": low, "ToPort": low if high is None else high}
    if cidr:
        rule["IpRanges"] = [{"CidrIp": cidr}]
    if cidr6:
        rule["Ipv6Ranges"] = [{"CidrIpv6": cidr6}]
    return rule


ssh_open_to_world = _added_ingress(
    "ssh_open_to_world", "app_security_group", lambda t: _tcp(22, cidr="0.0.0.0/0"),
    "SSH from anywhere on the app security group.")
ssh_from_inside_vpc = _added_ingress(
    "ssh_from_inside_vpc", "app_security_group", lambda t: _tcp(22, cidr=_vpc_cidr(t)),
    "SSH from the whole VPC on the app security group (a bastion rule that stayed).")
all_ports_from_ipv6_world = _added_ingress(
    "all_ports_from_ipv6_world", "db_security_group", lambda t: _tcp(0, 65535, cidr6="::/0"),
    "Every TCP port from any IPv6 address on the DB security group.")
all_traffic_from_app_sg_to_db = _added_ingress(
    "all_traffic_from_app_sg_to_db", "db_security_group",
    lambda t: {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": t.role("app_security_group")}]},
    "All traffic (every protocol and port) from the app security group on the DB security group.")
app_port_open_to_world = _added_ingress(
    "app_port_open_to_world", "app_security_group",
    lambda t: _tcp(t.expectations.network.app_port, cidr="0.0.0.0/0"),
    "The app port open to the internet on the app security group.")
db_port_open_to_cidr = _added_ingress(
    "db_port_open_to_cidr", "db_security_group",
    lambda t: _tcp(t.expectations.network.db_port, cidr=_vpc_cidr(t)),
    "The DB port open to the whole VPC CIDR, not only to the app security group.")


def _db_default_route(name: str, gateway: Callable[[Target], dict], doc: str) -> Callable[[Target], Injected]:
    """A fault that adds 0.0.0.0/0 -> ``gateway(target)`` to every route table of the DB subnets."""
    def inject(t: Target) -> Injected:
        ec2, kw, tables = t.client("ec2"), gateway(t), _db_route_tables(t)
        for rtb in tables:
            ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", **kw)

        def undo() -> None:
            for rtb in tables:
                ec2.delete_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0")
        return Injected((*tables, *kw.values()), undo)
    return _named(inject, name, doc)


db_route_via_nat = _db_default_route("db_route_via_nat", lambda t: {"NatGatewayId": _nat(t)},
                                     "The DB subnets given a default route through the app tier's NAT.")
db_route_via_igw = _db_default_route("db_route_via_igw", lambda t: {"GatewayId": _igw(t)},
                                     "The DB subnets given a default route to the internet gateway.")


def nat_gateway_deleted(t: Target) -> Injected:
    """The NAT gateway the app subnets route through, deleted (its route stays, blackholed)."""
    nat = _nat(t)
    t.client("ec2").delete_nat_gateway(NatGatewayId=nat)
    return Injected((nat,), _irreversible(f"deleting NAT gateway {nat}"))


def public_subnet_deleted(t: Target) -> Injected:
    """One public subnet (routed to the IGW) that hosts no NAT gateway, deleted: the public
    tier is left in one AZ."""
    ec2 = t.client("ec2")
    nat_subnets = {n["SubnetId"] for n in ec2.describe_nat_gateways(
        Filters=[{"Name": "vpc-id", "Values": [t.role("vpc")]}])["NatGateways"]}
    subnets = ec2.describe_subnets(SubnetIds=sorted(reads.public_subnets(t.graph.inv)))["Subnets"]
    subnet = max((s for s in subnets if s["SubnetId"] not in nat_subnets),
                 key=lambda s: s["AvailabilityZone"])["SubnetId"]
    ec2.delete_subnet(SubnetId=subnet)
    return Injected((subnet,), _irreversible(f"deleting subnet {subnet}"))


def flow_logs_deleted(t: Target) -> Injected:
    """Every flow log of the stack's VPC deleted."""
    vpc = t.role("vpc")
    t.client("ec2").delete_flow_logs(FlowLogIds=[f["FlowLogId"] for f in _flow_logs(t)])
    return Injected((vpc,), _irreversible(f"deleting the flow logs of {vpc}"))


def flow_log_reject_only(t: Target) -> Injected:
    """The VPC's flow logs replaced by one that records only REJECT traffic, into the same
    log group with the same delivery role."""
    ec2, vpc, old = t.client("ec2"), t.role("vpc"), _cwl_flow_log(t)
    ec2.delete_flow_logs(FlowLogIds=[f["FlowLogId"] for f in _flow_logs(t)])
    ec2.create_flow_logs(ResourceIds=[vpc], ResourceType="VPC", TrafficType="REJECT",
                         LogDestinationType="cloud-watch-logs", LogGroupName=old["LogGroupName"],
                         DeliverLogsPermissionArn=old["DeliverLogsPermissionArn"])
    return Injected((vpc,), _irreversible(f"replacing the flow logs of {vpc}"))


def flow_log_group_never_expires(t: Target) -> Injected:
    """The retention policy of the flow logs' log group deleted."""
    logs, group = t.client("logs"), _cwl_flow_log(t)["LogGroupName"]
    days = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["retentionInDays"]
    logs.delete_retention_policy(logGroupName=group)
    return Injected((group,), lambda: logs.put_retention_policy(logGroupName=group, retentionInDays=days))


def flow_log_bucket_no_lifecycle(t: Target) -> Injected:
    """The lifecycle configuration of the flow-log bucket deleted."""
    s3, bucket = t.client("s3"), t.role("flow_log_bucket")
    rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    s3.delete_bucket_lifecycle(Bucket=bucket)
    return Injected((bucket,), lambda: s3.put_bucket_lifecycle_configuration(
        Bucket=bucket, LifecycleConfiguration={"Rules": rules}))


def db_subnets_on_empty_nacl(t: Target) -> Injected:
    """The DB subnets moved to a new network ACL that has no rules yet (everything denied)."""
    ec2 = t.client("ec2")
    acl = ec2.create_network_acl(VpcId=t.role("vpc"))["NetworkAcl"]["NetworkAclId"]
    moved: list[tuple[str, str]] = []  # (new association id, the subnet's former ACL)
    subnets = _db_subnets(t)
    for subnet in subnets:
        before = _nacl_of(t, subnet)
        current = next(a["NetworkAclAssociationId"] for a in before["Associations"] if a["SubnetId"] == subnet)
        new = ec2.replace_network_acl_association(AssociationId=current, NetworkAclId=acl)["NewAssociationId"]
        moved.append((new, before["NetworkAclId"]))

    def undo() -> None:
        for assoc, old in moved:
            ec2.replace_network_acl_association(AssociationId=assoc, NetworkAclId=old)
        ec2.delete_network_acl(NetworkAclId=acl)
    return Injected((acl, *subnets), undo)


# ---- compute -------------------------------------------------------------------------------
def _wait_until_healthy(t: Target, tg: str, count: int, timeout: float = 60) -> None:
    """Wait for ``count`` healthy targets, as an operator does after putting instances back
    (new targets pass HealthyThresholdCount checks first; the emulator runs them faster)."""
    elbv2, deadline = t.client("elbv2"), time.monotonic() + timeout
    while True:
        states = [d["TargetHealth"]["State"] for d in
                  elbv2.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]]
        if states.count("healthy") >= count or time.monotonic() > deadline:
            return
        time.sleep(0.5)


def _launch_data(t: Target) -> dict:
    """The data of the launch template version the ASG launches."""
    version = str(_asg(t)["LaunchTemplate"].get("Version") or "$Default")
    return t.client("ec2").describe_launch_template_versions(
        LaunchTemplateId=t.role("launch_template"), Versions=[version])["LaunchTemplateVersions"][0][
        "LaunchTemplateData"]


def roll_out(t: Target, **data: Any) -> Callable[[], None]:
    """A new launch template version with ``data`` over the one the ASG launches, made the
    default and set on the ASG, as an operator rolling out a change would; returns the
    rollback (the ASG and the default back on the old version; the new version stays, as
    versions do on AWS)."""
    ec2, autoscaling, asg = t.client("ec2"), t.client("autoscaling"), _asg(t)
    lt, spec = t.role("launch_template"), asg["LaunchTemplate"]
    default = str(ec2.describe_launch_templates(LaunchTemplateIds=[lt])["LaunchTemplates"][0]["DefaultVersionNumber"])
    # The current data copied explicitly (what SourceVersion does on AWS; moto ignores it).
    new = str(ec2.create_launch_template_version(
        LaunchTemplateId=lt, LaunchTemplateData={**_launch_data(t), **data},
        VersionDescription="operator change")["LaunchTemplateVersion"]["VersionNumber"])

    def point(version: str, asg_version: str) -> None:
        ec2.modify_launch_template(LaunchTemplateId=lt, DefaultVersion=version)
        autoscaling.update_auto_scaling_group(AutoScalingGroupName=asg["AutoScalingGroupName"],
                                              LaunchTemplate={"LaunchTemplateId": lt, "Version": asg_version})
    point(new, new)
    return lambda: point(default, str(spec.get("Version") or "$Default"))


def launch_template_ssh_key(t: Target) -> Injected:
    """A key pair added to the launch template (SSH "just for debugging")."""
    ec2, name = t.client("ec2"), f"{t.stack_name}-ops"
    ec2.create_key_pair(KeyName=name)
    rollback = roll_out(t, KeyName=name)

    def undo() -> None:
        rollback()
        ec2.delete_key_pair(KeyName=name)
    return Injected((t.role("launch_template"),), undo)


def imdsv1_and_bigger(t: Target) -> Injected:
    """A bigger instance type and IMDSv1 allowed again, rolled out."""
    return Injected((t.role("launch_template"),), roll_out(
        t, InstanceType="t3.large", MetadataOptions={"HttpTokens": "optional", "HttpEndpoint": "enabled"}))


def custom_ami_deregistered(t: Target) -> Injected:
    """An AMI baked from a running instance rolled out, then deregistered (Challenge 8: the
    template points at an AMI that no longer exists in the region)."""
    ec2 = t.client("ec2")
    ami = ec2.create_image(InstanceId=_asg(t)["Instances"][0]["InstanceId"], Name=f"{t.stack_name}-baked")["ImageId"]
    rollback = roll_out(t, ImageId=ami)
    ec2.deregister_image(ImageId=ami)
    return Injected((t.role("launch_template"), ami), rollback)


SSM_CORE = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"


def ssm_policy_detached(t: Target) -> Injected:
    iam, role = t.client("iam"), t.role("instance_role")
    iam.detach_role_policy(RoleName=role, PolicyArn=SSM_CORE)
    return Injected((role,), lambda: iam.attach_role_policy(RoleName=role, PolicyArn=SSM_CORE))


def admin_attached(t: Target) -> Injected:
    """An operator's home-made admin policy ("just make it work"). The AWS-managed
    AdministratorAccess is caught by name too (unit-tested): the emulator does not load it."""
    iam, role = t.client("iam"), t.role("instance_role")
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    arn = iam.create_policy(PolicyName=f"{t.stack_name}-OpsAdmin", PolicyDocument=json.dumps(doc))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=role, PolicyArn=arn)

    def undo() -> None:
        iam.detach_role_policy(RoleName=role, PolicyArn=arn)
        iam.delete_policy(PolicyArn=arn)
    return Injected((role,), undo)


any_secret_readable = _role_policy_added(
    "any_secret_readable", "ReadAnySecret",
    lambda t: {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"},
    "The app role allowed to read every secret of the account.")


def db_secret_policy_removed(t: Target) -> Injected:
    """The app role's inline policies that grant the DB secret deleted."""
    iam, role = t.client("iam"), t.role("instance_role")
    grants = _secret_grants(t, t.role("db_secret"))
    for name in grants:
        iam.delete_role_policy(RoleName=role, PolicyName=name)
    return Injected((role,), lambda: _put_role_policies(t, grants))


def _first_instance(t: Target) -> str:
    return _asg(t)["Instances"][0]["InstanceId"]


def instance_unhealthy(t: Target) -> Injected:
    autoscaling, iid = t.client("autoscaling"), _first_instance(t)
    autoscaling.set_instance_health(InstanceId=iid, HealthStatus="Unhealthy", ShouldRespectGracePeriod=False)
    return Injected((t.role("auto_scaling_group"), iid), lambda: autoscaling.set_instance_health(
        InstanceId=iid, HealthStatus="Healthy", ShouldRespectGracePeriod=False))


def target_deregistered(t: Target) -> Injected:
    elbv2, tg, iid = t.client("elbv2"), t.role("target_group"), _first_instance(t)
    count = len(_asg(t)["Instances"])
    elbv2.deregister_targets(TargetGroupArn=tg, Targets=[{"Id": iid}])

    def undo() -> None:
        elbv2.register_targets(TargetGroupArn=tg, Targets=[{"Id": iid}])
        _wait_until_healthy(t, tg, count)
    return Injected((tg, iid), undo)


def health_check_port_closed(t: Target) -> Injected:
    """The health check sent to a port where nothing listens: on AWS (and the emulator) the
    targets turn unhealthy after UnhealthyThresholdCount failed checks."""
    elbv2, tg = t.client("elbv2"), t.role("target_group")
    count = len(_asg(t)["Instances"])
    before = elbv2.describe_target_groups(TargetGroupArns=[tg])["TargetGroups"][0]["HealthCheckPort"]
    elbv2.modify_target_group(TargetGroupArn=tg, HealthCheckPort="9999")

    def undo() -> None:
        elbv2.modify_target_group(TargetGroupArn=tg, HealthCheckPort=before)
        _wait_until_healthy(t, tg, count)
    return Injected((tg,), undo)


def instance_stopped(t: Target) -> Injected:
    ec2, tg, iid = t.client("ec2"), t.role("target_group"), _first_instance(t)
    count = len(_asg(t)["Instances"])
    ec2.stop_instances(InstanceIds=[iid])

    def undo() -> None:
        ec2.start_instances(InstanceIds=[iid])
        _wait_until_healthy(t, tg, count)
    return Injected((iid,), undo)


def scaling_policy_deleted(t: Target) -> Injected:
    """Every scaling policy of the ASG deleted (a policy comes back only with a new ARN)."""
    autoscaling, name = t.client("autoscaling"), t.role("auto_scaling_group")
    for pol in autoscaling.describe_policies(AutoScalingGroupName=name)["ScalingPolicies"]:
        autoscaling.delete_policy(AutoScalingGroupName=name, PolicyName=pol["PolicyName"])
    return Injected((name,), _irreversible(f"deleting the scaling policies of {name}"))


def asg_single_subnet(t: Target) -> Injected:
    """The ASG shrunk to the first of its subnets (one AZ)."""
    autoscaling, name = t.client("autoscaling"), t.role("auto_scaling_group")
    subnets = _asg(t)["VPCZoneIdentifier"]
    autoscaling.update_auto_scaling_group(AutoScalingGroupName=name, VPCZoneIdentifier=subnets.split(",")[0])
    return Injected((name,), lambda: autoscaling.update_auto_scaling_group(
        AutoScalingGroupName=name, VPCZoneIdentifier=subnets))


def target_group_detached(t: Target) -> Injected:
    asg, name, tg = t.client("autoscaling"), t.role("auto_scaling_group"), t.role("target_group")
    count = len(_asg(t)["Instances"])
    asg.detach_load_balancer_target_groups(AutoScalingGroupName=name, TargetGroupARNs=[tg])

    def undo() -> None:
        asg.attach_load_balancer_target_groups(AutoScalingGroupName=name, TargetGroupARNs=[tg])
        _wait_until_healthy(t, tg, count)
    return Injected((name, tg), undo)


def scaled_to_zero(t: Target) -> Injected:
    asg, name, tg = t.client("autoscaling"), t.role("auto_scaling_group"), t.role("target_group")
    group = _asg(t)
    before = [i["InstanceId"] for i in group["Instances"]]
    asg.update_auto_scaling_group(AutoScalingGroupName=name, MinSize=0, DesiredCapacity=0)
    # AWS deregisters scaled-in instances from the ASG's target groups before terminating
    # them; moto 5.2.5 leaves them registered (and "healthy"), so do AWS's part here.
    t.client("elbv2").deregister_targets(TargetGroupArn=tg, Targets=[{"Id": i} for i in before])

    def undo() -> None:
        asg.update_auto_scaling_group(AutoScalingGroupName=name, MinSize=group["MinSize"],
                                      DesiredCapacity=group["DesiredCapacity"])
        _wait_until_healthy(t, tg, len(before))
    return Injected((name, tg), undo)


def health_check_wrong_port(t: Target) -> Injected:
    elbv2, tg = t.client("elbv2"), t.role("target_group")
    before = elbv2.describe_target_groups(TargetGroupArns=[tg])["TargetGroups"][0]["HealthCheckPort"]
    elbv2.modify_target_group(TargetGroupArn=tg, HealthCheckPort="9000")
    return Injected((tg,), lambda: elbv2.modify_target_group(TargetGroupArn=tg, HealthCheckPort=before))


# ---- api -----------------------------------------------------------------------------------
def method_public(t: Target) -> Injected:
    return _recreated_method(t, authorizationType="NONE", authorizerId=None, authorizationScopes=None)


def _stage_patched(name: str, changes: list[tuple[str, str, Callable[[dict], Any]]], doc: str
                   ) -> Callable[[Target], Injected]:
    """A fault that replaces stage settings: ``(path, value, read)`` each, ``read(stage)``
    giving the value the undo puts back."""
    def inject(t: Target) -> Injected:
        apigw, api = _rest(t)
        stage = t.role("api_stage")
        described = apigw.get_stage(restApiId=api, stageName=stage)
        before = [(path, read(described)) for path, _, read in changes]

        def patch(values: list[tuple[str, Any]]) -> None:
            apigw.update_stage(restApiId=api, stageName=stage, patchOperations=[
                {"op": "replace", "path": path, "value": str(v).lower() if isinstance(v, bool) else str(v)}
                for path, v in values])
        patch([(path, value) for path, value, _ in changes])
        return Injected((f"stage {stage}",), lambda: patch(before))
    return _named(inject, name, doc)


def _all_methods(key: str) -> Callable[[dict], Any]:
    """Reads setting ``key`` of the stage's ``*/*`` method settings."""
    return lambda stage: ((stage.get("methodSettings") or {}).get("*/*") or {}).get(key)


throttled_to_zero = _stage_patched(
    "throttled_to_zero", [("/*/*/throttling/rateLimit", "0", _all_methods("throttlingRateLimit"))],
    "The stage's rate limit set to 0: every request is throttled.")
metrics_disabled = _stage_patched(
    "metrics_disabled", [("/*/*/metrics/enabled", "false", _all_methods("metricsEnabled"))],
    "The stage's CloudWatch metrics turned off.")
throttling_loosened = _stage_patched(
    "throttling_loosened", [("/*/*/throttling/burstLimit", "5000", _all_methods("throttlingBurstLimit")),
                            ("/*/*/throttling/rateLimit", "10000", _all_methods("throttlingRateLimit"))],
    "The stage's throttling loosened to burst 5000, rate 10000.")


def access_logging_removed(t: Target) -> Injected:
    apigw, api = _rest(t)
    stage = t.role("api_stage")
    before = apigw.get_stage(restApiId=api, stageName=stage)["accessLogSettings"]
    apigw.update_stage(restApiId=api, stageName=stage, patchOperations=[{"op": "remove", "path": "/accessLogSettings"}])
    return Injected((f"stage {stage}",), lambda: apigw.update_stage(restApiId=api, stageName=stage, patchOperations=[
        {"op": "replace", "path": f"/accessLogSettings/{k}", "value": v} for k, v in before.items()]))


def stage_deleted(t: Target) -> Injected:
    apigw, api = _rest(t)
    stage = t.role("api_stage")
    apigw.delete_stage(restApiId=api, stageName=stage)
    return Injected((stage,), _irreversible(f"deleting stage {stage} (its settings and history go with it)"))


def identity_source_changed(t: Target) -> Injected:
    """The Cognito authorizer made to read the token from another header."""
    apigw, api = _rest(t)
    authorizer = next(a for a in apigw.get_authorizers(restApiId=api)["items"] if a["type"] == "COGNITO_USER_POOLS")

    def patch(value: str) -> None:
        apigw.update_authorizer(restApiId=api, authorizerId=authorizer["id"], patchOperations=[
            {"op": "replace", "path": "/identitySource", "value": value}])
    patch("method.request.header.X-Id-Token")
    return Injected((api,), lambda: patch(authorizer["identitySource"]))


def _vpc_link_methods(t: Target) -> list[tuple[str, str, dict, dict]]:
    """(resource id, verb, method, integration) of every method integrated over a VPC link."""
    apigw, api = _rest(t)
    out = []
    for res in apigw.get_resources(restApiId=api, embed=["methods"])["items"]:
        for verb, method in sorted((res.get("resourceMethods") or {}).items()):
            integ = apigw.get_integration(restApiId=api, resourceId=res["id"], httpMethod=verb)
            if integ.get("connectionType") == "VPC_LINK":
                out.append((res["id"], verb, method, integ))
    return out


def _put_integration(t: Target, rid: str, verb: str, integration: dict, **overrides: Any) -> None:
    apigw, api = _rest(t)
    args = {arg: integration[k] for k, arg in _INTEGRATION_ARGS.items() if integration.get(k) not in (None, "", {})}
    if "timeoutInMillis" in args:
        args["timeoutInMillis"] = int(args["timeoutInMillis"])
    args = {k: v for k, v in {**args, **overrides}.items() if v is not None}
    apigw.put_integration(restApiId=api, resourceId=rid, httpMethod=verb, **args)


def _integration_changed(t: Target, methods: list[tuple[str, str, dict, dict]], **overrides: Any) -> Injected:
    """The integrations of ``methods`` re-put with ``overrides``; the undo puts them back."""
    for rid, verb, _, integ in methods:
        _put_integration(t, rid, verb, integ, **overrides)

    def undo() -> None:
        for rid, verb, _, integ in methods:
            _put_integration(t, rid, verb, integ)
    return Injected((t.role("rest_api"),), undo)


def integration_over_internet(t: Target) -> Injected:
    """The guarded method's integration switched from the VPC link to the internet."""
    rid, verb, _ = _authorized_method(t)
    method = next(m for m in _vpc_link_methods(t) if m[:2] == (rid, verb))
    return _integration_changed(t, [method], connectionType="INTERNET", connectionId=None)


def integration_not_proxy(t: Target) -> Injected:
    """A public method's VPC-link integration changed from HTTP_PROXY to HTTP."""
    method = next(m for m in _vpc_link_methods(t) if m[2].get("authorizationType", "NONE") == "NONE")
    return _integration_changed(t, [method], type="HTTP")


def vpc_link_other_nlb(t: Target) -> Injected:
    """Target ARNs of a VPC link are immutable: the operator created a second link (to a
    second internal NLB) and pointed the integrations at it."""
    elbv2, apigw = t.client("elbv2"), t.client("apigateway")
    other = elbv2.create_load_balancer(Name=f"other-{t.stack_name}"[-32:], Type="network", Scheme="internal",
                                       Subnets=_app_subnets(t))["LoadBalancers"][0]["LoadBalancerArn"]
    link = apigw.create_vpc_link(name=f"{t.stack_name}-other", targetArns=[other])["id"]
    injected = _integration_changed(t, _vpc_link_methods(t), connectionId=link)

    def undo() -> None:
        injected.undo()
        apigw.delete_vpc_link(vpcLinkId=link)
        elbv2.delete_load_balancer(LoadBalancerArn=other)
    return Injected((t.role("vpc_link"), link, other), undo)


def vpc_link_failed(t: Target) -> Injected:
    """Emulator state: the VPC link FAILED (API Gateway sets a link's status itself)."""
    from moto.apigateway.models import apigateway_backends
    link = apigateway_backends[ACCOUNT][REGION].vpc_links[t.role("vpc_link")]
    before = (link.status, getattr(link, "status_message", None))

    def set_status(status: str, message: str) -> None:
        link.status, link.status_message = status, message
    set_status("FAILED", "NLB ARN is malformed or target group has no healthy targets")
    return Injected((link.id,), lambda: set_status(*before))


def nlb_internet_facing(t: Target) -> Injected:
    """Emulator state: the NLB internet-facing (a scheme is fixed at creation)."""
    from moto.elbv2.models import elbv2_backends
    nlb = elbv2_backends[ACCOUNT][REGION].load_balancers[t.role("nlb")]
    before, nlb.scheme = nlb.scheme, "internet-facing"
    return Injected((t.role("nlb"),), lambda: setattr(nlb, "scheme", before))


def listener_wrong_port(t: Target) -> Injected:
    """The NLB's listener moved to port 9090 (the integrations still call the old port)."""
    elbv2 = t.client("elbv2")
    listener = elbv2.describe_listeners(LoadBalancerArn=t.role("nlb"))["Listeners"][0]
    elbv2.modify_listener(ListenerArn=listener["ListenerArn"], Port=9090)
    return Injected((t.role("nlb"), listener["ListenerArn"]), lambda: elbv2.modify_listener(
        ListenerArn=listener["ListenerArn"], Port=listener["Port"]))


def origin_secret_rotated_in_policy_only(t: Target) -> Injected:
    """The API policy's CloudFront-only Referer secret rotated, CloudFront's origin header not:
    the policy now refuses CloudFront's own requests (and still every direct call)."""
    apigw, api = _rest(t)
    text = apigw.get_rest_api(restApiId=api)["policy"]
    policy = json.loads(text.replace('\\"', '"'))
    for st in policy["Statement"]:
        for op in (st.get("Condition") or {}).values():
            for key in list(op):
                if key.lower() == "aws:referer":
                    op[key] = "rotated-on-one-side-only"

    def put(value: str) -> None:
        apigw.update_rest_api(restApiId=api, patchOperations=[{"op": "replace", "path": "/policy", "value": value}])
    put(json.dumps(policy))
    return Injected((api,), lambda: put(text))


def authorizer_other_pool(t: Target) -> Injected:
    """An authorizer made for another pool (a staging pool) chosen for the guarded method."""
    apigw, api = _rest(t)
    idp = t.client("cognito-idp")
    pool = idp.create_user_pool(PoolName=f"{t.stack_name}-staging")["UserPool"]
    authorizer = apigw.create_authorizer(
        restApiId=api, name="cognito-staging", type="COGNITO_USER_POOLS", providerARNs=[pool["Arn"]],
        identitySource="method.request.header.Authorization")
    injected = _recreated_method(t, authorizationType="COGNITO_USER_POOLS", authorizerId=authorizer["id"])

    def undo() -> None:
        injected.undo()
        apigw.delete_authorizer(restApiId=api, authorizerId=authorizer["id"])
        idp.delete_user_pool(UserPoolId=pool["Id"])
    return Injected((pool["Id"],), undo)


# ---- edge ----------------------------------------------------------------------------------
def _s3_origin(cfg: dict) -> dict:
    return next(o for o in cfg["Origins"]["Items"] if graph.s3_origin_bucket(o["DomainName"]))


def _api_behaviour(cfg: dict) -> dict:
    """The cache behaviour that routes to the distribution's API Gateway origin."""
    apis = {o["Id"] for o in cfg["Origins"]["Items"] if graph.api_origin(o["DomainName"])}
    return next(b for b in cfg["CacheBehaviors"]["Items"] if b["TargetOriginId"] in apis)


def _distribution_change(name: str, change: Callable[[Target, dict], None], doc: str
                         ) -> Callable[[Target], Injected]:
    """A fault that changes the distribution's config (``change(target, config)`` in place);
    the undo writes the old config back."""
    def inject(t: Target) -> Injected:
        return Injected((t.role("distribution"),), _update_distribution(t, lambda cfg: change(t, cfg)))
    return _named(inject, name, doc)


oac_removed = _distribution_change(
    "oac_removed", lambda t, cfg: _s3_origin(cfg).__setitem__("OriginAccessControlId", ""),
    "The S3 origin's Origin Access Control removed.")
distribution_disabled = _distribution_change(
    "distribution_disabled", lambda t, cfg: cfg.__setitem__("Enabled", False), "The distribution disabled.")
viewer_allow_all = _distribution_change(
    "viewer_allow_all", lambda t, cfg: cfg["DefaultCacheBehavior"].__setitem__("ViewerProtocolPolicy", "allow-all"),
    "The default behaviour serves plain HTTP.")
tls_v1 = _distribution_change(
    "tls_v1", lambda t, cfg: cfg["ViewerCertificate"].__setitem__("MinimumProtocolVersion", "TLSv1"),
    "The viewer certificate's minimum protocol lowered to TLSv1.")
alias_removed = _distribution_change(
    "alias_removed", lambda t, cfg: cfg.__setitem__("Aliases", {"Quantity": 0, "Items": []}),
    "The distribution's domain aliases removed (the certificate's domain no longer served).")
logging_off = _distribution_change(
    "logging_off", lambda t, cfg: cfg["Logging"].__setitem__("Enabled", False), "Access logging turned off.")
api_to_site = _distribution_change(
    "api_to_site",
    lambda t, cfg: _api_behaviour(cfg).__setitem__("TargetOriginId", cfg["DefaultCacheBehavior"]["TargetOriginId"]),
    "The API behaviour routed to the default (site) origin.")


def origin_uses_oai(t: Target) -> Injected:
    """Back to the legacy OAI: an identity is created and the S3 origin switched to it."""
    from botocore.exceptions import ClientError

    cf = t.client("cloudfront")
    try:
        oai_id = cf.create_cloud_front_origin_access_identity(CloudFrontOriginAccessIdentityConfig={
            "CallerReference": uuid.uuid4().hex, "Comment": "legacy"})["CloudFrontOriginAccessIdentity"]["Id"]
    except ClientError as exc:  # moto 5.2.5 has no OAI API (404): an id it will not check
        if exc.response["ResponseMetadata"]["HTTPStatusCode"] != 404:
            raise
        oai_id = "E2LEGACYOAI01"

    def change(cfg: dict) -> None:
        origin = _s3_origin(cfg)
        origin["OriginAccessControlId"] = ""
        origin["S3OriginConfig"] = {"OriginAccessIdentity": f"origin-access-identity/cloudfront/{oai_id}"}
    return Injected((t.role("distribution"),), _update_distribution(t, change))


def oac_signing_never(t: Target) -> Injected:
    """The S3 origin's Origin Access Control set to sign nothing."""
    cf = t.client("cloudfront")
    oac_id = _s3_origin(cf.get_distribution_config(Id=t.role("distribution"))["DistributionConfig"])[
        "OriginAccessControlId"]

    def put(change: Callable[[dict], Any]) -> None:
        cur = cf.get_origin_access_control(Id=oac_id)
        config = cur["OriginAccessControl"]["OriginAccessControlConfig"]
        change(config)
        cf.update_origin_access_control(Id=oac_id, IfMatch=cur["ETag"], OriginAccessControlConfig=config)
    before = cf.get_origin_access_control(Id=oac_id)["OriginAccessControl"]["OriginAccessControlConfig"]
    put(lambda cfg: cfg.__setitem__("SigningBehavior", "never"))
    return Injected((t.role("distribution"), oac_id), lambda: put(lambda cfg: cfg.update(before)))


def _api_cache_policy_fault(name: str, ttl: int, headers: list[str], max_ttl: int | None, doc: str
                            ) -> Callable[[Target], Injected]:
    """A fault that gives the API behaviour a new cache policy (``ttl`` seconds, ``headers``
    in the cache key); the undo puts the old policy back and deletes the new one."""
    def inject(t: Target) -> Injected:
        cf = t.client("cloudfront")
        hc: dict[str, Any] = {"HeaderBehavior": "whitelist" if headers else "none"}
        if headers:
            hc["Headers"] = {"Quantity": len(headers), "Items": headers}
        pid = cf.create_cache_policy(CachePolicyConfig={
            "Name": f"{name}-{uuid.uuid4().hex[:8]}", "MinTTL": 0, "DefaultTTL": ttl,
            "MaxTTL": max_ttl if max_ttl is not None else max(ttl, 1) if headers else ttl,
            "ParametersInCacheKeyAndForwardedToOrigin": {
                "EnableAcceptEncodingGzip": True, "HeadersConfig": hc,
                "QueryStringsConfig": {"QueryStringBehavior": "all"},
                "CookiesConfig": {"CookieBehavior": "none"}}})["CachePolicy"]["Id"]
        restore = _update_distribution(t, lambda cfg: _api_behaviour(cfg).__setitem__("CachePolicyId", pid))

        def undo() -> None:
            restore()
            cf.delete_cache_policy(Id=pid, IfMatch=cf.get_cache_policy(Id=pid)["ETag"])
        return Injected((t.role("distribution"),), undo)
    return _named(inject, name, doc)


api_cached = _api_cache_policy_fault(
    "api_cached", 86400, ["Authorization"], None,
    "Someone \"speeds up\" the API: a day of caching (Authorization still in the key).")
authorization_dropped = _api_cache_policy_fault(
    "authorization_dropped", 0, [], 1,
    "A cache policy without Authorization in the key, caching allowed (MaxTTL 1): CloudFront strips "
    "the header; the AllViewerExceptHostHeader origin request policy would forward it only with "
    "caching off (TTLs all 0).")


def invalidation_stuck(t: Target) -> Injected:
    """Emulator state: an invalidation held InProgress for 45 minutes (moto completes every
    invalidation at once)."""
    from moto.cloudfront.models import cloudfront_backends
    from moto.core.utils import utcnow

    did = t.role("distribution")
    inv_id = t.client("cloudfront").create_invalidation(DistributionId=did, InvalidationBatch={
        "Paths": {"Quantity": 1, "Items": ["/index.html"]}, "CallerReference": uuid.uuid4().hex})[
        "Invalidation"]["Id"]
    items = [i for backend in cloudfront_backends[ACCOUNT].values() for i in backend.invalidations.get(did, [])
             if i.id == inv_id]
    for item in items:
        item.status, item.create_time = "InProgress", utcnow() - timedelta(minutes=45)

    def undo() -> None:
        for item in items:
            item.status = "Completed"
    return Injected((did,), undo)


def _site_bucket_policy(t: Target, change: Callable[[dict], None]) -> Injected:
    """Read-modify-write the site bucket's policy; the undo writes the old one back."""
    s3, bucket = t.client("s3"), t.role("site_bucket")
    text = s3.get_bucket_policy(Bucket=bucket)["Policy"]
    policy = json.loads(text)
    change(policy)
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    return Injected((bucket,), lambda: s3.put_bucket_policy(Bucket=bucket, Policy=text))


def site_public_access_block_off(t: Target) -> Injected:
    s3, bucket = t.client("s3"), t.role("site_bucket")
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    s3.delete_public_access_block(Bucket=bucket)
    return Injected((bucket,), lambda: s3.put_public_access_block(
        Bucket=bucket, PublicAccessBlockConfiguration=block))


def site_policy_any_distribution(t: Target) -> Injected:
    """The CloudFront grant loses its AWS:SourceArn condition: any distribution may read."""
    def change(policy: dict) -> None:
        for st in policy["Statement"]:
            if st.get("Effect") == "Allow":
                st.pop("Condition", None)
    return _site_bucket_policy(t, change)


def site_bucket_public(t: Target) -> Injected:
    """The "make it work" fix: the public access block off and s3:GetObject for everyone."""
    block = site_public_access_block_off(t)
    bucket = t.role("site_bucket")
    policy = _site_bucket_policy(t, lambda p: p["Statement"].append({
        "Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/*"}))

    def undo() -> None:
        policy.undo()
        block.undo()
    return Injected((bucket,), undo)


# ---- waf -----------------------------------------------------------------------------------
def rule_blocks_everyone(t: Target) -> Injected:
    """A priority-0 Block rule on an IP set covering all of IPv4 (two /1s: WAF refuses /0)."""
    waf, name, acl_id = _web_acl(t)
    acl = waf.get_web_acl(Name=name, Id=acl_id, Scope="CLOUDFRONT")["WebACL"]
    ip_set = waf.create_ip_set(Name=f"blocklist-{t.stack_name}"[:128], Scope="CLOUDFRONT",
                               IPAddressVersion="IPV4", Addresses=["0.0.0.0/1", "128.0.0.0/1"])["Summary"]
    rule = {"Name": "EmergencyBlock", "Priority": 0, "Action": {"Block": {}},
            "Statement": {"IPSetReferenceStatement": {"ARN": ip_set["ARN"]}},
            "VisibilityConfig": {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True,
                                 "MetricName": "EmergencyBlock"}}
    shifted = [{**r, "Priority": r["Priority"] + 1} for r in acl["Rules"]]
    _put_acl(t, [rule, *shifted], acl)

    def undo() -> None:
        _put_acl(t, acl["Rules"], acl)
        token = waf.get_ip_set(Name=ip_set["Name"], Id=ip_set["Id"], Scope="CLOUDFRONT")["LockToken"]
        waf.delete_ip_set(Name=ip_set["Name"], Id=ip_set["Id"], Scope="CLOUDFRONT", LockToken=token)
    return Injected((t.role("web_acl"),), undo)


def _acl_changed(name: str, change: Callable[[dict], None], doc: str) -> Callable[[Target], Injected]:
    """A fault that read-modify-writes the web ACL (``change(acl)`` in place; its lock token
    guards the write); the undo writes the old rules, default action and visibility back."""
    def inject(t: Target) -> Injected:
        waf, acl_name, acl_id = _web_acl(t)
        acl = waf.get_web_acl(Name=acl_name, Id=acl_id, Scope="CLOUDFRONT")["WebACL"]
        before = json.loads(json.dumps(acl))
        change(acl)
        _put_acl(t, acl["Rules"], acl)
        return Injected((t.role("web_acl"),), lambda: _put_acl(t, before["Rules"], before))
    return _named(inject, name, doc)


def _rate_rule(acl: dict) -> dict:
    return next(r for r in acl["Rules"] if "RateBasedStatement" in r["Statement"])


def _group_rule(acl: dict, group: str) -> dict:
    return next(r for r in acl["Rules"] if r["Statement"].get("ManagedRuleGroupStatement", {}).get("Name") == group)


def _metrics_off(acl: dict) -> None:
    _group_rule(acl, "AWSManagedRulesSQLiRuleSet")["VisibilityConfig"]["CloudWatchMetricsEnabled"] = False
    acl["VisibilityConfig"]["SampledRequestsEnabled"] = False


waf_rate_rule_deleted = _acl_changed("waf_rate_rule_deleted", lambda acl: acl["Rules"].remove(_rate_rule(acl)),
                                     "The web ACL's rate-based rule deleted.")
waf_rate_limit_raised = _acl_changed(
    "waf_rate_limit_raised", lambda acl: _rate_rule(acl)["Statement"]["RateBasedStatement"].__setitem__(
        "Limit", 100000), "The rate-based rule's limit raised to 100000.")
waf_rate_rule_count = _acl_changed(
    "waf_rate_rule_count", lambda acl: _rate_rule(acl).__setitem__("Action", {"Count": {}}),
    "The rate-based rule set to Count only.")
waf_sqli_dropped = _acl_changed(
    "waf_sqli_dropped", lambda acl: acl["Rules"].remove(_group_rule(acl, "AWSManagedRulesSQLiRuleSet")),
    "The SQL-injection managed rule group removed.")
waf_common_count = _acl_changed(
    "waf_common_count", lambda acl: _group_rule(acl, "AWSManagedRulesCommonRuleSet").__setitem__(
        "OverrideAction", {"Count": {}}), "The common managed rule group overridden to Count.")
waf_default_block = _acl_changed(
    "waf_default_block", lambda acl: acl.__setitem__("DefaultAction", {"Block": {}}),
    "The web ACL's default action set to Block.")
waf_metrics_off = _acl_changed("waf_metrics_off", _metrics_off,
                               "CloudWatch metrics off on the SQLi rule, sampled requests off on the web ACL.")


def waf_logging_deleted(t: Target) -> Injected:
    waf, name, acl_id = _web_acl(t)
    arn = waf.get_web_acl(Name=name, Id=acl_id, Scope="CLOUDFRONT")["WebACL"]["ARN"]
    config = waf.get_logging_configuration(ResourceArn=arn)["LoggingConfiguration"]
    waf.delete_logging_configuration(ResourceArn=arn)
    return Injected((t.role("web_acl"),), lambda: waf.put_logging_configuration(LoggingConfiguration=config))


def web_acl_disassociated(t: Target) -> Injected:
    undo = _update_distribution(t, lambda cfg: cfg.__setitem__("WebACLId", ""))
    return Injected((t.role("distribution"),), undo)


# ---- auth ----------------------------------------------------------------------------------
# Fields describe_user_pool_client returns that update_user_pool_client accepts.
CLIENT_UPDATABLE = (
    "ClientName", "RefreshTokenValidity", "AccessTokenValidity", "IdTokenValidity",
    "TokenValidityUnits", "ReadAttributes", "WriteAttributes", "ExplicitAuthFlows",
    "SupportedIdentityProviders", "CallbackURLs", "LogoutURLs", "DefaultRedirectURI",
    "AllowedOAuthFlows", "AllowedOAuthScopes", "AllowedOAuthFlowsUserPoolClient",
    "PreventUserExistenceErrors", "EnableTokenRevocation",
    "EnablePropagateAdditionalUserContextData", "AuthSessionValidity",
)


def client_config(t: Target) -> dict:
    """The app client's settings update_user_pool_client takes."""
    desc = t.client("cognito-idp").describe_user_pool_client(UserPoolId=t.role("user_pool"),
                                                             ClientId=t.role("user_pool_client"))
    return {k: v for k, v in desc["UserPoolClient"].items() if k in CLIENT_UPDATABLE}


def _client_updated(name: str, change: Callable[[dict], dict], doc: str) -> Callable[[Target], Injected]:
    """A fault that updates the app client with its full current settings and ``change(settings)``
    (``update_user_pool_client`` resets every field the call omits); the undo puts them back."""
    def inject(t: Target) -> Injected:
        idp, pool, client = t.client("cognito-idp"), t.role("user_pool"), t.role("user_pool_client")
        before = client_config(t)
        idp.update_user_pool_client(UserPoolId=pool, ClientId=client, **{**before, **change(before)})
        return Injected((client,), lambda: idp.update_user_pool_client(UserPoolId=pool, ClientId=client, **before))
    return _named(inject, name, doc)


def _flows_plus(flow: str) -> Callable[[dict], dict]:
    return lambda c: {"ExplicitAuthFlows": sorted(set(c.get("ExplicitAuthFlows", [])) | {flow})}


admin_password_flow_allowed = _client_updated("admin_password_flow_allowed", _flows_plus("ALLOW_ADMIN_USER_PASSWORD_AUTH"),
                                              "The app client allows the admin password flow.")
custom_auth_allowed = _client_updated("custom_auth_allowed", _flows_plus("ALLOW_CUSTOM_AUTH"),
                                      "The app client allows custom authentication.")
implicit_flow_allowed = _client_updated("implicit_flow_allowed", lambda c: {"AllowedOAuthFlows": ["code", "implicit"]},
                                        "The app client allows the OAuth implicit flow.")
http_callback_url = _client_updated(
    "http_callback_url", lambda c: {"CallbackURLs": [*c.get("CallbackURLs", []), "http://app.example.com/callback"]},
    "A plain-HTTP callback URL added to the app client.")
access_token_24h = _client_updated(
    "access_token_24h", lambda c: {"AccessTokenValidity": 24, "TokenValidityUnits": {
        **c.get("TokenValidityUnits", {}), "AccessToken": "hours"}},
    "Access tokens valid for 24 hours.")


def client_deleted(t: Target) -> Injected:
    client = t.role("user_pool_client")
    t.client("cognito-idp").delete_user_pool_client(UserPoolId=t.role("user_pool"), ClientId=client)
    return Injected((client,), _irreversible(f"deleting app client {client} (a new client has another id)"))


def dashboard_deleted(t: Target) -> Injected:
    """The dashboard deleted out of band (drift); the undo puts it back under its name."""
    cw, name = t.client("cloudwatch"), t.role("dashboard")
    body = cw.get_dashboard(DashboardName=name)["DashboardBody"]
    cw.delete_dashboards(DashboardNames=[name])
    return Injected((name,), lambda: cw.put_dashboard(DashboardName=name, DashboardBody=body))


# ---- database ------------------------------------------------------------------------------
def db_stopped(t: Target) -> Injected:
    rds, db = t.client("rds"), t.role("db_instance")
    rds.stop_db_instance(DBInstanceIdentifier=db)
    return Injected((db,), lambda: rds.start_db_instance(DBInstanceIdentifier=db))


def _modify_db(t: Target, **changes: Any) -> None:
    t.client("rds").modify_db_instance(DBInstanceIdentifier=t.role("db_instance"), ApplyImmediately=True,
                                       **changes)


def _db_setting(name: str, key: str, value: Any, doc: str) -> Callable[[Target], Injected]:
    """A fault that sets one of the DB instance's settings (``key`` as DescribeDBInstances and
    ModifyDBInstance both spell it) to ``value``; the undo sets the value it had."""
    def inject(t: Target) -> Injected:
        before = _db(t)[key]
        _modify_db(t, **{key: value})
        return Injected((t.role("db_instance"),), lambda: _modify_db(t, **{key: before}))
    return _named(inject, name, doc)


db_public = _db_setting("db_public", "PubliclyAccessible", True, "The DB instance made publicly accessible.")
db_backups_off = _db_setting("db_backups_off", "BackupRetentionPeriod", 0, "Automated backups turned off.")
db_backups_one_day = _db_setting("db_backups_one_day", "BackupRetentionPeriod", 1,
                                 "Backups kept for one day only.")
db_multi_az_off = _db_setting("db_multi_az_off", "MultiAZ", False, "The DB instance moved to a single AZ.")
db_deletion_protection_off = _db_setting("db_deletion_protection_off", "DeletionProtection", False,
                                         "Deletion protection turned off.")


def db_log_exports_removed(t: Target) -> Injected:
    """Every log type the DB exports to CloudWatch Logs turned off."""
    enabled = _db(t)["EnabledCloudwatchLogsExports"]
    _modify_db(t, CloudwatchLogsExportConfiguration={"DisableLogTypes": enabled})
    return Injected((t.role("db_instance"),), lambda: _modify_db(
        t, CloudwatchLogsExportConfiguration={"EnableLogTypes": enabled}))


def db_password_unmanaged(t: Target) -> Injected:
    """The master password taken out of Secrets Manager and set by hand (RDS deletes its secret)."""
    _modify_db(t, ManageMasterUserPassword=False, MasterUserPassword="Chang3-me-now-pls")
    db = t.role("db_instance")
    return Injected((db,), _irreversible(f"a managed master secret of {db} (RDS makes a new one)"))


def db_storage_unencrypted(t: Target) -> Injected:
    """Emulator state: the DB's storage unencrypted (RDS has no API to change it in place)."""
    from moto.rds.models import rds_backends
    db = rds_backends[ACCOUNT][REGION].databases[t.role("db_instance")]
    db.storage_encrypted = False
    return Injected((db.db_instance_identifier,), lambda: setattr(db, "storage_encrypted", True))


def _slow_query_setting(t: Target) -> tuple[str, str]:
    """(parameter, value that turns slow-query logging off) for the DB's engine."""
    if _db(t)["Engine"].startswith(("mysql", "mariadb", "aurora-mysql")):
        return "slow_query_log", "0"
    return "log_min_duration_statement", "-1"


def db_slow_query_log_off(t: Target) -> Injected:
    """Slow-query logging turned off in the DB's parameter group."""
    return _db_parameter_set(t, *_slow_query_setting(t), "immediate")


def _secret_deleted(name: str, force: bool, doc: str) -> Callable[[Target], Injected]:
    def inject(t: Target) -> Injected:
        sm, secret = t.client("secretsmanager"), t.role("db_secret")
        kwargs = {"ForceDeleteWithoutRecovery": True} if force else {"RecoveryWindowInDays": 7}
        sm.delete_secret(SecretId=secret, **kwargs)
        return Injected((secret,), _irreversible(f"deleting secret {secret}") if force
                        else lambda: sm.restore_secret(SecretId=secret))
    return _named(inject, name, doc)


db_secret_force_deleted = _secret_deleted("db_secret_force_deleted", True,
                                          "The DB secret deleted without a recovery window.")
db_secret_scheduled_deletion = _secret_deleted("db_secret_scheduled_deletion", False,
                                               "The DB secret scheduled for deletion in 7 days.")


def _secret_grants(t: Target, secret: str) -> dict[str, str]:
    """{name: document} of the instance role's inline policies that name ``secret``."""
    iam, role = t.client("iam"), t.role("instance_role")
    docs = {n: json.dumps(iam.get_role_policy(RoleName=role, PolicyName=n)["PolicyDocument"])
            for n in iam.list_role_policies(RoleName=role)["PolicyNames"]}
    grants = {n: d for n, d in docs.items() if secret in d}
    if not grants:
        raise LookupError(f"no inline policy of role {role} names secret {secret}")
    return grants


def _put_role_policies(t: Target, docs: dict[str, str]) -> None:
    iam, role = t.client("iam"), t.role("instance_role")
    for name, doc in docs.items():
        iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=doc)


def _rewrite_secret_grants(t: Target, old: str, new: str) -> Callable[[], None]:
    """Every inline policy of the instance role that names secret ``old`` made to name ``new``
    (what a grant kept after the secret was recreated looks like); returns the undo."""
    grants = _secret_grants(t, old)
    _put_role_policies(t, {n: d.replace(old, new) for n, d in grants.items()})
    return lambda: _put_role_policies(t, grants)


def secret_grant_points_elsewhere(t: Target) -> Injected:
    """The app role's grant on the DB secret points at another (an old) secret."""
    secret = t.role("db_secret")
    undo = _rewrite_secret_grants(t, secret, secret.rsplit(":", 1)[0] + ":rds!db-old-secret-AbCdEf")
    return Injected((t.role("instance_role"), secret), undo)


secret_denied_by_guardrail = _role_policy_added(
    "secret_denied_by_guardrail", "DenySecretsGuardrail",
    lambda t: {"Effect": "Deny", "Action": "secretsmanager:GetSecretValue", "Resource": t.role("db_secret")},
    "A guardrail policy added to the app role later denies the read; the role's Allow is still "
    "there, so a check that looks only for an Allow would call the role fine.")


def _user_data_line(t: Target, line: str) -> Injected:
    """``line`` added to the user data (after its first line) in a new launch template
    version, rolled out to the ASG."""
    lines = base64.b64decode(_launch_data(t).get("UserData", "")).decode().splitlines() or ["#!/bin/bash"]
    lines.insert(1, line)
    return Injected((t.role("launch_template"),), roll_out(t, UserData=base64.b64encode(
        "\n".join(lines).encode()).decode()))


def password_in_user_data(t: Target) -> Injected:
    """The "quick fix" when the app cannot reach Secrets Manager: the DB password exported in
    the user data of a new launch template version, rolled out to the ASG."""
    secret = t.client("secretsmanager").get_secret_value(SecretId=t.role("db_secret"))["SecretString"]
    return _user_data_line(t, f"export PGPASSWORD={json.loads(secret)['password']}")


def secret_to_key(t: Target, key_arn: str) -> str:
    """RDS re-creates its managed secret under ``key_arn`` (the key of a managed secret cannot
    be changed in place: ManageMasterUserPassword off, then on with MasterUserSecretKmsKeyId),
    and the app role's grants follow the new secret; returns the new secret's ARN."""
    old = t.role("db_secret")
    for params in ({"ManageMasterUserPassword": False, "MasterUserPassword": "Temp-0nly-for-switch"},
                   {"ManageMasterUserPassword": True, "MasterUserSecretKmsKeyId": key_arn}):
        _modify_db(t, **params)
    new = _db(t)["MasterUserSecret"]["SecretArn"]
    _rewrite_secret_grants(t, old, new)
    return new


def key_policy(*statements: dict) -> str:
    """A key policy: the account root (which enables IAM policies for the key) plus ``statements``."""
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Enable IAM policies", "Effect": "Allow",
         "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"},
        *statements]})


def secret_under_cmk_without_role_grant(t: Target) -> Injected:
    """The DB secret moved to a customer-managed key, but nobody let the app role use the key:
    its policy enables IAM policies and the role's policies lack kms:Decrypt."""
    key = t.client("kms").create_key(Description="DB credentials", Policy=key_policy())["KeyMetadata"]["Arn"]
    secret = secret_to_key(t, key)
    return Injected((secret, t.role("instance_role")), _irreversible("moving the DB secret to another key"))


def secret_policy_denies_app(t: Target) -> Injected:
    """A resource policy on the DB secret denying the app's role (a guardrail gone wrong)."""
    sm, secret = t.client("secretsmanager"), t.role("db_secret")
    role = t.client("iam").get_role(RoleName=t.role("instance_role"))["Role"]["Arn"]
    before = sm.get_resource_policy(SecretId=secret).get("ResourcePolicy")
    sm.put_resource_policy(SecretId=secret, ResourcePolicy=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Principal": {"AWS": role}, "Action": "secretsmanager:GetSecretValue",
             "Resource": "*"}]}))

    def undo() -> None:
        if before:
            sm.put_resource_policy(SecretId=secret, ResourcePolicy=before)
        else:
            sm.delete_resource_policy(SecretId=secret)
    return Injected((secret,), undo)


# ---- observability -------------------------------------------------------------------------
_ALARM_KEYS = ("AlarmName", "AlarmDescription", "ActionsEnabled", "OKActions", "AlarmActions",
               "InsufficientDataActions", "MetricName", "Namespace", "Statistic", "Dimensions",
               "Period", "EvaluationPeriods", "DatapointsToAlarm", "Threshold",
               "ComparisonOperator", "TreatMissingData")


def _retuned(t: Target, alarm: dict, **changes: Any) -> Injected:
    """put-metric-alarm over ``alarm`` with ``changes``, as an operator "tuning" it would;
    the undo puts the alarm's settings back."""
    cw = t.client("cloudwatch")
    params = {k: alarm[k] for k in _ALARM_KEYS if alarm.get(k) is not None}
    cw.put_metric_alarm(**{**params, **changes})
    return Injected((alarm["AlarmName"],), lambda: cw.put_metric_alarm(**params))


def _alarm_on(t: Target, namespace: str, metric: str, dimension: str, role: str) -> dict:
    """The stack's alarm on ``namespace``/``metric`` of the resource playing ``role``."""
    value = t.role(role)
    return next(a for a in t.graph.alarms() if a.get("Namespace") == namespace and a.get("MetricName") == metric
                and {"Name": dimension, "Value": value} in (a.get("Dimensions") or []))


def _cpu_alarm(t: Target) -> dict:
    return _alarm_on(t, "AWS/EC2", "CPUUtilization", "AutoScalingGroupName", "auto_scaling_group")


def _alarm_retuned(name: str, alarm: Callable[[Target], dict], changes: dict, doc: str
                   ) -> Callable[[Target], Injected]:
    return _named(lambda t: _retuned(t, alarm(t), **changes), name, doc)


alarm_cpu_threshold_95 = _alarm_retuned("alarm_cpu_threshold_95", _cpu_alarm, {"Threshold": 95.0},
                                        "The ASG's CPU alarm raised to 95 %.")


def alarm_cpu_period_changed(t: Target) -> Injected:
    """The ASG's CPU alarm's period made five times longer (60 s -> 300 s: a 5-minute window
    becomes 25 minutes)."""
    alarm = _cpu_alarm(t)
    return _retuned(t, alarm, Period=alarm["Period"] * 5)


alarm_connections_threshold_max = _alarm_retuned(
    "alarm_connections_threshold_max",
    lambda t: _alarm_on(t, "AWS/RDS", "DatabaseConnections", "DBInstanceIdentifier", "db_instance"),
    {"Threshold": 80.0}, "The DB connections alarm set to 80 connections.")
alarm_storage_wrong_comparison = _alarm_retuned(
    "alarm_storage_wrong_comparison",
    lambda t: _alarm_on(t, "AWS/RDS", "FreeStorageSpace", "DBInstanceIdentifier", "db_instance"),
    {"ComparisonOperator": "GreaterThanThreshold"}, "The DB free-storage alarm's comparison turned around.")


def alarm_actions_removed(t: Target) -> Injected:
    """put-metric-alarm over one of the stack's alarms that page the alarm topic, without actions."""
    topic = t.role("alarm_topic")
    return _retuned(t, next(a for a in t.graph.alarms() if topic in a.get("AlarmActions", [])), AlarmActions=[])


def alarm_actions_disabled(t: Target) -> Injected:
    cw, name = t.client("cloudwatch"), _cpu_alarm(t)["AlarmName"]
    cw.disable_alarm_actions(AlarmNames=[name])
    return Injected((name,), lambda: cw.enable_alarm_actions(AlarmNames=[name]))


def _topic_subscriptions(t: Target) -> list[dict]:
    return t.client("sns").list_subscriptions_by_topic(TopicArn=t.role("alarm_topic"))["Subscriptions"]


def alarm_topic_unsubscribed(t: Target) -> Injected:
    """Every confirmed subscription of the alarm topic removed; a pending one stays (AWS lets
    nobody unsubscribe a pending subscription: it expires after three days)."""
    sns = t.client("sns")
    for sub in _topic_subscriptions(t):
        if sub["SubscriptionArn"].startswith("arn:"):
            sns.unsubscribe(SubscriptionArn=sub["SubscriptionArn"])
    topic = t.role("alarm_topic")
    return Injected((topic,), _irreversible(f"unsubscribing from {topic} (a new subscription has another ARN)"))


def alarm_subscription_pending(t: Target) -> Injected:
    """Emulator state: the queue's subscription waits for its confirmation, as a subscription
    of a queue in another account does until the queue's owner confirms it (Challenge 6)."""
    from moto.sns.models import sns_backends
    backend = sns_backends[ACCOUNT][REGION]
    subs = [s["SubscriptionArn"] for s in _topic_subscriptions(t) if s["Protocol"] == "sqs"]

    def mark(pending: str) -> None:
        for arn in subs:
            backend.subscriptions[arn].attributes["PendingConfirmation"] = pending
    mark("true")
    return Injected((t.role("alarm_topic"),), lambda: mark("false"))


def _trail_setting(name: str, key: str, value: bool, doc: str) -> Callable[[Target], Injected]:
    """A fault that sets one of the trail's settings (``key`` as UpdateTrail spells it)."""
    shown = {"EnableLogFileValidation": "LogFileValidationEnabled"}.get(key, key)

    def inject(t: Target) -> Injected:
        ct, trail = t.client("cloudtrail"), t.role("trail")
        before = ct.get_trail(Name=trail)["Trail"][shown]
        ct.update_trail(Name=trail, **{key: value})
        return Injected((trail,), lambda: ct.update_trail(Name=trail, **{key: before}))
    return _named(inject, name, doc)


trail_validation_off = _trail_setting("trail_validation_off", "EnableLogFileValidation", False,
                                      "Log file validation turned off on the trail.")
trail_single_region = _trail_setting("trail_single_region", "IsMultiRegionTrail", False,
                                     "The trail made single-region.")


def db_log_group_retention_removed(t: Target) -> Injected:
    """The retention policy of the DB's exported-log group (``/aws/rds/instance/<db>/...``) deleted."""
    logs = t.client("logs")
    group = next(g for g in logs.describe_log_groups(
        logGroupNamePrefix=f"/aws/rds/instance/{t.role('db_instance')}/")["logGroups"] if g.get("retentionInDays"))
    logs.delete_retention_policy(logGroupName=group["logGroupName"])
    return Injected((group["logGroupName"],), lambda: logs.put_retention_policy(
        logGroupName=group["logGroupName"], retentionInDays=group["retentionInDays"]))


def _dashboard_without(name: str, namespace: str, doc: str) -> Callable[[Target], Injected]:
    """A fault that drops the dashboard's widgets showing metrics of ``namespace``."""
    def inject(t: Target) -> Injected:
        cw, dashboard = t.client("cloudwatch"), t.role("dashboard")
        text = cw.get_dashboard(DashboardName=dashboard)["DashboardBody"]
        body = json.loads(text)
        body["widgets"] = [w for w in body["widgets"]
                           if not any(isinstance(r, list) and r and r[0] == namespace
                                      for r in w.get("properties", {}).get("metrics", []))]
        cw.put_dashboard(DashboardName=dashboard, DashboardBody=json.dumps(body))
        return Injected((dashboard,), lambda: cw.put_dashboard(DashboardName=dashboard, DashboardBody=text))
    return _named(inject, name, doc)


dashboard_database_widgets_removed = _dashboard_without(
    "dashboard_database_widgets_removed", "AWS/RDS", "The dashboard's database (AWS/RDS) widgets removed.")


def _trail_bucket(t: Target) -> str:
    return t.client("cloudtrail").get_trail(Name=t.role("trail"))["Trail"]["S3BucketName"]


def trail_bucket_policy_removed(t: Target) -> Injected:
    s3, bucket = t.client("s3"), _trail_bucket(t)
    policy = s3.get_bucket_policy(Bucket=bucket)["Policy"]
    s3.delete_bucket_policy(Bucket=bucket)
    return Injected((bucket,), lambda: s3.put_bucket_policy(Bucket=bucket, Policy=policy))


def _topic_key(name: str, key_of: Callable[[Target], str], doc: str) -> Callable[[Target], Injected]:
    """A fault that encrypts the alarm topic with ``key_of(target)`` (a compliance ticket's
    "encrypt every topic")."""
    def inject(t: Target) -> Injected:
        sns, topic = t.client("sns"), t.role("alarm_topic")
        before = sns.get_topic_attributes(TopicArn=topic)["Attributes"].get("KmsMasterKeyId", "")
        sns.set_topic_attributes(TopicArn=topic, AttributeName="KmsMasterKeyId", AttributeValue=key_of(t))
        return Injected((topic,), lambda: sns.set_topic_attributes(
            TopicArn=topic, AttributeName="KmsMasterKeyId", AttributeValue=before))
    return _named(inject, name, doc)


topic_cmk_denies_cloudwatch = _topic_key(
    "topic_cmk_denies_cloudwatch",
    lambda t: t.client("kms").create_key(Description="alarm topic", Policy=key_policy())["KeyMetadata"]["KeyId"],
    "The alarm topic encrypted with a customer-managed key whose policy names only the account root.")
topic_aws_managed_key = _topic_key("topic_aws_managed_key", lambda t: "alias/aws/sns",
                                   "The alarm topic encrypted with the AWS-managed SNS key (CloudWatch may not use it).")


def trail_key_policy_drops_cloudtrail(t: Target) -> Injected:
    """The trail encrypts with a key CloudTrail was allowed to use (CloudTrail refuses any
    other), then the key policy was replaced by the default one, dropping CloudTrail."""
    kms, ct, trail = t.client("kms"), t.client("cloudtrail"), t.role("trail")
    described = ct.get_trail(Name=trail)["Trail"]
    cloudtrail = {"Sid": "Allow CloudTrail to encrypt logs", "Effect": "Allow",
                  "Principal": {"Service": "cloudtrail.amazonaws.com"},
                  "Action": ["kms:GenerateDataKey*", "kms:DescribeKey"], "Resource": "*",
                  "Condition": {"StringEquals": {"aws:SourceArn": described["TrailARN"]},
                                "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn":
                                               f"arn:aws:cloudtrail:*:{ACCOUNT}:trail/*"}}}
    key = kms.create_key(Description="trail logs", Policy=key_policy(cloudtrail))["KeyMetadata"]["KeyId"]
    ct.update_trail(Name=trail, KmsKeyId=key)
    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=key_policy())
    return Injected((trail, key), lambda: ct.update_trail(Name=trail, KmsKeyId=described.get("KmsKeyId", "")))


def topic_policy_denies_cloudwatch(t: Target) -> Injected:
    sns, topic = t.client("sns"), t.role("alarm_topic")
    before = sns.get_topic_attributes(TopicArn=topic)["Attributes"].get("Policy")
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Principal": {"Service": "cloudwatch.amazonaws.com"},
             "Action": "sns:Publish", "Resource": topic}]}))
    return Injected((topic,), lambda: sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy",
                                                            AttributeValue=before or ""))


def trail_stopped(t: Target) -> Injected:
    ct, trail = t.client("cloudtrail"), t.role("trail")
    ct.stop_logging(Name=trail)
    return Injected((trail,), lambda: ct.start_logging(Name=trail))


# ---- breadth: hygiene every resource owes whatever its role ---------------------------------
def _bucket_fault(name: str, bucket: Callable[[Target], str], change: Callable[[Any, str], Callable[[], None]],
                  doc: str) -> Callable[[Target], Injected]:
    """A fault on the bucket ``bucket(target)``: ``change(s3, bucket)`` breaks it and returns the undo."""
    def inject(t: Target) -> Injected:
        name_ = bucket(t)
        return Injected((name_,), change(t.client("s3"), name_))
    return _named(inject, name, doc)


def _public_access_block_deleted(s3: Any, bucket: str) -> Callable[[], None]:
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    s3.delete_public_access_block(Bucket=bucket)
    return lambda: s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=block)


def _tls_deny_dropped(s3: Any, bucket: str) -> Callable[[], None]:
    text = s3.get_bucket_policy(Bucket=bucket)["Policy"]
    policy = json.loads(text)
    policy["Statement"] = [st for st in policy["Statement"] if st.get("Effect") != "Deny"]
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    return lambda: s3.put_bucket_policy(Bucket=bucket, Policy=text)


def _encryption_deleted(s3: Any, bucket: str) -> Callable[[], None]:
    config = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
    s3.delete_bucket_encryption(Bucket=bucket)
    return lambda: s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=config)


def _acls_enabled(s3: Any, bucket: str) -> Callable[[], None]:
    from botocore.exceptions import ClientError
    try:
        before = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]
    except ClientError:  # OwnershipControlsNotFoundError: the bucket never set it
        before = None
    s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={
        "Rules": [{"ObjectOwnership": "ObjectWriter"}]})
    return (lambda: s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls=before)) if before \
        else (lambda: s3.delete_bucket_ownership_controls(Bucket=bucket))


def _versioning_suspended(s3: Any, bucket: str) -> Callable[[], None]:
    status = s3.get_bucket_versioning(Bucket=bucket).get("Status", "Suspended")
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    return lambda: s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": status})


flow_log_bucket_public_access_block_removed = _bucket_fault(
    "flow_log_bucket_public_access_block_removed", lambda t: t.role("flow_log_bucket"),
    _public_access_block_deleted, "The flow-log bucket's public access block deleted.")
trail_bucket_admits_plain_http = _bucket_fault(
    "trail_bucket_admits_plain_http", _trail_bucket, _tls_deny_dropped,
    "The trail bucket's policy loses its Deny statements (the TLS-only Deny among them).")
log_bucket_encryption_removed = _bucket_fault(
    "log_bucket_encryption_removed", lambda t: t.role("log_bucket"), _encryption_deleted,
    "The access-log bucket's default encryption deleted.")
flow_log_bucket_acls_enabled = _bucket_fault(
    "flow_log_bucket_acls_enabled", lambda t: t.role("flow_log_bucket"), _acls_enabled,
    "ACLs enabled again on the flow-log bucket (object ownership ObjectWriter).")
site_bucket_versioning_suspended = _bucket_fault(
    "site_bucket_versioning_suspended", lambda t: t.role("site_bucket"), _versioning_suspended,
    "Versioning suspended on the site bucket.")


def api_resource_policy_removed(t: Target) -> Injected:
    """The REST API's resource policy (what keeps callers from going around CloudFront) removed."""
    apigw, api = _rest(t)
    before = apigw.get_rest_api(restApiId=api).get("policy") or ""

    def put(policy: str) -> None:
        apigw.update_rest_api(restApiId=api, patchOperations=[{"op": "replace", "path": "/policy", "value": policy}])
    put("")
    return Injected((api,), lambda: put(before))


_POOL_KEYS = ("Policies", "AutoVerifiedAttributes", "MfaConfiguration", "AdminCreateUserConfig",
              "AccountRecoverySetting")


def _pool_updated(name: str, changes: dict, doc: str) -> Callable[[Target], Injected]:
    """A fault that updates the user pool with its current settings and ``changes`` (AWS
    resets what an update does not carry); the undo updates it with the old settings."""
    def inject(t: Target) -> Injected:
        idp, pool_id = t.client("cognito-idp"), t.role("user_pool")
        pool = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]
        keep = {k: pool[k] for k in _POOL_KEYS if k in pool}
        idp.update_user_pool(UserPoolId=pool_id, **{**keep, **changes})
        return Injected((pool_id,), lambda: idp.update_user_pool(UserPoolId=pool_id, **keep))
    return _named(inject, name, doc)


pool_password_policy_weakened = _pool_updated(
    "pool_password_policy_weakened", {"Policies": {"PasswordPolicy": {
        "MinimumLength": 8, "RequireLowercase": True, "RequireUppercase": False, "RequireNumbers": True,
        "RequireSymbols": False, "TemporaryPasswordValidityDays": 3}}},
    "The user pool's password policy weakened to 8 characters, no uppercase, no symbols.")
pool_self_sign_up_opened = _pool_updated(
    "pool_self_sign_up_opened", {"AdminCreateUserConfig": {"AllowAdminCreateUserOnly": False}},
    "Anyone may sign up to the user pool.")


def pool_mfa_off(t: Target) -> Injected:
    idp, pool_id = t.client("cognito-idp"), t.role("user_pool")
    before = idp.get_user_pool_mfa_config(UserPoolId=pool_id)
    idp.set_user_pool_mfa_config(UserPoolId=pool_id, MfaConfiguration="OFF")
    keys = ("SmsMfaConfiguration", "SoftwareTokenMfaConfiguration", "MfaConfiguration")
    return Injected((pool_id,), lambda: idp.set_user_pool_mfa_config(
        UserPoolId=pool_id, **{k: before[k] for k in keys if k in before}))


def _db_parameter_set(t: Target, name: str, value: str, apply: str) -> Injected:
    """DB parameter ``name`` set to ``value`` in the DB's parameter group; the undo sets the
    value it had, or resets the parameter the group left unset (ResetDBParameterGroup: moto
    5.2.5 lacks it, so on the emulator only a set parameter comes back)."""
    rds, group = t.client("rds"), _db(t)["DBParameterGroups"][0]["DBParameterGroupName"]
    before = next((p.get("ParameterValue") for p in rds.describe_db_parameters(
        DBParameterGroupName=group)["Parameters"] if p["ParameterName"] == name), None)

    def put(v: str) -> None:
        rds.modify_db_parameter_group(DBParameterGroupName=group, Parameters=[
            {"ParameterName": name, "ParameterValue": v, "ApplyMethod": apply}])
    put(value)
    return Injected((group,), (lambda: put(before)) if before is not None else lambda: rds.reset_db_parameter_group(
        DBParameterGroupName=group, Parameters=[{"ParameterName": name, "ApplyMethod": apply}]))


def db_tls_not_forced(t: Target) -> Injected:
    """The DB accepts connections without TLS (rds.force_ssl=0 on PostgreSQL,
    require_secure_transport=0 on MySQL)."""
    mysql = _db(t)["Engine"].startswith(("mysql", "mariadb", "aurora-mysql"))
    return _db_parameter_set(t, "require_secure_transport" if mysql else "rds.force_ssl", "0", "pending-reboot")


db_minor_upgrades_off = _db_setting("db_minor_upgrades_off", "AutoMinorVersionUpgrade", False,
                                    "Automatic minor-version upgrades turned off.")


def token_in_user_data(t: Target) -> Injected:
    """A payments API token exported in the user data, rolled out."""
    return _user_data_line(t, "export PAYMENTS_API_TOKEN=tok_live_4f9a8b7c6d5e")


def launch_template_volume_unencrypted(t: Target) -> Injected:
    return Injected((t.role("launch_template"),), roll_out(t, BlockDeviceMappings=[
        {"DeviceName": "/dev/xvda", "Ebs": {"Encrypted": False, "VolumeType": "gp3"}}]))


def trail_to_deleted_log_group(t: Target) -> Injected:
    """The trail sent to a CloudWatch Logs group that was deleted afterwards."""
    logs, iam, ct, trail = t.client("logs"), t.client("iam"), t.client("cloudtrail"), t.role("trail")
    before = ct.get_trail(Name=trail)["Trail"]
    group = f"{t.stack_name}-trail-events"
    logs.create_log_group(logGroupName=group)
    arn = next(g["arn"] for g in logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"])
    role = iam.create_role(RoleName=f"{t.stack_name}-trail-cwl", AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                 "Principal": {"Service": "cloudtrail.amazonaws.com"}}]}))["Role"]
    ct.update_trail(Name=trail, CloudWatchLogsLogGroupArn=arn, CloudWatchLogsRoleArn=role["Arn"])
    logs.delete_log_group(logGroupName=group)

    def undo() -> None:
        ct.update_trail(Name=trail, CloudWatchLogsLogGroupArn=before.get("CloudWatchLogsLogGroupArn", ""),
                        CloudWatchLogsRoleArn=before.get("CloudWatchLogsRoleArn", ""))
        iam.delete_role(RoleName=role["RoleName"])
    return Injected((trail,), undo)


def _default_group(t: Target) -> str:
    return t.client("ec2").describe_security_groups(Filters=[
        {"Name": "vpc-id", "Values": [t.role("vpc")]},
        {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"][0]["GroupId"]


default_sg_admits_vpc_https = _added_ingress(
    "default_sg_admits_vpc_https", _default_group, lambda t: _tcp(443, cidr=_vpc_cidr(t)),
    "The VPC's default security group admits HTTPS from the VPC.")


def db_engine_version_deprecated(t: Target) -> Injected:
    """Emulator state: the DB on postgres 16.1, which the emulator's version table deprecates."""
    from moto.rds.models import rds_backends
    db = rds_backends[ACCOUNT][REGION].databases[t.role("db_instance")]
    before, db.engine_version = db.engine_version, "16.1"
    return Injected((db.db_instance_identifier,), lambda: setattr(db, "engine_version", before))


def nacl_ssh_deny_deleted(t: Target) -> Injected:
    """Someone deletes the default ACL's inbound DENY for port 22 "to debug"."""
    ec2 = t.client("ec2")
    acl = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [t.role("vpc")]},
                                             {"Name": "default", "Values": ["true"]}])["NetworkAcls"][0]
    entry = next(e for e in sorted(acl["Entries"], key=lambda e: e["RuleNumber"])
                 if not e["Egress"] and e["RuleAction"] == "deny" and e.get("CidrBlock")
                 and e.get("PortRange", {}).get("From", 0) <= 22 <= e.get("PortRange", {}).get("To", 65535))
    aid = acl["NetworkAclId"]
    ec2.delete_network_acl_entry(NetworkAclId=aid, RuleNumber=entry["RuleNumber"], Egress=False)
    keep = {k: entry[k] for k in ("RuleNumber", "Protocol", "RuleAction", "Egress", "CidrBlock", "PortRange")
            if k in entry}
    return Injected((aid,), lambda: ec2.create_network_acl_entry(NetworkAclId=aid, **keep))


FAULTS = [
    ForeignFault("net-app-port-closed", app_port_closed, ("network.app_port_only_from_vpc",),
                 hop=p.NLB_APP_PORT),
    ForeignFault("net-private-default-route-to-igw", private_route_to_igw,
                 ("network.private_subnets_egress_via_nat",),
                 # the app subnets are no longer private: the ASG now launches into public ones
                 also_breaks=("compute.asg_spans_private_subnets",), hop=p.ASG_INSTANCES),
    ForeignFault("net-nacl-denies-app-port", nacl_denies_app_port, ("network.nacls_admit_request_path",),
                 mentions=("DENY",), hop=p.NLB_APP_PORT),
    ForeignFault("net-ssh-open-to-world", ssh_open_to_world,
                 ("network.no_ssh_ingress", "network.no_world_open_ingress", "network.app_port_only_from_vpc"),
                 mentions=("tcp 22 from 0.0.0.0/0",)),
    ForeignFault("net-ssh-from-inside-vpc", ssh_from_inside_vpc,
                 ("network.no_ssh_ingress", "network.app_port_only_from_vpc"), mentions=("tcp 22 from",)),
    ForeignFault("net-all-ports-from-ipv6-world", all_ports_from_ipv6_world,
                 ("network.no_ssh_ingress", "network.no_world_open_ingress", "network.db_port_only_from_app_sg"),
                 mentions=("tcp 0-65535 from ::/0",)),
    ForeignFault("net-all-traffic-from-app-sg-to-db", all_traffic_from_app_sg_to_db,
                 ("network.no_ssh_ingress", "network.db_port_only_from_app_sg"), mentions=("all traffic from",)),
    ForeignFault("net-app-port-open-to-world", app_port_open_to_world,
                 ("network.no_world_open_ingress", "network.app_port_only_from_vpc"), mentions=("from 0.0.0.0/0",)),
    ForeignFault("net-db-port-open-to-cidr", db_port_open_to_cidr, ("network.db_port_only_from_app_sg",)),
    ForeignFault("net-db-route-via-nat", db_route_via_nat, ("network.db_subnets_have_no_internet_route",),
                 mentions=("NAT gateway nat-",)),
    ForeignFault("net-db-route-via-igw", db_route_via_igw,
                 ("network.db_subnets_have_no_internet_route", "network.private_subnets_egress_via_nat"),
                 also_breaks=("database.subnets_without_internet_route",), mentions=("internet gateway igw-",)),
    ForeignFault("net-flow-log-group-never-expires", flow_log_group_never_expires, ("network.flow_log_retention",),
                 also_breaks=("observability.log_groups_have_retention",), mentions=("never expires",)),
    ForeignFault("net-flow-log-bucket-lifecycle-removed", flow_log_bucket_no_lifecycle,
                 ("network.flow_log_retention",), mentions=("no enabled lifecycle transition",)),
    ForeignFault("net-db-subnets-on-empty-nacl", db_subnets_on_empty_nacl, ("network.nacls_admit_request_path",),
                 mentions=("the * rule denies",), hop=p.APP_DB_PORT),
    ForeignFault("cmp-target-group-detached", target_group_detached,
                 ("compute.asg_attached_to_target_group", "compute.targets_healthy"), hop=p.TG_ASG),
    ForeignFault("cmp-launch-template-ssh-key", launch_template_ssh_key, ("compute.launch_template_no_key_pair",),
                 mentions=("key pair",)),
    ForeignFault("cmp-launch-template-imdsv1-wrong-type", imdsv1_and_bigger, ("compute.launch_template_settings",),
                 mentions=("t3.large", "HttpTokens=optional")),
    ForeignFault("cmp-ami-deregistered", custom_ami_deregistered, ("compute.launch_template_ami_available",),
                 mentions=("ami-",)),
    ForeignFault("cmp-ssm-policy-detached", ssm_policy_detached, ("compute.instance_role_allows_ssm",),
                 mentions=("ssm:UpdateInstanceInformation",)),
    ForeignFault("cmp-admin-attached", admin_attached, ("compute.instance_role_least_privilege",),
                 mentions=("OpsAdmin", "allows action * on *")),
    ForeignFault("cmp-any-secret-readable", any_secret_readable, ("compute.instance_role_least_privilege",),
                 mentions=("ReadAnySecret", "on *")),
    ForeignFault("cmp-db-secret-policy-removed", db_secret_policy_removed, ("compute.instance_role_reads_db_secret",),
                 also_breaks=("database.app_role_reads_master_secret",),  # the same grant, DB view
                 mentions=("secretsmanager:GetSecretValue",), hop=p.APP_SECRETS),
    ForeignFault("cmp-instance-unhealthy", instance_unhealthy, ("compute.asg_capacity_in_service",),
                 mentions=("Unhealthy",)),
    ForeignFault("cmp-target-deregistered", target_deregistered, ("compute.targets_healthy",),
                 mentions=("not registered",)),
    ForeignFault("cmp-health-check-port-closed", health_check_port_closed, ("compute.targets_healthy",),
                 also_breaks=("e2e.request_path",), mentions=("unhealthy", "Target.FailedHealthChecks")),
    ForeignFault("cmp-instance-stopped", instance_stopped,
                 ("compute.targets_healthy", "compute.instances_managed_by_ssm")),
    ForeignFault("cmp-asg-single-subnet", asg_single_subnet, ("compute.asg_spans_private_subnets",),
                 # where the ASG's subnets are the whole app tier (the VPC is another stack's)
                 also_breaks=("network.subnet_tiers_span_azs",)),
    ForeignFault("cmp-scaled-to-zero", scaled_to_zero,
                 ("compute.asg_capacity_in_service", "compute.targets_healthy",
                  "compute.instances_managed_by_ssm"), hop=p.ASG_INSTANCES),
    ForeignFault("cmp-health-check-wrong-port", health_check_wrong_port,
                 ("compute.health_check_can_succeed",), mentions=("port 9000",), hop=p.LISTENER_TG),
    ForeignFault("api-method-public", method_public, ("api.methods_authorized",),
                 mentions=("authorization NONE",), hop=p.METHOD_AUTHORIZER),
    ForeignFault("api-throttled-to-zero", throttled_to_zero, ("api.stage_throttling",),
                 mentions=("rate 0",), hop=p.API_STAGE),
    ForeignFault("api-access-logging-removed", access_logging_removed, ("api.stage_access_logging",),
                 mentions=("no access logging",)),
    ForeignFault("api-metrics-disabled", metrics_disabled, ("api.stage_metrics_enabled",),
                 mentions=("metrics disabled",)),
    ForeignFault("api-throttling-loosened", throttling_loosened, ("api.stage_throttling",), mentions=("burst 5000",)),
    ForeignFault("api-identity-source-changed", identity_source_changed, ("api.authorizer_identity_source",),
                 mentions=("X-Id-Token",), hop=p.METHOD_AUTHORIZER),
    ForeignFault("api-integration-over-internet", integration_over_internet, ("api.integrations_via_vpc_link",),
                 mentions=("over INTERNET",), hop=p.METHOD_VPC_LINK),
    ForeignFault("api-integration-not-proxy", integration_not_proxy, ("api.integrations_via_vpc_link",),
                 mentions=("is HTTP over VPC_LINK",)),
    ForeignFault("api-vpc-link-other-nlb", vpc_link_other_nlb, ("api.vpc_link_targets_nlb",),
                 mentions=("targets arn:",), hop=p.VPC_LINK_NLB),
    ForeignFault("api-listener-wrong-port", listener_wrong_port, ("api.nlb_listener_forwards",),
                 mentions=("TCP:9090",), hop=p.METHOD_VPC_LINK),
    ForeignFault("api-authorizer-other-pool", authorizer_other_pool, ("api.authorizer_trusts_stack_pool",),
                 also_breaks=("auth.jwt_flow",), mentions=("cognito-staging",), hop=p.AUTHORIZER_POOL),
    ForeignFault("edge-oac-removed", oac_removed, ("edge.s3_origin_uses_oac",),
                 mentions=("no Origin Access Control",), hop=p.DISTRIBUTION_SITE),
    ForeignFault("edge-distribution-disabled", distribution_disabled, ("edge.distribution_enabled",),
                 mentions=("disabled",), hop=p.VIEWER_DISTRIBUTION),
    ForeignFault("edge-viewer-protocol-allow-all", viewer_allow_all, ("edge.viewer_https_only",),
                 mentions=("allow-all",)),
    ForeignFault("edge-access-logging-off", logging_off, ("edge.access_logging",), mentions=("logging off",)),
    ForeignFault("edge-oac-signing-never", oac_signing_never, ("edge.s3_origin_uses_oac",),
                 mentions=("SigningBehavior never",), hop=p.DISTRIBUTION_SITE),
    ForeignFault("edge-site-public-access-block-off", site_public_access_block_off,
                 ("edge.site_bucket_public_access_blocked",), mentions=("public access block",)),
    ForeignFault("edge-site-policy-any-distribution", site_policy_any_distribution,
                 ("edge.site_bucket_policy_cloudfront_only",), also_breaks=("e2e.request_path",),
                 mentions=("AWS:SourceArn",)),
    ForeignFault("edge-api-behaviour-to-site", api_to_site, ("edge.behaviours_route_to_origins",),
                 hop=p.DISTRIBUTION_API),
    ForeignFault("edge-api-cached", api_cached, ("edge.api_not_cached",), mentions=("86400",)),
    ForeignFault("edge-api-authorization-not-forwarded", authorization_dropped,
                 ("edge.api_forwards_authorization",), mentions=("Authorization",), hop=p.DISTRIBUTION_API),
    ForeignFault("edge-site-bucket-public", site_bucket_public,
                 ("edge.site_bucket_public_access_blocked", "edge.site_bucket_policy_cloudfront_only")),
    ForeignFault("waf-rule-blocks-everyone", rule_blocks_everyone, ("waf.no_rule_blocks_everyone",),
                 mentions=("EmergencyBlock",), hop=p.DISTRIBUTION_WAF),
    ForeignFault("waf-web-acl-disassociated", web_acl_disassociated, ("waf.web_acl_associated",),
                 mentions=("has no web ACL",), hop=p.DISTRIBUTION_WAF),
    ForeignFault("waf-rate-rule-deleted", waf_rate_rule_deleted, ("waf.rate_limit_rule",),
                 mentions=("rate-based rule",)),
    ForeignFault("waf-rate-limit-100000", waf_rate_limit_raised, ("waf.rate_limit_rule",), mentions=("100000",)),
    ForeignFault("waf-rate-rule-count-only", waf_rate_rule_count, ("waf.rate_limit_rule",),
                 mentions=("action count",)),
    ForeignFault("waf-sqli-group-dropped", waf_sqli_dropped, ("waf.managed_rule_groups",),
                 mentions=("AWSManagedRulesSQLiRuleSet",)),
    ForeignFault("waf-common-group-count-only", waf_common_count, ("waf.managed_rule_groups",),
                 mentions=("OverrideAction Count",)),
    ForeignFault("waf-default-action-block", waf_default_block, ("waf.default_action",),
                 mentions=("default action block",), hop=p.DISTRIBUTION_WAF),
    ForeignFault("waf-metrics-off", waf_metrics_off, ("waf.visibility_metrics",),
                 mentions=("the web ACL",)),  # rules go by the stack's names, not the group's
    ForeignFault("waf-logging-deleted", waf_logging_deleted, ("waf.logging_enabled",),
                 mentions=("no logging configuration",)),
    ForeignFault("auth-admin-password-flow-allowed", admin_password_flow_allowed, ("auth.client_auth_flows",),
                 mentions=("also allows ALLOW_ADMIN_USER_PASSWORD_AUTH",)),
    ForeignFault("auth-custom-auth-allowed", custom_auth_allowed, ("auth.client_auth_flows",),
                 mentions=("ALLOW_CUSTOM_AUTH",)),
    ForeignFault("auth-implicit-flow-allowed", implicit_flow_allowed, ("auth.client_oauth_flows",),
                 mentions=("implicit",)),
    ForeignFault("auth-http-callback-url", http_callback_url, ("auth.client_callback_urls_https",),
                 mentions=("http://app.example.com/callback",)),
    ForeignFault("auth-access-token-24h", access_token_24h, ("auth.client_token_validity",),
                 mentions=("AccessToken 24 hours",)),
    ForeignFault("dashboard-deleted-out-of-band", dashboard_deleted, ("stack.resources_exist",),
                 also_breaks=("observability.dashboard_covers_layers",)),
    ForeignFault("db-stopped", db_stopped, ("database.instance_available",), mentions=("stopped",),
                 hop=p.DB_INSTANCE),
    ForeignFault("db-publicly-accessible", db_public, ("database.not_publicly_accessible",),
                 mentions=("publicly accessible",)),
    ForeignFault("db-secret-policy-denies-app-role", secret_policy_denies_app,
                 ("database.app_role_reads_master_secret",),
                 also_breaks=("compute.instance_role_reads_db_secret",),  # the same grant, compute view
                 mentions=("the secret's resource policy",), hop=p.APP_SECRETS),
    ForeignFault("db-subnet-internet-route", db_route_via_igw, ("database.subnets_without_internet_route",),
                 also_breaks=("network.db_subnets_have_no_internet_route", "network.private_subnets_egress_via_nat"),
                 mentions=("0.0.0.0/0 -> igw-",)),
    ForeignFault("db-backups-off", db_backups_off, ("database.backups_retained",),
                 mentions=("BackupRetentionPeriod=0",)),
    ForeignFault("db-backups-one-day", db_backups_one_day, ("database.backups_retained",), mentions=("1 day",)),
    ForeignFault("db-secret-scheduled-deletion", db_secret_scheduled_deletion, ("database.master_secret_exists",),
                 mentions=("scheduled for deletion",), hop=p.DB_SECRET),
    ForeignFault("db-secret-not-readable-by-app", secret_grant_points_elsewhere,
                 ("database.app_role_reads_master_secret",), mentions=("GetSecretValue",),
                 also_breaks=("compute.instance_role_reads_db_secret", "compute.instance_role_least_privilege"),
                 hop=p.APP_SECRETS),
    ForeignFault("db-secret-denied-by-guardrail", secret_denied_by_guardrail,
                 ("database.app_role_reads_master_secret",),
                 also_breaks=("compute.instance_role_reads_db_secret",),  # the same role, compute view
                 mentions=("explicitly denied", "DenySecretsGuardrail"), hop=p.APP_SECRETS),
    ForeignFault("db-password-in-user-data", password_in_user_data, ("database.no_password_in_plaintext",),
                 mentions=("PGPASSWORD", "secret's literal value")),
    ForeignFault("db-log-exports-removed", db_log_exports_removed, ("database.log_exports_enabled",)),
    ForeignFault("db-slow-query-log-off", db_slow_query_log_off, ("database.slow_query_logging",)),
    ForeignFault("obs-alarm-actions-removed", alarm_actions_removed,
                 ("observability.alarm_actions_notify_topic",), mentions=("do not include the topic",)),
    ForeignFault("alarm-cpu-threshold-95", alarm_cpu_threshold_95, ("observability.alarms_configured",),
                 mentions=("threshold 95",)),
    ForeignFault("alarm-cpu-period-changed", alarm_cpu_period_changed, ("observability.alarms_configured",)),
    ForeignFault("alarm-connections-threshold-max", alarm_connections_threshold_max,
                 ("observability.alarms_configured",)),
    ForeignFault("alarm-storage-wrong-comparison", alarm_storage_wrong_comparison,
                 ("observability.alarms_configured",), mentions=("LessThanThreshold",)),
    ForeignFault("alarm-actions-disabled", alarm_actions_disabled, ("observability.alarm_actions_notify_topic",),
                 mentions=("ActionsEnabled=false",)),
    ForeignFault("trail-validation-off", trail_validation_off, ("observability.cloudtrail_log_file_validation",),
                 mentions=("validation off",)),
    ForeignFault("trail-single-region", trail_single_region, ("observability.cloudtrail_multi_region",),
                 mentions=("IsMultiRegionTrail=false",)),
    ForeignFault("dashboard-database-widgets-removed", dashboard_database_widgets_removed,
                 ("observability.dashboard_covers_layers",), mentions=("database",)),
    ForeignFault("obs-trail-bucket-policy-removed", trail_bucket_policy_removed,
                 ("observability.trail_bucket_allows_delivery",),
                 also_breaks=("edge.buckets_deny_insecure_transport",),  # a TLS-only Deny goes with it
                 mentions=("no bucket policy",)),
    ForeignFault("obs-topic-cmk-denies-cloudwatch", topic_cmk_denies_cloudwatch,
                 ("observability.alarm_topic_key_allows_cloudwatch",),
                 mentions=("no statement allowing cloudwatch.amazonaws.com", "kms:GenerateDataKey*")),
    ForeignFault("obs-topic-aws-managed-key", topic_aws_managed_key, ("observability.alarm_topic_key_allows_cloudwatch",),
                 mentions=("AWS-managed key", "customer-managed key")),
    ForeignFault("obs-trail-key-policy-drops-cloudtrail", trail_key_policy_drops_cloudtrail,
                 ("observability.trail_key_allows_cloudtrail",),
                 mentions=("no statement allowing cloudtrail.amazonaws.com",)),
    ForeignFault("obs-topic-policy-denies-cloudwatch", topic_policy_denies_cloudwatch,
                 ("observability.alarm_topic_policy_allows_cloudwatch",), mentions=("denies sns:Publish",)),
    ForeignFault("obs-trail-stopped", trail_stopped, ("observability.cloudtrail_logging",),
                 mentions=("IsLogging=false",)),
    # breadth: hygiene every resource owes whatever its role
    ForeignFault("bucket-flow-log-public-access-block-removed", flow_log_bucket_public_access_block_removed,
                 ("edge.buckets_block_public_access",), mentions=("(the flow log bucket) has no public access block",)),
    ForeignFault("bucket-trail-admits-plain-http", trail_bucket_admits_plain_http,
                 ("edge.buckets_deny_insecure_transport",), mentions=("does not deny requests without TLS",)),
    ForeignFault("bucket-log-encryption-removed", log_bucket_encryption_removed,
                 ("edge.buckets_encrypted_by_default",), mentions=("(the log bucket) has no default encryption",)),
    ForeignFault("bucket-flow-log-acls-enabled", flow_log_bucket_acls_enabled, ("edge.buckets_acls_disabled",),
                 mentions=("object ownership ObjectWriter",)),
    ForeignFault("bucket-site-versioning-suspended", site_bucket_versioning_suspended,
                 ("edge.buckets_versioned_as_expected",), mentions=("(the site bucket) has versioning Suspended",)),
    ForeignFault("waf-api-resource-policy-removed", api_resource_policy_removed,
                 ("waf.api_not_reachable_around_waf",),
                 mentions=("can be called around CloudFront's web ACL", "execute-api"), hop=p.API_BYPASS),
    ForeignFault("auth-pool-password-policy-weakened", pool_password_policy_weakened,
                 ("auth.user_pool_password_policy",), mentions=("minimum length 8 < 12",)),
    ForeignFault("auth-pool-self-sign-up-opened", pool_self_sign_up_opened,
                 ("auth.user_pool_sign_up_and_deletion",), mentions=("lets anyone sign up",)),
    ForeignFault("db-tls-not-forced", db_tls_not_forced, ("database.db_tls_forced",),
                 mentions=("accepts connections without TLS",)),
    ForeignFault("db-minor-upgrades-off", db_minor_upgrades_off, ("database.db_operations_as_expected",),
                 mentions=("automatic minor-version upgrades off",)),
    ForeignFault("cmp-token-in-user-data", token_in_user_data, ("compute.user_data_has_no_secrets",),
                 mentions=("secret environment literal PAYMENTS_API_TOKEN",)),
    ForeignFault("stack-launch-template-volume-unencrypted", launch_template_volume_unencrypted,
                 ("observability.encryption_at_rest_as_expected",), mentions=("is not encrypted",)),
    ForeignFault("obs-trail-delivers-to-deleted-log-group", trail_to_deleted_log_group,
                 ("observability.troubleshooting_logs_as_expected",), mentions=("does not exist: nothing arrives",)),
    ForeignFault("net-default-sg-admits-vpc-https", default_sg_admits_vpc_https,
                 ("network.default_security_group_admits_nothing",), mentions=("admits tcp 443 from",)),
    ForeignFault("net-nacl-admits-ssh-from-anywhere", nacl_ssh_deny_deleted, ("network.nacls_close_admin_ports",),
                 mentions=("admits TCP 22 (SSH) from 0.0.0.0/0",)),
]
