"""The request path, traced hop by hop through the configuration.

A viewer's request travels domain -> alias record -> CloudFront (certificate, web ACL) ->
S3 through OAC for the site, or the API origin for ``/api/*`` -> API stage -> method ->
Cognito authorizer -> user pool, and the method's VPC_LINK integration -> VPC link -> NLB
-> listener -> target group -> Auto Scaling group -> healthy instances in private subnets
-> the app port through the security groups -> Secrets Manager (the app reads the DB
secret with its instance role, through the NAT gateway or an interface endpoint) -> the
database port -> RDS -> its secret.

:func:`trace` follows that chain and returns one :class:`Hop` per link; the e2e probe
``e2e.request_path`` fails on the **first broken hop**, names the link, the resource ids,
what was found, the fix, and the layer suite to run next, with the whole table as
evidence. Every read goes through :mod:`probes.reads`, so after the layer suites ran the
trace is nearly free (the inventory memoizes).
"""
from __future__ import annotations

import ipaddress
from dataclasses import asdict, dataclass, field
from typing import Any, Callable
from urllib.parse import urlsplit

from probes import api as api_probes
from probes import edge, evaluators, graph, iam, network, reads, waf
from probes.expectations import Strict, layer_expectations
from probes.inventory import Ambiguous, Inventory
from probes.registry import probe
from probes.result import Absent, Finding, failed, passed, skipped

OK, BROKEN, SKIPPED, BLOCKED = "ok", "broken", "skipped", "blocked"
NO_DOMAIN = "no domain configured: set expectations.dns.domain or the DomainName parameter"

# Stable hop names: tests, faults (Fault.hop) and runbooks refer to these strings.
DOMAIN_ALIAS = "domain → alias record"
ALIAS_DISTRIBUTION = "alias record → distribution"
DISTRIBUTION_CERTIFICATE = "distribution → certificate"
VIEWER_DISTRIBUTION = "viewer → distribution"
DISTRIBUTION_WAF = "distribution → web ACL"
DISTRIBUTION_SITE = "distribution → site bucket (OAC)"
DISTRIBUTION_API = "distribution → API origin (/api/*)"
API_STAGE = "API origin → API stage"
STAGE_METHOD = "API stage → method"
METHOD_AUTHORIZER = "method → authorizer"
AUTHORIZER_POOL = "authorizer → user pool"
METHOD_VPC_LINK = "method → VPC link integration"
VPC_LINK_NLB = "VPC link → NLB"
NLB_LISTENER = "NLB → listener"
LISTENER_TG = "listener → target group"
TG_ASG = "target group → Auto Scaling group"
ASG_INSTANCES = "Auto Scaling group → instances"
NLB_APP_PORT = "NLB → app port"
APP_SECRETS = "app tier → Secrets Manager"
APP_DB_PORT = "app tier → database port"
DB_INSTANCE = "database port → RDS instance"
DB_SECRET = "database → secret"

HOPS = (DOMAIN_ALIAS, ALIAS_DISTRIBUTION, DISTRIBUTION_CERTIFICATE, VIEWER_DISTRIBUTION,
        DISTRIBUTION_WAF, DISTRIBUTION_SITE, DISTRIBUTION_API, API_STAGE, STAGE_METHOD,
        METHOD_AUTHORIZER, AUTHORIZER_POOL, METHOD_VPC_LINK, VPC_LINK_NLB, NLB_LISTENER,
        LISTENER_TG, TG_ASG, ASG_INSTANCES, NLB_APP_PORT, APP_SECRETS, APP_DB_PORT, DB_INSTANCE,
        DB_SECRET)
CLOUDFRONT_ZONE_ID = "Z2FDTNDATAQYW2"
# Where the Cognito authorizer must read the token: clients send the ID token in the
# Authorization header, and that is the header CloudFront forwards on /api/*.
AUTH_IDENTITY_SOURCE = "method.request.header.Authorization"


@layer_expectations("e2e")
class E2eExpect(Strict):
    # Methods under these paths are public by design (no authorizer); all others need one.
    public_paths: tuple[str, ...] = ("/health", "/api/health")
    # The CloudFront path pattern that routes to the API.
    api_path_pattern: str = "/api/*"
    # The path must have at least this many InService, healthy targets behind the NLB.
    min_healthy_instances: int = 1


@dataclass
class Hop:
    index: int
    name: str
    source: str
    target: str
    status: str          # ok | broken | skipped | blocked (an earlier hop left no input)
    evidence: str        # what was found, one sentence fragment with resource ids
    layer: str           # the layer suite that owns the resources of this link
    fix: str = ""
    expected: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def next_step(self) -> str:
        return f"pytest -m {self.layer}"


class _Broken(Exception):
    """Raised inside a hop check: the link is broken (observed, expected, fix)."""

    def __init__(self, observed: str, expected: str, fix: str, *, layer: str | None = None,
                 **details: Any):
        super().__init__(observed)
        self.observed, self.expected, self.fix, self.details = observed, expected, fix, details
        self.layer = layer  # overrides the hop's layer when another layer owns the cause


class _Skip(Exception):
    pass


class _Blocked(Exception):
    pass


# ---- small helpers ----------------------------------------------------------------------
def _norm(name: str | None) -> str:
    return (name or "").strip().rstrip(".").lower()


def _items(value: Any) -> list:
    """CloudFront's {Quantity, Items} lists."""
    return list((value or {}).get("Items") or [])


def _domain(inv: Inventory, exp: Any) -> str | None:
    configured = getattr(getattr(exp, "dns", None), "domain", None)
    return _norm(configured or reads.stack_parameter(inv, "DomainName")) or None


def _zone_id(inv: Inventory) -> str | None:
    zid = graph.role(inv, "hosted_zone") or reads.stack_parameter(inv, "HostedZoneId")
    return zid.split("/")[-1] if zid else None


def _rule_ports(rule: dict, port: int, protocol: str = "tcp") -> bool:
    proto = str(rule.get("IpProtocol", ""))
    if proto == "-1":
        return True
    if proto not in (protocol, "6"):
        return False
    return int(rule.get("FromPort", -1)) <= port <= int(rule.get("ToPort", -1))


def _cidrs(rule: dict) -> list[ipaddress._BaseNetwork]:
    nets = [r.get("CidrIp") for r in rule.get("IpRanges", [])]
    nets += [r.get("CidrIpv6") for r in rule.get("Ipv6Ranges", [])]
    return [ipaddress.ip_network(n, strict=False) for n in nets if n]


def _covers(net: ipaddress._BaseNetwork, what: str) -> bool:
    """Whether a rule's CIDR contains an address or a whole subnet CIDR."""
    other = ipaddress.ip_network(what, strict=False)
    return other.version == net.version and other.subnet_of(net)  # type: ignore[arg-type]


def _allows(groups: list[dict], direction: str, port: int, *, from_groups: set[str],
            from_cidrs: list[str]) -> dict | None:
    """The first rule of ``groups`` letting tcp ``port`` in (or out) from any of the peer
    groups, or from a CIDR covering every one of ``from_cidrs``; None if none does."""
    key = "IpPermissions" if direction == "ingress" else "IpPermissionsEgress"
    for g in groups:
        for rule in g.get(key, []):
            if not _rule_ports(rule, port):
                continue
            if {p.get("GroupId") for p in rule.get("UserIdGroupPairs", [])} & from_groups:
                return {"group": g["GroupId"], "rule": rule}
            if from_cidrs and any(all(_covers(net, c) for c in from_cidrs) for net in _cidrs(rule)):
                return {"group": g["GroupId"], "rule": rule}
    return None


def _sg_summary(groups: list[dict], direction: str) -> list[str]:
    key = "IpPermissions" if direction == "ingress" else "IpPermissionsEgress"
    out = []
    for g in groups:
        for r in g.get(key, []):
            proto = r.get("IpProtocol")
            ports = "all" if proto == "-1" else f"{r.get('FromPort')}-{r.get('ToPort')}"
            peers = [x.get("CidrIp") for x in r.get("IpRanges", [])]
            peers += [x.get("GroupId") for x in r.get("UserIdGroupPairs", [])]
            out.append(f"{g['GroupId']} {proto} {ports} {'in from' if direction == 'ingress' else 'out to'} "
                       f"{','.join(str(p) for p in peers) or '-'}")
    return out


