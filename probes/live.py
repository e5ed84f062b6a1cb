"""Live journeys: what a viewer actually gets, over HTTP, DNS and TLS, with bounded retries.

The configuration probes say whether the stack *should* work; these say whether it
*does*. Each journey returns a :class:`~probes.result.Finding`; a failing one links the
symptom to its likely configuration cause (403 -> OAC / bucket policy / WAF; 401 ->
authorizer / pool / client; 5xx -> targets / VPC link / security groups) by naming the
request-path hop and the layer suite to look at, with the request ids as evidence.

Retries: one helper, :func:`retry`, with a description and a fatal/retryable split. A
retryable miss (5xx while a distribution deploys, NXDOMAIN while a record propagates, an
invalidation in progress) is tried again until ``wait_seconds``; it then reports
"not converged after Ns", which is not the same thing as "broken" (a fatal miss, reported
at once). Every HTTP call has a timeout. No AWS client is created here: writes the
invalidation journey needs are passed in as callables.
"""
from __future__ import annotations

import socket
import ssl
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, TypeVar
from urllib.parse import urljoin, urlsplit

import requests

from probes import path
from probes.redact import redact, register_secret
from probes.result import Finding, failed, passed

T = TypeVar("T")
TIMEOUT = (5, 15)  # (connect, read) seconds for every HTTP call
DEFAULT_INTERVAL = 5.0
SQLI_QUERY = "id=1%27%20OR%20%271%27%3D%271%27%20--%20"  # id=1' OR '1'='1' --
REQUEST_ID_HEADERS = ("x-amz-cf-id", "x-amz-cf-pop", "x-cache", "via", "x-amzn-requestid",
                      "x-amz-apigw-id", "x-amzn-errortype", "x-amz-request-id", "x-amz-id-2",
                      "server", "age", "content-type")


# ---- retries ----------------------------------------------------------------------------
class Fatal(Exception):
    """Broken: retrying cannot help."""


class Retryable(Exception):
    """Not there yet: may converge (propagation, deployment, invalidation in progress)."""


class NotConverged(Exception):
    """A retryable condition outlasted the wait budget."""

    def __init__(self, what: str, retries: int, waited: float, last: str):
        self.what, self.retries, self.waited, self.last = what, retries, waited, last
        super().__init__(f"'{what}' unsuccessful after {retries} retries: not converged after "
                         f"{_secs(waited)} (last: {last})")


def _secs(seconds: float) -> str:
    return f"{seconds:.0f}s" if seconds >= 10 or seconds == int(seconds) else f"{seconds:.1f}s"


def retry(what: str, attempt: Callable[[], T], *, wait_seconds: float,
          interval: float = DEFAULT_INTERVAL, sleep: Callable[[float], None] = time.sleep,
          clock: Callable[[], float] = time.monotonic) -> T:
    """Call ``attempt`` until it returns; :class:`Retryable` is retried until ``wait_seconds``
    have passed (then :class:`NotConverged`), anything else (:class:`Fatal`) stops at once."""
    start = clock()
    retries = 0
    while True:
        try:
            return attempt()
        except Retryable as exc:
            waited = clock() - start
            if waited + interval > wait_seconds:
                raise NotConverged(what, retries, max(waited, wait_seconds), str(exc)) from None
            retries += 1
            sleep(interval)


# ---- causes -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Cause:
    symptom: str
    hops: tuple[str, ...]
    layers: tuple[str, ...]

    def hint(self) -> str:
        where = ", ".join(f"'{h}'" for h in self.hops)
        return (f"{self.symptom}: look at request-path hop(s) {where} (pytest -m e2e) and "
                f"{', '.join(f'pytest -m {x}' for x in self.layers)}")


SITE_403 = Cause("403 from the site usually means OAC / bucket policy (or a WAF rule)",
                 (path.DISTRIBUTION_SITE, path.DISTRIBUTION_WAF), ("edge", "waf"))
BUCKET_OPEN = Cause("the bucket serves objects without CloudFront: OAC can be bypassed",
                    (path.DISTRIBUTION_SITE,), ("edge",))
WAF_MISS = Cause("the WAF let an attack through: web ACL not associated or rules in Count",
                 (path.DISTRIBUTION_WAF,), ("waf",))
