"""Unit tests of the dns / edge / waf probe logic on canned AWS responses (no emulator):
the parts whose real-AWS shapes the emulator does not produce (wildcard certificates,
legacy forwarded values, OAI strings, stuck invalidations, WAF's missing-logging error)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from botocore.exceptions import ClientError

from probes import dns, edge, registry, waf
from probes.expectations import build
from tests.unit.fakes import FakeInventory

DIST_ARN = "arn:aws:cloudfront::123456789012:distribution/E1"
ACL_ARN = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/acl/abc"
CERT_ARN = "arn:aws:acm:us-east-1:123456789012:certificate/c1"


OUTPUT_ROLES = {"DistributionId": "distribution", "SiteBucketName": "site_bucket",
                "WebAclArn": "web_acl", "CertificateArn": "certificate", "LogBucketName": "log_bucket",
                "HostedZoneIdOut": "hosted_zone"}


class FakeInv(FakeInventory):
    """The shared fake, its roles named by our template's output keys (``_outputs``)."""

    def __init__(self, responses: dict[Any, Any], outputs: dict[str, str] | None = None,
                 parameters: dict[str, str] | None = None):
        super().__init__(responses, parameters=parameters, outputs=outputs)

    @property
    def explicit(self) -> dict[str, str]:
        return {role: self._outputs[out] for out, role in OUTPUT_ROLES.items() if out in self._outputs}

    @explicit.setter
    def explicit(self, value: dict[str, str]) -> None:
        pass


def distribution(**over: Any) -> dict:
    cfg = {
        "Enabled": True,
        "Aliases": {"Quantity": 1, "Items": ["www.example.com"]},
        "Origins": {"Quantity": 2, "Items": [
            {"Id": "SiteOrigin", "DomainName": "site.s3.us-east-1.amazonaws.com",
             "OriginAccessControlId": "OAC1", "S3OriginConfig": {"OriginAccessIdentity": ""}},
            {"Id": "ApiOrigin", "DomainName": "api1.execute-api.us-east-1.amazonaws.com",
             "CustomOriginConfig": {"OriginProtocolPolicy": "https-only"}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "SiteOrigin",
                                 "ViewerProtocolPolicy": "redirect-to-https"},
        "CacheBehaviors": {"Quantity": 1, "Items": [
            {"PathPattern": "/api/*", "TargetOriginId": "ApiOrigin",
             "ViewerProtocolPolicy": "https-only", "CachePolicyId": "CP1"}]},
        "Logging": {"Enabled": True, "Bucket": "logs.s3.amazonaws.com", "Prefix": "cf/"},
        "ViewerCertificate": {"ACMCertificateArn": CERT_ARN, "SSLSupportMethod": "sni-only",
                              "MinimumProtocolVersion": "TLSv1.2_2021"},
        "WebACLId": ACL_ARN,
    }
    cfg.update(over)
    return {"Distribution": {"Id": "E1", "ARN": DIST_ARN, "Status": "Deployed",
                             "DomainName": "d1.cloudfront.net", "DistributionConfig": cfg}}


def good_policy() -> dict:
    return {"Statement": [{
        "Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject", "Resource": "arn:aws:s3:::site/*",
        "Condition": {"StringEquals": {"AWS:SourceArn": DIST_ARN}}}]}


def inv(**over: Any) -> FakeInv:
    responses = {
        "get_distribution": distribution(),
        "describe_certificate": {"Certificate": {
            "DomainName": "example.com", "SubjectAlternativeNames": ["example.com", "*.example.com"],
            "Status": "ISSUED", "NotAfter": datetime.now(timezone.utc) + timedelta(days=200)}},
        "get_bucket_policy": {"Policy": json.dumps(good_policy())},
        ("get_cache_policy", "CP1"): {"CachePolicy": {"CachePolicyConfig": {
            "Name": "api", "MinTTL": 0, "DefaultTTL": 0, "MaxTTL": 1,
            "ParametersInCacheKeyAndForwardedToOrigin": {"HeadersConfig": {
                "HeaderBehavior": "whitelist",
                "Headers": {"Quantity": 1, "Items": ["Authorization"]}}}}}},
        "list_invalidations": {"InvalidationList": {"Items": []}},
    }
    responses.update(over)
    return FakeInv(responses, outputs={"DistributionId": "E1", "SiteBucketName": "site",
                                       "RestApiId": "api1", "CertificateArn": CERT_ARN},
                   parameters={"DomainName": "www.example.com", "HostedZoneId": "Z1"})


EXP = build({})


def status(probe_fn, fake: FakeInv, exp=EXP) -> tuple[str, str]:
    outcome = registry.run(probe_fn.spec.id, fake, exp)
    return outcome.status, outcome.summary()


@pytest.mark.parametrize("name,cert_names,ok", [
    ("www.example.com", ["*.example.com"], True),
    ("a.b.example.com", ["*.example.com"], False),
    ("example.com", ["*.example.com"], False),
    ("WWW.Example.com.", ["www.example.com"], True),
])
def test_wildcard_covers_one_label(name, cert_names, ok):
    assert dns.covers(name, cert_names) is ok


def test_healthy_canned_distribution_passes_edge_probes():
    fake = inv()
    for fn in (edge.distribution_enabled, edge.viewer_https_only, edge.minimum_tls_policy,
               edge.certificate_matches_domain, edge.site_bucket_policy_cloudfront_only,
               edge.behaviours_route_to_origins, edge.api_forwards_authorization,
               edge.api_not_cached, edge.no_stuck_invalidations):
        assert status(fn, fake)[0] == "passed", status(fn, fake)


def test_oai_string_fails_oac_probe():
    d = distribution()
    d["Distribution"]["DistributionConfig"]["Origins"]["Items"][0].update(
        OriginAccessControlId="", S3OriginConfig={
            "OriginAccessIdentity": "origin-access-identity/cloudfront/E2OAI"})
    st, text = status(edge.s3_origin_uses_oac, inv(get_distribution=d))
    assert st == "failed" and "Origin Access Identity origin-access-identity/cloudfront/E2OAI" in text


@pytest.mark.parametrize("statement,needle", [
    ({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}, "principal"),
    ({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:*"}, "principal"),
    ({"Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"},
      "Action": "s3:GetObject"}, "no AWS:SourceArn"),
    ({"Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"},
      "Action": ["s3:GetObject", "s3:PutObject"],
      "Condition": {"StringEquals": {"AWS:SourceArn": DIST_ARN}}}, "PutObject"),
])
def test_bucket_policy_extra_grants_fail(statement, needle):
    policy = good_policy()
    policy["Statement"].append(statement)
    st, text = status(edge.site_bucket_policy_cloudfront_only,
                      inv(get_bucket_policy={"Policy": json.dumps(policy)}))
    assert st == "failed" and needle in text, text


def test_deny_statements_are_fine():
    policy = good_policy()
    policy["Statement"].append({"Effect": "Deny", "Principal": "*", "Action": "s3:*",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}}})
    assert status(edge.site_bucket_policy_cloudfront_only,
                  inv(get_bucket_policy={"Policy": json.dumps(policy)}))[0] == "passed"