def _public_subnets(inv: Inventory) -> set[str]:
    """Subnets whose route table (explicit, else the VPC's main one) routes 0.0.0.0/0 to an IGW."""
    tables = reads.route_tables(inv)
    def public(table: dict) -> bool:
        return any(r.get("DestinationCidrBlock") == "0.0.0.0/0"
                   and str(r.get("GatewayId", "")).startswith("igw-") for r in table.get("Routes", []))
    explicit: dict[str, dict] = {}
    main = None
    for t in tables:
        for a in t.get("Associations", []):
            if a.get("SubnetId"):
                explicit[a["SubnetId"]] = t
            if a.get("Main"):
                main = t
    out = set()
    for s in reads.subnets(inv):
        table = explicit.get(s["SubnetId"], main)
        if table and public(table):
            out.add(s["SubnetId"])
    return out


def _subnet_cidrs(inv: Inventory, ids: list[str]) -> list[str]:
    by_id = {s["SubnetId"]: s.get("CidrBlock") for s in reads.subnets(inv)}
    return [by_id[i] for i in ids if by_id.get(i)]


# ---- the trace --------------------------------------------------------------------------
class _Ctx:
    """What earlier hops found and later hops build on."""

    def __init__(self, inv: Inventory, exp: Any):
        self.inv, self.exp = inv, exp
        self.e2e = getattr(exp, "e2e", None) or E2eExpect()
        self.domain = _domain(inv, exp)
        self.dist: dict | None = None
        self.api_methods: list[tuple[str, str, dict]] = []   # (path, verb, method)
        self.nlb: dict | None = None
        self.app_port: int | None = None
        self.instances: list[dict] = []
        self.app_groups: list[dict] = []
        self.db: dict | None = None


def _distribution(c: _Ctx) -> dict:
    if c.dist is None:
        c.dist = reads.distribution(c.inv)
    if not c.dist:
        raise _Blocked("the stack has no CloudFront distribution")
    return c.dist


def _dist_name(d: dict) -> str:
    return f"distribution {d.get('Id')} ({d.get('DomainName')})"


def _hop_domain_alias(c: _Ctx) -> tuple[str, str, str]:
    if not c.domain:
        raise _Skip(NO_DOMAIN)
    zid = _zone_id(c.inv)
    if not zid:
        raise _Broken(f"domain {c.domain} has no hosted zone id", "a Route 53 hosted zone holding it",
                      "Set HostedZoneId (or resources.hosted_zone) to the domain's public zone")
    recs = _records(c, zid)
    alias = next((r for r in recs if r.get("Type") == "A"), None)
    src, tgt = f"domain {c.domain}", f"A record in zone {zid}"
    if not alias:
        raise _Broken(f"zone {zid} has no A record for {c.domain}", "an A alias record",
                      f"UPSERT an A alias record {c.domain} -> the distribution's domain name "
                      f"(AliasTarget HostedZoneId {CLOUDFRONT_ZONE_ID})", records=recs)
    if not alias.get("AliasTarget"):
        values = [v.get("Value") for v in alias.get("ResourceRecords", [])]
        raise _Broken(f"A record {c.domain} in zone {zid} is a plain record with values {values}",
                      "an alias record to CloudFront",
                      "Replace it with an alias record to the distribution")
    return src, tgt, f"A record {c.domain} in zone {zid} is an alias"


def _records(c: _Ctx, zid: str) -> list[dict]:
    return [r for r in reads.domain_records(c.inv, zid, c.domain or "")
            if _norm(r.get("Name")) == c.domain]


def _hop_alias_distribution(c: _Ctx) -> tuple[str, str, str]:
    if not c.domain:
        raise _Skip(NO_DOMAIN)
    zid = _zone_id(c.inv) or ""
    d = _distribution(c)
    recs = [r for r in _records(c, zid) if r.get("AliasTarget")] if zid else []
    if not recs:
        raise _Blocked("no alias record to follow")
    target = _norm(d.get("DomainName"))
    src, tgt = f"alias {c.domain}", _dist_name(d)
    for r in recs:
        at = _norm(r["AliasTarget"].get("DNSName"))
        if at != target:
            raise _Broken(f"{r.get('Type')} alias {c.domain} points at {at}",
                          f"an alias to this distribution, {target}",
                          f"UPSERT the {r.get('Type')} alias record to {target}")
    return src, tgt, f"{'/'.join(sorted(r['Type'] for r in recs))} alias {c.domain} -> {target}"


def _hop_certificate(c: _Ctx) -> tuple[str, str, str]:
    if not c.domain:
        raise _Skip(NO_DOMAIN)
    d = _distribution(c)
    cfg = d.get("DistributionConfig") or {}
    aliases = [_norm(a) for a in _items(cfg.get("Aliases"))]
    arn = (cfg.get("ViewerCertificate") or {}).get("ACMCertificateArn") or ""
    src = _dist_name(d)
    if c.domain not in aliases:
        raise _Broken(f"{src} has aliases {aliases or 'none'}", f"{c.domain} among its aliases "
                      "(CloudFront answers 403 for a Host it does not know)",
                      f"Add {c.domain} to the distribution's Aliases")
    if not arn:
        raise _Broken(f"{src} serves the default *.cloudfront.net certificate",
                      f"an ACM certificate for {c.domain}", "Set ViewerCertificate.AcmCertificateArn "
                      "to an issued us-east-1 certificate for the domain (sni-only)")
    cert = reads.certificate(c.inv, arn)
    if not cert:
        raise _Broken(f"{src} names certificate {arn}, which does not exist",
                      "an existing certificate", "Request and validate a certificate in us-east-1")
    if cert.get("Status") != "ISSUED":
        raise _Broken(f"certificate {arn} is {cert.get('Status')}", "ISSUED",
                      "Complete DNS validation of the certificate (CNAME in the hosted zone)")
    return src, f"certificate {arn}", f"alias {c.domain} with certificate {arn} ({cert.get('Status')})"


def _hop_viewer(c: _Ctx) -> tuple[str, str, str]:
    d = reads.distribution(c.inv)
    c.dist = d
    did = graph.role(c.inv, "distribution")
    if not d:
        raise _Broken(f"CloudFront distribution {did or '(none in the stack)'} was not found",
                      "the stack's distribution to exist",
                      "Redeploy the stack; the distribution was deleted outside CloudFormation")
    cfg = d.get("DistributionConfig") or {}
    if not cfg.get("Enabled", False):
        raise _Broken(f"{_dist_name(d)} is disabled", "Enabled: true",
                      "Enable the distribution (update-distribution with Enabled true)")
    return "viewer", _dist_name(d), f"{_dist_name(d)} is enabled ({d.get('Status')})"


def _hop_waf(c: _Ctx) -> tuple[str, str, str]:
    d = _distribution(c)
    acl_id = (d.get("DistributionConfig") or {}).get("WebACLId") or ""
    expected_arn = graph.role(c.inv, "web_acl")
    acl = reads.web_acl(c.inv)
    src = _dist_name(d)
    fix = (f"Associate the web ACL: set WebACLId of distribution {d.get('Id')} to "
           f"{(acl or {}).get('ARN') or expected_arn or 'the web ACL ARN'} (update-distribution)")
    if not acl_id:
        raise _Broken(f"{src} has no web ACL (WebACLId is empty)",
                      f"web ACL {expected_arn or '(a CLOUDFRONT-scope web ACL)'} associated", fix)
    if expected_arn and expected_arn.startswith("arn:") and acl_id != expected_arn:
        raise _Broken(f"{src} is protected by web ACL {acl_id}", f"the stack's web ACL {expected_arn}",
                      fix, web_acl_id=acl_id)
    if expected_arn and not acl:
        raise _Broken(f"web ACL {expected_arn} does not exist", "the web ACL to exist",
                      "Recreate the web ACL (redeploy) and associate it with the distribution")
    default = (acl or {}).get("DefaultAction") or {}
    if acl and "Block" in default:
        # Default Block is a legitimate allow-list design when some rule lets traffic in:
        # a rule whose Action is Allow (e.g. an IP set or country match), or a reference
        # to one of the account's own rule groups, whose rules may Allow (we do not read
        # them, so we give it the benefit of the doubt). AWS managed rule groups never
        # Allow (their rules Block, Count, CAPTCHA or Challenge), and Block, Count,
        # CAPTCHA and Challenge rules let nothing through on their own; with only those,
        # every request that does not match ends in the default Block: 403 for everyone.
        rules = acl.get("Rules") or []
        allowing = [r.get("Name") for r in rules if "Allow" in (r.get("Action") or {})
                    or "RuleGroupReferenceStatement" in (r.get("Statement") or {})]
        if not allowing:
            raise _Broken(f"web ACL {acl.get('Name')} ({acl_id}) on {src} has default action Block "
                          "and no rule "
                          f"that allows traffic (rules: {[r.get('Name') for r in rules] or 'none'}), "
                          "so it blocks every request (403)",
                          "default action Allow, or Block with explicit Allow rules",
                          f"aws wafv2 update-web-acl --name {acl.get('Name')} --scope CLOUDFRONT "
                          f"--id {acl.get('Id')} --default-action Allow={{}} ... (keep the rules)",
                          default_action=default)
        return src, f"web ACL {acl_id}", (f"{src} -> web ACL {acl_id} (default Block; allowed by "
                                          f"{', '.join(str(n) for n in allowing)})")
    blocking = evaluators.waf_rules_blocking_everyone(acl, waf.ip_sets(c.inv, acl)) if acl else []
    if blocking:
        name, priority, why = blocking[0]
        raise _Broken(f"web ACL {acl.get('Name')} on {src} has rule {name} (priority {priority}) that "
                      f"blocks every request ({why}): viewers get 403", "no Block rule matching every "
                      "request", f"Remove rule {name} from web ACL {acl.get('Name')} or narrow its match "
                      "(aws wafv2 update-web-acl --scope CLOUDFRONT ...)", rules=blocking)
    return src, f"web ACL {acl_id}", f"{src} -> web ACL {acl_id}"