API_401 = Cause("401 with a valid token means authorizer / user pool / app client mismatch",
                (path.METHOD_AUTHORIZER, path.AUTHORIZER_POOL), ("api", "auth"))
API_OPEN = Cause("the API answers without a valid token: method authorization is NONE or "
                 "the authorizer is not on the method", (path.METHOD_AUTHORIZER,), ("api", "auth"))
API_5XX = Cause("5xx from the API means unhealthy targets, a broken VPC link or a closed "
                "security-group path", (path.VPC_LINK_NLB, path.ASG_INSTANCES, path.NLB_APP_PORT),
                ("compute", "network", "api"))
SITE_5XX = Cause("5xx from the site means the distribution is still deploying or its origin "
                 "is failing", (path.VIEWER_DISTRIBUTION, path.DISTRIBUTION_SITE), ("edge",))
DB_DOWN = Cause("the app cannot reach the database", (path.APP_DB_PORT, path.DB_INSTANCE,
                                                     path.DB_SECRET), ("network", "database"))
NOT_FOUND = Cause("404 means a missing behaviour, origin path or stage/resource",
                  (path.DISTRIBUTION_API, path.API_STAGE, path.STAGE_METHOD), ("edge", "api"))
NOT_CLOUDFRONT = Cause("the response did not come through CloudFront", (path.ALIAS_DISTRIBUTION,
                                                                        path.VIEWER_DISTRIBUTION),
                       ("dns", "edge"))
DNS_CAUSE = Cause("the domain does not lead to CloudFront", (path.DOMAIN_ALIAS,
                                                             path.ALIAS_DISTRIBUTION), ("dns",))
TLS_CAUSE = Cause("the certificate is wrong for the viewer", (path.DISTRIBUTION_CERTIFICATE,),
                  ("dns",))
STALE = Cause("the old object is still served: the invalidation is missing, still in progress, "
              "or the cache key ignores the change", (path.DISTRIBUTION_SITE,), ("edge",))


def cause_for(status: int, *, api: bool = False) -> Cause:
    if status == 401:
        return API_401
    if status == 403:
        return SITE_403 if not api else Cause(
            "403 from the API means a WAF rule or an authorizer rejection (a missing token "
            "gives 401)", (path.DISTRIBUTION_WAF, path.METHOD_AUTHORIZER), ("waf", "api"))
    if status == 404:
        return NOT_FOUND
    if status >= 500:
        return API_5XX
    return NOT_CLOUDFRONT


# ---- HTTP -------------------------------------------------------------------------------
@dataclass
class Http:
    """What every HTTP call shares: a session, certificate verification, timeouts."""
    session: requests.Session | None = None
    verify: bool | str = True
    timeout: tuple[float, float] = TIMEOUT

    def get(self, url: str, headers: dict[str, str] | None = None) -> requests.Response:
        s = self.session or requests
        return s.get(url, headers=headers or {}, verify=self.verify, timeout=self.timeout,
                     allow_redirects=False)


def evidence(resp: requests.Response | None, url: str, **extra: Any) -> dict[str, Any]:
    """Status, request ids and a short body: what support or a colleague needs to follow up."""
    ev: dict[str, Any] = {"url": url, **extra}
    if resp is not None:
        ev["status"] = resp.status_code
        ev["headers"] = {k: v for k, v in resp.headers.items() if k.lower() in REQUEST_ID_HEADERS}
        ev["body"] = resp.text[:300]
    return redact(ev)


def _get(http: Http, url: str, headers: dict[str, str] | None = None,
         retry_on: tuple[int, ...] = (502, 503, 504)) -> requests.Response:
    """One GET: connection problems and ``retry_on`` statuses are retryable, the rest returns."""
    try:
        resp = http.get(url, headers)
    except requests.exceptions.SSLError as exc:
        raise Fatal(f"TLS failed for {url}: {exc}") from None
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise Retryable(f"{type(exc).__name__} for {url}") from None
    if resp.status_code in retry_on:
        raise _RetryableResponse(resp)
    return resp


class _RetryableResponse(Retryable):
    def __init__(self, resp: requests.Response):
        super().__init__(f"HTTP {resp.status_code} from {resp.url}")
        self.resp = resp


