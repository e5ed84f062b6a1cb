"""Network and compute probe logic on canned API responses: the rule, route and policy
shapes that are awkward to produce on the emulator (protocol -1, port ranges, IPv6,
NotAction, wildcard secrets)."""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from probes import compute, network
from probes.expectations import build

EXP = build({})
VPC = "vpc-1"
APP, DB, OTHER = "sg-app", "sg-db", "sg-other"


class FakeInv:
    """Answers the reads the probes make from canned responses keyed by operation."""

    def __init__(self, responses: dict[str, Any], outputs: dict[str, str] | None = None,
                 roles: dict[str, str] | None = None):
        self.responses = responses
        self._outputs = outputs or {}
        self.roles = {"vpc": VPC, "app_security_group": APP, "db_security_group": DB,
                      **(roles or {})}
        self.session = SimpleNamespace(region="us-east-1")
        self.explicit, self.stack_name = self.roles, "canned"  # roles as resources.<role> overrides

    def of_type(self, resource_type: str) -> list:
        return []

    def outputs(self) -> dict[str, str]:
        return self._outputs

    def call(self, service: str, operation: str, *, missing_ok: bool = False, **params: Any):
        value = self.responses.get(operation)
        return value(**params) if callable(value) else value

    def paginate(self, service: str, operation: str, key: str, **params: Any) -> list:
        value = self.call(service, operation, **params)
        return (value or {}).get(key, []) if isinstance(value, dict) else (value or [])


def sg(gid: str, *perms: dict) -> dict:
    return {"GroupId": gid, "GroupName": gid, "VpcId": VPC, "IpPermissions": list(perms)}


def rule(proto: str = "tcp", lo: int | None = None, hi: int | None = None, *, cidr=None,
         cidr6=None, group=None) -> dict:
    p: dict[str, Any] = {"IpProtocol": proto, "IpRanges": [], "Ipv6Ranges": [],
                         "UserIdGroupPairs": [], "PrefixListIds": []}
    if lo is not None:
        p["FromPort"], p["ToPort"] = lo, hi if hi is not None else lo
    if cidr:
        p["IpRanges"].append({"CidrIp": cidr})
    if cidr6:
        p["Ipv6Ranges"].append({"CidrIpv6": cidr6})
    if group:
        p["UserIdGroupPairs"].append({"GroupId": group})
    return p


HEALTHY_GROUPS = [
    sg(APP, rule("tcp", 8080, cidr="10.0.0.0/16")),
    sg(DB, rule("tcp", 5432, group=APP)),
]


def inv_with(groups: list[dict]) -> FakeInv:
    return FakeInv({
        "describe_security_groups": {"SecurityGroups": groups},
        "describe_vpcs": {"Vpcs": [{"VpcId": VPC, "CidrBlock": "10.0.0.0/16",
                                    "CidrBlockAssociationSet": [{"CidrBlock": "10.0.0.0/16"}]}]},
        "describe_db_instances": {"DBInstances": []},
    }, roles={"db_instance": None})


def statuses(findings) -> list[str]:
    return [f.status for f in findings]


@pytest.mark.parametrize("probe", [network.no_ssh_ingress, network.no_world_open_ingress,
                                   network.app_port_only_from_vpc,
                                   network.db_port_only_from_app_sg])
def test_healthy_groups_pass(probe):
    assert set(statuses(probe(inv_with(HEALTHY_GROUPS), EXP))) == {"passed"}


@pytest.mark.parametrize("perm,open_", [
    (rule("-1", cidr="10.0.0.0/8"), True),              # all traffic covers 22
    (rule("tcp", 0, 65535, cidr6="::/0"), True),         # a range that includes 22
    (rule("6", 20, 25, group=OTHER), True),              # numeric tcp, from a group
    (rule("udp", 22, cidr="0.0.0.0/0"), False),          # udp 22 is not SSH
    (rule("icmp", -1, -1, cidr="0.0.0.0/0"), False),
    (rule("tcp", 23, 1024, cidr="0.0.0.0/0"), False),
])
def test_ssh_detection_counts_ranges_and_all_protocols(perm, open_):
    findings = network.no_ssh_ingress(inv_with([sg(OTHER, perm)]), EXP)
    assert (findings[0].status == "failed") is open_
    if open_:
        assert OTHER in findings[0].message and "expected port 22 closed" in findings[0].message


