"""HTTP API (API Gateway v2) probes: the questions the REST probes of :mod:`probes.api` ask,
for a stack whose API is an HTTP API: routes behind the JWT authorizer, the authorizer
trusting this stack's user pool and app client, private integrations over a VPC link (v2) to
the NLB listener, and the stage's throttling and access logs.

Routes, integrations, authorizers and the stage come from the graph's shared reads
(:mod:`probes.reads` ``http_*``); a stack whose API is a REST API skips these probes (the
registry's ``ALTERNATIVES``), as a stack with an HTTP API skips the REST ones. Expectations are
the api layer's (``expectations.api``): public paths and methods, throttling ceilings.
"""
from __future__ import annotations

import functools
from typing import Any, Callable

from probes import api as api_probes
from probes import evaluators, graph, jwt_check, reads
from probes.inventory import Inventory
from probes.registry import probe
from probes.result import Finding, absent, failed, passed

JWT = "JWT"
# Where clients send the token and CloudFront forwards it on /api/*; a JWT authorizer's default.
TOKEN_SOURCE = "$request.header.Authorization"


def is_http_stack(inv: Inventory) -> bool:
    """Whether the stack's API is an HTTP API (and not a REST API)."""
    return bool(reads.http_api_id(inv)) and not reads.rest_api_id(inv)


def _api_name(inv: Inventory) -> str:
    return f"HTTP API {reads.http_api_id(inv)}"


def _route_name(inv: Inventory, route: dict) -> str:
    return f"route {route.get('RouteKey')} ({route.get('RouteId')}) of {_api_name(inv)}"


def is_public_route(route_key: str, exp: Any) -> bool:
    """A route is public by expectation when its path is a public path or its method a
    public method (CORS preflight); ``$default`` catches every path, so it never is."""
    method, _, path = (route_key or "").partition(" ")
    if not path:
        return False
    return path in exp.api.public_paths or method in exp.api.public_http_methods


def _no_routes(inv: Inventory) -> list[Finding]:
    return [failed(_api_name(inv), "has no routes", "the API's routes to exist",
                   "Redeploy the stack; its routes are missing (an HTTP API without routes answers 404)")]


def jwt_authorizers_in_use(inv: Inventory, exp: Any) -> dict[str, dict | None]:
    """Authorizer id -> authorizer (None when it does not exist) of the protected JWT routes."""
    ids = sorted({r.get("AuthorizerId") or "" for r in reads.http_routes(inv)
                  if r.get("AuthorizationType") == JWT and not is_public_route(r.get("RouteKey", ""), exp)} - {""})
    return {aid: reads.http_authorizer(inv, aid) for aid in ids}


def route_authorization_problem(inv: Inventory, route: dict) -> str | None:
    """Why a (non-public) route does not require an existing JWT authorizer, else None."""
    kind, auth_id = route.get("AuthorizationType") or "NONE", route.get("AuthorizerId")
    if kind != JWT:
        return f"has authorization {kind}, so anyone can call it"
    authorizer = reads.http_authorizer(inv, auth_id or "")
    if not authorizer or authorizer.get("AuthorizerType") != JWT:
        return f"uses authorizer {auth_id}, which " + (
            "does not exist" if not authorizer else f"is of type {authorizer.get('AuthorizerType')}")
    return None


def stack_issuer(inv: Inventory) -> str:
    """The JWT issuer of this stack's user pool: https://cognito-idp.<region>.amazonaws.com/<pool>."""
    pool = graph.role(inv, "user_pool") or ""
    if "_" in pool:  # a pool id starts with its region
        return jwt_check.issuer_for(pool)
    return f"https://cognito-idp.{inv.session.region}.amazonaws.com/{pool}"


def jwt_issuer(authorizer: dict) -> str | None:
    return (authorizer.get("JwtConfiguration") or {}).get("Issuer")


def jwt_audience(authorizer: dict) -> list[str]:
    return list((authorizer.get("JwtConfiguration") or {}).get("Audience") or [])


def trusts_issuer(authorizer: dict, issuer: str) -> bool:
    return (jwt_issuer(authorizer) or "").rstrip("/") == issuer