def _fetch(what: str, http: Http, url: str, *, wait_seconds: float, interval: float,
           headers: dict[str, str] | None = None, sleep: Callable[[float], None] = time.sleep,
           last: list | None = None) -> requests.Response:
    """GET with convergence retries; keeps the last retryable response in ``last``."""
    def attempt() -> requests.Response:
        try:
            return _get(http, url, headers)
        except _RetryableResponse as exc:
            if last is not None:
                last[:] = [exc.resp]
            raise
    return retry(what, attempt, wait_seconds=wait_seconds, interval=interval, sleep=sleep)


def _journey_failure(resource: str, exc: Exception, expected: str, cause: Cause, url: str,
                     last: list | None = None) -> Finding:
    resp = (last or [None])[0]
    if isinstance(exc, NotConverged) and exc.retries == 0 and resp is not None:
        return _status_failure(resource, resp, expected, cause, url)  # no budget to wait in
    if isinstance(exc, NotConverged):
        observed = (f"did not converge: {exc} — still propagating (a fresh distribution, "
                    "DNS change or invalidation), or broken")
    else:
        observed = f"failed: {exc}"
    f = failed(resource, observed, expected, cause.hint(), **evidence(resp, url))
    f.next_step = f"pytest -m {cause.layers[0]}"
    return f


def _status_failure(resource: str, resp: requests.Response, expected: str, cause: Cause,
                    url: str) -> Finding:
    f = failed(resource, f"returned {resp.status_code}{_ids(resp)}", expected, cause.hint(),
               **evidence(resp, url))
    f.next_step = f"pytest -m {cause.layers[0]}"
    return f


def _ids(resp: requests.Response) -> str:
    ids = [f"{h} {resp.headers[h]}" for h in ("x-amz-cf-id", "x-amzn-requestid")
           if h in resp.headers]
    return f" ({', '.join(ids)})" if ids else ""


def _via_cloudfront(resp: requests.Response) -> bool:
    return "x-amz-cf-id" in resp.headers and "cloudfront" in resp.headers.get("via", "").lower()


def _url(base: str, path: str) -> str:
    return urljoin(base if base.endswith("/") else base + "/", path.lstrip("/"))


# ---- journeys: site ---------------------------------------------------------------------
def site_served(site_url: str, *, http: Http | None = None, wait_seconds: float = 120,
                interval: float = DEFAULT_INTERVAL, sleep: Callable[[float], None] = time.sleep
                ) -> Finding:
    """``GET /`` through CloudFront: 200 with CloudFront's headers."""
    http = http or Http()
    resource, last = f"GET {site_url}", []
    expected = "200 through CloudFront (x-amz-cf-id and via: ... cloudfront)"
    try:
        resp = _fetch(f"GET {site_url}", http, site_url, wait_seconds=wait_seconds,
                      interval=interval, sleep=sleep, last=last)
    except (NotConverged, Fatal) as exc:
        return _journey_failure(resource, exc, expected, SITE_5XX if last else NOT_CLOUDFRONT,
                                site_url, last)
    if resp.status_code != 200:
        cause = SITE_5XX if resp.status_code >= 500 else cause_for(resp.status_code)
        return _status_failure(resource, resp, expected, cause, site_url)
    if not _via_cloudfront(resp):
        return _status_failure(resource, resp, expected, NOT_CLOUDFRONT, site_url)
    return passed(resource, f"returned 200 through CloudFront{_ids(resp)}",
                  **evidence(resp, site_url))


def _must_refuse(http: Http | None, url: str, resource: str, expected: str, unreachable_fix: str,
                 refused: Callable[[requests.Response], str],
                 not_refused: Callable[[requests.Response], str], fix: str, layer: str) -> Finding:
    """One GET that must be refused with 403; ``refused`` and ``not_refused`` word the answer."""
    http = http or Http()
    try:
        resp = http.get(url)
    except requests.RequestException as exc:
        return failed(resource, f"could not be requested: {type(exc).__name__}", expected,
                      unreachable_fix, **evidence(None, url))
    if resp.status_code == 403:
        return passed(resource, refused(resp), **evidence(resp, url))
    f = failed(resource, not_refused(resp), expected, fix, **evidence(resp, url))
    f.next_step = f"pytest -m {layer}"
    return f


