"""Hops from the viewer's domain to CloudFront and its two origins (dns and edge layers):
domain -> alias record -> distribution (certificate, enabled) -> the site bucket through
OAC, and the ``/api/*`` behaviour -> the API origin, forwarding the token."""
from __future__ import annotations

from probes import edge, graph, iam, reads
from probes.inventory import Inventory
from probes.trace.engine import Blocked, Broken, Ctx, Skip, dist_name, items, norm

NO_DOMAIN = "no domain configured: set expectations.dns.domain or the DomainName parameter"
CLOUDFRONT_ZONE_ID = "Z2FDTNDATAQYW2"


def _zone_id(inv: Inventory) -> str | None:
    zid = graph.role(inv, "hosted_zone") or reads.stack_parameter(inv, "HostedZoneId")
    return zid.split("/")[-1] if zid else None


def domain_alias(c: Ctx) -> tuple[str, str, str]:
    if not c.domain:
        raise Skip(NO_DOMAIN)
    zid = _zone_id(c.inv)
    if not zid:
        raise Broken(f"domain {c.domain} has no hosted zone id", "a Route 53 hosted zone holding it",
                     "Set HostedZoneId (or resources.hosted_zone) to the domain's public zone")
    recs = _records(c, zid)
    alias = next((r for r in recs if r.get("Type") == "A"), None)
    src, tgt = f"domain {c.domain}", f"A record in zone {zid}"
    if not alias:
        raise Broken(f"zone {zid} has no A record for {c.domain}", "an A alias record",
                     f"UPSERT an A alias record {c.domain} -> the distribution's domain name "
                     f"(AliasTarget HostedZoneId {CLOUDFRONT_ZONE_ID})", records=recs)
    if not alias.get("AliasTarget"):
        values = [v.get("Value") for v in alias.get("ResourceRecords", [])]
        raise Broken(f"A record {c.domain} in zone {zid} is a plain record with values {values}",
                     "an alias record to CloudFront",
                     "Replace it with an alias record to the distribution")
    return src, tgt, f"A record {c.domain} in zone {zid} is an alias"


def _records(c: Ctx, zid: str) -> list[dict]:
    return [r for r in reads.domain_records(c.inv, zid, c.domain or "")
            if norm(r.get("Name")) == c.domain]


def alias_distribution(c: Ctx) -> tuple[str, str, str]:
    if not c.domain:
        raise Skip(NO_DOMAIN)
    zid = _zone_id(c.inv) or ""
    d = c.distribution()
    recs = [r for r in _records(c, zid) if r.get("AliasTarget")] if zid else []
    if not recs:
        raise Blocked("no alias record to follow")
    target = norm(d.get("DomainName"))
    src, tgt = f"alias {c.domain}", dist_name(d)
    for r in recs:
        at = norm(r["AliasTarget"].get("DNSName"))
        if at != target:
            raise Broken(f"{r.get('Type')} alias {c.domain} points at {at}",
                         f"an alias to this distribution, {target}",
                         f"UPSERT the {r.get('Type')} alias record to {target}")
    return src, tgt, f"{'/'.join(sorted(r['Type'] for r in recs))} alias {c.domain} -> {target}"


def certificate(c: Ctx) -> tuple[str, str, str]:
    if not c.domain:
        raise Skip(NO_DOMAIN)
    d = c.distribution()
    cfg = d.get("DistributionConfig") or {}
    aliases = [norm(a) for a in items(cfg.get("Aliases"))]
    arn = (cfg.get("ViewerCertificate") or {}).get("ACMCertificateArn") or ""
    src = dist_name(d)
    if c.domain not in aliases:
        raise Broken(f"{src} has aliases {aliases or 'none'}", f"{c.domain} among its aliases "
                     "(CloudFront answers 403 for a Host it does not know)",
                     f"Add {c.domain} to the distribution's Aliases")
    if not arn:
        raise Broken(f"{src} serves the default *.cloudfront.net certificate",
                     f"an ACM certificate for {c.domain}", "Set ViewerCertificate.AcmCertificateArn "
                     "to an issued us-east-1 certificate for the domain (sni-only)")
    cert = reads.certificate(c.inv, arn)
    if not cert:
        raise Broken(f"{src} names certificate {arn}, which does not exist",
                     "an existing certificate", "Request and validate a certificate in us-east-1")
    if cert.get("Status") != "ISSUED":
        raise Broken(f"certificate {arn} is {cert.get('Status')}", "ISSUED",
                     "Complete DNS validation of the certificate (CNAME in the hosted zone)")
    return src, f"certificate {arn}", f"alias {c.domain} with certificate {arn} ({cert.get('Status')})"