def _hop_site(c: _Ctx) -> tuple[str, str, str]:
    d = _distribution(c)
    cfg = d.get("DistributionConfig") or {}
    origins = {o.get("Id"): o for o in _items(cfg.get("Origins"))}
    default = (cfg.get("DefaultCacheBehavior") or {}).get("TargetOriginId")
    origin = origins.get(default)
    src = _dist_name(d)
    bucket = graph.role(c.inv, "site_bucket")
    if not origin:
        raise _Broken(f"{src}'s default behaviour targets origin {default!r}, which is not defined",
                      "the default behaviour to target the site bucket origin",
                      "Point DefaultCacheBehavior.TargetOriginId at the S3 origin")
    host = _norm(origin.get("DomainName"))
    if bucket and not host.startswith(f"{bucket.lower()}.s3."):
        raise _Broken(f"{src}'s default origin {origin.get('Id')} is {host}",
                      f"the site bucket {bucket} (regional S3 domain)",
                      f"Set the origin's DomainName to {bucket}.s3.<region>.amazonaws.com")
    oac_id = origin.get("OriginAccessControlId") or ""
    oai = ((origin.get("S3OriginConfig") or {}).get("OriginAccessIdentity") or "")
    tgt = f"bucket {bucket or host} via OAC {oac_id or '-'}"
    if not oac_id:
        raise _Broken(f"{src}'s origin {origin.get('Id')} ({host}) has no origin access control"
                      + (f" (uses legacy OAI {oai})" if oai else ""),
                      "an OAC (sigv4, always sign) on the S3 origin, so S3 accepts CloudFront's "
                      "signed requests (Challenge 1)",
                      f"Set OriginAccessControlId on origin {origin.get('Id')} and clear "
                      "S3OriginConfig.OriginAccessIdentity (update-distribution)", origin=origin)
    oac = reads.origin_access_control(c.inv, oac_id)
    if not oac:
        raise _Broken(f"origin access control {oac_id} on {src} does not exist", "the OAC to exist",
                      "Recreate the OAC and set it on the S3 origin")
    sign = ((oac.get("OriginAccessControlConfig") or {}).get("SigningBehavior"))
    if sign == "never":
        raise _Broken(f"origin access control {oac_id} has SigningBehavior never",
                      "always (or no-override)", "Set the OAC's SigningBehavior to always")
    if bucket:
        policy = reads.bucket_policy(c.inv, bucket)
        arn = d.get("ARN") or ""
        if not _policy_grants_distribution(policy, bucket, arn):
            raise _Broken(f"bucket {bucket}'s policy does not let {arn or 'this distribution'} read "
                          "objects" + ("" if policy else " (no bucket policy)"),
                          "Allow s3:GetObject to cloudfront.amazonaws.com with AWS:SourceArn = the "
                          "distribution's ARN",
                          f"Put the OAC bucket policy on {bucket} (Principal Service "
                          f"cloudfront.amazonaws.com, Condition StringEquals AWS:SourceArn {arn})",
                          policy=policy)
    return src, tgt, f"{src} default origin -> {host} signed by OAC {oac_id}; bucket policy grants it"


def _listify(v: Any) -> list:
    return v if isinstance(v, list) else [v]


def _policy_grants_distribution(policy: dict | None, bucket: str, dist_arn: str) -> bool:
    for st in (policy or {}).get("Statement", []):
        if st.get("Effect") != "Allow":
            continue
        principal = st.get("Principal") or {}
        services = _listify(principal.get("Service", [])) if isinstance(principal, dict) else []
        if "cloudfront.amazonaws.com" not in services:
            continue
        actions = _listify(st.get("Action", []))
        if not any(a in ("s3:GetObject", "s3:*", "*") for a in actions):
            continue
        resources = _listify(st.get("Resource", []))
        if not any(r.startswith(f"arn:aws:s3:::{bucket}/") or r == "*" for r in resources):
            continue
        cond = st.get("Condition") or {}
        arns = [a for op in ("StringEquals", "ArnEquals", "StringLike", "ArnLike")
                for a in _listify((cond.get(op) or {}).get("AWS:SourceArn", []))]
        # No SourceArn condition lets every distribution in (a security finding for the
        # edge layer, not a break in this path); otherwise it must match this one.
        if not arns or any(a == dist_arn or (a.endswith("*") and dist_arn.startswith(a[:-1]))
                           for a in arns):
            return True
    return False


def _hop_api_origin(c: _Ctx) -> tuple[str, str, str]:
    d = _distribution(c)
    cfg = d.get("DistributionConfig") or {}
    pattern = c.e2e.api_path_pattern
    src = _dist_name(d)
    behaviour = next((b for b in _items(cfg.get("CacheBehaviors")) if b.get("PathPattern") == pattern),
                     None)
    api = reads.rest_api_id(c.inv)
    region = c.inv.session.region
    want_host = f"{api}.execute-api.{region}.amazonaws.com" if api else "the API's execute-api host"
    stage = graph.role(c.inv, "api_stage")
    if not behaviour:
        raise _Broken(f"{src} has no {pattern} behaviour", f"a {pattern} behaviour to the API origin",
                      f"Add a cache behaviour {pattern} -> the API Gateway origin")
    origins = {o.get("Id"): o for o in _items(cfg.get("Origins"))}
    origin = origins.get(behaviour.get("TargetOriginId"))
    if not origin:
        raise _Broken(f"{src}'s {pattern} behaviour targets undefined origin "
                      f"{behaviour.get('TargetOriginId')!r}", "an origin for the API",
                      "Point the behaviour at the API Gateway origin")
    host = _norm(origin.get("DomainName"))
    if api and host != want_host.lower():
        raise _Broken(f"{src}'s {pattern} origin {origin.get('Id')} is {host}", want_host,
                      f"Set the API origin's DomainName to {want_host}")
    path = origin.get("OriginPath") or ""
    if stage and path.strip("/") != stage:
        raise _Broken(f"{src}'s API origin has OriginPath {path!r}", f"/{stage} (the stage name)",
                      f"Set OriginPath to /{stage}")
    forwarded, what, _ = edge.forwards_authorization(c.inv, behaviour)
    if not forwarded:
        raise _Broken(f"{src}'s {pattern} behaviour {what}, so every API call reaches the "
                      "authorizer without a token (401)",
                      "Authorization forwarded to the API origin",
                      f"Set the {pattern} behaviour's CachePolicyId to a cache policy whose "
                      "HeadersConfig whitelists Authorization (MinTTL/DefaultTTL 0, MaxTTL 1); "
                      "update-distribution", layer="edge",
                      cache_policy_id=behaviour.get("CachePolicyId"),
                      origin_request_policy_id=behaviour.get("OriginRequestPolicyId"))
    return src, f"API {api} stage {stage}", f"{pattern} -> {host}{path}, forwarding Authorization"