def bucket_refuses_direct(bucket_url: str, *, http: Http | None = None) -> Finding:
    """The site bucket's own URL must refuse viewers (403): only CloudFront, through OAC,
    may read it (Challenge 1)."""
    return _must_refuse(
        http, bucket_url, f"GET {bucket_url} (bucket, bypassing CloudFront)",
        "403 (only CloudFront may read the bucket, through OAC)",
        "Check the bucket URL (https://<bucket>.s3.<region>.amazonaws.com/<key>)",
        lambda resp: "was refused with 403",
        lambda resp: f"returned {resp.status_code}{' (the object is public)' if resp.ok else ''}",
        BUCKET_OPEN.hint() + "; block public access and keep only the CloudFront "
        "service-principal statement in the bucket policy", "edge")


def waf_blocks_sqli(site_url: str, *, http: Http | None = None) -> Finding:
    """A request with a SQL-injection pattern must be blocked by the WAF (403)."""
    url = f"{site_url}{'&' if '?' in site_url else '?'}{SQLI_QUERY}"
    return _must_refuse(
        http, url, f"GET {url} (SQL-injection pattern)", "403 from the WAF (AWSManagedRulesSQLiRuleSet)",
        "Check that the site answers at all (site journey)",
        lambda resp: f"was blocked with 403{_ids(resp)}",
        lambda resp: f"returned {resp.status_code}{_ids(resp)}: the request was not blocked",
        WAF_MISS.hint(), "waf")


# ---- journeys: API and tokens -----------------------------------------------------------
def _auth_header(token: str, scheme: str) -> dict[str, str]:
    register_secret(token)
    return {"Authorization": f"{scheme} {token}".strip()}


def api_status(api_url: str, path: str, *, token: str | None = None, expect: int,
               label: str, http: Http | None = None, scheme: str = "",
               wait_seconds: float = 0, interval: float = DEFAULT_INTERVAL,
               sleep: Callable[[float], None] = time.sleep) -> Finding:
    """One API call with (or without) a token, expected to answer ``expect``."""
    http = http or Http()
    url = _url(api_url, path)
    resource = f"GET {url} {label}"
    headers = _auth_header(token, scheme) if token else {}
    last: list = []
    try:
        resp = _fetch(resource, http, url, headers=headers, wait_seconds=wait_seconds,
                      interval=interval, sleep=sleep, last=last)
    except (NotConverged, Fatal) as exc:
        return _journey_failure(resource, exc, f"{expect}", API_5XX, url, last)
    if resp.status_code == expect:
        return passed(resource, f"returned {expect}{_ids(resp)}", **evidence(resp, url))
    if expect == 401 and resp.ok:
        cause = API_OPEN
    else:
        cause = cause_for(resp.status_code, api=True)
    return _status_failure(resource, resp, str(expect), cause, url)


def api_rejects_anonymous(api_url: str, path: str = "items", **kw: Any) -> Finding:
    return api_status(api_url, path, expect=401, label="without a token", **kw)


def api_accepts_token(api_url: str, token_provider: Callable[[], str], path: str = "items",
                      **kw: Any) -> Finding:
    """A valid Cognito token from ``token_provider`` must be accepted (200)."""
    try:
        token = token_provider()
    except Exception as exc:  # the provider's own failure is not the API's
        return failed(f"token for {api_url}", f"could not be obtained: {type(exc).__name__}: "
                      f"{redact(str(exc))}", "a valid ID token from the user pool",
                      "Check the test user's credentials and the app client's auth flows "
                      "(USER_PASSWORD_AUTH)", provider=getattr(token_provider, "__name__", "?"))
    return api_status(api_url, path, token=token, expect=200, label="with a valid token", **kw)


def api_rejects_token(api_url: str, token: str, kind: str, path: str = "items",
                      **kw: Any) -> Finding:
    """An expired or foreign token must be rejected (401) (Challenge 7)."""
    return api_status(api_url, path, token=token, expect=401, label=f"with a {kind} token", **kw)


def forged_token(*, issuer: str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_foreign",
                 audience: str = "foreign-client", expired: bool = False) -> str:
    """A JWT shaped like a Cognito ID token but signed by a key no pool knows.

    ``expired`` also dates it in the past. A real pool's expired token cannot be minted
    without waiting out its lifetime, so the expired case here is also foreign-signed.
    """
    import jwt
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.now(timezone.utc)
    exp = now - timedelta(hours=2) if expired else now + timedelta(hours=1)
    claims = {"sub": str(uuid.uuid4()), "iss": issuer, "aud": audience, "token_use": "id",
              "iat": int((exp - timedelta(hours=1)).timestamp()), "exp": int(exp.timestamp()),
              "email": "nobody@example.com"}
    token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": uuid.uuid4().hex})
    register_secret(token)
    return token