def test_legacy_forwarded_values_count_as_forwarding():
    d = distribution()
    b = d["Distribution"]["DistributionConfig"]["CacheBehaviors"]["Items"][0]
    b.pop("CachePolicyId")
    b.update(ForwardedValues={"Headers": {"Quantity": 1, "Items": ["Authorization"]}},
             MinTTL=0, DefaultTTL=0, MaxTTL=0)
    fake = inv(get_distribution=d)
    assert status(edge.api_forwards_authorization, fake)[0] == "passed"
    assert status(edge.api_not_cached, fake)[0] == "passed"


ALL_VIEWER = "216adef6-5c7f-47e4-b989-5492eafa07d3"
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"


def _api_behaviour_with(**policies: str) -> FakeInv:
    d = distribution()
    b = d["Distribution"]["DistributionConfig"]["CacheBehaviors"]["Items"][0]
    b.update(policies)
    return inv(get_distribution=d)


@pytest.mark.parametrize("orp", [ALL_VIEWER, ALL_VIEWER_EXCEPT_HOST])
def test_caching_disabled_with_an_all_viewer_origin_request_policy_forwards_authorization(orp):
    """AWS: with the managed CachingDisabled policy, AllViewer and AllViewerExceptHostHeader
    send the Authorization header to the origin (managed policies known by their ids)."""
    fake = _api_behaviour_with(CachePolicyId=edge.CACHING_DISABLED, OriginRequestPolicyId=orp)
    st, text = status(edge.api_forwards_authorization, fake)
    assert st == "passed" and "caching off" in text, text
    assert status(edge.api_not_cached, fake)[0] == "passed"