def identity_sources(authorizer: dict) -> list[str]:
    return list(authorizer.get("IdentitySource") or [TOKEN_SOURCE])


def identity_source_problem(authorizer: dict) -> str | None:
    """Why the authorizer never sees the token clients send (it reads another place), else None."""
    sources = identity_sources(authorizer)
    if TOKEN_SOURCE.lower() not in [x.strip().lower() for x in sources]:
        return f"reads the token from {', '.join(sources)}"
    return None


def scoped_routes(inv: Inventory, exp: Any, authorizer_id: str) -> list[dict]:
    """The protected routes using ``authorizer_id`` that require AuthorizationScopes (a token
    must then carry one of them)."""
    return [r for r in protected_jwt_routes(inv, exp, authorizer_id) if r.get("AuthorizationScopes")]


def protected_jwt_routes(inv: Inventory, exp: Any, authorizer_id: str) -> list[dict]:
    return sorted((r for r in reads.http_routes(inv) if r.get("AuthorizerId") == authorizer_id
                   and r.get("AuthorizationType") == JWT and not is_public_route(r.get("RouteKey", ""), exp)),
                  key=lambda r: r.get("RouteKey", ""))


def route_integration(inv: Inventory, route: dict) -> dict | None:
    """The integration a route targets (``integrations/<id>``), None when it names none or a missing one."""
    target = route.get("Target") or ""
    if not target.startswith("integrations/"):
        return None
    wanted = target.partition("/")[2]
    return next((i for i in reads.http_integrations(inv) if i.get("IntegrationId") == wanted), None)


def integration_problem(inv: Inventory, integ: dict) -> tuple[str, str | None] | None:
    """(observed, fix or None) when an integration is not HTTP_PROXY over an AVAILABLE VPC link
    (v2) to a listener of the stack's NLB, else None."""
    nlb = graph.role(inv, "nlb")
    listeners = {x["ListenerArn"] for x in reads.listeners(inv)}
    itype, ctype = integ.get("IntegrationType"), integ.get("ConnectionType") or "INTERNET"
    link_id, uri = integ.get("ConnectionId"), integ.get("IntegrationUri") or ""
    if itype != "HTTP_PROXY" or ctype != "VPC_LINK" or not link_id:
        return f"is {itype} over {ctype} to {uri or 'nothing'}", None
    link = reads.http_vpc_link(inv, link_id)
    if not link:
        return (f"goes through VPC link {link_id}, which does not exist",
                "Create a VPC link (v2) in the app subnets and point the integration at it "
                "(aws apigatewayv2 create-vpc-link)")
    status = link.get("VpcLinkStatus")
    if status and status != "AVAILABLE":
        return (f"goes through VPC link {link_id}, which is {status} "
                f"({link.get('VpcLinkStatusMessage') or 'no message'})", None)
    if uri not in listeners:
        return f"sends to {uri or 'nothing'}, not a listener of NLB {nlb}", None
    return None


def stage_deployment_problem(inv: Inventory, stage: dict) -> str | None:
    """Why the stage serves nothing (no automatic deployment and no existing deployment), else
    None. Such a stage answers every request with 404."""
    if stage.get("AutoDeploy"):
        return None
    dep_id = stage.get("DeploymentId")
    if not dep_id:
        return "has no deployment and no automatic deployment, so it serves nothing (404 on every route)"
    if reads.http_deployment(inv, dep_id) is None:
        return f"points at deployment {dep_id}, which does not exist, so it serves nothing (404 on every route)"
    return None


def stage_throttle_blocks_all(stage: dict) -> str | None:
    """Why the stage's default route throttling refuses every request (rate or burst 0), else None."""
    settings = stage.get("DefaultRouteSettings") or {}
    return evaluators.throttle_blocks_all({"throttlingRateLimit": settings.get("ThrottlingRateLimit"),
                                           "throttlingBurstLimit": settings.get("ThrottlingBurstLimit")})