def health_reports_database(api_url: str, path: str = "health", *, http: Http | None = None,
                            wait_seconds: float = 0, interval: float = DEFAULT_INTERVAL,
                            sleep: Callable[[float], None] = time.sleep) -> Finding:
    """The backend's health endpoint says the database is reachable (EC2 -> RDS)."""
    http = http or Http()
    url = _url(api_url, path)
    resource = f"GET {url}"
    expected = '200 with {"database": "reachable"}'
    last: list = []
    try:
        resp = _fetch(resource, http, url, wait_seconds=wait_seconds, interval=interval,
                      sleep=sleep, last=last)
    except (NotConverged, Fatal) as exc:
        if last and _json(last[0]).get("database") == "unreachable":
            # The backend answered and said why: broken, not converging.
            return _status_failure(resource, last[0], expected, DB_DOWN, url)
        return _journey_failure(resource, exc, expected, API_5XX, url, last)
    body = _json(resp)
    if resp.status_code == 200 and body.get("database") == "reachable":
        return passed(resource, "reports the database reachable", **evidence(resp, url))
    if body.get("database") == "unreachable":
        return _status_failure(resource, resp, expected, DB_DOWN, url)
    return _status_failure(resource, resp, expected, cause_for(resp.status_code, api=True)
                           if resp.status_code != 200 else DB_DOWN, url)


def _json(resp: requests.Response) -> dict:
    try:
        body = resp.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


# ---- journey: invalidation (mutating) ---------------------------------------------------
def content_refreshed(site_url: str, key: str, publish: Callable[[str, str], None],
                      invalidate: Callable[[str], str], *, http: Http | None = None,
                      wait_seconds: float = 600, interval: float = 10,
                      sleep: Callable[[float], None] = time.sleep) -> Finding:
    """After a content change and an invalidation, the new content is served (Challenge 4).

    ``publish(key, body)`` writes the object to the site bucket; ``invalidate(path)``
    creates the invalidation and returns its id. Both are the caller's (AWS writes).
    """
    http = http or Http()
    url = _url(site_url, key)
    resource = f"GET {url} after invalidation"
    old, new = f"stackprobe-{uuid.uuid4().hex}", f"stackprobe-{uuid.uuid4().hex}"
    publish(key, old)

    def serves(marker: str) -> Callable[[], requests.Response]:
        def attempt() -> requests.Response:
            resp = _get(http, url)
            if marker not in resp.text:
                raise Retryable(f"HTTP {resp.status_code}, still old content"
                                f" (x-cache: {resp.headers.get('x-cache', '-')})")
            return resp
        return attempt

    try:
        retry(f"first version of {url} served", serves(old), wait_seconds=wait_seconds,
              interval=interval, sleep=sleep)
        publish(key, new)
        inv_id = invalidate("/" + key.lstrip("/"))
        resp = retry(f"new content of {url} after invalidation {inv_id}", serves(new),
                     wait_seconds=wait_seconds, interval=interval, sleep=sleep)
    except (NotConverged, Fatal) as exc:
        return _journey_failure(resource, exc, "the new object within the wait budget",
                                STALE, url)
    return passed(resource, f"serves the new content after invalidation {inv_id}",
                  **evidence(resp, url, invalidation=inv_id))


