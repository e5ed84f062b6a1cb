"""API layer probes: the REST API's stage, its Cognito authorizer, and the private path
API Gateway -> VPC link -> internal NLB -> app port (seed Challenges 2 and 7).

Methods and their integrations come from one ``get_resources(embed=methods)`` read;
the stage, authorizers, VPC links, NLB and listeners each from their shared accessor.
"""
from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from probes import graph, iam, reads
from probes.expectations import Strict, layer_expectations
from probes.inventory import Inventory
from probes.registry import probe
from probes.result import Finding, Missing, absent, failed, passed

COGNITO = "COGNITO_USER_POOLS"


@layer_expectations("api")
class ApiExpect(Strict):
    # Paths callable without a token (the load balancer's and CloudFront's health checks).
    public_paths: tuple[str, ...] = ("/api/health",)
    # CORS preflight cannot carry a token; API Gateway must answer it unauthenticated.
    public_http_methods: tuple[str, ...] = ("OPTIONS",)
    identity_source: str = "method.request.header.Authorization"
    # Stage-wide throttling: set (> 0) and no looser than these (the template's values).
    max_throttling_burst_limit: int = 100
    max_throttling_rate_limit: float = 50.0
    # The port the app listens on; None: the stack's AppPort parameter.
    app_port: int | None = None


# ---- shared helpers (private to this layer) ---------------------------------------------
def _api_name(inv: Inventory) -> str:
    return f"REST API {reads.rest_api_id(inv)}"


def _stage_name(inv: Inventory) -> str:
    return f"stage {graph.role(inv, 'api_stage')} of REST API {reads.rest_api_id(inv)}"


def _methods(inv: Inventory) -> list[tuple[dict, str, dict]]:
    """(resource, HTTP verb, method) for every method of the API."""
    out = []
    for res in sorted(reads.api_resources(inv), key=lambda r: r.get("path", "")):
        for verb, method in sorted((res.get("resourceMethods") or {}).items()):
            out.append((res, verb, method or {}))
    return out


def _is_public(res: dict, verb: str, exp: Any) -> bool:
    return res.get("path") in exp.api.public_paths or verb in exp.api.public_http_methods


def _integration(inv: Inventory, res: dict, verb: str, method: dict) -> dict | None:
    # get_resources(embed=methods) embeds the integration; read it alone only if it did not.
    if method.get("methodIntegration"):
        return method["methodIntegration"]
    return inv.call("apigateway", "get_integration", missing_ok=True,
                    restApiId=reads.rest_api_id(inv), resourceId=res["id"], httpMethod=verb)


def _stage_variables(inv: Inventory) -> dict[str, str]:
    return (reads.api_stage(inv) or {}).get("variables") or {}


def _connection_id(inv: Inventory, integration: dict) -> str | None:
    """The VPC link id, resolving ``${stageVariables.x}`` against the stage."""
    cid = integration.get("connectionId")
    if cid and cid.startswith("${stageVariables.") and cid.endswith("}"):
        return _stage_variables(inv).get(cid[len("${stageVariables."):-1])
    return cid


def _stage_defaults(stage: dict) -> dict | None:
    return (stage.get("methodSettings") or {}).get("*/*")


def _app_port(inv: Inventory, exp: Any) -> int | None:
    """The port the NLB must listen on: the environment's ``api.app_port``, a stack parameter
    named AppPort, else the one port the REST API's VPC_LINK integrations call (their URI's
    port: the VPC link sends the request to that port of the NLB)."""
    if exp.api.app_port:
        return exp.api.app_port
    given = reads.stack_parameter(inv, "AppPort")  # the root's, else its nested stacks'
    if given and given.isdigit():
        return int(given)
    ports = integration_ports(inv)
    return ports.pop() if len(ports) == 1 else None


def integration_ports(inv: Inventory) -> set[int]:
    """The NLB ports the REST API's VPC_LINK integrations call (a URI without a port calls
    80, or 443 for https)."""
    if not reads.rest_api_id(inv):
        return set()
    ports = set()
    for res, verb, method in _methods(inv):
        integ = _integration(inv, res, verb, method) or {}
        if integ.get("connectionType") == "VPC_LINK" and integ.get("uri"):
            ports.add(uri_port(integ["uri"]))
    return ports