def viewer(c: Ctx) -> tuple[str, str, str]:
    d = reads.distribution(c.inv)
    c.dist = d
    did = graph.role(c.inv, "distribution")
    if not d:
        raise Broken(f"CloudFront distribution {did or '(none in the stack)'} was not found",
                     "the stack's distribution to exist",
                     "Redeploy the stack; the distribution was deleted outside CloudFormation")
    cfg = d.get("DistributionConfig") or {}
    if not cfg.get("Enabled", False):
        raise Broken(f"{dist_name(d)} is disabled", "Enabled: true",
                     "Enable the distribution (update-distribution with Enabled true)")
    return "viewer", dist_name(d), f"{dist_name(d)} is enabled ({d.get('Status')})"


def site_bucket(c: Ctx) -> tuple[str, str, str]:
    d = c.distribution()
    cfg = d.get("DistributionConfig") or {}
    origins = {o.get("Id"): o for o in items(cfg.get("Origins"))}
    default = (cfg.get("DefaultCacheBehavior") or {}).get("TargetOriginId")
    origin = origins.get(default)
    src = dist_name(d)
    bucket = graph.role(c.inv, "site_bucket")
    if not origin:
        raise Broken(f"{src}'s default behaviour targets origin {default!r}, which is not defined",
                     "the default behaviour to target the site bucket origin",
                     "Point DefaultCacheBehavior.TargetOriginId at the S3 origin")
    host = norm(origin.get("DomainName"))
    if bucket and graph.s3_origin_bucket(host) != bucket.lower():
        raise Broken(f"{src}'s default origin {origin.get('Id')} is {host}",
                     f"the site bucket {bucket} (regional S3 domain)",
                     f"Set the origin's DomainName to {bucket}.s3.<region>.amazonaws.com")
    oac_id = origin.get("OriginAccessControlId") or ""
    oai = ((origin.get("S3OriginConfig") or {}).get("OriginAccessIdentity") or "")
    tgt = f"bucket {bucket or host} via OAC {oac_id or '-'}"
    if not oac_id:
        raise Broken(f"{src}'s origin {origin.get('Id')} ({host}) has no origin access control"
                     + (f" (uses legacy OAI {oai})" if oai else ""),
                     "an OAC (sigv4, always sign) on the S3 origin, so S3 accepts CloudFront's "
                     "signed requests (Challenge 1)",
                     f"Set OriginAccessControlId on origin {origin.get('Id')} and clear "
                     "S3OriginConfig.OriginAccessIdentity (update-distribution)", origin=origin)
    oac = reads.origin_access_control(c.inv, oac_id)
    if not oac:
        raise Broken(f"origin access control {oac_id} on {src} does not exist", "the OAC to exist",
                     "Recreate the OAC and set it on the S3 origin")
    sign = ((oac.get("OriginAccessControlConfig") or {}).get("SigningBehavior"))
    if sign == "never":
        raise Broken(f"origin access control {oac_id} has SigningBehavior never",
                     "always (or no-override)", "Set the OAC's SigningBehavior to always")
    if bucket:
        policy = reads.bucket_policy(c.inv, bucket)
        arn = d.get("ARN") or ""
        # CloudFront (OAC) asks for the object a viewer's "/" maps to, as the service
        # principal, with the distribution's ARN and account as the request's source.
        obj = f"arn:aws:s3:::{bucket}/{cfg.get('DefaultRootObject') or 'index.html'}"
        context = {"aws:SourceArn": arn, "aws:SourceAccount": (arn.split(":") + [""] * 5)[4]}
        decision = iam.decide_resource(policy, f"bucket {bucket}'s policy", "cloudfront.amazonaws.com",
                                       "s3:GetObject", obj, context)
        if not decision.allowed:
            raise Broken(f"bucket {bucket}'s policy "
                         + (f"denies {arn or 'this distribution'} s3:GetObject on {obj}"
                            if decision.denied_by else
                            f"does not let {arn or 'this distribution'} read objects")
                         + ("" if policy else " (no bucket policy)"),
                         "Allow s3:GetObject to cloudfront.amazonaws.com with AWS:SourceArn = the "
                         "distribution's ARN",
                         f"Put the OAC bucket policy on {bucket} (Principal Service "
                         f"cloudfront.amazonaws.com, Condition StringEquals AWS:SourceArn {arn})",
                         policy=policy)
    return src, tgt, f"{src} default origin -> {host} signed by OAC {oac_id}; bucket policy grants it"


