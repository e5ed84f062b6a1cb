"""Edge faults: CloudFront distribution, its S3 origin access (Challenge 1), behaviours,
logging (Challenge 10), invalidations (Challenge 4) and the site bucket."""
from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

from tests.faults import anystack as any_
from tests.faults.catalog import Fault
from tests.faults.f_dns import update_distribution, with_domain

CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"


def _behaviour(cfg: dict, pattern: str = "/api/*") -> dict:
    return next(b for b in cfg["CacheBehaviors"]["Items"] if b["PathPattern"] == pattern)


def _site_origin(cfg: dict) -> dict:
    return next(o for o in cfg["Origins"]["Items"] if "S3OriginConfig" in o
                or ".s3." in o["DomainName"])


def _set(path_fn, key: str, value: Any):
    def change(cfg: dict) -> None:
        path_fn(cfg)[key] = value
    return change


# ---- distribution ------------------------------------------------------------------------
def disable_distribution(stack: Any) -> None:
    update_distribution(stack, _set(lambda c: c, "Enabled", False))


def viewer_allow_all(stack: Any) -> None:
    update_distribution(stack, _set(lambda c: c["DefaultCacheBehavior"], "ViewerProtocolPolicy",
                                    "allow-all"))


def weak_tls(stack: Any) -> None:
    with_domain(stack)
    update_distribution(stack, _set(lambda c: c["ViewerCertificate"], "MinimumProtocolVersion",
                                    "TLSv1"))


def alias_removed(stack: Any) -> None:
    with_domain(stack)
    update_distribution(stack, _set(lambda c: c, "Aliases", {"Quantity": 0, "Items": []}))


def logging_off(stack: Any) -> None:
    update_distribution(stack, _set(lambda c: c["Logging"], "Enabled", False))


# ---- origin access (Challenge 1) --------------------------------------------------------
def origin_uses_oai(stack: Any) -> None:
    """Back to the legacy OAI: an identity is created and the origin switched to it."""
    from botocore.exceptions import ClientError

    cf = stack.client("cloudfront")
    try:
        oai_id = cf.create_cloud_front_origin_access_identity(
            CloudFrontOriginAccessIdentityConfig={"CallerReference": uuid.uuid4().hex,
                                                  "Comment": "legacy"}
        )["CloudFrontOriginAccessIdentity"]["Id"]
    except ClientError as exc:  # moto 5.2.5 has no OAI API (404): an id it will not check
        if exc.response["ResponseMetadata"]["HTTPStatusCode"] != 404:
            raise
        oai_id = "E2LEGACYOAI01"

    def change(cfg: dict) -> None:
        origin = _site_origin(cfg)
        origin["OriginAccessControlId"] = ""
        origin["S3OriginConfig"] = {"OriginAccessIdentity":
                                    f"origin-access-identity/cloudfront/{oai_id}"}
    update_distribution(stack, change)


def oac_signing_never(stack: Any) -> None:
    cf = stack.client("cloudfront")
    oac_id = stack.outputs["OriginAccessControlId"]
    cur = cf.get_origin_access_control(Id=oac_id)
    cfg = cur["OriginAccessControl"]["OriginAccessControlConfig"]
    cfg["SigningBehavior"] = "never"
    cf.update_origin_access_control(Id=oac_id, IfMatch=cur["ETag"],
                                    OriginAccessControlConfig=cfg)


def public_access_block_off(stack: Any) -> None:
    stack.client("s3").delete_public_access_block(Bucket=stack.outputs["SiteBucketName"])


def _policy(stack: Any) -> tuple[Any, str, dict]:
    s3, bucket = stack.client("s3"), stack.outputs["SiteBucketName"]
    return s3, bucket, json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])


def policy_public_read(stack: Any) -> None:
    """The classic "make it work" fix: PAB off, then s3:GetObject for everyone."""
    s3, bucket, policy = _policy(stack)
    s3.delete_public_access_block(Bucket=bucket)
    policy["Statement"].append({"Sid": "PublicRead", "Effect": "Allow", "Principal": "*",
                                "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"})
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))


def policy_any_distribution(stack: Any) -> None:
    """The CloudFront grant loses its AWS:SourceArn condition: any distribution may read."""
    s3, bucket, policy = _policy(stack)
    for st in policy["Statement"]:
        if st.get("Effect") == "Allow":
            st.pop("Condition", None)
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))


# ---- behaviours -------------------------------------------------------------------------
def api_to_site(stack: Any) -> None:
    def change(cfg: dict) -> None:
        _behaviour(cfg)["TargetOriginId"] = cfg["DefaultCacheBehavior"]["TargetOriginId"]
    update_distribution(stack, change)


def _api_cache_policy(stack: Any, name: str, ttl: int, headers: list[str], max_ttl: int | None = None) -> str:
    cf = stack.client("cloudfront")
    hc: dict[str, Any] = {"HeaderBehavior": "whitelist" if headers else "none"}
    if headers:
        hc["Headers"] = {"Quantity": len(headers), "Items": headers}
    return cf.create_cache_policy(CachePolicyConfig={
        "Name": f"{name}-{uuid.uuid4().hex[:8]}", "MinTTL": 0, "DefaultTTL": ttl,
        "MaxTTL": max_ttl if max_ttl is not None else max(ttl, 1) if headers else ttl,
        "ParametersInCacheKeyAndForwardedToOrigin": {
            "EnableAcceptEncodingGzip": True, "HeadersConfig": hc,
            "QueryStringsConfig": {"QueryStringBehavior": "all"},
            "CookiesConfig": {"CookieBehavior": "none"}}})["CachePolicy"]["Id"]