# ---- journeys: DNS and TLS --------------------------------------------------------------
def domain_resolves(domain: str, *, resolver: Any = None, distribution_domain: str | None = None,
                    wait_seconds: float = 120, interval: float = DEFAULT_INTERVAL,
                    sleep: Callable[[float], None] = time.sleep) -> Finding:
    """The domain resolves to CloudFront: a CNAME chain to *.cloudfront.net, or (Route 53
    alias) the same addresses the distribution's own name resolves to."""
    import dns.exception
    import dns.resolver

    res = resolver or dns.resolver.Resolver()
    resource = f"domain {domain}"

    def lookup(name: str) -> tuple[str, set[str]]:
        try:
            answer = res.resolve(name, "A", lifetime=10)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer) as exc:
            raise Retryable(f"{type(exc).__name__} for {name}") from None
        except (dns.resolver.NoNameservers, dns.exception.Timeout) as exc:
            raise Retryable(f"{type(exc).__name__} resolving {name}") from None
        return str(answer.canonical_name).rstrip(".").lower(), {r.address for r in answer}

    try:
        canonical, addresses = retry(f"resolve {domain}", lambda: lookup(domain),
                                     wait_seconds=wait_seconds, interval=interval, sleep=sleep)
    except NotConverged as exc:
        f = failed(resource, f"does not resolve: {exc}", "an A record (alias) to CloudFront",
                   DNS_CAUSE.hint(), domain=domain)
        f.next_step = "pytest -m dns"
        return f
    ev = {"domain": domain, "canonical_name": canonical, "addresses": sorted(addresses)}
    if canonical.endswith(".cloudfront.net"):
        return passed(resource, f"resolves through {canonical} to {sorted(addresses)}", **ev)
    if not distribution_domain:
        return passed(resource, f"resolves to {sorted(addresses)} (an alias record; not compared "
                      "with the distribution: no distribution domain given)", **ev)
    try:
        _, dist_addresses = lookup(distribution_domain)
    except Retryable as exc:
        dist_addresses = set()
        ev["distribution_error"] = str(exc)
    ev["distribution_addresses"] = sorted(dist_addresses)
    if addresses & dist_addresses:
        return passed(resource, f"resolves to {sorted(addresses)}, addresses of "
                      f"{distribution_domain}", **ev)
    f = failed(resource, f"resolves to {sorted(addresses)} (canonical {canonical}), none of which "
               f"{distribution_domain} resolves to ({sorted(dist_addresses)})",
               f"an alias to {distribution_domain}", DNS_CAUSE.hint(), **ev)
    f.next_step = "pytest -m dns"
    return f


def tls_certificate(host: str, *, port: int = 443, cafile: str | None = None,
                    min_days: int = 30, timeout: float = 10, connect_host: str | None = None
                    ) -> Finding:
    """The certificate the viewer gets for ``host`` verifies (chain, name, dates) and does
    not expire within ``min_days``. ``connect_host`` reaches a server by another name."""
    resource = f"TLS certificate of {host}:{port}"
    expected = f"a certificate valid for {host}, trusted, and valid for at least {min_days} days"
    ctx = ssl.create_default_context(cafile=cafile)
    try:
        with socket.create_connection((connect_host or host, port), timeout=timeout) as raw:
            with ctx.wrap_socket(raw, server_hostname=host) as tls:
                cert = tls.getpeercert() or {}
    except ssl.SSLCertVerificationError as exc:
        f = failed(resource, f"does not verify: {exc.verify_message}", expected,
                   TLS_CAUSE.hint(), host=host, error=str(exc))
        f.next_step = "pytest -m dns"
        return f
    except (OSError, ssl.SSLError) as exc:
        return failed(resource, f"could not be read: {type(exc).__name__}: {exc}", expected,
                      "Check that the domain resolves and port 443 answers (domain journey)",
                      host=host)
    not_after = datetime.fromtimestamp(ssl.cert_time_to_seconds(cert["notAfter"]), timezone.utc)
    days = (not_after - datetime.now(timezone.utc)).days
    ev = {"host": host, "not_after": not_after.isoformat(), "days_left": days,
          "subject": str(cert.get("subject")), "issuer": str(cert.get("issuer")),
          "san": [v for _, v in cert.get("subjectAltName", ())]}
    if days < min_days:
        f = failed(resource, f"expires on {not_after:%Y-%m-%d}, in {days} days", expected,
                   "Renew the ACM certificate (check its DNS validation CNAME still exists, "
                   "ACM renews only then); " + TLS_CAUSE.hint(), **ev)
        f.next_step = "pytest -m dns"
        return f
    return passed(resource, f"verifies and is valid for {days} more days", **ev)


def bucket_url(bucket: str, region: str, key: str = "index.html") -> str:
    """The S3 REST URL a viewer would use to bypass CloudFront."""
    return f"https://{bucket}.s3.{region}.amazonaws.com/{key}"


def host_of(url: str) -> str:
    return urlsplit(url).hostname or url