def api_origin(c: Ctx) -> tuple[str, str, str]:
    d = c.distribution()
    cfg = d.get("DistributionConfig") or {}
    pattern = c.e2e.api_path_pattern
    src = dist_name(d)
    behaviour = next((b for b in items(cfg.get("CacheBehaviors")) if b.get("PathPattern") == pattern),
                     None)
    # The API is a REST API or an HTTP API (API Gateway v2); both answer at the same host.
    api = reads.rest_api_id(c.inv)
    kind, stage = "API", graph.role(c.inv, "api_stage")
    if not api and reads.http_api_id(c.inv):
        api, kind, stage = reads.http_api_id(c.inv), "HTTP API", graph.role(c.inv, "http_api_stage")
    region = c.inv.session.region
    want_host = f"{api}.execute-api.{region}.amazonaws.com" if api else "the API's execute-api host"
    # An HTTP API's $default stage is served at the root: the origin path names no stage.
    want_path = "" if kind == "HTTP API" and stage == "$default" else stage
    if not behaviour:
        raise Broken(f"{src} has no {pattern} behaviour", f"a {pattern} behaviour to the API origin",
                     f"Add a cache behaviour {pattern} -> the API Gateway origin")
    origins = {o.get("Id"): o for o in items(cfg.get("Origins"))}
    origin = origins.get(behaviour.get("TargetOriginId"))
    if not origin:
        raise Broken(f"{src}'s {pattern} behaviour targets undefined origin "
                     f"{behaviour.get('TargetOriginId')!r}", "an origin for the API",
                     "Point the behaviour at the API Gateway origin")
    host = norm(origin.get("DomainName"))
    if api and host != want_host.lower():
        raise Broken(f"{src}'s {pattern} origin {origin.get('Id')} is {host}", want_host,
                     f"Set the API origin's DomainName to {want_host}")
    path = origin.get("OriginPath") or ""
    if stage and path.strip("/") != want_path:
        raise Broken(f"{src}'s API origin has OriginPath {path!r}",
                     f"/{want_path} (the stage name)" if want_path else
                     "no origin path (the $default stage answers at the root)",
                     f"Set OriginPath to /{want_path}" if want_path else "Remove the OriginPath")
    forwarded, what, _ = edge.forwards_authorization(c.inv, behaviour)
    if not forwarded:
        raise Broken(f"{src}'s {pattern} behaviour {what}, so every API call reaches the "
                     "authorizer without a token (401)",
                     "Authorization forwarded to the API origin",
                     f"Set the {pattern} behaviour's CachePolicyId to a cache policy whose "
                     "HeadersConfig whitelists Authorization (MinTTL/DefaultTTL 0, MaxTTL 1); "
                     "update-distribution", layer="edge",
                     cache_policy_id=behaviour.get("CachePolicyId"),
                     origin_request_policy_id=behaviour.get("OriginRequestPolicyId"))
    return src, f"{kind} {api} stage {stage}", f"{pattern} -> {host}{path}, forwarding Authorization"
