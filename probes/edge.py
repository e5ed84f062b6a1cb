"""Edge probes: the CloudFront distribution (state, HTTPS, TLS, certificate, behaviours,
logging, invalidations), its S3 origin through Origin Access Control and the site bucket
that only this distribution may read. CloudFront reads are global (made in us-east-1).
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from probes import graph, reads
from probes.dns import certificate_names, configured_domain, covers, norm
from probes.expectations import Strict, layer_expectations
from probes.inventory import Inventory
from probes.registry import probe
from probes.result import Finding, Missing, absent, failed, passed, skipped

# Managed cache policy ids (the same in every account).
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"


def _headers(behaviour: str, names: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"HeaderBehavior": behaviour,
            **({"Headers": {"Quantity": len(names), "Items": list(names)}} if names else {})}


def _cache(name: str, ttls: tuple[int, int, int], headers: tuple[str, ...] = (), cookies: str = "none",
           queries: str = "none", compress: bool = False) -> dict[str, Any]:
    return {"Name": name, "MinTTL": ttls[0], "DefaultTTL": ttls[1], "MaxTTL": ttls[2],
            "ParametersInCacheKeyAndForwardedToOrigin": {
                "EnableAcceptEncodingGzip": compress, "EnableAcceptEncodingBrotli": compress,
                "HeadersConfig": _headers("whitelist" if headers else "none", headers),
                "CookiesConfig": {"CookieBehavior": cookies},
                "QueryStringsConfig": {"QueryStringBehavior": queries}}}


def _origin_request(name: str, headers: dict[str, Any], cookies: str, queries: str) -> dict[str, Any]:
    return {"Name": name, "HeadersConfig": headers, "CookiesConfig": {"CookieBehavior": cookies},
            "QueryStringsConfig": {"QueryStringBehavior": queries}}


# AWS-managed cache and origin request policies: fixed ids, the same in every account, and
# contents as documented in the CloudFront Developer Guide ("Use managed cache policies",
# "Use managed origin request policies"). Known here, they need no read; the emulator
# answers GetCachePolicy / GetOriginRequestPolicy for the same ids with the same contents.
MANAGED_CACHE_POLICIES: dict[str, dict[str, Any]] = {
    "658327ea-f89d-4fab-a63d-7e88639e58f6": _cache("Managed-CachingOptimized", (1, 86400, 31536000),
                                                   compress=True),
    CACHING_DISABLED: _cache("Managed-CachingDisabled", (0, 0, 0)),
    "b2884449-e4de-46a7-ac36-70bc7f1ddd6d": _cache("Managed-CachingOptimizedForUncompressedObjects",
                                                   (1, 86400, 31536000)),
    "2e54312d-136d-493c-8eb9-b001f22f67d2": _cache(
        "Managed-Amplify", (2, 2, 600), ("Authorization", "CloudFront-Viewer-Country", "Host"),
        cookies="all", queries="all", compress=True),
}
MANAGED_ORIGIN_REQUEST_POLICIES: dict[str, dict[str, Any]] = {
    "216adef6-5c7f-47e4-b989-5492eafa07d3": _origin_request("Managed-AllViewer", _headers("allViewer"),
                                                            "all", "all"),
    "b689b0a8-53d0-40ab-baf2-68738e2966ac": _origin_request(
        "Managed-AllViewerExceptHostHeader", _headers("allExcept", ("host",)), "all", "all"),
    "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf": _origin_request(
        "Managed-CORS-S3Origin", _headers("whitelist", ("origin", "access-control-request-headers",
                                                        "access-control-request-method")), "none", "none"),
    "59781a5b-3903-41f3-afcb-af62929ccde1": _origin_request(
        "Managed-CORS-CustomOrigin", _headers("whitelist", ("origin",)), "none", "none"),
    "acba4595-bd28-49b8-b9fe-13317c0390fa": _origin_request(
        "Managed-UserAgentRefererHeaders", _headers("whitelist", ("user-agent", "referer")), "none", "all"),
}
# Origin request policy header behaviours that send every viewer header to the origin.
_ALL_VIEWER = ("allViewer", "allViewerAndWhitelistCloudFront", "allExcept")
# CloudFront security policies, weakest first.
TLS_POLICIES = ("SSLv3", "TLSv1", "TLSv1_2016", "TLSv1.1_2016", "TLSv1.2_2018", "TLSv1.2_2019",
                "TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025")
HTTPS_POLICIES = ("redirect-to-https", "https-only")


@layer_expectations("edge")
class EdgeExpect(Strict):
    # Weakest acceptable viewer TLS policy when the distribution has its own certificate.
    minimum_protocol_version: str = "TLSv1.2_2021"
    # The behaviour that routes to API Gateway.
    api_path_pattern: str = "/api/*"
    # A cache policy with Authorization in its key cannot have MaxTTL 0 (CloudFront refuses
    # it), so "not cached" is MinTTL = DefaultTTL = 0 and MaxTTL at most this.
    api_max_ttl_seconds: int = 1
    # An invalidation InProgress longer than this is stuck (they normally finish in minutes).
    invalidation_max_minutes: int = 15


def _dist(inv: Inventory) -> dict:
    """The stack's distribution; :class:`Missing` when there is none."""
    dist = reads.distribution(inv)
    if not dist:
        raise Missing(absent("CloudFront distribution", "a distribution in the stack (output "
                             "DistributionId or resources.distribution)"))
    return dist