def _hop_stage(c: _Ctx) -> tuple[str, str, str]:
    api, stage_name = reads.rest_api_id(c.inv), graph.role(c.inv, "api_stage")
    if not api:
        raise _Broken("the stack has no REST API", "a REST API", "Redeploy the stack")
    stage = reads.api_stage(c.inv)
    if not stage:
        raise _Broken(f"REST API {api} has no stage {stage_name!r}", "the stage to exist",
                      f"Create a deployment and the stage {stage_name} (aws apigateway create-deployment)")
    if not stage.get("deploymentId"):
        raise _Broken(f"stage {stage_name} of API {api} has no deployment", "a deployment",
                      "Deploy the API to the stage")
    refusing = evaluators.throttle_blocks_all((stage.get("methodSettings") or {}).get("*/*"))
    if refusing:
        raise _Broken(f"stage {stage_name} of API {api} {refusing}", "throttling above 0 req/s",
                      f"aws apigateway update-stage --rest-api-id {api} --stage-name {stage_name} "
                      "--patch-operations op=replace,path=/*/*/throttling/rateLimit,value=<n> "
                      "op=replace,path=/*/*/throttling/burstLimit,value=<n>")
    refused = api_probes.policy_refuses_callers(c.inv)
    if refused:
        raise _Broken(f"REST API {api}: {refused[0]}, so CloudFront's requests get 403",
                      "a resource policy that lets callers invoke the API",
                      f"aws apigateway update-rest-api --rest-api-id {api} --patch-operations "
                      "op=replace,path=/policy,value=<policy> and redeploy the stage",
                      policy=refused[1])
    return "API origin", f"API {api} stage {stage_name}", \
        f"stage {stage_name} -> deployment {stage.get('deploymentId')}"


def _methods(c: _Ctx) -> list[tuple[str, str, dict]]:
    if not c.api_methods:
        for res in reads.api_resources(c.inv):
            for verb, m in (res.get("resourceMethods") or {}).items():
                if verb != "OPTIONS":
                    c.api_methods.append((res.get("path", "?"), verb, m))
        c.api_methods.sort(key=lambda x: (x[0], x[1]))
    return c.api_methods


def _api_methods(c: _Ctx) -> list[tuple[str, str, dict]]:
    prefix = c.e2e.api_path_pattern.rstrip("*").rstrip("/")
    return [m for m in _methods(c) if m[0] == prefix or m[0].startswith(prefix + "/")]


def _hop_method(c: _Ctx) -> tuple[str, str, str]:
    api = reads.rest_api_id(c.inv)
    if not api:
        raise _Blocked("no REST API")
    methods = _api_methods(c)
    if not methods:
        raise _Broken(f"REST API {api} has no methods under {c.e2e.api_path_pattern}",
                      "the API's methods (e.g. GET /api/items)",
                      "Create the resources and methods, then redeploy the stage")
    return f"stage {graph.role(c.inv, 'api_stage')}", f"API {api}", \
        "methods " + ", ".join(f"{v} {p}" for p, v, _ in methods)


def _hop_authorizer(c: _Ctx) -> tuple[str, str, str]:
    api = reads.rest_api_id(c.inv)
    methods = _api_methods(c)
    if not methods:
        raise _Blocked("no API methods to follow")
    auths = {a.get("id"): a for a in reads.authorizers(c.inv)}
    protected = [m for m in methods if m[0] not in c.e2e.public_paths]
    if not protected:
        raise _Broken(f"API {api} has only public methods", "a protected method",
                      "Add the authorizer to the protected methods")
    seen = set()
    for path, verb, m in protected:
        name = f"method {verb} {path} of API {api}"
        kind = m.get("authorizationType", "NONE")
        if kind != "COGNITO_USER_POOLS":
            raise _Broken(f"{name} has authorization {kind}", "COGNITO_USER_POOLS with the stack's "
                          "authorizer (anyone could call it)",
                          f"aws apigateway update-method --rest-api-id {api} --http-method {verb} "
                          "... authorizationType=COGNITO_USER_POOLS, authorizerId=<id>; redeploy")
        aid = m.get("authorizerId")
        if not aid or aid not in auths:
            raise _Broken(f"{name} names authorizer {aid or '(none)'}, which does not exist",
                          f"one of {sorted(auths) or 'the API authorizers'}",
                          "Point the method at the Cognito authorizer and redeploy")
        source = auths[aid].get("identitySource") or ""
        if AUTH_IDENTITY_SOURCE.lower() not in [s.strip().lower() for s in source.split(",")]:
            raise _Broken(f"authorizer {aid} ({auths[aid].get('name')}) of {name} reads the token "
                          f"from {source or 'nowhere'}",
                          f"identity source {AUTH_IDENTITY_SOURCE} (clients send the ID token "
                          "there; without it every call is 401)",
                          f"aws apigateway update-authorizer --rest-api-id {api} --authorizer-id "
                          f"{aid} --patch-operations op=replace,path=/identitySource,"
                          f"value={AUTH_IDENTITY_SOURCE}; redeploy the stage",
                          identity_source=source)
        seen.add(aid)
    return f"{len(protected)} protected method(s)", f"authorizer(s) {', '.join(sorted(seen))}", \
        f"{', '.join(f'{v} {p}' for p, v, _ in protected)} -> COGNITO_USER_POOLS {', '.join(sorted(seen))}"


def _hop_pool(c: _Ctx) -> tuple[str, str, str]:
    auths = {a.get("id"): a for a in reads.authorizers(c.inv)}
    used = {m.get("authorizerId") for p, _, m in _api_methods(c)
            if m.get("authorizationType") == "COGNITO_USER_POOLS"} & set(auths)
    if not used:
        raise _Blocked("no authorizer to follow")
    pool = reads.user_pool(c.inv)
    pool_id = graph.role(c.inv, "user_pool")
    if not pool:
        raise _Broken(f"user pool {pool_id or '(none in the stack)'} was not found",
                      "the stack's user pool", "Redeploy the stack (the pool was deleted)")
    arn = pool.get("Arn") or ""
    for aid in sorted(used):
        a = auths[aid]
        providers = a.get("providerARNs") or []
        if a.get("type") != "COGNITO_USER_POOLS" or arn not in providers:
            raise _Broken(f"authorizer {aid} ({a.get('name')}) trusts {providers or 'no pool'}",
                          f"the stack's user pool {arn} (tokens from our pool are otherwise "
                          "rejected with 401, Challenge 7)",
                          f"aws apigateway update-authorizer --authorizer-id {aid} "
                          f"--patch-operations op=replace,path=/providerARNs/0,value={arn}; redeploy",
                          providers=providers)
    return f"authorizer(s) {', '.join(sorted(used))}", f"user pool {pool_id}", \
        f"authorizer -> {arn}"


def _nlb(c: _Ctx) -> dict | None:
    if c.nlb is None:
        c.nlb = reads.load_balancer(c.inv) or {}
    return c.nlb or None


def _hop_integration(c: _Ctx) -> tuple[str, str, str]:
    api = reads.rest_api_id(c.inv)
    methods = _api_methods(c)
    if not methods:
        raise _Blocked("no API methods to follow")
    links = set()
    ports = {int(x["Port"]) for x in reads.listeners(c.inv)}
    for path, verb, m in methods:
        name = f"method {verb} {path} of API {api}"
        integ = m.get("methodIntegration") or {}
        if integ.get("connectionType") != "VPC_LINK" or not integ.get("connectionId"):
            raise _Broken(f"{name} integrates {integ.get('type') or 'nothing'} over "
                          f"{integ.get('connectionType') or 'INTERNET'} "
                          f"(connectionId {integ.get('connectionId') or 'none'})",
                          "an HTTP_PROXY integration with connectionType VPC_LINK and the VPC link id",
                          "Set the integration's connectionType VPC_LINK and connectionId "
                          f"{graph.role(c.inv, 'vpc_link') or '<vpc link id>'}; redeploy (Challenge 2)",
                          integration=integ)
        # The host in the URI is only the Host header / TLS name (the VPC link decides where
        # the request goes); the port is where the NLB must listen.
        uri = urlsplit(integ.get("uri") or "")
        port = uri.port or (443 if uri.scheme == "https" else 80)
        if ports and port not in ports:
            raise _Broken(f"{name} sends to port {port}", f"a listener port of the NLB {sorted(ports)}",
                          "Set the integration URI port to the listener port")
        links.add(integ["connectionId"])
    return f"{len(methods)} method(s)", f"VPC link {', '.join(sorted(links))}", \
        f"VPC_LINK integrations via {', '.join(sorted(links))}"


def _hop_vpc_link(c: _Ctx) -> tuple[str, str, str]:
    links = {(m.get("methodIntegration") or {}).get("connectionId") for _, _, m in _api_methods(c)}
    links.discard(None)
    if not links:
        raise _Blocked("no VPC link to follow")
    nlb_arn = graph.role(c.inv, "nlb")
    for lid in sorted(links):
        link = reads.vpc_link(c.inv, lid)
        if not link:
            raise _Broken(f"VPC link {lid} does not exist", "the VPC link to exist",
                          "Recreate the VPC link to the NLB and point the integrations at it")
        targets = link.get("targetArns") or []
        if nlb_arn and nlb_arn not in targets:
            raise _Broken(f"VPC link {lid} targets {targets}", f"the stack's NLB {nlb_arn}",
                          "Recreate the VPC link with targetArns = the NLB ARN (a VPC link's "
                          "target cannot be changed in place) and update the integrations",
                          targets=targets)
        if link.get("status") not in (None, "AVAILABLE"):
            raise _Broken(f"VPC link {lid} is {link.get('status')} ({link.get('statusMessage')})",
                          "AVAILABLE", "Check the NLB exists in the VPC; recreate the link")
    return f"VPC link {', '.join(sorted(links))}", f"NLB {nlb_arn}", "VPC link -> NLB (AVAILABLE)"