def uri_port(uri: str) -> int:
    """The port an integration URI calls."""
    u = urlsplit(uri)
    return u.port or (443 if u.scheme == "https" else 80)


def _need_api(inv: Inventory) -> str:
    """The stack's REST API id; :class:`Missing` when there is none."""
    api = reads.rest_api_id(inv)
    if not api:
        raise Missing(absent("REST API", fix="Deploy the API or set resources.rest_api"))
    return api


def _need_stage(inv: Inventory) -> dict:
    """The stack's API stage; :class:`Missing` when the API or the stage is not there."""
    if not reads.rest_api_id(inv):
        raise Missing(absent("REST API", fix="Deploy the API (AWS::ApiGateway::RestApi) or set "
                                             "resources.rest_api in the environment file"))
    stage = reads.api_stage(inv)
    if not stage:
        raise Missing(absent(_stage_name(inv), "the stage to exist and serve a deployment",
                             "Create the stage from the latest deployment: aws apigateway "
                             "create-deployment --rest-api-id <api> --stage-name <stage>"))
    return stage


# ---- stage ------------------------------------------------------------------------------
@probe(layer="api", component="stage", title="The API stage serves an existing deployment",
       severity="blocker", gate=True,
       remediation="Deploy the API to the stage: aws apigateway create-deployment "
                   "--rest-api-id <api> --stage-name <stage> (method changes are not live "
                   "until deployed)")
def stage_deployed(inv: Inventory, exp: Any) -> Finding:
    stage = _need_stage(inv)
    name = _stage_name(inv)
    dep_id = stage.get("deploymentId")
    if not dep_id:
        return failed(name, "has no deployment", "a deploymentId")
    dep = inv.call("apigateway", "get_deployment", missing_ok=True,
                   restApiId=reads.rest_api_id(inv), deploymentId=dep_id, embed=["apisummary"])
    if not dep:
        return failed(name, f"points at deployment {dep_id}, which does not exist",
                      "an existing deployment")
    # apiSummary (AWS): what the stage really serves, path -> verb -> {authorizationType}.
    summary = dep.get("apiSummary")
    evidence = {"deploymentId": dep_id, "createdDate": dep.get("createdDate")}
    if summary is None:
        return passed(name, f"serves deployment {dep_id} (the deployment has no apiSummary, so "
                            "undeployed method changes could not be compared)", **evidence)
    stale = []
    for res, verb, method in _methods(inv):
        deployed = (summary.get(res.get("path")) or {}).get(verb)
        current = method.get("authorizationType")
        if deployed is None:
            stale.append(f"{verb} {res.get('path')} is not deployed")
        elif deployed.get("authorizationType") != current:
            stale.append(f"{verb} {res.get('path')} is deployed with authorization "
                         f"{deployed.get('authorizationType')} but configured with {current}")
    if stale:
        return failed(name, f"serves deployment {dep_id}, older than the API: "
                            + "; ".join(stale),
                      "the stage to serve the current method configuration",
                      "Redeploy: aws apigateway create-deployment --rest-api-id "
                      f"{reads.rest_api_id(inv)} --stage-name {stage.get('stageName')}",
                      **evidence)
    return passed(name, f"serves deployment {dep_id}, matching the API's methods", **evidence)


@probe(layer="api", component="stage", title="The API stage writes access logs",
       severity="normal", challenge=10,
       remediation="Set the stage's access log destination (a CloudWatch log group ARN) and "
                   "format: aws apigateway update-stage --patch-operations "
                   "op=replace,path=/accessLogSettings/destinationArn,value=<arn>")
def stage_access_logging(inv: Inventory, exp: Any) -> Finding:
    stage = _need_stage(inv)
    settings = stage.get("accessLogSettings") or {}
    return access_logging(inv, _stage_name(inv), settings, settings.get("destinationArn"),
                          settings.get("format"), accessLogSettings=settings)