def _need_api_behaviour(inv: Inventory, exp: Any) -> tuple[str, dict]:
    """(label, the distribution's /api/* behaviour); :class:`Missing` when there is none."""
    dist = _dist(inv)
    pattern = exp.edge.api_path_pattern
    name = f"{_name(dist)} behaviour {pattern}"
    b = _api_behaviour(inv, exp, dist)
    if not b:
        raise Missing(absent(name, f"a behaviour for {pattern}"))
    return name, b


def _config(dist: dict) -> dict:
    return dist.get("DistributionConfig") or {}


def _name(dist: dict) -> str:
    return f"distribution {dist['Id']}"


def _items(block: dict | None) -> list:
    return list((block or {}).get("Items") or [])


def _behaviours(dist: dict) -> list[tuple[str, dict]]:
    cfg = _config(dist)
    out = [("default (*)", cfg.get("DefaultCacheBehavior") or {})]
    out += [(b.get("PathPattern", "?"), b) for b in _items(cfg.get("CacheBehaviors"))]
    return out


def _site_bucket(inv: Inventory) -> str | None:
    return graph.role(inv, "site_bucket")


def _is_s3_origin(origin: dict) -> bool:
    domain = norm(origin.get("DomainName"))
    return "S3OriginConfig" in origin or (".s3." in f".{domain}" and domain.endswith(
        ".amazonaws.com") and ".s3-website" not in domain)


def _site_origin(dist: dict, bucket: str | None) -> dict | None:
    origins = _items(_config(dist).get("Origins"))
    if bucket:
        for o in origins:
            if norm(o.get("DomainName")).startswith(f"{bucket.lower()}.s3"):
                return o
    return next((o for o in origins if _is_s3_origin(o)), None)


def _api_origin(inv: Inventory, dist: dict) -> dict | None:
    api = reads.rest_api_id(inv) or reads.http_api_id(inv)
    origins = _items(_config(dist).get("Origins"))
    if api:
        return next((o for o in origins
                     if norm(o.get("DomainName")).startswith(f"{api.lower()}.execute-api.")), None)
    return next((o for o in origins if ".execute-api." in norm(o.get("DomainName"))), None)


# ---- distribution state, HTTPS, TLS, certificate ----------------------------------------
@probe(layer="edge", component="distribution", title="The distribution is enabled and deployed",
       severity="blocker", gate=True,
       remediation="Enable the distribution (aws cloudfront update-distribution with "
                   "Enabled=true) and wait until its status is Deployed")
def distribution_enabled(inv: Inventory, exp: Any) -> Finding:
    dist = _dist(inv)
    enabled, status = _config(dist).get("Enabled"), dist.get("Status")
    ev = {"enabled": enabled, "status": status, "domain_name": dist.get("DomainName")}
    if not enabled:
        return failed(_name(dist), f"is disabled (status {status})", "enabled and Deployed", **ev)
    if status != "Deployed":
        return failed(_name(dist), f"is enabled but {status}",
                      "status Deployed (a change normally deploys within minutes)",
                      "Wait for the deployment; if it stays InProgress, check the last "
                      "update-distribution call and the AWS Health dashboard", **ev)
    return passed(_name(dist), f"is enabled and Deployed at {dist.get('DomainName')}", **ev)