# ---- authorization ----------------------------------------------------------------------
@probe(layer="api", component="authorizer", needs=("http_api",),
       title="Every non-public HTTP API route requires the JWT authorizer", severity="blocker",
       gate=True, challenge=7,
       remediation="Set the route's authorization type to JWT with the stack's JWT authorizer "
                   "(aws apigatewayv2 update-route --api-id <api> --route-id <route> "
                   "--authorization-type JWT --authorizer-id <authorizer>); with AutoDeploy the "
                   "stage serves it at once, else create a deployment")
def http_routes_authorized(inv: Inventory, exp: Any) -> list[Finding]:
    routes = sorted(reads.http_routes(inv), key=lambda r: r.get("RouteKey", ""))
    if not routes:
        return _no_routes(inv)
    findings = []
    for route in routes:
        name = _route_name(inv, route)
        kind, auth_id = route.get("AuthorizationType") or "NONE", route.get("AuthorizerId")
        evidence = {"authorizationType": kind, "authorizerId": auth_id}
        if is_public_route(route.get("RouteKey", ""), exp):
            findings.append(passed(name, f"is public by expectation (authorization {kind})", **evidence))
            continue
        problem = route_authorization_problem(inv, route)
        if problem:
            findings.append(failed(name, problem, f"JWT with an existing JWT authorizer of the API "
                                   f"(public paths only: {', '.join(exp.api.public_paths)})", **evidence))
            continue
        authorizer = reads.http_authorizer(inv, auth_id or "") or {}
        findings.append(passed(name, f"requires JWT authorizer {authorizer.get('Name')} ({auth_id})",
                               **evidence))
    return findings


@probe(layer="api", component="authorizer", needs=("http_api", "user_pool"),
       title="The HTTP API's JWT authorizer trusts this stack's user pool (issuer)", severity="blocker",
       gate=True, challenge=7,
       remediation="Set the authorizer's JwtConfiguration.Issuer to https://cognito-idp.<region>."
                   "amazonaws.com/<the stack's user pool id> (aws apigatewayv2 update-authorizer "
                   "--jwt-configuration Issuer=...,Audience=<client id>); tokens of any other issuer "
                   "are rejected with 401")
def http_jwt_issuer_is_stack_pool(inv: Inventory, exp: Any) -> list[Finding]:
    pool = graph.role(inv, "user_pool") or ""
    want = stack_issuer(inv)

    def judge(name: str, auth: dict) -> Finding:
        issuer = jwt_issuer(auth)
        if not trusts_issuer(auth, want):
            return failed(name, f"trusts issuer {issuer or 'none'}", f"issuer {want} (this stack's user pool {pool})",
                          issuer=issuer, userPool=pool)
        return passed(name, f"trusts issuer {issuer} (user pool {pool})", issuer=issuer)
    return _judge_authorizers(inv, exp, f"a JWT authorizer with issuer {want}", judge)


def _judge_authorizers(inv: Inventory, exp: Any, wanted: str,
                       judge: Callable[[str, dict], Finding]) -> list[Finding]:
    """``judge(name, authorizer)`` for each JWT authorizer the protected routes use; absent
    (``wanted`` said) where there is none or a route names one that does not exist."""
    auths = jwt_authorizers_in_use(inv, exp)
    if not auths:
        return [absent(f"JWT authorizer of {_api_name(inv)}", f"protected routes to use {wanted}",
                       "Create a JWT authorizer for the user pool and attach it to the routes")]
    return [absent(f"JWT authorizer {aid} of {_api_name(inv)}", wanted) if auth is None
            else judge(f"JWT authorizer {auth.get('Name')} ({aid}) of {_api_name(inv)}", auth)
            for aid, auth in auths.items()]


@probe(layer="auth", component="app-client", needs=("http_api", "user_pool_client"),
       title="The HTTP API's JWT authorizer accepts tokens of this stack's app client (audience)",
       severity="blocker", gate=True, challenge=7,
       remediation="Add the app client id to the authorizer's JwtConfiguration.Audience (aws "
                   "apigatewayv2 update-authorizer --jwt-configuration Issuer=<issuer>,Audience="
                   "<client id>): API Gateway rejects tokens whose aud/client_id is not listed")