def access_logging(inv: Inventory, name: str, settings: dict, dest: str | None, fmt: str | None,
                   **evidence: Any) -> Finding:
    """A stage's access logging (REST or HTTP API alike): a destination and a format, and a
    destination log group that exists."""
    if not dest or not fmt:
        observed = "has no access logging" if not settings else (
            f"has access logging without a {'destination ARN' if not dest else 'format'}")
        return failed(name, observed, "access logs with a destination ARN and a format", **evidence)
    if ":log-group:" in dest:
        group = dest.split(":log-group:", 1)[1].removesuffix(":*")
        if reads.log_group(inv, group) is None:
            return failed(name, f"sends access logs to log group {group}, which does not exist",
                          "an existing destination log group",
                          f"Create log group {group} (with retention) or point the stage at "
                          "an existing one", **evidence)
    return passed(name, f"writes access logs to {dest}", **evidence)


@probe(layer="api", component="stage", title="The API stage publishes CloudWatch metrics",
       severity="normal", challenge=10,
       remediation="Enable detailed metrics for all methods: aws apigateway update-stage "
                   "--patch-operations op=replace,path=/*/*/metrics/enabled,value=true")
def stage_metrics_enabled(inv: Inventory, exp: Any) -> Finding:
    stage = _need_stage(inv)
    name = _stage_name(inv)
    defaults = _stage_defaults(stage)
    if not defaults or not defaults.get("metricsEnabled"):
        observed = ("has no stage-wide method settings (*/*)" if defaults is None
                    else "has detailed metrics disabled for */*")
        return failed(name, observed, "metricsEnabled true for */* (the 5XX alarm and the "
                                      "dashboard read these metrics)",
                      methodSettings=stage.get("methodSettings") or {})
    return passed(name, "publishes metrics for every method (*/*)",
                  methodSettings=stage.get("methodSettings") or {})


@probe(layer="api", component="stage", title="The API stage throttles requests within limits",
       severity="critical",
       remediation="Set stage-wide throttling: aws apigateway update-stage --patch-operations "
                   "op=replace,path=/*/*/throttling/burstLimit,value=<n> "
                   "op=replace,path=/*/*/throttling/rateLimit,value=<n>")
def stage_throttling(inv: Inventory, exp: Any) -> Finding:
    stage = _need_stage(inv)
    name = _stage_name(inv)
    max_burst, max_rate = exp.api.max_throttling_burst_limit, exp.api.max_throttling_rate_limit
    expected = f"0 < burst <= {max_burst} and 0 < rate <= {max_rate:g} req/s for */*"
    defaults = _stage_defaults(stage)
    if defaults is None:
        return failed(name, "has no stage-wide throttling (*/*), so only the account limit "
                            "(10000 req/s) applies", expected,
                      methodSettings=stage.get("methodSettings") or {})
    burst = defaults.get("throttlingBurstLimit")
    rate = defaults.get("throttlingRateLimit")
    evidence = {"throttlingBurstLimit": burst, "throttlingRateLimit": rate}
    if burst is None or rate is None or not (0 < burst <= max_burst) or not (0 < rate <= max_rate):
        return failed(name, f"throttles */* at burst {burst} and rate {rate} req/s", expected,
                      **evidence)
    return passed(name, f"throttles */* at burst {burst} and rate {rate:g} req/s", **evidence)


# ---- authorization (Challenge 7) -------------------------------------------------------
@probe(layer="api", component="authorizer",
       title="Every non-public method requires the Cognito authorizer", severity="blocker",
       gate=True, challenge=7,
       remediation="Set the method's authorization to the Cognito authorizer (authorization "
                   "type COGNITO_USER_POOLS, authorizerId of the stack's authorizer), then "
                   "redeploy the stage")
def methods_authorized(inv: Inventory, exp: Any) -> list[Finding]:
    _need_api(inv)
    by_id = {a["id"]: a for a in reads.authorizers(inv)}
    findings = []
    for res, verb, method in _methods(inv):
        name = f"method {verb} {res.get('path')} of {_api_name(inv)}"
        auth_type, auth_id = method.get("authorizationType"), method.get("authorizerId")
        if _is_public(res, verb, exp):
            findings.append(passed(name, f"is public by expectation (authorization {auth_type})"))
            continue
        authorizer = by_id.get(auth_id or "")
        evidence = {"authorizationType": auth_type, "authorizerId": auth_id}
        if auth_type != COGNITO:
            findings.append(failed(name, f"has authorization {auth_type}",
                                   f"{COGNITO} with the stack's Cognito authorizer (public "
                                   f"paths only: {', '.join(exp.api.public_paths)})",
                                   **evidence))
        elif not authorizer or authorizer.get("type") != COGNITO:
            findings.append(failed(name, f"uses authorizer {auth_id}, which "
                                         + ("does not exist" if not authorizer else
                                            f"is of type {authorizer.get('type')}"),
                                   f"an existing {COGNITO} authorizer", **evidence))
        else:
            findings.append(passed(name, f"requires Cognito authorizer {authorizer.get('name')} "
                                         f"({auth_id})", **evidence))
    if not findings:
        return [failed(_api_name(inv), "has no methods", "the API's methods to exist",
                       "Redeploy the stack; its methods are missing")]
    return findings