@probe(concern="security", layer="edge", component="distribution",
       title="Every behaviour sends viewers over HTTPS", severity="critical", gate=True,
       remediation="Set ViewerProtocolPolicy to redirect-to-https (or https-only) on the "
                   "behaviour")
def viewer_https_only(inv: Inventory, exp: Any) -> list[Finding]:
    dist = _dist(inv)
    out = []
    for path, b in _behaviours(dist):
        policy = b.get("ViewerProtocolPolicy")
        name = f"{_name(dist)} behaviour {path}"
        if policy in HTTPS_POLICIES:
            out.append(passed(name, f"uses {policy}", viewer_protocol_policy=policy))
        else:
            out.append(failed(name, f"uses viewer protocol policy {policy}",
                              "redirect-to-https or https-only",
                              f"Set ViewerProtocolPolicy of behaviour {path} to "
                              "redirect-to-https", viewer_protocol_policy=policy))
    return out


@probe(layer="edge", component="tls", title="The viewer TLS policy is at least the expected one",
       severity="critical",
       remediation="Set ViewerCertificate.MinimumProtocolVersion to the expected security "
                   "policy (e.g. TLSv1.2_2021)")
def minimum_tls_policy(inv: Inventory, exp: Any) -> Finding:
    dist = _dist(inv)
    vc = _config(dist).get("ViewerCertificate") or {}
    want = exp.edge.minimum_protocol_version
    if vc.get("CloudFrontDefaultCertificate") and not (vc.get("ACMCertificateArn")
                                                       or vc.get("IAMCertificateId")):
        return skipped(_name(dist), "serves the default *.cloudfront.net certificate, whose TLS "
                       "policy CloudFront fixes (a custom domain + certificate lets you choose "
                       f"{want})", viewer_certificate=vc)
    have = vc.get("MinimumProtocolVersion")
    ev = {"viewer_certificate": vc, "expected_policy": want}
    rank = {p: i for i, p in enumerate(TLS_POLICIES)}
    if have not in rank or rank[have] < rank.get(want, len(TLS_POLICIES)):
        return failed(_name(dist), f"allows viewer TLS policy {have}", f"{want} or stronger",
                      f"Set ViewerCertificate.MinimumProtocolVersion to {want}", **ev)
    return passed(_name(dist), f"uses viewer TLS policy {have}", **ev)


@probe(layer="edge", component="tls",
       title="The distribution's aliases and certificate match the domain", severity="critical",
       gate=True,
       remediation="Put the domain in the distribution's Aliases and serve an ACM certificate "
                   "(us-east-1) that covers every alias")
def certificate_matches_domain(inv: Inventory, exp: Any) -> Finding:
    dist = _dist(inv)
    cfg = _config(dist)
    aliases = sorted(norm(a) for a in _items(cfg.get("Aliases")))
    vc = cfg.get("ViewerCertificate") or {}
    domain = configured_domain(inv, exp)
    name = _name(dist)
    ev: dict[str, Any] = {"aliases": aliases, "domain": domain, "viewer_certificate": vc}
    if domain and domain not in aliases:
        return failed(name, f"has aliases {aliases or 'none'}", f"{domain} among its aliases",
                      f"Add {domain} to the distribution's Aliases", **ev)
    if not aliases:
        return passed(name, "has no aliases and serves its *.cloudfront.net name"
                      + ("" if vc.get("CloudFrontDefaultCertificate") else
                         " with a custom certificate"), **ev)
    arn = vc.get("ACMCertificateArn")
    if not arn:
        return failed(name, f"has aliases {aliases} but no ACM certificate "
                      f"({'default certificate' if vc.get('CloudFrontDefaultCertificate') else vc})",
                      "an ACM certificate covering every alias", **ev)
    cert = reads.certificate(inv, arn)
    if not cert:
        return failed(name, f"serves certificate {arn}, which ACM does not return",
                      "an existing ACM certificate in us-east-1 covering every alias", **ev)
    names = certificate_names(cert)
    ev["certificate_names"] = names
    uncovered = [a for a in aliases if not covers(a, names)]
    if uncovered:
        return failed(name, f"serves certificate {arn} for {', '.join(names)}, which does not "
                      f"cover alias(es) {', '.join(uncovered)}",
                      "a certificate covering every alias", **ev)
    if vc.get("SSLSupportMethod") not in ("sni-only", "vip", "static-ip"):
        return failed(name, f"serves {arn} with SSLSupportMethod {vc.get('SSLSupportMethod')}",
                      "sni-only", **ev)
    return passed(name, f"serves {', '.join(aliases)} with certificate {arn}", **ev)