def _hop_listener(c: _Ctx) -> tuple[str, str, str]:
    nlb = _nlb(c)
    arn = graph.role(c.inv, "nlb")
    if not nlb:
        raise _Broken(f"NLB {arn or '(none in the stack)'} was not found", "the NLB to exist",
                      "Redeploy the stack")
    state = (nlb.get("State") or {}).get("Code")
    if state not in (None, "active"):
        raise _Broken(f"NLB {arn} is {state}", "active", "Wait for provisioning or recreate the NLB")
    ls = reads.listeners(c.inv)
    if not ls:
        raise _Broken(f"NLB {arn} has no listener", "a TCP listener on the app port",
                      "Create a TCP listener forwarding to the target group")
    return f"NLB {nlb.get('LoadBalancerName')}", \
        f"listener(s) {', '.join(str(x['Port']) for x in ls)}", f"{len(ls)} listener(s)"


def _forwards_to(listener: dict) -> set[str]:
    out = set()
    for a in listener.get("DefaultActions", []):
        if a.get("TargetGroupArn"):
            out.add(a["TargetGroupArn"])
        for t in (a.get("ForwardConfig") or {}).get("TargetGroups", []):
            out.add(t.get("TargetGroupArn"))
    return out


def _hop_target_group(c: _Ctx) -> tuple[str, str, str]:
    ls = reads.listeners(c.inv)
    if not ls:
        raise _Blocked("no listener to follow")
    tg_arn = graph.role(c.inv, "target_group")
    tg = reads.target_group(c.inv)
    forwarded = set().union(*(_forwards_to(x) for x in ls))
    if not tg:
        raise _Broken(f"target group {tg_arn or '(none in the stack)'} was not found",
                      "the target group to exist", "Redeploy the stack")
    if tg_arn not in forwarded:
        raise _Broken(f"the NLB's listeners forward to {sorted(forwarded) or 'nothing'}",
                      f"the stack's target group {tg_arn}",
                      "Set the listener's default action to forward to the target group")
    c.app_port = int(tg.get("Port") or 0) or None
    compute_exp = getattr(c.exp, "compute", None)
    network_exp = getattr(c.exp, "network", None)
    problems = evaluators.health_check_problems(
        tg, getattr(network_exp, "app_port", None) or c.app_port,
        getattr(compute_exp, "health_check_path", None))
    if problems:
        raise _Broken(f"target group {tg.get('TargetGroupName')} {problems[0]}",
                      "a health check the app can pass", f"aws elbv2 modify-target-group "
                      f"--target-group-arn {tg_arn} --health-check-port traffic-port", layer="compute",
                      health_check={k: tg.get(k) for k in ("HealthCheckPort", "HealthCheckProtocol",
                                                           "HealthCheckPath", "HealthCheckEnabled")})
    return "listener", f"target group {tg.get('TargetGroupName')}", \
        f"forward -> {tg.get('TargetGroupName')} ({tg.get('Protocol')} {tg.get('Port')})"


def _hop_asg(c: _Ctx) -> tuple[str, str, str]:
    tg_arn = graph.role(c.inv, "target_group")
    asg = reads.auto_scaling_group(c.inv)
    name = graph.role(c.inv, "auto_scaling_group")
    if not asg:
        raise _Broken(f"Auto Scaling group {name or '(none in the stack)'} was not found",
                      "the ASG to exist", "Redeploy the stack")
    if tg_arn and tg_arn not in (asg.get("TargetGroupARNs") or []):
        raise _Broken(f"Auto Scaling group {name} registers with {asg.get('TargetGroupARNs') or 'no target group'}",
                      f"target group {tg_arn} (otherwise no instance ever receives traffic)",
                      f"aws autoscaling attach-load-balancer-target-groups --auto-scaling-group-name "
                      f"{name} --target-group-arns {tg_arn}")
    return f"target group {tg_arn}", f"Auto Scaling group {name}", f"{name} registers with the target group"


def _hop_instances(c: _Ctx) -> tuple[str, str, str]:
    asg = reads.auto_scaling_group(c.inv)
    if not asg:
        raise _Blocked("no Auto Scaling group")
    name = asg.get("AutoScalingGroupName")
    members = [i["InstanceId"] for i in asg.get("Instances", [])
               if i.get("LifecycleState") == "InService" and i.get("HealthStatus", "Healthy") == "Healthy"]
    health = {t["Target"]["Id"]: (t.get("TargetHealth") or {}).get("State")
              for t in reads.target_health(c.inv)}
    c.instances = reads.instances(c.inv, [i["InstanceId"] for i in asg.get("Instances", [])])
    details = {"asg_instances": asg.get("Instances", []), "target_health": health}
    healthy = [i for i in members if health.get(i) == "healthy"]
    need = c.e2e.min_healthy_instances
    if len(healthy) < need:
        states = {i["InstanceId"]: f"{i.get('LifecycleState')}/{i.get('HealthStatus')}/"
                  f"target {health.get(i['InstanceId'], 'unregistered')}" for i in asg.get("Instances", [])}
        starting = sorted(i for i, s in health.items() if s == "initial")
        raise _Broken(f"Auto Scaling group {name} has {len(healthy)} in-service instance(s) healthy "
                      f"in the target group ({states or 'no instances'})"
                      + (f"; {', '.join(starting)} initial: health checks still running, wait and "
                         "rerun" if starting else ""),
                      f"at least {need} (otherwise the NLB has nowhere to send requests: 5xx)",
                      "Check target health reasons (aws elbv2 describe-target-health), the app's "
                      "/health endpoint via SSM, and the ASG activity history", **details)
    public = _public_subnets(c.inv)
    for inst in c.instances:
        if inst.get("PublicIpAddress") or inst.get("SubnetId") in public:
            raise _Broken(f"instance {inst['InstanceId']} is in subnet {inst.get('SubnetId')}"
                          + (f" with public IP {inst.get('PublicIpAddress')}" if inst.get("PublicIpAddress") else
                             " routed to an internet gateway"),
                          "app instances in private subnets only",
                          "Set the ASG's VPCZoneIdentifier to the private app subnets", **details)
    return f"Auto Scaling group {name}", f"{len(healthy)} healthy instance(s)", \
        f"{', '.join(healthy)} healthy in private subnets"


def _app_groups(c: _Ctx) -> list[dict]:
    if c.app_groups:
        return c.app_groups
    ids: set[str] = set()
    for inst in c.instances:
        ids |= {g["GroupId"] for g in inst.get("SecurityGroups", [])}
    if not ids:
        _, data = reads.launch_template_data(c.inv)
        ids |= set((data or {}).get("SecurityGroupIds") or [])
        for ni in (data or {}).get("NetworkInterfaces") or []:
            ids |= set(ni.get("Groups") or [])
    if not ids and graph.role(c.inv, "app_security_group"):
        ids.add(graph.role(c.inv, "app_security_group"))
    c.app_groups = [g for g in (reads.security_group(c.inv, i) for i in sorted(ids)) if g]
    return c.app_groups