def cognito_authorizers_in_use(inv: Inventory, exp: Any) -> list[dict]:
    """The Cognito authorizers protected methods use (all Cognito ones if none is used):
    a leftover authorizer nobody uses does not decide whether tokens are accepted."""
    auths = [a for a in reads.authorizers(inv) if a.get("type") == COGNITO]
    used = {m.get("authorizerId") for r, v, m in _methods(inv) if not _is_public(r, v, exp)}
    in_use = [a for a in auths if a["id"] in used]
    return sorted(in_use or auths, key=lambda a: a.get("name", ""))


def cognito_methods(inv: Inventory, exp: Any) -> list[tuple[str, dict]]:
    """(``VERB /path (resource id)``, method) of every protected method a Cognito authorizer
    guards: with ``authorizationScopes`` such a method takes only an access token carrying
    one of them; without, the ID token (or an access token)."""
    return [(f"{verb} {res.get('path')} ({res.get('id')})", m) for res, verb, m in _methods(inv)
            if m.get("authorizationType") == COGNITO and not _is_public(res, verb, exp)]


def _user_pool_arn(inv: Inventory) -> str | None:
    pool = reads.user_pool(inv)
    return pool.get("Arn") if pool else None


@probe(layer="api", component="authorizer",
       title="The Cognito authorizer trusts this stack's user pool", severity="blocker",
       gate=True, challenge=7,
       remediation="Point the authorizer's provider ARNs at the stack's user pool ARN, then "
                   "redeploy the stage (tokens from any other pool are rejected with 401)")
def authorizer_trusts_stack_pool(inv: Inventory, exp: Any) -> list[Finding]:
    _need_api(inv)
    pool_arn = _user_pool_arn(inv)
    if not pool_arn:
        return [absent("Cognito user pool", fix="Deploy the user pool or set resources.user_pool")]
    auths = cognito_authorizers_in_use(inv, exp)
    if not auths:
        return [absent(f"Cognito authorizer of {_api_name(inv)}",
                       f"a {COGNITO} authorizer for user pool {pool_arn}",
                       "Create a COGNITO_USER_POOLS authorizer with the pool's ARN")]
    findings = []
    for a in auths:
        name = f"authorizer {a.get('name')} ({a['id']}) of {_api_name(inv)}"
        arns = a.get("providerARNs") or []
        if pool_arn not in arns:
            findings.append(failed(name, f"trusts {', '.join(arns) or 'no user pool'}",
                                   f"provider ARNs to include this stack's user pool {pool_arn}",
                                   providerARNs=arns, userPoolArn=pool_arn))
        else:
            findings.append(passed(name, f"trusts user pool {pool_arn}", providerARNs=arns))
    return findings


def _identity_key(source: str | None) -> str:
    """An identity source for comparison: HTTP header names are case-insensitive
    (method.request.header.authorization reads the same header as ...Authorization)."""
    prefix = "method.request.header."
    text = source or ""
    return prefix + text[len(prefix):].lower() if text.startswith(prefix) else text


@probe(layer="api", component="authorizer",
       title="The Cognito authorizer reads the token from the Authorization header",
       severity="critical", challenge=7,
       remediation="Set the authorizer's identity source to method.request.header.Authorization "
                   "(clients send the ID token there) and redeploy the stage")
def authorizer_identity_source(inv: Inventory, exp: Any) -> list[Finding]:
    _need_api(inv)
    auths = cognito_authorizers_in_use(inv, exp)
    if not auths:
        return [absent(f"Cognito authorizer of {_api_name(inv)}")]
    want = exp.api.identity_source
    findings = []
    for a in auths:
        name = f"authorizer {a.get('name')} ({a['id']}) of {_api_name(inv)}"
        source = a.get("identitySource")
        if _identity_key(source) != _identity_key(want):
            findings.append(failed(name, f"reads the token from {source or 'nowhere'}",
                                   f"identity source {want}", identitySource=source))
        else:
            findings.append(passed(name, f"reads the token from {source}"))
    return findings