# ---- S3 origin (Challenge 1) ------------------------------------------------------------
@probe(layer="edge", component="origin-access",
       title="The S3 origin uses Origin Access Control, not an Origin Access Identity",
       severity="critical", gate=True, challenge=1,
       remediation="Attach an Origin Access Control (signing always, sigv4, type s3) to the S3 "
                   "origin, clear S3OriginConfig.OriginAccessIdentity, and grant the "
                   "cloudfront.amazonaws.com principal in the bucket policy")
def s3_origin_uses_oac(inv: Inventory, exp: Any) -> list[Finding]:
    dist = _dist(inv)
    s3_origins = [o for o in _items(_config(dist).get("Origins")) if _is_s3_origin(o)]
    if not s3_origins:
        return [absent(f"S3 origin of {_name(dist)}", "an S3 origin for the static site")]
    out = []
    for o in s3_origins:
        name = f"{_name(dist)} origin {o.get('Id')} ({o.get('DomainName')})"
        oai = ((o.get("S3OriginConfig") or {}).get("OriginAccessIdentity") or "").strip()
        oac_id = o.get("OriginAccessControlId") or ""
        ev: dict[str, Any] = {"origin_access_identity": oai, "origin_access_control_id": oac_id}
        if oai:
            out.append(failed(name, f"uses Origin Access Identity {oai}"
                              + (f" alongside OAC {oac_id}" if oac_id else ""),
                              "Origin Access Control only (OriginAccessIdentity empty)",
                              "Create/attach an OAC to the origin, set S3OriginConfig."
                              "OriginAccessIdentity to '', update the bucket policy to the "
                              "CloudFront service principal, then delete the OAI", **ev))
            continue
        if not oac_id:
            out.append(failed(name, "has no Origin Access Control (and no OAI): CloudFront "
                              "requests the bucket anonymously",
                              "an Origin Access Control on the origin", **ev))
            continue
        resp = inv.call("cloudfront", "get_origin_access_control", missing_ok=True, Id=oac_id)
        if not resp:
            out.append(failed(name, f"references Origin Access Control {oac_id}, which does not "
                              "exist", "an existing OAC", **ev))
            continue
        oac = resp["OriginAccessControl"]["OriginAccessControlConfig"]
        ev["origin_access_control"] = oac
        wrong = [f"{k} {oac.get(k)}" for k, v in (("SigningBehavior", "always"),
                                                   ("SigningProtocol", "sigv4"),
                                                   ("OriginAccessControlOriginType", "s3"))
                 if oac.get(k) != v]
        if wrong:
            out.append(failed(name, f"uses OAC {oac_id} with {', '.join(wrong)}",
                              "SigningBehavior always, SigningProtocol sigv4, origin type s3",
                              f"aws cloudfront update-origin-access-control --id {oac_id} with "
                              "SigningBehavior=always, SigningProtocol=sigv4", **ev))
        else:
            out.append(passed(name, f"uses OAC {oac_id} (always, sigv4, s3) and no OAI", **ev))
    return out


@probe(layer="edge", component="site-bucket",
       title="The site bucket blocks all public access", severity="blocker", gate=True,
       challenge=1,
       remediation="Turn on all four S3 Block Public Access settings for the site bucket "
                   "(aws s3api put-public-access-block)")
