# ruff: noqa: F811  (pytest fixtures imported from _support, so the tests also run with --noconftest)
"""Ordinary templates of this architecture (tests/emulator/templates/) deploy and delete.

Each layer failed on the emulator before: ``Fn::Select`` with a ``Fn::FindInMap`` index
(HTTP 500 inside the subnet), an ALB's ``CanonicalHostedZoneID`` in an output (the stack
showed no outputs at all), ``Fn::GetAZs ''`` and ``Fn::Cidr``."""
from __future__ import annotations

from pathlib import Path

from tests.emulator._support import Stack, aws, create, emu, unique  # noqa: F401

TEMPLATES = Path(__file__).parent / "templates"


def _body(name: str) -> str:
    return (TEMPLATES / f"{name}.yaml").read_text()


def test_architecture_templates_deploy_and_delete(aws):
    ec2, elbv2 = aws("ec2"), aws("elbv2")
    stacks: list[Stack] = []
    net = create(aws, _body("network"), {"VpcCIDR": "10.61.0.0/16"}, name=unique("net"))
    stacks.append(net)
    out = net.outputs
    assert out["NatCount"] == "1"
    subnets = ec2.describe_subnets(SubnetIds=out["PublicSubnets"].split(",") + out["PrivateSubnets"].split(","))
    assert sorted(s["CidrBlock"] for s in subnets["Subnets"]) == [f"10.61.{i}.0/24" for i in range(4)]
    assert sorted({s["AvailabilityZone"] for s in subnets["Subnets"]}) == ["us-east-1a", "us-east-1b"]
    no_nat = create(aws, _body("network"), {"VpcCIDR": "10.62.0.0/16", "CreateNat": "false"}, name=unique("net"))
    stacks.append(no_nat)
    assert no_nat.outputs["NatCount"] == "0"

    web = create(aws, _body("web_tier"), {"NetworkStack": net.name})
    stacks.append(web)
    assert web.outputs["AlbZone"] == "Z35SXDOTRQ7X7K" and web.outputs["Url"].startswith("http://")
    group = ec2.describe_security_groups(GroupIds=[web.physical("AppSg")])["SecurityGroups"][0]
    assert group["VpcId"] == out["VPC"]

    db = create(aws, _body("database"), {"VpcId": out["VPC"], "Subnets": out["PrivateSubnets"],
                                         "AppSecurityGroup": web.physical("AppSg"), "MultiAZ": "true"})
    stacks.append(db)
    assert db.outputs["Port"] == "5432" and ":secret:" in db.outputs["Secret"]

    stacks.append(create(aws, _body("edge")))
    nlb = elbv2.create_load_balancer(Name=unique("nlb")[:32], Type="network", Scheme="internal",
                                     Subnets=out["PrivateSubnets"].split(","))["LoadBalancers"][0]
    api = create(aws, _body("api_auth"), {"NlbArn": nlb["LoadBalancerArn"], "NlbDns": nlb["DNSName"]})
    stacks.append(api)
    assert api.outputs["Url"].endswith(".execute-api.us-east-1.amazonaws.com/prod")
    stacks.append(create(aws, _body("audit")))
    for stack in reversed(stacks):
        stack.delete()
    elbv2.delete_load_balancer(LoadBalancerArn=nlb["LoadBalancerArn"])
