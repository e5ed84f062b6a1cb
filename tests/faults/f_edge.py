"""Edge faults: CloudFront distribution, its S3 origin access (Challenge 1), behaviours,
logging (Challenge 10), invalidations (Challenge 4) and the site bucket."""
from __future__ import annotations

from typing import Any

from tests.faults import anystack as any_
from tests.faults.catalog import Fault
from tests.faults.f_dns import with_domain


def _with_domain(inject):
    """``inject`` on the bundled stack deployed with a domain (aliases and a certificate)."""
    def run(stack: Any) -> None:
        with_domain(stack)
        any_.on_lab_stack(inject)(stack)
    run.__name__ = inject.__name__
    return run


# tests/e2e/test_trace.py injects it in the catalog's form
authorization_dropped = any_.on_lab_stack(any_.authorization_dropped)


FAULTS = [
    Fault(id="edge-distribution-disabled", also_breaks=("e2e.request_path",),
          inject=any_.on_lab_stack(any_.distribution_disabled),
          breaks=("edge.distribution_enabled",), mentions=("disabled",)),
    Fault(id="edge-viewer-protocol-allow-all", inject=any_.on_lab_stack(any_.viewer_allow_all),
          breaks=("edge.viewer_https_only",), mentions=("allow-all",)),
    Fault(id="edge-tls-policy-tlsv1", inject=_with_domain(any_.tls_v1), breaks=("edge.minimum_tls_policy",),
          mentions=("TLSv1",)),
    Fault(id="edge-domain-alias-removed", also_breaks=("e2e.request_path",),
          inject=_with_domain(any_.alias_removed),
          breaks=("edge.certificate_matches_domain",), mentions=("aliases",)),
    Fault(id="edge-access-logging-off", inject=any_.on_lab_stack(any_.logging_off), breaks=("edge.access_logging",),
          challenge=10,
          mentions=("logging off",)),
    Fault(id="edge-oac-removed", also_breaks=("e2e.request_path",),
          inject=any_.on_lab_stack(any_.oac_removed), breaks=("edge.s3_origin_uses_oac",),
          challenge=1, mentions=("no Origin Access Control",)),
    Fault(id="edge-origin-uses-oai", also_breaks=("e2e.request_path",),
          inject=any_.on_lab_stack(any_.origin_uses_oai), breaks=("edge.s3_origin_uses_oac",),
          challenge=1, mentions=("Origin Access Identity",), via="emulator-state",
          why="moto 5.2.5 has no Origin Access Identity API (CreateCloudFrontOriginAccess"
              "Identity answers 404), so the origin is switched through update_distribution "
              "to an OAI id the emulator does not check; on an endpoint with the API a real "
              "OAI is created first"),
    Fault(id="edge-oac-signing-never", also_breaks=("e2e.request_path",),
          inject=any_.on_lab_stack(any_.oac_signing_never),
          breaks=("edge.s3_origin_uses_oac",), challenge=1, mentions=("SigningBehavior never",)),
    Fault(id="edge-site-public-access-block-off", inject=any_.on_lab_stack(any_.site_public_access_block_off),
          breaks=("edge.site_bucket_public_access_blocked",), challenge=1,
          mentions=("public access block",)),
    Fault(id="edge-site-policy-public-read", inject=any_.on_lab_stack(any_.site_bucket_public),
          breaks=("edge.site_bucket_policy_cloudfront_only",), challenge=1,
          mentions=("PublicRead",)),
    Fault(id="edge-site-policy-any-distribution", also_breaks=("e2e.request_path",),
          inject=any_.on_lab_stack(any_.site_policy_any_distribution),
          breaks=("edge.site_bucket_policy_cloudfront_only",), challenge=1,
          mentions=("AWS:SourceArn",)),
    Fault(id="edge-api-behaviour-to-site", also_breaks=("e2e.request_path",),
          inject=any_.on_lab_stack(any_.api_to_site),
          breaks=("edge.behaviours_route_to_origins",), mentions=("/api/*",)),
    Fault(id="edge-api-cached", inject=any_.on_lab_stack(any_.api_cached), breaks=("edge.api_not_cached",),
          mentions=("86400",)),
    Fault(id="edge-api-authorization-not-forwarded", inject=authorization_dropped,
          breaks=("edge.api_forwards_authorization",), mentions=("Authorization",)),
    Fault(id="edge-invalidation-stuck", inject=any_.on_lab_stack(any_.invalidation_stuck),
          breaks=("edge.no_stuck_invalidations",), challenge=4, mentions=("InProgress",),
          via="emulator-state",
          why="moto completes every invalidation at once and no API can hold one in "
              "progress; the created invalidation is set InProgress, 45 minutes old, in "
              "moto's CloudFront backend"),
]