def site_bucket_public_access_blocked(inv: Inventory, exp: Any) -> Finding:
    bucket = _site_bucket(inv)
    if not bucket:
        return absent("site bucket", "the S3 bucket behind the distribution (output "
                      "SiteBucketName or resources.site_bucket)")
    pab = reads.public_access_block(inv, bucket) or {}
    flags = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
    off = [f for f in flags if not pab.get(f)]
    name = f"site bucket {bucket}"
    if off:
        return failed(name, "has no public access block" if not pab else
                      f"has public access block off for {', '.join(off)}",
                      "all four Block Public Access settings on",
                      f"aws s3api put-public-access-block --bucket {bucket} "
                      "--public-access-block-configuration BlockPublicAcls=true,"
                      "IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true",
                      public_access_block=pab)
    return passed(name, "blocks all public access", public_access_block=pab)


def _as_list(v: Any) -> list:
    return v if isinstance(v, list) else [v] if v is not None else []


def _source_arns(condition: dict) -> list[str]:
    arns = []
    for op in ("StringEquals", "ArnEquals", "ArnLike", "StringLike"):
        block = (condition or {}).get(op) or {}
        for k, v in block.items():
            if k.lower() == "aws:sourcearn":
                arns += _as_list(v)
    return arns


@probe(layer="edge", component="site-bucket",
       title="Only this distribution may read the site bucket", severity="blocker", gate=True,
       challenge=1,
       remediation="Make the bucket policy's only Allow grant s3:GetObject to Principal "
                   "{Service: cloudfront.amazonaws.com} with Condition StringEquals "
                   "AWS:SourceArn = this distribution's ARN")
def site_bucket_policy_cloudfront_only(inv: Inventory, exp: Any) -> Finding:
    bucket = _site_bucket(inv)
    if not bucket:
        return absent("site bucket", "the S3 bucket behind the distribution")
    dist = _dist(inv)
    dist_arn = dist.get("ARN")
    policy = reads.bucket_policy(inv, bucket)
    name = f"site bucket {bucket} policy"
    want = (f"only s3:GetObject for cloudfront.amazonaws.com with AWS:SourceArn {dist_arn}")
    if not policy:
        return failed(name, "does not exist, so CloudFront (OAC) gets 403 AccessDenied", want,
                      bucket=bucket)
    problems, grants_dist = [], False
    for i, st in enumerate(_as_list(policy.get("Statement"))):
        if st.get("Effect") != "Allow":
            continue
        sid = st.get("Sid") or f"#{i}"
        principal = st.get("Principal")
        services = _as_list(principal.get("Service")) if isinstance(principal, dict) else []
        others = ({k: v for k, v in principal.items() if k != "Service"}
                  if isinstance(principal, dict) else {"*": principal})
        actions = [a.lower() for a in _as_list(st.get("Action"))]
        if st.get("NotPrincipal") or st.get("NotAction"):
            problems.append(f"statement {sid} allows by NotPrincipal/NotAction")
            continue
        if others:
            problems.append(f"statement {sid} allows principal {others} {st.get('Action')}")
            continue
        if set(services) != {"cloudfront.amazonaws.com"}:
            problems.append(f"statement {sid} allows service(s) {services}")
            continue
        if actions != ["s3:getobject"]:
            problems.append(f"statement {sid} allows CloudFront {st.get('Action')}")
        arns = _source_arns(st.get("Condition") or {})
        if arns == [dist_arn]:
            grants_dist = True
        elif not arns:
            problems.append(f"statement {sid} allows any CloudFront distribution (no "
                            "AWS:SourceArn condition)")
        else:
            problems.append(f"statement {sid} allows distribution(s) {arns}")
    if problems:
        return failed(name, "; ".join(problems), want, policy=policy)
    if not grants_dist:
        return failed(name, f"grants nothing to {dist_arn}, so CloudFront (OAC) gets 403",
                      want, policy=policy)
    return passed(name, f"grants s3:GetObject only to CloudFront for {dist_arn}", policy=policy)


# ---- behaviours -------------------------------------------------------------------------
def _api_behaviour(inv: Inventory, exp: Any, dist: dict) -> dict | None:
    pattern = exp.edge.api_path_pattern
    return next((b for b in _items(_config(dist).get("CacheBehaviors"))
                 if b.get("PathPattern") == pattern), None)