# ---- private integration (Challenge 2) -------------------------------------------------
@probe(layer="api", component="integration",
       title="Every method proxies to the backend over a VPC link", severity="blocker",
       gate=True, challenge=2,
       remediation="Set the integration to type HTTP_PROXY, connection type VPC_LINK with the "
                   "stack's VPC link id, then redeploy the stage (private subnets are not "
                   "reachable over the internet)")
def integrations_via_vpc_link(inv: Inventory, exp: Any) -> list[Finding]:
    _need_api(inv)
    findings = []
    for res, verb, method in _methods(inv):
        name = f"integration of {verb} {res.get('path')} of {_api_name(inv)}"
        integ = _integration(inv, res, verb, method)
        if not integ:
            findings.append(absent(name, "an HTTP_PROXY integration over a VPC link"))
            continue
        itype, ctype = integ.get("type"), integ.get("connectionType") or "INTERNET"
        cid = _connection_id(inv, integ)
        evidence = {"type": itype, "connectionType": ctype, "connectionId": integ.get("connectionId"),
                    "uri": integ.get("uri")}
        if itype != "HTTP_PROXY" or ctype != "VPC_LINK" or not cid:
            findings.append(failed(name, f"is {itype} over {ctype}"
                                         + ("" if ctype != "VPC_LINK" or cid else
                                            " without a connection id"),
                                   "HTTP_PROXY over VPC_LINK with a VPC link id", **evidence))
        else:
            findings.append(passed(name, f"is HTTP_PROXY over VPC link {cid}", **evidence))
    if not findings:
        return [failed(_api_name(inv), "has no methods", "the API's methods to exist",
                       "Redeploy the stack; its methods are missing")]
    return findings


@probe(layer="api", component="vpc-link",
       title="The VPC link is available and targets this stack's NLB", severity="blocker",
       gate=True, challenge=2,
       remediation="Create a VPC link targeting the stack's NLB (target ARNs cannot be "
                   "changed on an existing link) and point the integrations at it; a FAILED "
                   "link shows its statusMessage")
def vpc_link_targets_nlb(inv: Inventory, exp: Any) -> list[Finding]:
    nlb_arn = graph.role(inv, "nlb")
    if not nlb_arn:
        return [absent("network load balancer", fix="Deploy the NLB or set resources.nlb")]
    link_ids: dict[str, list[str]] = {}
    for res, verb, method in _methods(inv):
        integ = _integration(inv, res, verb, method) or {}
        cid = _connection_id(inv, integ) if integ.get("connectionType") == "VPC_LINK" else None
        if cid:
            link_ids.setdefault(cid, []).append(f"{verb} {res.get('path')}")
    own = graph.role(inv, "vpc_link")
    if own:
        link_ids.setdefault(own, [])
    if not link_ids:
        return [absent("VPC link", f"a VPC link targeting NLB {nlb_arn}",
                       "Create an API Gateway VPC link for the NLB and use it in the integrations")]
    findings = []
    for lid, users in sorted(link_ids.items()):
        link = reads.vpc_link(inv, lid)
        name = f"VPC link {lid}" + (f" (used by {', '.join(users)})" if users else "")
        if not link:
            findings.append(absent(name, f"a VPC link targeting NLB {nlb_arn}"))
            continue
        status, targets = link.get("status"), link.get("targetArns") or []
        evidence = {"status": status, "statusMessage": link.get("statusMessage"),
                    "targetArns": targets, "nlbArn": nlb_arn}
        problems = []
        if status != "AVAILABLE":
            problems.append(f"is {status}"
                            + (f" ({link['statusMessage']})" if link.get("statusMessage") else ""))
        if nlb_arn not in targets:
            problems.append(f"targets {', '.join(targets) or 'nothing'}")
        if problems:
            findings.append(failed(name, " and ".join(problems),
                                   f"AVAILABLE and targeting this stack's NLB {nlb_arn}",
                                   **evidence))
        else:
            findings.append(passed(name, f"is AVAILABLE and targets NLB {nlb_arn}", **evidence))
    return findings