def http_jwt_audience_has_stack_client(inv: Inventory, exp: Any) -> list[Finding]:
    client = graph.role(inv, "user_pool_client")

    def judge(name: str, auth: dict) -> Finding:
        audience = jwt_audience(auth)
        if client not in audience:
            return failed(name, f"accepts audience {', '.join(audience) or 'none'}",
                          f"the audience to include this stack's app client {client}",
                          audience=audience, client=client)
        return passed(name, f"accepts tokens of app client {client}", audience=audience)
    return _judge_authorizers(inv, exp, f"a JWT authorizer whose audience holds app client {client}", judge)


# ---- private integration ----------------------------------------------------------------
@probe(layer="api", component="integration", needs=("http_api", "nlb"),
       title="Every HTTP API route proxies to the NLB listener over a VPC link (v2)", severity="blocker",
       gate=True, challenge=2,
       remediation="Set the route's integration to HTTP_PROXY, connection type VPC_LINK with the "
                   "stack's VPC link (v2) and IntegrationUri the ARN of the NLB's listener (aws "
                   "apigatewayv2 update-integration); private subnets are not reachable over the "
                   "internet")
def http_integrations_via_vpc_link(inv: Inventory, exp: Any) -> list[Finding]:
    nlb = graph.role(inv, "nlb")
    listeners = {x["ListenerArn"]: x for x in reads.listeners(inv)}
    routes = sorted(reads.http_routes(inv), key=lambda r: r.get("RouteKey", ""))
    if not routes:
        return _no_routes(inv)
    findings = []
    for route in routes:
        target = route.get("Target") or ""
        name = f"integration {target or '(none)'} of {_route_name(inv, route)}"
        integ = route_integration(inv, route)
        if not integ:
            findings.append(failed(name, "has no integration" if not target else "names an integration "
                                   "that does not exist", "an HTTP_PROXY integration over a VPC link",
                                   target=target))
            continue
        link_id, uri = integ.get("ConnectionId"), integ.get("IntegrationUri") or ""
        evidence = {"integrationType": integ.get("IntegrationType"),
                    "connectionType": integ.get("ConnectionType") or "INTERNET", "connectionId": link_id,
                    "integrationUri": uri, "nlbArn": nlb}
        problem = integration_problem(inv, integ)
        if problem:
            observed, fix = problem
            findings.append(failed(name, observed, f"HTTP_PROXY over VPC_LINK to a listener of NLB {nlb}",
                                   fix or "", **evidence))
            continue
        port = listeners[uri].get("Port")
        findings.append(passed(name, f"is HTTP_PROXY over VPC link {link_id} to NLB listener port {port}",
                               **evidence))
    return findings


# ---- stage --------------------------------------------------------------------------------
def _stage(inv: Inventory) -> dict | Finding:
    stage = reads.http_stage(inv)
    if not stage:
        return absent(f"stage {graph.role(inv, 'http_api_stage') or '$default'} of {_api_name(inv)}",
                      "the stage the distribution's origin serves to exist",
                      "Create the stage (aws apigatewayv2 create-stage --api-id <api> --stage-name "
                      "'$default' --auto-deploy)")
    return stage


def _stage_name(inv: Inventory, stage: dict) -> str:
    return f"stage {stage.get('StageName')} of {_api_name(inv)}"


def _on_stage(check: Callable[[Inventory, Any, dict, str], Finding]) -> Callable[[Inventory, Any], Finding]:
    """A stage probe: ``check(inv, exp, stage, name)`` once the stage is read; its absence
    is the finding otherwise."""
    @functools.wraps(check)
    def run(inv: Inventory, exp: Any) -> Finding:
        stage = _stage(inv)
        return stage if isinstance(stage, Finding) else check(inv, exp, stage, _stage_name(inv, stage))
    return run


@probe(layer="api", component="stage", needs=("http_api",),
       title="The HTTP API stage serves an existing deployment", severity="blocker", gate=True,
       remediation="Turn on automatic deployment (aws apigatewayv2 update-stage --api-id <api> --stage-name "
                   "<stage> --auto-deploy) or deploy the API to the stage (aws apigatewayv2 "
                   "create-deployment --api-id <api> --stage-name <stage>); route changes are not live "
                   "until deployed")