def _cache_policy(inv: Inventory, policy_id: str) -> dict | None:
    if policy_id in MANAGED_CACHE_POLICIES:
        return MANAGED_CACHE_POLICIES[policy_id]
    resp = inv.call("cloudfront", "get_cache_policy", missing_ok=True, Id=policy_id)
    return resp["CachePolicy"]["CachePolicyConfig"] if resp else None


def _origin_request_policy(inv: Inventory, policy_id: str) -> dict | None:
    if policy_id in MANAGED_ORIGIN_REQUEST_POLICIES:
        return MANAGED_ORIGIN_REQUEST_POLICIES[policy_id]
    resp = inv.call("cloudfront", "get_origin_request_policy", missing_ok=True, Id=policy_id)
    return resp["OriginRequestPolicy"]["OriginRequestPolicyConfig"] if resp else None


def _caching_off(policy: dict) -> bool:
    return not any(int(policy.get(k) or 0) for k in ("MinTTL", "DefaultTTL", "MaxTTL"))


def forwards_authorization(inv: Inventory, behaviour: dict) -> tuple[bool, str, dict[str, Any]]:
    """Whether a cache behaviour sends the viewer's Authorization header to its origin, as
    CloudFront documents it: (forwarded, what it forwards in words, evidence).

    - legacy ForwardedValues: the header is listed, or ``*`` (all headers);
    - a cache policy: Authorization in the cache key (HeaderBehavior whitelist);
    - an origin request policy that sends all viewer headers (AllViewer,
      AllViewerExceptHostHeader, ...) forwards Authorization only while caching is off
      (the managed CachingDisabled, or TTLs all 0): with caching on, Authorization reaches
      the origin only through the cache key. An origin request policy cannot whitelist it.
    (AWS knowledge center: "How do I configure CloudFront to forward the Authorization
    header to the origin?")"""
    ev: dict[str, Any] = {"cache_policy_id": behaviour.get("CachePolicyId"),
                          "origin_request_policy_id": behaviour.get("OriginRequestPolicyId")}
    headers: list[str] = []
    pid = behaviour.get("CachePolicyId")
    caching_off = False
    if pid:
        cp = _cache_policy(inv, pid)
        if not cp:
            return False, f"uses cache policy {pid}, which does not exist", ev
        hc = (cp.get("ParametersInCacheKeyAndForwardedToOrigin") or {}).get("HeadersConfig") or {}
        ev["cache_policy_headers"] = hc
        if hc.get("HeaderBehavior") == "whitelist":
            headers += _items(hc.get("Headers"))
        caching_off = _caching_off(cp)
        ev["caching_off"] = caching_off
    else:
        fv = (behaviour.get("ForwardedValues") or {}).get("Headers") or {}
        ev["forwarded_headers"] = fv
        headers += _items(fv)
    if any(h.lower() in ("authorization", "*") for h in headers):
        return True, "forwards the Authorization header", ev
    orp_id = behaviour.get("OriginRequestPolicyId")
    if orp_id:
        orp = _origin_request_policy(inv, orp_id)
        if not orp:
            return False, f"uses origin request policy {orp_id}, which does not exist", ev
        hc = orp.get("HeadersConfig") or {}
        ev["origin_request_policy_headers"] = hc
        kind = hc.get("HeaderBehavior")
        excluded = {h.lower() for h in _items(hc.get("Headers"))} if kind == "allExcept" else set()
        if kind in _ALL_VIEWER and "authorization" not in excluded:
            label = f"origin request policy {orp.get('Name') or orp_id} (all viewer headers)"
            if caching_off:
                return True, f"forwards the Authorization header ({label}, caching off)", ev
            return False, (f"forwards all viewer headers through {label}, but caching is on, so "
                           "CloudFront strips Authorization (it reaches the origin only in the "
                           "cache key, or with caching off)"), ev
        if kind == "whitelist":
            headers += [h for h in _items(hc.get("Headers")) if h.lower() != "authorization"]
    return False, (f"forwards headers {sorted(set(headers)) or 'none'} but not Authorization"), ev