# The api layer judges the NLB as the back end of the API (REST or HTTP): a stack with a
# load balancer and no API serves clients from it directly (not applicable here).
@probe(concern="security", layer="api", component="nlb",
       title="The NLB behind the VPC link is internal, of type network, in private subnets",
       severity="critical", gate=True, challenge=2, needs=("rest_api|http_api", "nlb"),
       remediation="Recreate the load balancer as an internal network load balancer in private "
                   "subnets (scheme and type cannot be changed in place)")
def nlb_internal(inv: Inventory, exp: Any) -> Finding:
    """Private means no default route to an internet gateway: the app subnets, or subnets of
    the NLB's own (a design of its own, not a fault). App subnets that route to the internet
    are the app tier's finding (compute), not the NLB's."""
    lb = reads.load_balancer(inv)
    if not lb:
        return absent("network load balancer", fix="Deploy the NLB or set resources.nlb")
    name = f"load balancer {lb.get('LoadBalancerName')} ({lb['LoadBalancerArn']})"
    subnets = sorted(z.get("SubnetId") for z in lb.get("AvailabilityZones", []) if z.get("SubnetId"))
    evidence = {"Scheme": lb.get("Scheme"), "Type": lb.get("Type"), "subnets": subnets}
    problems = []
    if lb.get("Type") != "network":
        problems.append(f"is of type {lb.get('Type')}")
    if lb.get("Scheme") != "internal":
        problems.append(f"is {lb.get('Scheme')}")
    app = set(reads.tiers(inv)["app"])
    public = [s for s in subnets if s not in app and _has_internet_route(inv, s)]
    if public:
        problems.append(f"sits in public subnet(s) {', '.join(public)} (default route to "
                        "an internet gateway)")
    if problems:
        return failed(name, " and ".join(problems),
                      "an internal network load balancer in private subnets", **evidence)
    return passed(name, f"is an internal network load balancer in private subnets "
                        f"{', '.join(subnets)}", **evidence)


def _has_internet_route(inv: Inventory, subnet_id: str) -> bool:
    tables = reads.route_tables(inv)
    explicit = [t for t in tables
                if any(a.get("SubnetId") == subnet_id for a in t.get("Associations", []))]
    table = explicit[0] if explicit else next(
        (t for t in tables if any(a.get("Main") for a in t.get("Associations", []))), None)
    return bool(table) and any(r.get("GatewayId", "").startswith("igw-")
                               and r.get("DestinationCidrBlock") == "0.0.0.0/0"
                               for r in table.get("Routes", []))


@probe(layer="api", component="nlb",
       title="The NLB listener forwards the app port to the app target group",
       severity="blocker", gate=True, challenge=2, needs=("rest_api|http_api", "nlb"),
       remediation="Give the NLB a TCP listener on the app port whose default action forwards "
                   "to the stack's target group (itself on the app port)")
def nlb_listener_forwards(inv: Inventory, exp: Any) -> Finding:
    lb = reads.load_balancer(inv)
    if not lb:
        return absent("network load balancer", fix="Deploy the NLB or set resources.nlb")
    tg_arn = graph.role(inv, "target_group")
    if not tg_arn:
        return absent("target group", fix="Deploy the target group or set resources.target_group")
    tg = reads.target_group(inv)
    port = _app_port(inv, exp)
    name = f"load balancer {lb.get('LoadBalancerName')} ({lb['LoadBalancerArn']})"
    listeners = reads.listeners(inv)

    def forwards_to_tg(listener: dict) -> bool:
        for action in listener.get("DefaultActions", []):
            if action.get("Type") != "forward":
                continue
            arns = {action.get("TargetGroupArn")} | {
                t.get("TargetGroupArn") for t in
                (action.get("ForwardConfig") or {}).get("TargetGroups", [])}
            if tg_arn in arns:
                return True
        return False

    seen = [f"{x.get('Protocol')}:{x.get('Port')} -> "
            + ",".join(a.get("TargetGroupArn") or a.get("Type", "?")
                       for a in x.get("DefaultActions", [])) for x in listeners]
    evidence = {"listeners": seen, "targetGroupArn": tg_arn, "app_port": port,
                "targetGroupPort": (tg or {}).get("Port")}
    good = [x for x in listeners if forwards_to_tg(x) and (port is None or x.get("Port") == port)]
    expected = (f"a listener on port {port if port else 'the app port'} forwarding to target "
                f"group {tg_arn}" + (f" on port {port}" if port else ""))
    if not good:
        return failed(name, f"has listeners {'; '.join(seen) or 'none'}", expected, **evidence)
    if tg and port is not None and tg.get("Port") != port:
        return failed(f"target group {tg.get('TargetGroupName')} ({tg_arn})",
                      f"sends traffic to port {tg.get('Port')}", f"the app port {port}",
                      "Recreate the target group on the app port (its port cannot change)",
                      **evidence)
    return passed(name, f"forwards {good[0].get('Protocol')}:{good[0].get('Port')} to target "
                        f"group {tg_arn}", **evidence)