def _hop_app_port(c: _Ctx) -> tuple[str, str, str]:
    nlb = _nlb(c)
    port = c.app_port or (int(reads.target_group(c.inv).get("Port")) if reads.target_group(c.inv) else None)
    if not nlb or not port:
        raise _Blocked("no NLB or target port")
    groups = _app_groups(c)
    if not groups:
        raise _Broken("the app instances have no security group", "the app security group",
                      "Check the launch template's security groups")
    nlb_subnets = [z.get("SubnetId") for z in nlb.get("AvailabilityZones", []) if z.get("SubnetId")]
    cidrs = _subnet_cidrs(c.inv, nlb_subnets)
    if not cidrs:
        vpc = reads.vpc(c.inv)
        cidrs = [vpc["CidrBlock"]] if vpc else []
    ids = ", ".join(g["GroupId"] for g in groups)
    rule = _allows(groups, "ingress", port, from_groups=set(nlb.get("SecurityGroups") or []),
                   from_cidrs=cidrs)
    if not rule:
        raise _Broken(f"security group(s) {ids} of the app instances do not allow tcp {port} from "
                      f"the NLB's subnets {cidrs} (ingress: {_sg_summary(groups, 'ingress') or 'none'})",
                      f"tcp {port} open from the VPC CIDR / NLB subnets (NLB health checks and "
                      "VPC-link traffic come from NLB node addresses)",
                      f"aws ec2 authorize-security-group-ingress --group-id {groups[0]['GroupId']} "
                      f"--protocol tcp --port {port} --cidr {(reads.vpc(c.inv) or {}).get('CidrBlock', '<VPC CIDR>')}")
    app_subnets = [s for s in (reads.auto_scaling_group(c.inv) or {}).get("VPCZoneIdentifier", "").split(",") if s]
    blocked = network.nacl_blocks(c.inv, app_subnets, port, cidrs)
    if blocked:
        sid, peer, stop = blocked[0]
        raise _Broken(f"subnet {sid} of the app tier drops tcp {port} {'replies to' if stop.egress else 'from'} "
                      f"{peer}: {stop}", f"the network ACL to pass tcp {port} from the NLB and the replies",
                      f"Allow tcp {port} in and 1024-65535 out on {stop.acl_id} (aws ec2 "
                      f"create-network-acl-entry), or remove the DENY rule", network_acl=stop.acl_id)
    return f"NLB {nlb.get('LoadBalancerName')} ({', '.join(cidrs)})", f"{ids} tcp {port}", \
        f"{rule['group']} allows tcp {port} from the NLB; network ACLs pass it"



# ---- app tier -> Secrets Manager ----------------------------------------------------------
# Before it can open a connection to the database the app reads the master user secret
# (GetSecretValue) with the instance role's credentials, over HTTPS to Secrets Manager: a
# public endpoint reached through the NAT gateway, or an interface VPC endpoint.
def _instance_role(c: _Ctx) -> tuple[str | None, str]:
    """(role name, where it came from): the launch template's instance profile (what the
    instances run with), else the stack's instance role; the reads the compute and
    database suites make."""
    _, data = reads.launch_template_data(c.inv)
    ref = (data or {}).get("IamInstanceProfile") or {}
    profile = ref.get("Name") or (ref.get("Arn") or "").rsplit("/", 1)[-1]
    if profile:
        roles = (reads.instance_profile(c.inv, profile) or {}).get("Roles", [])
        if roles:
            return roles[0]["RoleName"], f"instance profile {profile}"
    try:
        return graph.role(c.inv, "instance_role"), "the stack's instance role"
    except Ambiguous:
        return None, ""


def _route_table_of(c: _Ctx, subnet_id: str) -> dict | None:
    main = None
    for t in reads.route_tables(c.inv):
        for a in t.get("Associations", []):
            if a.get("SubnetId") == subnet_id:
                return t
            if a.get("Main"):
                main = t
    return main


def _egress_of(c: _Ctx, subnet_id: str, nats: dict[str, dict], public: set[str]) -> str | None:
    """How the subnet reaches public AWS endpoints (None: it does not)."""
    table = _route_table_of(c, subnet_id)
    route = next((r for r in (table or {}).get("Routes", [])
                  if r.get("DestinationCidrBlock") == "0.0.0.0/0"), None)
    if not route or route.get("State") == "blackhole":
        return None
    nat_id = route.get("NatGatewayId")
    if nat_id:
        nat = nats.get(nat_id)
        if not nat or nat.get("State") != "available" or nat.get("SubnetId") not in public:
            return None
        return f"NAT gateway {nat_id}"
    # A NAT instance or a transit gateway (central egress) is an egress we cannot follow
    # further; an internet gateway gives a private instance no way out (and the instances
    # hop already reports app instances in IGW-routed subnets).
    for key in ("TransitGatewayId", "NetworkInterfaceId", "InstanceId"):
        if route.get(key):
            return f"{key[:-2]} {route[key]}"
    return None


def _route_summary(c: _Ctx, subnet_id: str, nats: dict[str, dict]) -> str:
    table = _route_table_of(c, subnet_id)
    route = next((r for r in (table or {}).get("Routes", [])
                  if r.get("DestinationCidrBlock") == "0.0.0.0/0"), None)
    if not route:
        return f"{subnet_id}: no 0.0.0.0/0 route"
    target = next((route[k] for k in ("NatGatewayId", "GatewayId", "TransitGatewayId",
                                      "NetworkInterfaceId", "InstanceId") if route.get(k)), "?")
    state = (nats.get(target) or {}).get("State", "not found") if target.startswith("nat-") else \
        route.get("State", "active")
    return f"{subnet_id}: 0.0.0.0/0 -> {target} ({state})"


def _secretsmanager_endpoints(c: _Ctx) -> list[dict]:
    """Available interface endpoints for Secrets Manager in the VPC with private DNS (so
    the SDK's default endpoint name resolves to them). Read only when a subnet has no NAT
    egress, so a healthy NAT-routed stack makes no extra read."""
    vid = reads.vpc_id(c.inv)
    if not vid:
        return []
    service = f"com.amazonaws.{c.inv.session.region}.secretsmanager"
    eps = c.inv.paginate("ec2", "describe_vpc_endpoints", "VpcEndpoints", missing_ok=True,
                         Filters=[{"Name": "vpc-id", "Values": [vid]},
                                  {"Name": "service-name", "Values": [service]}])
    return [e for e in eps if e.get("ServiceName") == service
            and e.get("VpcEndpointType", "Interface") == "Interface"
            and str(e.get("State", "")).lower() == "available" and e.get("PrivateDnsEnabled")]


def _hop_secrets_manager(c: _Ctx) -> tuple[str, str, str]:
    c.db = c.db or reads.db_instance(c.inv)
    arn = ((c.db or {}).get("MasterUserSecret") or {}).get("SecretArn")
    if not arn:
        try:
            arn = graph.role(c.inv, "db_secret")
        except Ambiguous:
            arn = None
    # 1. Credentials: the instance role may read the secret.
    role, source = _instance_role(c)
    granted = ""
    if arn:  # no secret at all is the "database → secret" hop's finding
        if not role:
            raise _Broken("the app instances have no instance role", "an instance profile whose "
                          f"role may call secretsmanager:GetSecretValue on {arn}",
                          "Set IamInstanceProfile in the launch template to the app's instance "
                          "profile and refresh the instances", layer="compute")
        decision = iam.decide_secret_read(c.inv, role, arn)
        allow, deny = decision.allowed_by, decision.denied_by
        if deny or not allow:
            raise _Broken(f"instance role {role} (from {source}) "
                          + (f"is denied secretsmanager:GetSecretValue on {arn} by "
                             f"{', '.join(deny)}" if deny else
                             f"has no policy allowing secretsmanager:GetSecretValue on {arn}")
                          + ", so the app cannot read its DB credentials (/health: database "
                          "unreachable)", "GetSecretValue allowed on the DB secret's ARN",
                          (f"Remove the Deny for {arn} from {', '.join(deny)}" if deny else
                           f"aws iam put-role-policy --role-name {role} --policy-name ReadDbSecret "
                           "--policy-document '{\"Version\":\"2012-10-17\",\"Statement\":[{"
                           "\"Effect\":\"Allow\",\"Action\":[\"secretsmanager:GetSecretValue\"],"
                           f"\"Resource\":\"{arn}\"}}]}}' (then pytest -m database)"),
                          layer="compute", secret_arn=arn, allowing=allow, denying=deny)
        granted = f"role {role} may GetSecretValue ({', '.join(allow)})"
    # 2. Network: every app subnet has a way to Secrets Manager.
    subnets = sorted({i["SubnetId"] for i in c.instances if i.get("SubnetId")}) or sorted(
        s for s in (reads.auto_scaling_group(c.inv) or {}).get("VPCZoneIdentifier", "").split(",") if s)
    if not subnets:
        raise _Blocked("no app subnets")
    nats = {n["NatGatewayId"]: n for n in reads.nat_gateways(c.inv)}
    public = _public_subnets(c.inv)
    ways = {s: _egress_of(c, s, nats, public) for s in subnets}
    closed = [s for s, w in ways.items() if not w]
    endpoints = _secretsmanager_endpoints(c) if closed else []
    if closed and not endpoints:
        raise _Broken("app subnet(s) " + "; ".join(_route_summary(c, s, nats) for s in closed)
                      + " have no path to Secrets Manager (no available NAT gateway route and no "
                      "secretsmanager interface endpoint), so the app cannot fetch its DB secret",
                      "0.0.0.0/0 through an available NAT gateway in a public subnet, or an "
                      "interface VPC endpoint for secretsmanager with private DNS",
                      "Recreate the NAT gateway in a public subnet and point the app route "
                      "table's 0.0.0.0/0 at it (aws ec2 create-nat-gateway; aws ec2 replace-route "
                      "--nat-gateway-id ...), or create a secretsmanager interface endpoint",
                      routes={s: _route_summary(c, s, nats) for s in subnets})
    # 3. The app's security groups let HTTPS out to where the calls go: the internet via
    # NAT, or (private DNS sends every call in the VPC there) an interface endpoint.
    groups = _app_groups(c)
    if groups:
        nat_out = not closed and bool(_allows(groups, "egress", 443, from_groups=set(),
                                              from_cidrs=["0.0.0.0/0"])
                                      or _prefix_list_egress(groups, 443))
        if not nat_out:
            endpoints = endpoints or _secretsmanager_endpoints(c)
            vpc_cidr = (reads.vpc(c.inv) or {}).get("CidrBlock")
            ep_groups = {g.get("GroupId") for e in endpoints for g in e.get("Groups", [])}
            if not (endpoints and _allows(groups, "egress", 443, from_groups=ep_groups,
                                          from_cidrs=[vpc_cidr] if vpc_cidr else [])):
                ids = ", ".join(g["GroupId"] for g in groups)
                raise _Broken(f"app security group(s) {ids} do not allow egress tcp 443 to "
                              + ("the Secrets Manager endpoint" if closed else
                                 "the internet (through the NAT gateway)")
                              + f" (egress: {_sg_summary(groups, 'egress') or 'none'})",
                              "egress tcp 443 to Secrets Manager",
                              f"aws ec2 authorize-security-group-egress --group-id "
                              f"{groups[0]['GroupId']} --protocol tcp --port 443 --cidr 0.0.0.0/0")
    how = sorted({w for w in ways.values() if w}) + (
        [f"endpoint {e.get('VpcEndpointId')}" for e in endpoints])
    return f"app subnets {', '.join(subnets)}", f"Secrets Manager ({arn or 'DB secret'})", \
        "; ".join(x for x in (granted, "reached via " + ", ".join(how)) if x)