@probe(layer="edge", component="behaviours",
       title="/api/* goes to the API origin and everything else to the site bucket",
       severity="blocker", gate=True, challenge=10,
       remediation="Point the /api/* behaviour at the API Gateway origin and the default "
                   "behaviour at the S3 site origin")
def behaviours_route_to_origins(inv: Inventory, exp: Any) -> list[Finding]:
    dist = _dist(inv)
    name = _name(dist)
    out = []
    site = _site_origin(dist, _site_bucket(inv))
    default_target = (_config(dist).get("DefaultCacheBehavior") or {}).get("TargetOriginId")
    if not site:
        out.append(absent(f"S3 site origin of {name}", "an origin for the site bucket"))
    elif default_target != site.get("Id"):
        out.append(failed(f"{name} default behaviour", f"targets origin {default_target}",
                          f"the site origin {site.get('Id')} ({site.get('DomainName')})",
                          f"Set DefaultCacheBehavior.TargetOriginId to {site.get('Id')}"))
    else:
        out.append(passed(f"{name} default behaviour", f"targets site origin {site.get('Id')}"))
    pattern = exp.edge.api_path_pattern
    api = _api_origin(inv, dist)
    b = _api_behaviour(inv, exp, dist)
    if not api and not graph.role(inv, "rest_api") and not graph.role(inv, "http_api"):
        out.append(skipped(f"{name} behaviour {pattern}", "is not judged: the stack has no REST "
                           f"API ({graph.of(inv).followed('rest_api')}) and no HTTP API"))
    elif not api:
        out.append(absent(f"API origin of {name}", "an origin for the API Gateway API"))
    elif not b:
        out.append(absent(f"{name} behaviour {pattern}", f"a behaviour routing {pattern} to "
                          f"origin {api.get('Id')}",
                          f"Add a cache behaviour {pattern} targeting {api.get('Id')}"))
    elif b.get("TargetOriginId") != api.get("Id"):
        out.append(failed(f"{name} behaviour {pattern}", f"targets origin {b.get('TargetOriginId')}",
                          f"the API origin {api.get('Id')} ({api.get('DomainName')})",
                          f"Set the behaviour's TargetOriginId to {api.get('Id')}"))
    else:
        out.append(passed(f"{name} behaviour {pattern}", f"targets API origin {api.get('Id')} "
                          f"({api.get('DomainName')}{api.get('OriginPath') or ''})"))
    return out


@probe(layer="edge", component="behaviours",
       title="/api/* forwards the Authorization header to API Gateway", severity="blocker",
       gate=True, needs=("distribution", "rest_api|http_api"),
       remediation="Use a cache policy on /api/* whose HeadersConfig whitelists Authorization, "
                   "or the managed CachingDisabled cache policy with an all-viewer-headers origin "
                   "request policy (AllViewerExceptHostHeader); CloudFront strips it otherwise "
                   "and the Cognito authorizer answers 401")
def api_forwards_authorization(inv: Inventory, exp: Any) -> Finding:
    name, b = _need_api_behaviour(inv, exp)
    ok, what, ev = forwards_authorization(inv, b)
    if not ok:
        return failed(name, f"{what}, so API Gateway's authorizer sees no token (401)",
                      "Authorization forwarded to the origin", **ev)
    return passed(name, what, **ev)


@probe(layer="edge", component="behaviours", title="/api/* responses are not cached",
       needs=("distribution", "rest_api|http_api"),
       severity="critical", gate=True,
       remediation="Give /api/* a cache policy with MinTTL and DefaultTTL 0 (managed "
                   "CachingDisabled, or MaxTTL 1 when Authorization is in the key)")