def api_cached(stack: Any) -> None:
    """Someone "speeds up" the API: a day of caching (Authorization still in the key)."""
    pid = _api_cache_policy(stack, "api-cached", 86400, ["Authorization"])
    update_distribution(stack, lambda cfg: _behaviour(cfg).__setitem__("CachePolicyId", pid))


def authorization_dropped(stack: Any) -> None:
    """A cache policy without Authorization in the key, caching allowed (MaxTTL 1): CloudFront
    strips the header; the AllViewerExceptHostHeader origin request policy would forward it
    only with caching off (TTLs all 0)."""
    pid = _api_cache_policy(stack, "api-noauth", 0, [], max_ttl=1)
    update_distribution(stack, lambda cfg: _behaviour(cfg).__setitem__("CachePolicyId", pid))


# ---- invalidations (Challenge 4) --------------------------------------------------------
def invalidation_stuck(stack: Any) -> None:
    from moto.cloudfront.models import cloudfront_backends
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.core.utils import utcnow

    did = stack.outputs["DistributionId"]
    inv_id = stack.client("cloudfront").create_invalidation(DistributionId=did, InvalidationBatch={
        "Paths": {"Quantity": 1, "Items": ["/index.html"]},
        "CallerReference": uuid.uuid4().hex})["Invalidation"]["Id"]
    for backend in cloudfront_backends[DEFAULT_ACCOUNT_ID].values():
        for item in backend.invalidations.get(did, []):
            if item.id == inv_id:
                item.status = "InProgress"
                item.create_time = utcnow() - timedelta(minutes=45)


FAULTS = [
    Fault(id="edge-distribution-disabled", also_breaks=("e2e.request_path",),
          inject=disable_distribution,
          breaks=("edge.distribution_enabled",), mentions=("disabled",)),
    Fault(id="edge-viewer-protocol-allow-all", inject=viewer_allow_all,
          breaks=("edge.viewer_https_only",), mentions=("allow-all",)),
    Fault(id="edge-tls-policy-tlsv1", inject=weak_tls, breaks=("edge.minimum_tls_policy",),
          mentions=("TLSv1",)),
    Fault(id="edge-domain-alias-removed", also_breaks=("e2e.request_path",),
          inject=alias_removed,
          breaks=("edge.certificate_matches_domain",), mentions=("aliases",)),
    Fault(id="edge-access-logging-off", inject=logging_off, breaks=("edge.access_logging",),
          challenge=10,
          mentions=("logging off",)),
    Fault(id="edge-oac-removed", also_breaks=("e2e.request_path",),
          inject=any_.on_lab_stack(any_.oac_removed), breaks=("edge.s3_origin_uses_oac",),
          challenge=1, mentions=("no Origin Access Control",)),
    Fault(id="edge-origin-uses-oai", also_breaks=("e2e.request_path",),
          inject=origin_uses_oai, breaks=("edge.s3_origin_uses_oac",),
          challenge=1, mentions=("Origin Access Identity",), via="emulator-state",
          why="moto 5.2.5 has no Origin Access Identity API (CreateCloudFrontOriginAccess"
              "Identity answers 404), so the origin is switched through update_distribution "
              "to an OAI id the emulator does not check; on an endpoint with the API a real "
              "OAI is created first"),
    Fault(id="edge-oac-signing-never", also_breaks=("e2e.request_path",),
          inject=oac_signing_never,
          breaks=("edge.s3_origin_uses_oac",), challenge=1, mentions=("SigningBehavior never",)),
    Fault(id="edge-site-public-access-block-off", inject=public_access_block_off,
          breaks=("edge.site_bucket_public_access_blocked",), challenge=1,
          mentions=("public access block",)),
    Fault(id="edge-site-policy-public-read", inject=policy_public_read,
          breaks=("edge.site_bucket_policy_cloudfront_only",), challenge=1,
          mentions=("PublicRead",)),
    Fault(id="edge-site-policy-any-distribution", also_breaks=("e2e.request_path",),
          inject=policy_any_distribution,
          breaks=("edge.site_bucket_policy_cloudfront_only",), challenge=1,
          mentions=("AWS:SourceArn",)),
    Fault(id="edge-api-behaviour-to-site", also_breaks=("e2e.request_path",),
          inject=api_to_site,
          breaks=("edge.behaviours_route_to_origins",), mentions=("/api/*",)),
    Fault(id="edge-api-cached", inject=api_cached, breaks=("edge.api_not_cached",),
          mentions=("86400",)),
    Fault(id="edge-api-authorization-not-forwarded", inject=authorization_dropped,
          breaks=("edge.api_forwards_authorization",), mentions=("Authorization",)),
    Fault(id="edge-invalidation-stuck", inject=invalidation_stuck,
          breaks=("edge.no_stuck_invalidations",), challenge=4, mentions=("InProgress",),
          via="emulator-state",
          why="moto completes every invalidation at once and no API can hold one in "
              "progress; the created invalidation is set InProgress, 45 minutes old, in "
              "moto's CloudFront backend"),
]
