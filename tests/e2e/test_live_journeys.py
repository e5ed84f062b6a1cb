"""Each live journey passes against a server that behaves like a healthy stack and fails,
with the right message, against servers that reproduce one symptom each (OAC 403, WAF
miss, open API, rejected token, 5xx, unreachable DB, bad certificates, slow or absent
convergence). DNS is proven with a stub resolver built from real dnspython answers."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import dns.message
import dns.name
import dns.rdatatype
import dns.resolver
import pytest
from werkzeug import Request, Response

from probes import live, path
from tests.e2e.conftest import serve

CF = {"x-amz-cf-id": "abcDEF123==", "via": "1.1 0123abcd.cloudfront.net (CloudFront)",
      "x-cache": "Miss from cloudfront"}
FAST = {"wait_seconds": 0.6, "interval": 0.05}


@pytest.fixture
def http(ca_file):
    return live.Http(verify=ca_file, timeout=(2, 5))


def counting(responses):
    """A handler answering from ``responses`` in turn (the last one repeats)."""
    calls = {"n": 0}

    def handler(request: Request) -> Response:
        i = min(calls["n"], len(responses) - 1)
        calls["n"] += 1
        return responses[i]()
    handler.calls = calls
    return handler


# ---- site -------------------------------------------------------------------------------
def test_site_served_through_cloudfront(https, http):
    https.expect_request("/").respond_with_data("<html>hi</html>", headers=CF)
    f = live.site_served(https.url_for("/"), http=http, **FAST)
    assert f.ok, f.message
    assert f.evidence["headers"]["x-amz-cf-id"] == CF["x-amz-cf-id"]


def test_site_403_points_at_oac_and_bucket_policy(https, http):
    https.expect_request("/").respond_with_data("AccessDenied", status=403, headers=CF)
    f = live.site_served(https.url_for("/"), http=http, **FAST)
    assert not f.ok
    assert "returned 403" in f.message and "OAC" in f.message
    assert path.DISTRIBUTION_SITE in f.message and "x-amz-cf-id abcDEF123==" in f.message
    assert f.next_step == "pytest -m edge" and f.evidence["status"] == 403


def test_site_without_cloudfront_headers_is_not_through_cloudfront(https, http):
    https.expect_request("/").respond_with_data("hi")
    f = live.site_served(https.url_for("/"), http=http, **FAST)
    assert not f.ok and "did not come through CloudFront" in f.message
    assert path.ALIAS_DISTRIBUTION in f.message


def test_slow_convergence_passes_within_budget(https, http):
    handler = counting([lambda: Response("deploying", 503)] * 3
                       + [lambda: Response("ok", 200, headers=CF)])
    https.expect_request("/").respond_with_handler(handler)
    f = live.site_served(https.url_for("/"), http=http, wait_seconds=5, interval=0.05)
    assert f.ok, f.message
    assert handler.calls["n"] == 4


def test_never_converging_says_not_converged_after_the_budget(https, http):
    https.expect_request("/").respond_with_data("deploying", status=503, headers=CF)
    f = live.site_served(https.url_for("/"), http=http, wait_seconds=0.5, interval=0.1)
    assert not f.ok
    assert "'GET " in f.message and "unsuccessful after" in f.message
    assert "not converged after 0.5s" in f.message
    assert "still propagating" in f.message and "HTTP 503" in f.message


def test_bucket_direct_url_refused(https, http):
    https.expect_request("/index.html").respond_with_data("AccessDenied", status=403)
    assert live.bucket_refuses_direct(https.url_for("/index.html"), http=http).ok


def test_bucket_direct_url_open_fails(https, http):
    https.expect_request("/index.html").respond_with_data("<html>", status=200)
    f = live.bucket_refuses_direct(https.url_for("/index.html"), http=http)
    assert not f.ok and "returned 200 (the object is public)" in f.message
    assert path.DISTRIBUTION_SITE in f.message


def _waf(request: Request) -> Response:
    if "OR" in request.args.get("id", ""):
        return Response("blocked", 403, headers={"x-amz-cf-id": "waf=="})
    return Response("ok", 200, headers=CF)


def test_waf_blocks_sqli(https, http):
    https.expect_request("/").respond_with_handler(_waf)
    f = live.waf_blocks_sqli(https.url_for("/"), http=http)
    assert f.ok, f.message


def test_waf_not_blocking_fails_naming_the_web_acl_hop(https, http):
    https.expect_request("/").respond_with_data("ok", headers=CF)
    f = live.waf_blocks_sqli(https.url_for("/"), http=http)
    assert not f.ok and "not blocked" in f.message
    assert path.DISTRIBUTION_WAF in f.message and f.next_step == "pytest -m waf"


# ---- API and tokens ---------------------------------------------------------------------
GOOD = "good-token-0123456789"


def _api(request: Request) -> Response:
    if request.headers.get("Authorization") != GOOD:
        return Response('{"message":"Unauthorized"}', 401,
                        headers={"x-amzn-requestid": "req-1", "x-amzn-errortype":
                                 "UnauthorizedException"})
    return Response("[]", 200, headers={"x-amzn-requestid": "req-2"})


def test_api_token_journeys_on_a_correct_api(https, http):
    https.expect_request("/api/items").respond_with_handler(_api)
    api = https.url_for("/api")
    assert live.api_rejects_anonymous(api, http=http).ok
    assert live.api_accepts_token(api, lambda: GOOD, http=http).ok
    for kind, expired in (("foreign", False), ("expired", True)):
        f = live.api_rejects_token(api, live.forged_token(expired=expired), kind, http=http)
        assert f.ok, f.message


def test_open_api_fails_naming_the_authorizer_hop(https, http):
    https.expect_request("/api/items").respond_with_data("[]", headers={"x-amzn-requestid": "r"})
    api = https.url_for("/api")
    f = live.api_rejects_anonymous(api, http=http)
    assert not f.ok and "returned 200" in f.message and path.METHOD_AUTHORIZER in f.message
    f = live.api_rejects_token(api, live.forged_token(), "foreign", http=http)
    assert not f.ok and "without a valid token" in f.message


def test_valid_token_rejected_points_at_authorizer_and_pool(https, http):
    https.expect_request("/api/items").respond_with_data("{}", status=401,
                                                         headers={"x-amzn-requestid": "req-9"})
    f = live.api_accepts_token(https.url_for("/api"), lambda: GOOD, http=http)
    assert not f.ok and "returned 401 (x-amzn-requestid req-9)" in f.message
    assert path.AUTHORIZER_POOL in f.message and "pytest -m auth" in f.message
    assert GOOD not in f.message and GOOD not in json.dumps(f.evidence)


def test_token_provider_failure_is_reported_as_such(https, http):
    def provider():
        raise RuntimeError("NotAuthorizedException: Incorrect username or password")
    f = live.api_accepts_token(https.url_for("/api"), provider, http=http)
    assert not f.ok and "could not be obtained" in f.message


def test_api_5xx_points_at_targets_vpc_link_and_security_groups(https, http):
    https.expect_request("/api/items").respond_with_data("Internal", status=500)
    f = live.api_accepts_token(https.url_for("/api"), lambda: GOOD, http=http)
    assert not f.ok and "returned 500" in f.message
    for hop in (path.VPC_LINK_NLB, path.ASG_INSTANCES, path.NLB_APP_PORT):
        assert hop in f.message


# ---- health -----------------------------------------------------------------------------
def test_health_reports_database_reachable(https, http):
    https.expect_request("/api/health").respond_with_json({"status": "ok", "database": "reachable"})
    f = live.health_reports_database(https.url_for("/api"), http=http)
    assert f.ok, f.message


def test_health_database_unreachable_points_at_the_db_path(https, http):
    https.expect_request("/api/health").respond_with_json(
        {"status": "degraded", "database": "unreachable", "error": "OperationalError"}, status=503)
    f = live.health_reports_database(https.url_for("/api"), http=http, **FAST)
    assert not f.ok and "returned 503" in f.message
    assert path.APP_DB_PORT in f.message and "pytest -m network" in f.message


def test_health_5xx_without_body_points_at_the_api_path(https, http):
    https.expect_request("/api/health").respond_with_data("Internal Server Error", status=500)
    f = live.health_reports_database(https.url_for("/api"), http=http)
    assert not f.ok and "returned 500" in f.message and path.VPC_LINK_NLB in f.message


# ---- invalidation -----------------------------------------------------------------------
class Origin:
    """A CDN in miniature: serves the cached body until an invalidation lands
    ``lag`` requests later (or never)."""

    def __init__(self, lag: int | None):
        self.bucket: dict[str, str] = {}
        self.cache: dict[str, str] = {}
        self.lag, self.pending = lag, None

    def publish(self, key: str, body: str) -> None:
        self.bucket[key] = body

    def invalidate(self, path: str) -> str:
        self.pending = [path.lstrip("/"), self.lag]
        return "I2J0I21PCUYOIK"

    def handler(self, request: Request) -> Response:
        key = request.path.lstrip("/")
        if self.pending and self.pending[0] == key and self.pending[1] is not None:
            self.pending[1] -= 1
            if self.pending[1] <= 0:
                self.cache.pop(key, None)
                self.pending = None
        if key not in self.cache:
            self.cache[key] = self.bucket[key]
        return Response(self.cache[key], 200, headers=CF)


@pytest.mark.parametrize("lag", [1, 4])
def test_invalidation_serves_new_content(https, http, lag):
    origin = Origin(lag)
    https.expect_request("/canary.txt").respond_with_handler(origin.handler)
    f = live.content_refreshed(https.url_for("/"), "canary.txt", origin.publish, origin.invalidate,
                               http=http, wait_seconds=5, interval=0.05)
    assert f.ok, f.message
    assert f.evidence["invalidation"] == "I2J0I21PCUYOIK"


def test_invalidation_never_applied_is_not_converged(https, http):
    origin = Origin(None)
    https.expect_request("/canary.txt").respond_with_handler(origin.handler)
    f = live.content_refreshed(https.url_for("/"), "canary.txt", origin.publish, origin.invalidate,
                               http=http, wait_seconds=0.5, interval=0.1)
    assert not f.ok and "not converged after" in f.message and "still old content" in f.message
    assert "invalidation" in f.message and f.next_step == "pytest -m edge"


# ---- TLS --------------------------------------------------------------------------------
def _tls(ca, ca_file, **cert_args):
    server = serve(ca, *cert_args.pop("names", ()), **cert_args)
    try:
        return live.tls_certificate("localhost", port=server.port, cafile=ca_file)
    finally:
        server.stop()


def test_tls_valid(ca, ca_file):
    f = _tls(ca, ca_file)
    assert f.ok, f.message


def test_tls_expired(ca, ca_file):
    now = datetime.now(timezone.utc)
    f = _tls(ca, ca_file, not_before=now - timedelta(days=30), not_after=now - timedelta(days=1))
    assert not f.ok and "certificate has expired" in f.message
    assert path.DISTRIBUTION_CERTIFICATE in f.message


def test_tls_mismatched_name(ca, ca_file):
    f = _tls(ca, ca_file, names=("www.other.example",))
    assert not f.ok and "Hostname mismatch" in f.message


def test_tls_near_expiry(ca, ca_file):
    f = _tls(ca, ca_file, not_after=datetime.now(timezone.utc) + timedelta(days=5, hours=1))
    assert not f.ok and "in 5 days" in f.message and "at least 30 days" in f.message


def test_tls_untrusted_ca(ca_file):
    import trustme
    f = _tls(trustme.CA(), ca_file)
    assert not f.ok and "unable to get local issuer certificate" in f.message


# ---- DNS (stub resolver, no network) ----------------------------------------------------
class StubResolver:
    """Answers from a table {name: (cname chain, addresses)} with real dnspython Answers."""

    def __init__(self, table, fail_first: int = 0):
        self.table, self.fail_first, self.calls = table, fail_first, 0

    def resolve(self, qname, rdtype="A", lifetime=None):
        self.calls += 1
        if self.calls <= self.fail_first or qname not in self.table:
            raise dns.resolver.NXDOMAIN(qnames=[dns.name.from_text(qname)])
        chain, addresses = self.table[qname]
        query = dns.message.make_query(qname, rdtype)
        text = [f"id {query.id}", "opcode QUERY", "rcode NOERROR", "flags QR RD RA",
                ";QUESTION", f"{qname}. IN A", ";ANSWER"]
        owner = qname
        for target in chain:
            text.append(f"{owner}. 60 IN CNAME {target}.")
            owner = target
        text += [f"{owner}. 60 IN A {a}" for a in addresses]
        response = dns.message.from_text("\n".join(text))
        return dns.resolver.Answer(dns.name.from_text(qname), dns.rdatatype.A, 1, response)


def test_domain_cname_to_cloudfront():
    r = StubResolver({"www.example.com": (["d111.cloudfront.net"], ["13.32.0.1"])})
    f = live.domain_resolves("www.example.com", resolver=r, **FAST)
    assert f.ok and "d111.cloudfront.net" in f.message


def test_domain_alias_shares_the_distribution_addresses():
    r = StubResolver({"example.com": ([], ["13.32.0.1", "13.32.0.2"]),
                      "d111.cloudfront.net": ([], ["13.32.0.2", "13.32.0.3"])})
    f = live.domain_resolves("example.com", resolver=r, distribution_domain="d111.cloudfront.net",
                             **FAST)
    assert f.ok, f.message


def test_domain_pointing_elsewhere_fails():
    r = StubResolver({"example.com": ([], ["192.0.2.10"]),
                      "d111.cloudfront.net": ([], ["13.32.0.2"])})
    f = live.domain_resolves("example.com", resolver=r, distribution_domain="d111.cloudfront.net",
                             **FAST)
    assert not f.ok and "192.0.2.10" in f.message and path.DOMAIN_ALIAS in f.message


def test_domain_propagating_converges_within_budget():
    r = StubResolver({"example.com": (["d111.cloudfront.net"], ["13.32.0.1"])}, fail_first=3)
    f = live.domain_resolves("example.com", resolver=r, wait_seconds=5, interval=0.01)
    assert f.ok and r.calls == 4


def test_domain_missing_is_not_converged_after_the_budget():
    f = live.domain_resolves("missing.example.com", resolver=StubResolver({}),
                             wait_seconds=0.3, interval=0.05)
    assert not f.ok and "NXDOMAIN" in f.message and "not converged after" in f.message
    assert f.next_step == "pytest -m dns"


# ---- the retry helper -------------------------------------------------------------------
def test_retry_stops_at_once_on_fatal():
    calls = []

    def attempt():
        calls.append(1)
        raise live.Fatal("broken")
    with pytest.raises(live.Fatal):
        live.retry("thing", attempt, wait_seconds=10, interval=0.01)
    assert len(calls) == 1


def test_retry_message_names_what_and_count():
    t = {"now": 0.0}

    def attempt():
        raise live.Retryable("HTTP 503")

    def sleep(s):
        t["now"] += s
    with pytest.raises(live.NotConverged) as exc:
        live.retry("GET /", attempt, wait_seconds=30, interval=10, sleep=sleep, clock=lambda: t["now"])
    assert str(exc.value) == ("'GET /' unsuccessful after 3 retries: not converged after 30s "
                              "(last: HTTP 503)")
