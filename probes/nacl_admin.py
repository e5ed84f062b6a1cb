"""No network ACL of the stack's VPC admits the internet to the admin ports (SSH 22, RDP 3389).

Security groups already keep port 22 closed (network layer); a network ACL is the second
line, stateless and subnet-wide. Judged: every ACL a subnet of the VPC uses, and always the
VPC's default ACL, where a subnet created without an association lands. An ACL no subnet
uses filters nothing and is not judged. The rules are read as AWS applies them (by number,
first match decides, the ``*`` rule denies), through the shared evaluator, for a packet from
anywhere (0.0.0.0/0, and ::/0 when the ACL has IPv6 entries).

A deny on 3389 from anywhere also drops the rare reply whose ephemeral destination port is
3389 (a NAT gateway picks its ports in 1024-65535): the trade-off every NACL admin-port rule
makes.
"""
from __future__ import annotations

import re
from typing import Any

from probes import evaluators, reads
from probes.inventory import Inventory
from probes.registry import probe
from probes.result import Finding, failed, passed, skipped

ADMIN_PORTS = {22: "SSH", 3389: "RDP"}
ANYWHERE = ("0.0.0.0/0", "::/0")


def _judged(acls: list[dict]) -> list[dict]:
    return [a for a in acls if a.get("IsDefault") or a.get("Associations")]


def _admits(acl: dict) -> list[tuple[int, str, evaluators.NaclDecision]]:
    """(port, peer, decision) for every admin port the ACL lets in from anywhere."""
    out = []
    for port in ADMIN_PORTS:
        for peer in ANYWHERE:
            decision = evaluators.nacl_decision(acl, egress=False, port=port, cidr=peer)
            if decision.allowed:
                out.append((port, peer, decision))
    return out


def _free_number_below(rule: str, taken: set[int]) -> int | None:
    """An unused inbound rule number below the admitting rule ("rule 100 ALLOW ..."), so a
    DENY there decides first; None when there is none."""
    m = re.match(r"rule (\d+)", rule)
    if not m:
        return None
    return next((n for n in range(int(m.group(1)) - 1, 0, -1) if n not in taken), None)


def _judge(acl: dict, vpc: str) -> Finding:
    aid = acl["NetworkAclId"]
    subnets = sorted(a["SubnetId"] for a in acl.get("Associations") or [] if a.get("SubnetId"))
    used = f"used by {len(subnets)} subnet(s)" if subnets else "used by no subnet yet"
    name = f"{'default ' if acl.get('IsDefault') else ''}network ACL {aid} of VPC {vpc} ({used})"
    open_ = _admits(acl)
    if not open_:
        return passed(name, "denies TCP 22 and 3389 from anywhere (0.0.0.0/0, ::/0) before any "
                            "rule admits them", subnets=subnets)
    said = [f"TCP {port} ({ADMIN_PORTS[port]}) from {peer} by {d.rule}" for port, peer, d in open_]
    taken = {int(e.get("RuleNumber", 0)) for e in acl.get("Entries") or [] if not e.get("Egress")}
    fixes = []
    for port, peer, d in open_:
        number = _free_number_below(d.rule, taken)
        taken.add(number or 0)
        fixes.append(f"aws ec2 create-network-acl-entry --network-acl-id {aid} --ingress --rule-number "
                     f"{number or '<N below the admitting rule>'} --protocol tcp --port-range "
                     f"From={port},To={port} --{'ipv6-' if ':' in peer else ''}cidr-block {peer} "
                     "--rule-action deny")
    fix = "; ".join(fixes)
    return failed(name, f"admits {', '.join(said)}",
                  "no admin port (22, 3389) open to the internet at the subnet boundary",
                  f"Deny each ahead of the rule admitting it (or narrow that rule): {fix}",
                  admitted=[{"port": p, "peer": c, "rule": d.rule} for p, c, d in open_],
                  subnets=subnets)


@probe(concern="security", layer="network", component="nacls",
       title="No network ACL of the VPC admits SSH (22) or RDP (3389) from anywhere",
       severity="normal", challenge=5,
       remediation="Add inbound DENY entries for TCP 22 and 3389 from 0.0.0.0/0 (and ::/0) "
                   "numbered below the ACL's allow rules, on every ACL the subnets use and the "
                   "VPC's default ACL",
       see_also=("ec2_networkacl_allow_ingress_tcp_port_22",
                 "ec2_networkacl_allow_ingress_tcp_port_3389",
                 "ec2_networkacl_allow_ingress_any_port"))
def nacls_close_admin_ports(inv: Inventory, exp: Any) -> list[Finding]:
    vpc = reads.vpc_id(inv)
    acls = _judged(reads.network_acls(inv))
    if not acls:
        return [skipped(f"VPC {vpc}", "no network ACL of the VPC is listed")]
    return [_judge(a, vpc or "?") for a in acls]
