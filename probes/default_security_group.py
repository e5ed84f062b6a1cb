"""The default security group of every VPC of the stack lets nothing through.

AWS gives each VPC a default group that admits traffic from its own members and lets them
reach anywhere; CloudFormation cannot remove those two rules. What matters is that nothing
else is admitted and that no network interface is in the group: then no packet can pass
through it. An interface launched without a group lands in it, which is how it is misused.
"""
from __future__ import annotations

from typing import Any

from probes import graph
from probes.inventory import Inventory
from probes.nodes import label, nodes
from probes.registry import probe
from probes.result import Finding, failed, passed, skipped


def _interfaces(inv: Inventory, group_id: str) -> list[dict]:
    return inv.paginate("ec2", "describe_network_interfaces", "NetworkInterfaces",
                        Filters=[{"Name": "group-id", "Values": [group_id]}])


def _nat_interfaces(inv: Inventory, vpc_id: str) -> set[str]:
    """Interfaces of the VPC's NAT gateways: they carry no security group on AWS (moto files
    them under the default group), so they never count as members."""
    nats = inv.paginate("ec2", "describe_nat_gateways", "NatGateways",
                        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])
    return {a["NetworkInterfaceId"] for n in nats for a in n.get("NatGatewayAddresses") or []
            if a.get("NetworkInterfaceId")}


def _foreign_ingress(group: dict) -> list[str]:
    """The group's ingress rules other than AWS's self-reference, in words."""
    out = []
    for perm in group.get("IpPermissions") or []:
        proto = perm.get("IpProtocol", "-1")
        ports = "all traffic" if proto == "-1" else (
            f"{proto} {perm.get('FromPort')}" if perm.get("FromPort") == perm.get("ToPort")
            else f"{proto} {perm.get('FromPort')}-{perm.get('ToPort')}")
        sources = ([r["CidrIp"] for r in perm.get("IpRanges") or []]
                   + [r["CidrIpv6"] for r in perm.get("Ipv6Ranges") or []]
                   + [p["PrefixListId"] for p in perm.get("PrefixListIds") or []]
                   + [p["GroupId"] for p in perm.get("UserIdGroupPairs") or []
                      if p.get("GroupId") != group["GroupId"]])
        out += [f"{ports} from {s}" for s in sources]
    return out


def _judge(inv: Inventory, node: dict) -> Finding:
    what = label(inv, node, "VPC")
    groups = graph.of(inv).security_groups_in(node["id"])  # the network layer's read of the VPC
    default = next((g for g in groups if g.get("GroupName") == "default"), None)
    if default is None:
        return failed(what, "has no default security group listed", "the VPC's default group",
                      "Check that the VPC exists (aws ec2 describe-vpcs) and the reader may "
                      "describe its security groups")
    gid = default["GroupId"]
    name = f"default security group {gid} of {what}"
    extra = _foreign_ingress(default)
    nat = _nat_interfaces(inv, node["id"])
    users = [i["NetworkInterfaceId"] for i in _interfaces(inv, gid)
             if i["NetworkInterfaceId"] not in nat and i.get("InterfaceType") != "nat_gateway"]
    problems = []
    if extra:
        problems.append(f"admits {', '.join(extra)}")
    if users:
        shown = ", ".join(users[:5]) + (f" and {len(users) - 5} more" if len(users) > 5 else "")
        problems.append(f"is used by {len(users)} network interface(s) ({shown}), which it lets "
                        "reach anywhere and each other")
    if problems:
        fixes = []
        if extra:
            fixes.append(f"revoke the added rules (aws ec2 revoke-security-group-ingress --group-id {gid} "
                         "...)")
        if users:
            fixes.append("move those interfaces to the stack's own security groups (aws ec2 "
                         "modify-network-interface-attribute --groups <sg>)")
        return failed(name, "; ".join(problems),
                      "no rule beyond AWS's self-reference and no network interface in it",
                      "; ".join(fixes).capitalize(), rules_added=extra, interfaces=users)
    return passed(name, "admits nothing beyond AWS's self-reference and no network interface "
                        "uses it, so nothing passes through it")


@probe(layer="network", component="security-groups",
       title="Every VPC's default security group lets nothing through (no added rule, no "
             "interface in it)",
       severity="normal", challenge=10,
       remediation="Revoke any rule added to the VPC's default security group and move every "
                   "network interface in it to a security group of the stack",
       see_also=("ec2_securitygroup_default_restrict_traffic",))
def default_security_group_admits_nothing(inv: Inventory, exp: Any) -> list[Finding]:
    vpcs = nodes(inv, "AWS::EC2::VPC")
    if not vpcs:
        return [skipped("stack VPCs", "the stack has no VPC")]
    return inv.parallel(lambda n: _judge(inv, n), vpcs)