@_on_stage
def http_stage_deployed(inv: Inventory, exp: Any, stage: dict, name: str) -> Finding:
    evidence = {"AutoDeploy": bool(stage.get("AutoDeploy")), "DeploymentId": stage.get("DeploymentId")}
    problem = stage_deployment_problem(inv, stage)
    if problem:
        return failed(name, problem, "AutoDeploy true or a DeploymentId of an existing deployment", **evidence)
    if stage.get("AutoDeploy"):
        return passed(name, "deploys every change of the API automatically (AutoDeploy)", **evidence)
    dep = reads.http_deployment(inv, stage["DeploymentId"]) or {}
    evidence.update(DeploymentStatus=dep.get("DeploymentStatus"), CreatedDate=str(dep.get("CreatedDate")))
    return passed(name, f"serves deployment {stage['DeploymentId']} (created {dep.get('CreatedDate')}; "
                        "later route changes need a new deployment)", **evidence)


@probe(layer="api", component="stage", needs=("http_api",),
       title="The HTTP API stage publishes detailed CloudWatch metrics", severity="normal", challenge=10,
       remediation="Enable detailed metrics for the stage's routes (aws apigatewayv2 update-stage --api-id "
                   "<api> --stage-name <stage> --default-route-settings DetailedMetricsEnabled=true)")
@_on_stage
def http_stage_metrics(inv: Inventory, exp: Any, stage: dict, name: str) -> Finding:
    settings = stage.get("DefaultRouteSettings") or {}
    if not settings.get("DetailedMetricsEnabled"):
        return failed(name, "has detailed metrics disabled for its default route settings",
                      "DetailedMetricsEnabled true (per-route Count, 4xx, 5xx and latency; without it only "
                      "API-wide metrics are published, so a failing route cannot be told from the rest)",
                      DefaultRouteSettings=settings)
    return passed(name, "publishes detailed metrics for every route", DefaultRouteSettings=settings)


@probe(layer="api", component="stage", needs=("http_api",),
       title="The HTTP API stage throttles requests within limits", severity="critical",
       remediation="Set the stage's default route throttling (aws apigatewayv2 update-stage --api-id "
                   "<api> --stage-name <stage> --default-route-settings ThrottlingBurstLimit=<n>,"
                   "ThrottlingRateLimit=<n>): 0 rejects every request with 429, unset leaves only the "
                   "account limit")
@_on_stage
def http_stage_throttling(inv: Inventory, exp: Any, stage: dict, name: str) -> Finding:
    max_burst, max_rate = exp.api.max_throttling_burst_limit, exp.api.max_throttling_rate_limit
    expected = f"0 < burst <= {max_burst} and 0 < rate <= {max_rate:g} req/s for the default route settings"
    settings = stage.get("DefaultRouteSettings") or {}
    burst, rate = settings.get("ThrottlingBurstLimit"), settings.get("ThrottlingRateLimit")
    evidence = {"ThrottlingBurstLimit": burst, "ThrottlingRateLimit": rate}
    if burst is None or rate is None:
        return failed(name, "has no default route throttling, so only the account limit (10000 req/s) "
                            "applies", expected, **evidence)
    if not (0 < burst <= max_burst) or not (0 < rate <= max_rate):
        note = " (0 rejects every request with 429)" if burst == 0 or rate == 0 else ""
        return failed(name, f"throttles at burst {burst} and rate {rate:g} req/s{note}", expected, **evidence)
    return passed(name, f"throttles at burst {burst} and rate {rate:g} req/s", **evidence)


@probe(layer="api", component="stage", needs=("http_api",),
       title="The HTTP API stage writes access logs", severity="normal", challenge=10,
       remediation="Set the stage's access log destination (a CloudWatch log group ARN) and format "
                   "(aws apigatewayv2 update-stage --access-log-settings DestinationArn=<arn>,"
                   "Format=<format>)")
@_on_stage
def http_stage_access_logging(inv: Inventory, exp: Any, stage: dict, name: str) -> Finding:
    settings = stage.get("AccessLogSettings") or {}
    return api_probes.access_logging(inv, name, settings, settings.get("DestinationArn"),
                                     settings.get("Format"), AccessLogSettings=settings)