def invoke_arn(inv: Inventory, verb: str = "GET", path: str = "/api/items") -> str:
    api, stage = graph.role(inv, "rest_api"), graph.role(inv, "api_stage") or "*"
    account = inv.stack().get("StackId", "arn:aws:cloudformation:r:000000000000:").split(":")[4]
    return f"arn:aws:execute-api:{inv.session.region}:{account}:{api}/{stage}/{verb}{path}"


# Condition keys API Gateway fills from request headers CloudFront can add to its origin requests.
_HEADER_KEYS = {"referer": "aws:Referer", "user-agent": "aws:UserAgent"}


def cloudfront_context(inv: Inventory) -> dict[str, str]:
    """The condition keys of a request CloudFront sends to this API: the API origin's custom
    headers (a shared-secret Referer is the usual way to admit only CloudFront)."""
    api = graph.role(inv, "rest_api")
    cfg = graph.of(inv).distribution_config()
    ctx: dict[str, str] = {}
    for origin in (cfg.get("Origins") or {}).get("Items", []):
        found = graph.api_origin(origin.get("DomainName", ""))
        if not found or found[0] != api:
            continue
        for h in (origin.get("CustomHeaders") or {}).get("Items", []):
            key = _HEADER_KEYS.get(str(h.get("HeaderName", "")).lower())
            if key:
                ctx[key] = str(h.get("HeaderValue", ""))
    return ctx


def policy_refuses_callers(inv: Inventory) -> tuple[str, dict] | None:
    """(why, policy) when the REST API's resource policy refuses an ordinary request arriving
    through CloudFront (anyone, with the API origin's custom headers) execute-api:Invoke on
    the API's methods, else None."""
    policy = reads.rest_api_policy(inv)
    if not policy:
        return None
    arn = invoke_arn(inv)
    # API Gateway expands the short form execute-api:/stage/VERB/path to this API's ARN.
    base = arn.split("/", 1)[0] + "/"
    expanded = json.loads(json.dumps(policy).replace('"execute-api:/', f'"{base}'))
    decision = iam.decide_resource(expanded, "the REST API's resource policy", "*", "execute-api:Invoke", arn,
                                   cloudfront_context(inv))
    if decision.verdict == "deny":
        return f"its resource policy denies execute-api:Invoke on {arn} to every caller", policy
    if not decision.allowed:
        return (f"its resource policy allows execute-api:Invoke on {arn} to no one (with a policy, "
                "API Gateway refuses what it does not allow)"), policy
    return None


@probe(concern="security", layer="api", component="stage",
       title="The REST API's resource policy lets callers invoke the API", severity="blocker",
       gate=True, challenge=7,
       remediation="Fix the REST API's resource policy (aws apigateway update-rest-api "
                   "--patch-operations op=replace,path=/policy,value=...) and redeploy the stage; "
                   "a Deny must name only what it means to keep out")
def resource_policy_admits_callers(inv: Inventory, exp: Any) -> Finding:
    api = graph.role(inv, "rest_api")
    refused = policy_refuses_callers(inv)
    name = f"REST API {api}"
    if refused:
        why, policy = refused
        return failed(name, why, "a resource policy that allows execute-api:Invoke on the API's "
                      "methods to its callers (or no resource policy)", policy=policy)
    policy = reads.rest_api_policy(inv)
    return passed(name, "has no resource policy" if not policy
                  else "has a resource policy that lets callers invoke it", policy=policy or {})