def _prefix_list_egress(groups: list[dict], port: int) -> bool:
    """An egress rule to a prefix list (e.g. a managed AWS list) we do not resolve."""
    return any(_rule_ports(r, port) and r.get("PrefixListIds")
               for g in groups for r in g.get("IpPermissionsEgress", []))

def _db_groups(c: _Ctx) -> list[dict]:
    ids = [g["VpcSecurityGroupId"] for g in (c.db or {}).get("VpcSecurityGroups", [])
           if g.get("Status", "active") == "active"]
    if not ids and graph.role(c.inv, "db_security_group"):
        ids = [graph.role(c.inv, "db_security_group")]
    return [g for g in (reads.security_group(c.inv, i) for i in ids) if g]


def _hop_db_port(c: _Ctx) -> tuple[str, str, str]:
    c.db = reads.db_instance(c.inv)
    port = int(((c.db or {}).get("Endpoint") or {}).get("Port") or 5432)
    app = _app_groups(c)
    db = _db_groups(c)
    if not app or not db:
        raise _Blocked("no app or database security group")
    app_ids = {g["GroupId"] for g in app}
    src_cidrs = [i["PrivateIpAddress"] for i in c.instances if i.get("PrivateIpAddress")]
    if not src_cidrs:
        src_cidrs = _subnet_cidrs(c.inv, [s for s in (reads.auto_scaling_group(c.inv) or {})
                                          .get("VPCZoneIdentifier", "").split(",") if s])
    db_ids = {g["GroupId"] for g in db}
    db_subnets = [s.get("SubnetIdentifier") for s in
                  ((c.db or {}).get("DBSubnetGroup") or {}).get("Subnets", [])]
    dst_cidrs = _subnet_cidrs(c.inv, db_subnets)
    ingress = _allows(db, "ingress", port, from_groups=app_ids, from_cidrs=src_cidrs)
    src, tgt = f"app SG {', '.join(sorted(app_ids))}", f"DB SG {', '.join(sorted(db_ids))} tcp {port}"
    if not ingress:
        raise _Broken(f"database security group(s) {', '.join(sorted(db_ids))} do not allow tcp {port} "
                      f"from the app tier {sorted(app_ids)} (ingress: {_sg_summary(db, 'ingress') or 'none'})",
                      f"ingress tcp {port} from the app security group",
                      f"aws ec2 authorize-security-group-ingress --group-id {sorted(db_ids)[0]} "
                      f"--protocol tcp --port {port} --source-group {sorted(app_ids)[0]} (Challenge 3)")
    egress = _allows(app, "egress", port, from_groups=db_ids, from_cidrs=dst_cidrs)
    if not egress:
        raise _Broken(f"app security group(s) {', '.join(sorted(app_ids))} do not allow egress tcp "
                      f"{port} to the database {sorted(db_ids)} (egress: {_sg_summary(app, 'egress') or 'none'})",
                      f"egress tcp {port} to the DB security group",
                      f"aws ec2 authorize-security-group-egress --group-id {sorted(app_ids)[0]} "
                      f"--ip-permissions IpProtocol=tcp,FromPort={port},ToPort={port},"
                      f"UserIdGroupPairs=[{{GroupId={sorted(db_ids)[0]}}}] (Challenge 3)")
    app_subnets = [s for s in (reads.auto_scaling_group(c.inv) or {}).get("VPCZoneIdentifier", "").split(",") if s]
    blocked = network.nacl_blocks(c.inv, db_subnets, port, _subnet_cidrs(c.inv, app_subnets))
    if blocked:
        sid, peer, stop = blocked[0]
        raise _Broken(f"subnet {sid} of the database drops tcp {port} "
                      f"{'replies to' if stop.egress else 'from'} the app subnet {peer}: {stop}",
                      f"the network ACL to pass tcp {port} from the app subnets and the replies",
                      f"Allow tcp {port} in and 1024-65535 out on {stop.acl_id} (aws ec2 "
                      "create-network-acl-entry), or remove the DENY rule", network_acl=stop.acl_id)
    return src, tgt, f"{ingress['group']} ingress and {egress['group']} egress allow tcp {port}"


def _hop_db(c: _Ctx) -> tuple[str, str, str]:
    c.db = c.db or reads.db_instance(c.inv)
    ident = graph.role(c.inv, "db_instance")
    if not c.db:
        raise _Broken(f"RDS instance {ident or '(none in the stack)'} was not found",
                      "the database to exist", "Restore from the latest snapshot or redeploy")
    status = c.db.get("DBInstanceStatus")
    if status not in ("available", "backing-up", "modifying", "configuring-log-exports"):
        raise _Broken(f"RDS instance {ident} is {status}", "available",
                      "Start the instance (aws rds start-db-instance) or check its events")
    db_sg = graph.role(c.inv, "db_security_group")
    attached = [g["VpcSecurityGroupId"] for g in c.db.get("VpcSecurityGroups", [])]
    if db_sg and db_sg not in attached:
        raise _Broken(f"RDS instance {ident} has security groups {attached}",
                      f"the DB security group {db_sg}",
                      f"aws rds modify-db-instance --db-instance-identifier {ident} "
                      f"--vpc-security-group-ids {db_sg} --apply-immediately")
    ep = c.db.get("Endpoint") or {}
    return "DB security group", f"RDS {ident}", f"{ident} {status} at {ep.get('Address')}:{ep.get('Port')}"


def _hop_secret(c: _Ctx) -> tuple[str, str, str]:
    c.db = c.db or reads.db_instance(c.inv)
    if not c.db:
        raise _Blocked("no database")
    ident = c.db.get("DBInstanceIdentifier")
    arn = ((c.db.get("MasterUserSecret") or {}).get("SecretArn")) or graph.role(c.inv, "db_secret")
    if not arn:
        raise _Broken(f"RDS instance {ident} has no managed master user secret",
                      "ManageMasterUserPassword: true (the app reads credentials from it)",
                      f"aws rds modify-db-instance --db-instance-identifier {ident} "
                      "--manage-master-user-password --apply-immediately")
    sec = reads.secret(c.inv, arn)
    if not sec:
        raise _Broken(f"secret {arn} of RDS instance {ident} does not exist",
                      "the master user secret the app reads to connect",
                      f"aws rds modify-db-instance --db-instance-identifier {ident} "
                      "--manage-master-user-password (recreates it), then restart the app")
    if sec.get("DeletedDate"):
        raise _Broken(f"secret {arn} of RDS instance {ident} is scheduled for deletion "
                      f"({sec.get('DeletedDate')})", "an active secret",
                      f"aws secretsmanager restore-secret --secret-id {arn}")
    return f"RDS {ident}", f"secret {sec.get('Name') or arn}", "the master user secret exists"