def api_not_cached(inv: Inventory, exp: Any) -> Finding:
    name, b = _need_api_behaviour(inv, exp)
    max_ttl = exp.edge.api_max_ttl_seconds
    want = f"MinTTL 0, DefaultTTL 0 and MaxTTL at most {max_ttl}s (or managed CachingDisabled)"
    pid = b.get("CachePolicyId")
    if pid == CACHING_DISABLED:
        return passed(name, "uses the managed CachingDisabled policy", cache_policy_id=pid)
    if pid:
        cp = _cache_policy(inv, pid)
        if not cp:
            return failed(name, f"uses cache policy {pid}, which does not exist", want,
                          cache_policy_id=pid)
        ttls = {k: int(cp.get(k) or 0) for k in ("MinTTL", "DefaultTTL", "MaxTTL")}
        source = f"cache policy {pid} ({cp.get('Name')})"
    else:
        ttls = {k: int(b.get(k) or 0) for k in ("MinTTL", "DefaultTTL", "MaxTTL")}
        source = "legacy TTL settings"
    ev = {"cache_policy_id": pid, "ttls": ttls}
    if ttls["MinTTL"] or ttls["DefaultTTL"] or ttls["MaxTTL"] > max_ttl:
        return failed(name, f"caches through {source}: MinTTL {ttls['MinTTL']}, DefaultTTL "
                      f"{ttls['DefaultTTL']}, MaxTTL {ttls['MaxTTL']}", want, **ev)
    return passed(name, f"does not cache ({source}: MinTTL 0, DefaultTTL 0, MaxTTL "
                  f"{ttls['MaxTTL']})", **ev)


# ---- logging and invalidations ----------------------------------------------------------
@probe(layer="edge", component="logging", title="CloudFront access logging is on",
       severity="normal", challenge=10,
       remediation="Enable standard logging on the distribution to the stack's log bucket "
                   "(Logging.Enabled=true, Bucket=<log bucket>.s3.amazonaws.com)")
def access_logging(inv: Inventory, exp: Any) -> Finding:
    dist = _dist(inv)
    log = _config(dist).get("Logging") or {}
    name = _name(dist)
    if not log.get("Enabled") or not log.get("Bucket"):
        return failed(name, "has access logging off", "standard logging to an S3 bucket on",
                      logging=log)
    bucket = norm(log["Bucket"]).split(".s3")[0]
    if not inv.call("s3", "get_bucket_location", missing_ok=True, Bucket=bucket):
        return failed(name, f"logs to bucket {bucket}, which does not exist",
                      "an existing log bucket", "Create the bucket or point Logging.Bucket at "
                      "the stack's log bucket", logging=log)
    return passed(name, f"logs to s3://{bucket}/{log.get('Prefix') or ''}", logging=log)


@probe(layer="edge", component="invalidations", title="No invalidation is stuck InProgress",
       severity="normal", challenge=4,
       remediation="Check the deploy pipeline's create-invalidation call and AWS Health; "
                   "re-issue the invalidation (or contact AWS support if it stays stuck)")
def no_stuck_invalidations(inv: Inventory, exp: Any) -> Finding:
    dist = _dist(inv)
    resp = inv.call("cloudfront", "list_invalidations", DistributionId=dist["Id"],
                    MaxItems="100")
    items = _items(resp.get("InvalidationList"))
    limit = exp.edge.invalidation_max_minutes
    now = datetime.now(timezone.utc)
    stuck = []
    for item in items:
        if item.get("Status") == "Completed" or item.get("Status", "").lower() == "completed":
            continue
        created = item.get("CreateTime")
        if isinstance(created, datetime) and not created.tzinfo:
            created = created.replace(tzinfo=timezone.utc)
        minutes = (now - created).total_seconds() / 60 if isinstance(created, datetime) else None
        if minutes is not None and minutes > limit:
            detail = inv.call("cloudfront", "get_invalidation", missing_ok=True,
                              DistributionId=dist["Id"], Id=item["Id"])
            paths = _items(((detail or {}).get("Invalidation") or {}).get(
                "InvalidationBatch", {}).get("Paths"))
            stuck.append({"id": item["Id"], "status": item.get("Status"),
                          "minutes": round(minutes), "paths": paths})
    name = _name(dist)
    if stuck:
        desc = ", ".join(f"{s['id']} ({s['status']} for {s['minutes']} min, paths "
                         f"{s['paths'][:3]})" for s in stuck)
        return failed(name, f"has {len(stuck)} invalidation(s) stuck: {desc}",
                      f"every invalidation Completed within {limit} minutes", stuck=stuck)
    pending = sum(1 for i in items if i.get("Status", "").lower() != "completed")
    return passed(name, f"has no invalidation InProgress longer than {limit} minutes "
                  f"({len(items)} listed, {pending} in progress)", listed=len(items))
