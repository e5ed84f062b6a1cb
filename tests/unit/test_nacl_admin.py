"""nacls_close_admin_ports on plain DescribeNetworkAcls data: which ACLs it judges and how
their rules admit SSH/RDP from anywhere (first matching rule by number, IPv6 too)."""
from __future__ import annotations

import pytest

from probes.nacl_admin import _judge, _judged
from probes.result import FAIL, PASS


def _entry(number, action, cidr="0.0.0.0/0", protocol="-1", ports=None, egress=False):
    e = {"RuleNumber": number, "RuleAction": action, "Protocol": protocol, "Egress": egress}
    e["Ipv6CidrBlock" if ":" in cidr else "CidrBlock"] = cidr
    if ports:
        e["PortRange"] = {"From": ports[0], "To": ports[1]}
    return e


def _acl(*entries, default=True, subnets=("subnet-1",)):
    return {"NetworkAclId": "acl-1", "IsDefault": default, "Entries": list(entries),
            "Associations": [{"SubnetId": s} for s in subnets]}


ALLOW_ALL = _entry(100, "allow")
DENY_ALL = _entry(32767, "deny")


@pytest.mark.parametrize("entries,status,words", [
    ((ALLOW_ALL, DENY_ALL), FAIL, ["TCP 22 (SSH) from 0.0.0.0/0 by rule 100 ALLOW", "TCP 3389 (RDP)"]),
    ((_entry(10, "deny", protocol="6", ports=(22, 22)), _entry(11, "deny", protocol="6", ports=(3389, 3389)),
      ALLOW_ALL, DENY_ALL), PASS, []),
    ((_entry(10, "deny", protocol="6", ports=(22, 22)), ALLOW_ALL), FAIL, ["TCP 3389 (RDP)"]),
    # an IPv6 allow-all admits both ports from ::/0 even when IPv4 is denied
    ((_entry(10, "deny", protocol="6", ports=(0, 65535)), ALLOW_ALL, _entry(101, "allow", "::/0")), FAIL,
     ["TCP 22 (SSH) from ::/0 by rule 101", "--ipv6-cidr-block ::/0"]),
    # an allow for the VPC only is not "from anywhere"; the * rule denies the rest
    ((_entry(100, "allow", "10.0.0.0/16"), DENY_ALL), PASS, []),
    # egress rules do not admit anything in
    ((_entry(100, "allow", egress=True), DENY_ALL), PASS, []),
])
def test_admin_ports_from_anywhere(entries, status, words):
    finding = _judge(_acl(*entries), "vpc-1")
    assert finding.status == status, finding.message
    for w in words:
        assert w in finding.message


def test_judged_acls_are_the_default_and_those_in_use():
    unused = _acl(ALLOW_ALL, default=False, subnets=())
    in_use = _acl(ALLOW_ALL, default=False)
    default_unused = _acl(ALLOW_ALL, subnets=())
    assert _judged([unused, in_use, default_unused]) == [in_use, default_unused]
    assert "default network ACL acl-1 of VPC vpc-1 (used by no subnet yet)" in _judge(default_unused, "vpc-1").resource


def test_fix_names_free_rule_numbers_below_the_admitting_rule():
    fix = _judge(_acl(_entry(99, "deny", "10.9.0.0/16"), ALLOW_ALL, DENY_ALL), "vpc-1").fix
    assert "--rule-number 98 --protocol tcp --port-range From=22,To=22" in fix
    assert "--rule-number 97 --protocol tcp --port-range From=3389,To=3389" in fix