# (name, layer, check)
_CHECKS: tuple[tuple[str, str, Callable[[_Ctx], tuple[str, str, str]]], ...] = (
    (DOMAIN_ALIAS, "dns", _hop_domain_alias),
    (ALIAS_DISTRIBUTION, "dns", _hop_alias_distribution),
    (DISTRIBUTION_CERTIFICATE, "dns", _hop_certificate),
    (VIEWER_DISTRIBUTION, "edge", _hop_viewer),
    (DISTRIBUTION_WAF, "waf", _hop_waf),
    (DISTRIBUTION_SITE, "edge", _hop_site),
    (DISTRIBUTION_API, "edge", _hop_api_origin),
    (API_STAGE, "api", _hop_stage),
    (STAGE_METHOD, "api", _hop_method),
    (METHOD_AUTHORIZER, "api", _hop_authorizer),
    (AUTHORIZER_POOL, "auth", _hop_pool),
    (METHOD_VPC_LINK, "api", _hop_integration),
    (VPC_LINK_NLB, "api", _hop_vpc_link),
    (NLB_LISTENER, "compute", _hop_listener),
    (LISTENER_TG, "compute", _hop_target_group),
    (TG_ASG, "compute", _hop_asg),
    (ASG_INSTANCES, "compute", _hop_instances),
    (NLB_APP_PORT, "network", _hop_app_port),
    (APP_SECRETS, "network", _hop_secrets_manager),
    (APP_DB_PORT, "network", _hop_db_port),
    (DB_INSTANCE, "database", _hop_db),
    (DB_SECRET, "database", _hop_secret),
)


# The roles a hop starts from: a stack where none plays them does not have that part of the
# path (a static site has no API, an API may have no CloudFront in front): the hop is
# skipped, naming what was followed, unless the environment requires the hop's layer.
_EDGE, _API = ("distribution",), ("rest_api",)
HOP_NEEDS: dict[str, tuple[str, ...]] = {
    DOMAIN_ALIAS: _EDGE, ALIAS_DISTRIBUTION: _EDGE, DISTRIBUTION_CERTIFICATE: _EDGE,
    VIEWER_DISTRIBUTION: _EDGE, DISTRIBUTION_WAF: _EDGE, DISTRIBUTION_SITE: _EDGE,
    DISTRIBUTION_API: _EDGE + _API, API_STAGE: _API, STAGE_METHOD: _API, METHOD_AUTHORIZER: _API,
    AUTHORIZER_POOL: _API, METHOD_VPC_LINK: _API, VPC_LINK_NLB: _API, NLB_LISTENER: ("nlb",),
    LISTENER_TG: ("nlb",), TG_ASG: ("nlb", "auto_scaling_group"),
    ASG_INSTANCES: ("auto_scaling_group",), NLB_APP_PORT: ("nlb", "auto_scaling_group"),
    APP_SECRETS: ("auto_scaling_group", "db_instance"),
    APP_DB_PORT: ("auto_scaling_group", "db_instance"), DB_INSTANCE: ("db_instance",),
    DB_SECRET: ("db_instance",),
}


def _absent_part(inv: Inventory, exp: Any, name: str, layer: str) -> Absent | None:
    """Absent when the stack lacks this part of the path (and its layer is not required)."""
    if layer in (getattr(exp, "required_layers", None) or ()):
        return None
    for role in HOP_NEEDS.get(name, ()):
        try:
            graph.need(inv, role)
        except Absent as exc:
            return exc
    return None


def trace(inv: Inventory, exp: Any) -> list[Hop]:
    """Every hop of the request path, in the order a request travels them."""
    _warm(inv, exp)
    ctx = _Ctx(inv, exp)
    hops = []
    for index, (name, layer, check) in enumerate(_CHECKS, 1):
        src, _, tgt = name.partition(" → ")
        missing = _absent_part(inv, exp, name, layer)
        if missing:
            hops.append(Hop(index, name, src, tgt, SKIPPED, f"not in this stack: {missing}", layer))
            continue
        try:
            source, target, found = check(ctx)
            hops.append(Hop(index, name, source, target, OK, found, layer))
        except _Broken as b:
            hops.append(Hop(index, name, src, tgt, BROKEN, b.observed, b.layer or layer, b.fix,
                            b.expected, b.details))
        except (_Skip, Absent) as s:
            hops.append(Hop(index, name, src, tgt, SKIPPED, str(s), layer))
        except _Blocked as s:
            hops.append(Hop(index, name, src, tgt, BLOCKED, f"could not be followed: {s}", layer,
                            f"Run pytest -m {layer} to see which {layer} resource is missing",
                            "the resources this link starts from to exist"))
    return hops


def _warm(inv: Inventory, exp: Any) -> None:
    """Make the walk's reads side by side first. Each hop is tried once on its own context
    on the inventory's threads and the verdict thrown away: the reads it gets to land in
    the inventory, so the walk below, which needs what earlier hops found and so goes in
    order, finds them there instead of paying one round trip after another (30 reads in a
    row against real AWS). A hop that needs an earlier hop's finding gets less far alone;
    the walk makes what it missed."""
    def attempt(check: Callable[[_Ctx], Any]) -> None:
        try:
            check(_Ctx(inv, exp))
        except Exception:  # the walk below reports what this hop really finds
            pass
    inv.parallel(attempt, [check for _, _, check in _CHECKS])


def first_broken(hops: list[Hop]) -> Hop | None:
    return next((h for h in hops if h.status == BROKEN), None)


def render_table(hops: list[Hop]) -> str:
    """A plain-text table an engineer can read in a terminal or a report attachment."""
    rows = [("#", "hop", "status", "layer", "found")]
    rows += [(str(h.index), h.name, h.status, h.layer, h.evidence) for h in hops]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = []
    for r in rows:
        lines.append("  ".join(r[i].ljust(widths[i]) for i in range(4)) + "  " + r[4])
    lines.insert(1, "  ".join("-" * w for w in widths) + "  " + "-" * 5)
    broken = first_broken(hops)
    if broken:
        lines.append("")
        lines.append(f"first broken hop: {broken.index} {broken.name}; expected {broken.expected}. "
                     f"Fix: {broken.fix} Next: {broken.next_step}")
    return "\n".join(lines)


def hops_from_evidence(evidence: dict[str, Any]) -> list[Hop]:
    """Rebuild the hop table from a Finding's evidence (for report attachments)."""
    return [Hop(**h) for h in evidence.get("hops", [])]


@probe(layer="e2e", component="request-path",
       title="The request path is connected hop by hop, domain to database",
       severity="blocker", gate=True, challenge=10,
       remediation="Repair the first broken hop named above, then rerun its layer suite")
def request_path(inv: Inventory, exp: Any) -> Finding:
    hops = trace(inv, exp)
    evidence = {"hops": [asdict(h) for h in hops], "table": render_table(hops)}
    broken = first_broken(hops) or next((h for h in hops if h.status == BLOCKED), None)
    if broken:
        others = [h.name for h in hops if h.status == BROKEN and h is not broken]
        ends = f"{broken.source} → {broken.target}"
        where = f" ({ends})" if ends != broken.name else ""
        finding = failed(f"request path hop {broken.index} '{broken.name}'{where}", broken.evidence,
                         broken.expected, broken.fix, **evidence,
                         first_broken_hop=broken.name,
                         other_broken_hops=others)
        finding.next_step = f"{broken.next_step} (layer {broken.layer})" + (
            f"; {len(others)} later hop(s) also broken: {', '.join(others)}" if others else "")
        return finding
    skipped_hops = [h.name for h in hops if h.status == SKIPPED]
    ok = sum(h.status == OK for h in hops)
    if not ok:
        return skipped("request path", f"has no hop in stack {inv.stack_name} to follow "
                       f"({hops[0].evidence if hops else 'no hops'})", **evidence)
    if any(h.evidence.startswith("not in this stack") for h in hops):
        parts = [h.name for h in hops if h.status == OK]
        return passed("request path", f"connects the {ok} hops this stack has ({parts[0]} … "
                      f"{parts[-1]}); {len(skipped_hops)} hop(s) not in this stack are skipped",
                      **evidence)
    note = f"; {len(skipped_hops)} skipped ({hops[0].evidence})" if skipped_hops else ""
    return passed("request path", f"connects all {ok} hops from "
                  f"{'domain ' + _domain(inv, exp) if _domain(inv, exp) else 'the distribution'} "
                  f"to the database secret{note}", **evidence)