def test_world_open_names_rule_and_honours_allowed_ports():
    groups = [sg(OTHER, rule("tcp", 443, cidr="0.0.0.0/0"), rule("-1", cidr6="::/0"))]
    msg = network.no_world_open_ingress(inv_with(groups), EXP)[0].message
    assert "tcp 443 from 0.0.0.0/0" in msg and "all traffic from ::/0" in msg
    allowed = build({"network": {"world_open_ports": [443]}})
    msg = network.no_world_open_ingress(inv_with(groups), allowed)[0].message
    assert "tcp 443" not in msg and "all traffic from ::/0" in msg


@pytest.mark.parametrize("extra,word", [
    (rule("tcp", 8080, cidr="192.168.0.0/16"), "tcp 8080 from 192.168.0.0/16"),
    (rule("tcp", 8000, 9000, cidr="10.0.0.0/16"), "tcp 8000-9000 from 10.0.0.0/16"),
    (rule("-1", cidr="10.0.1.0/24"), "all traffic from 10.0.1.0/24"),
])
def test_app_group_rejects_outside_sources_and_wider_ports(extra, word):
    groups = [sg(APP, rule("tcp", 8080, cidr="10.0.0.0/16"), extra), HEALTHY_GROUPS[1]]
    f = network.app_port_only_from_vpc(inv_with(groups), EXP)[0]
    assert f.status == "failed" and word in f.message


@pytest.mark.parametrize("extra,word", [
    (rule("tcp", 5432, cidr="10.0.10.0/24"), "tcp 5432 from 10.0.10.0/24"),
    (rule("tcp", 5432, group=OTHER), f"tcp 5432 from {OTHER}"),
    (rule("tcp", 22, group=APP), f"tcp 22 from {APP}"),
])
def test_db_group_admits_only_the_app_group(extra, word):
    groups = [HEALTHY_GROUPS[0], sg(DB, rule("tcp", 5432, group=APP), extra)]
    f = network.db_port_only_from_app_sg(inv_with(groups), EXP)[0]
    assert f.status == "failed" and word in f.message


def test_db_group_without_the_app_rule_fails():
    groups = [HEALTHY_GROUPS[0], sg(DB)]
    f = network.db_port_only_from_app_sg(inv_with(groups), EXP)[0]
    assert f.status == "failed" and "does not admit tcp 5432" in f.message