def test_all_viewer_headers_with_caching_on_do_not_carry_authorization():
    fake = _api_behaviour_with(CachePolicyId=CACHING_OPTIMIZED, OriginRequestPolicyId=ALL_VIEWER)
    st, text = status(edge.api_forwards_authorization, fake)
    assert st == "failed" and "caching is on, so CloudFront strips Authorization" in text, text


def test_legacy_forwarding_of_every_header_carries_authorization():
    d = distribution()
    b = d["Distribution"]["DistributionConfig"]["CacheBehaviors"]["Items"][0]
    b.pop("CachePolicyId")
    b.update(ForwardedValues={"Headers": {"Quantity": 1, "Items": ["*"]}})
    assert status(edge.api_forwards_authorization, inv(get_distribution=d))[0] == "passed"


def test_the_trace_judges_forwarding_with_the_edge_evaluator():
    """One question, one answer: the request-path hop and the edge probe cannot disagree."""
    from probes.trace import edge as edge_hops
    fake = _api_behaviour_with(CachePolicyId=edge.CACHING_DISABLED, OriginRequestPolicyId=ALL_VIEWER)
    behaviour = fake.responses["get_distribution"]["Distribution"]["DistributionConfig"][
        "CacheBehaviors"]["Items"][0]
    assert edge.forwards_authorization(fake, behaviour)[0] is True
    assert edge_hops.edge.forwards_authorization is edge.forwards_authorization
    assert not hasattr(edge_hops, "_forwarded_headers")


def test_weak_tls_policy_fails_and_default_certificate_is_skipped():
    d = distribution()
    d["Distribution"]["DistributionConfig"]["ViewerCertificate"]["MinimumProtocolVersion"] = "TLSv1"
    assert status(edge.minimum_tls_policy, inv(get_distribution=d))[0] == "failed"
    d["Distribution"]["DistributionConfig"]["ViewerCertificate"] = {
        "CloudFrontDefaultCertificate": True}
    assert status(edge.minimum_tls_policy, inv(get_distribution=d))[0] == "skipped"


def test_stuck_invalidation_names_id_and_paths():
    old = datetime.now(timezone.utc) - timedelta(minutes=40)
    fake = inv(list_invalidations={"InvalidationList": {"Items": [
                   {"Id": "I1", "Status": "InProgress", "CreateTime": old},
                   {"Id": "I2", "Status": "InProgress", "CreateTime": datetime.now(timezone.utc)},
                   {"Id": "I3", "Status": "Completed", "CreateTime": old}]}},
               get_invalidation={"Invalidation": {"InvalidationBatch": {
                   "Paths": {"Items": ["/index.html"]}}}})
    st, text = status(edge.no_stuck_invalidations, fake)
    assert st == "failed" and "I1 (InProgress for 40 min" in text and "I2" not in text


def test_expiring_and_wrong_region_certificate_fail():
    cert = {"Certificate": {"DomainName": "www.example.com", "Status": "ISSUED",
                            "NotAfter": datetime.now(timezone.utc) + timedelta(days=5)}}
    st, text = status(dns.certificate_valid, inv(describe_certificate=cert))
    assert st == "failed" and "expires in" in text
    fake = inv(describe_certificate=cert)
    fake._outputs["CertificateArn"] = CERT_ARN.replace("us-east-1", "eu-west-1")
    assert "CloudFront only uses certificates in us-east-1" in status(dns.certificate_valid, fake)[1]


def test_dns_probes_skip_without_domain():
    fake = inv()
    fake.parameters = {}
    for fn in (dns.hosted_zone_exists, dns.alias_records, dns.certificate_valid,
               dns.certificate_on_distribution):
        st, text = status(fn, fake)
        assert st == "skipped" and "no domain configured" in text


def test_waf_missing_logging_error_is_a_failure_not_an_error():
    err = ClientError({"Error": {"Code": "WAFNonexistentItemException", "Message": "x"}},
                      "GetLoggingConfiguration")
    fake = inv(get_logging_configuration=err, get_web_acl={"WebACL": {
        "Name": "acl", "ARN": ACL_ARN, "Rules": [], "DefaultAction": {"Allow": {}}}})
    fake._outputs["WebAclArn"] = ACL_ARN
    st, text = status(waf.logging_enabled, fake)
    assert st == "failed" and "no logging configuration" in text
