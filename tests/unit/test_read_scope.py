"""Reads go where the resource lives and stay as small as the stack: an ACM certificate and
a REGIONAL web ACL's logging are read in the region their ARN names (not always in
us-east-1), and log groups by name or prefix, never the whole region's list."""
from __future__ import annotations

from typing import Any

from probes import reads
from probes import stack as stack_probes
from probes import waf as waf_probes


class _Inv:
    """Records each read: (service, operation, region, params); answers from ``answers``."""

    def __init__(self, answers: dict[str, Any] | None = None, region: str = "eu-west-1"):
        self.answers = answers or {}
        self.reads: list[tuple[str, str, str | None, dict]] = []
        self.session = type("S", (), {"region": region})()

    def call(self, service: str, operation: str, *, region: str | None = None,
             missing_ok: bool = False, **params: Any) -> Any:
        self.reads.append((service, operation, region, params))
        return self.answers.get(operation)

    def paginate(self, service: str, operation: str, result_key: str, *, region: str | None = None,
                 missing_ok: bool = False, **params: Any) -> list:
        self.reads.append((service, operation, region, params))
        return self.answers.get(operation, [])


def test_a_certificate_is_checked_in_the_region_of_its_arn():
    arn = "arn:aws:acm:eu-west-1:123456789012:certificate/abc"
    inv = _Inv({"describe_certificate": {"Certificate": {"CertificateArn": arn}}})
    assert stack_probes.EXISTS["AWS::CertificateManager::Certificate"](inv, arn, {}) is True
    assert inv.reads == [("acm", "describe_certificate", "eu-west-1", {"CertificateArn": arn})]


def test_a_regional_web_acls_logging_is_read_in_its_region():
    arn = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/api/1111"
    inv = _Inv()
    assert waf_probes._logging_configuration(inv, arn) is None
    assert inv.reads == [("wafv2", "get_logging_configuration", "eu-west-1", {"ResourceArn": arn})]
    cloudfront = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/site/2222"
    waf_probes._logging_configuration(inv, cloudfront)
    assert inv.reads[-1][2] == "us-east-1"


def test_a_log_group_is_read_by_its_name_not_with_the_whole_region():
    group = {"logGroupName": "/aws/waf/x", "retentionInDays": 30}
    inv = _Inv({"describe_log_groups": [group, {"logGroupName": "/aws/waf/x-other"}]})
    assert reads.log_group(inv, "/aws/waf/x") == group
    assert inv.reads == [("logs", "describe_log_groups", None, {"logGroupNamePrefix": "/aws/waf/x"})]