# ---- routes -------------------------------------------------------------------------------
def route_inv(private_target: dict, db_routes: list[dict] | None = None,
              nat_state: str = "available") -> FakeInv:
    local = {"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local"}
    tables = [
        {"RouteTableId": "rtb-pub", "Associations": [{"SubnetId": "subnet-pub"}],
         "Routes": [local, {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1"}]},
        {"RouteTableId": "rtb-app", "Associations": [{"SubnetId": "subnet-app"}],
         "Routes": [local, {"DestinationCidrBlock": "0.0.0.0/0", **private_target}]},
        {"RouteTableId": "rtb-db", "Associations": [{"SubnetId": "subnet-db"}],
         "Routes": [local, *(db_routes or [])]},
    ]
    return FakeInv({
        "describe_route_tables": {"RouteTables": tables},
        "describe_nat_gateways": {"NatGateways": [{"NatGatewayId": "nat-1", "State": nat_state,
                                                   "SubnetId": "subnet-pub"}]},
        # the tiers are what uses the subnets: the ASG's and the DB subnet group's
        "describe_auto_scaling_groups": {"AutoScalingGroups": [
            {"AutoScalingGroupName": "asg", "VPCZoneIdentifier": "subnet-app"}]},
        "describe_db_instances": {"DBInstances": [
            {"DBInstanceIdentifier": "db", "DBSubnetGroup": {"Subnets": [{"SubnetIdentifier": "subnet-db"}]}}]},
        "describe_subnets": {"Subnets": [{"SubnetId": s} for s in ("subnet-pub", "subnet-app", "subnet-db")]},
    }, roles={"auto_scaling_group": "asg", "db_instance": "db"})


def test_private_routes_through_nat_pass():
    findings = network.private_subnets_egress_via_nat(route_inv({"NatGatewayId": "nat-1"}), EXP)
    assert set(statuses(findings)) == {"passed"}


def test_private_route_to_igw_names_table_and_subnet():
    findings = network.private_subnets_egress_via_nat(route_inv({"GatewayId": "igw-1"}), EXP)
    bad = [f for f in findings if f.status == "failed"]
    assert len(bad) == 1
    assert "rtb-app" in bad[0].message and "subnet-app" in bad[0].message
    assert "internet gateway igw-1" in bad[0].message


def test_private_route_to_deleted_nat_fails():
    inv = route_inv({"NatGatewayId": "nat-1"}, nat_state="deleted")
    bad = [f for f in network.private_subnets_egress_via_nat(inv, EXP) if f.status == "failed"]
    assert bad and "deleted" in bad[0].message


def test_db_ipv6_default_route_is_an_internet_route():
    inv = route_inv({"NatGatewayId": "nat-1"},
                    db_routes=[{"DestinationIpv6CidrBlock": "::/0", "EgressOnlyInternetGatewayId": "eigw-1"}])
    f = network.db_subnets_have_no_internet_route(inv, EXP)[0]
    assert f.status == "failed" and "::/0" in f.message and "rtb-db" in f.message


# ---- instance role policies ----------------------------------------------------------------
SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1-AbCdEf"


def role_inv(inline: dict[str, dict], attached: list[str] = ("AmazonSSMManagedInstanceCore",)) -> FakeInv:
    docs = {n: d for n, d in inline.items()}
    return FakeInv({
        "describe_launch_template_versions": {"LaunchTemplateVersions": [{"LaunchTemplateData": {
            "IamInstanceProfile": {"Arn": "arn:aws:iam::123456789012:instance-profile/prof"}}}]},
        "describe_auto_scaling_groups": {"AutoScalingGroups": []},
        "get_instance_profile": {"InstanceProfile": {"Roles": [{"RoleName": "app-role"}]}},
        "list_attached_role_policies": {"AttachedPolicies": [
            {"PolicyName": a, "PolicyArn": f"arn:aws:iam::aws:policy/{a}"} for a in attached]},
        "list_role_policies": {"PolicyNames": list(docs)},
        "get_role_policy": lambda RoleName, PolicyName: {"PolicyDocument": docs[PolicyName]},
        "get_policy": None,  # AWS-managed documents unreadable here: judged by name
        "describe_db_instances": {"DBInstances": [{"MasterUserSecret": {"SecretArn": SECRET}}]},
    }, roles={"launch_template": "lt-1", "auto_scaling_group": "asg", "db_instance": "db-1"})


def allow(action, resource) -> dict:
    return {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]}


def test_scoped_role_passes_all_role_probes():
    inv = role_inv({"ReadDbSecret": allow(["secretsmanager:GetSecretValue"], SECRET)})
    for probe in (compute.instance_role_allows_ssm, compute.instance_role_reads_db_secret,
                  compute.instance_role_least_privilege):
        assert probe(inv, EXP).status == "passed", probe(inv, EXP).message


@pytest.mark.parametrize("doc,word", [
    (allow("*", "*"), "allows action *"),
    (allow("secretsmanager:*", SECRET), "secretsmanager:*"),
    (allow("secretsmanager:GetSecretValue", "*"), "on *"),
    (allow("secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:123456789012:secret:*"),
     "secret:*"),
    ({"Statement": {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}}, "NotAction"),
])
def test_least_privilege_flags_wildcards(doc, word):
    inv = role_inv({"ReadDbSecret": allow("secretsmanager:GetSecretValue", SECRET), "Extra": doc})
    f = compute.instance_role_least_privilege(inv, EXP)
    assert f.status == "failed" and word in f.message and "Extra" in f.message


def test_least_privilege_flags_admin_policy():
    inv = role_inv({}, attached=["AmazonSSMManagedInstanceCore", "AdministratorAccess"])
    f = compute.instance_role_least_privilege(inv, EXP)
    assert f.status == "failed" and "AdministratorAccess" in f.message


def test_ssm_by_equivalent_actions_and_missing_ones():
    full = allow(["ssm:UpdateInstanceInformation", "ssmmessages:*", "ec2messages:*"], "*")
    assert compute.instance_role_allows_ssm(role_inv({"Ssm": full}, attached=[]), EXP).ok
    f = compute.instance_role_allows_ssm(role_inv({"Ssm": allow("ssm:*", "*")}, attached=[]), EXP)
    assert f.status == "failed" and "ssmmessages:CreateControlChannel" in f.message


def test_db_secret_on_another_secret_fails():
    other = SECRET.replace("db-1", "db-2")
    f = compute.instance_role_reads_db_secret(role_inv({"R": allow("secretsmanager:GetSecretValue",
                                                                  other)}), EXP)
    assert f.status == "failed" and SECRET in f.message


def test_least_privilege_flags_whole_service_wildcards():
    inv = role_inv({"ReadDbSecret": allow("secretsmanager:GetSecretValue", SECRET),
                    "Ops": allow(["ssm:*"], "*")})
    f = compute.instance_role_least_privilege(inv, EXP)
    assert f.status == "failed" and "ssm:*" in f.message
