"""Hops through API Gateway and Cognito (api and auth layers): stage -> methods ->
authorizer -> user pool, and the methods' VPC_LINK integrations -> VPC link -> NLB; for an
HTTP API (API Gateway v2), its stage -> routes -> JWT authorizer -> user pool, and the routes'
VPC_LINK integrations -> VPC link (v2) -> a listener of the NLB."""
from __future__ import annotations

from probes import api as api_probes
from probes import evaluators, graph, http_api, reads
from probes.trace.engine import Blocked, Broken, Ctx

# Where the Cognito authorizer must read the token: clients send the ID token in the
# Authorization header, and that is the header CloudFront forwards on /api/*.
AUTH_IDENTITY_SOURCE = "method.request.header.Authorization"
HTTP_AUTH_IDENTITY_SOURCE = http_api.TOKEN_SOURCE  # the same for an HTTP API's JWT authorizer


def stage(c: Ctx) -> tuple[str, str, str]:
    if _is_http(c):
        return _http_stage(c)
    api, stage_name = reads.rest_api_id(c.inv), graph.role(c.inv, "api_stage")
    if not api:
        raise Broken("the stack has no REST API", "a REST API", "Redeploy the stack")
    stage = reads.api_stage(c.inv)
    if not stage:
        raise Broken(f"REST API {api} has no stage {stage_name!r}", "the stage to exist",
                     f"Create a deployment and the stage {stage_name} (aws apigateway create-deployment)")
    if not stage.get("deploymentId"):
        raise Broken(f"stage {stage_name} of API {api} has no deployment", "a deployment",
                     "Deploy the API to the stage")
    refusing = evaluators.throttle_blocks_all((stage.get("methodSettings") or {}).get("*/*"))
    if refusing:
        raise Broken(f"stage {stage_name} of API {api} {refusing}", "throttling above 0 req/s",
                     f"aws apigateway update-stage --rest-api-id {api} --stage-name {stage_name} "
                     "--patch-operations op=replace,path=/*/*/throttling/rateLimit,value=<n> "
                     "op=replace,path=/*/*/throttling/burstLimit,value=<n>")
    refused = api_probes.policy_refuses_callers(c.inv)
    if refused:
        raise Broken(f"REST API {api}: {refused[0]}, so CloudFront's requests get 403",
                     "a resource policy that lets callers invoke the API",
                     f"aws apigateway update-rest-api --rest-api-id {api} --patch-operations "
                     "op=replace,path=/policy,value=<policy> and redeploy the stage",
                     policy=refused[1])
    return "API origin", f"API {api} stage {stage_name}", \
        f"stage {stage_name} -> deployment {stage.get('deploymentId')}"


def _methods(c: Ctx) -> list[tuple[str, str, dict]]:
    if not c.api_methods:
        for res in reads.api_resources(c.inv):
            for verb, m in (res.get("resourceMethods") or {}).items():
                if verb != "OPTIONS":
                    c.api_methods.append((res.get("path", "?"), verb, m))
        c.api_methods.sort(key=lambda x: (x[0], x[1]))
    return c.api_methods


def _api_methods(c: Ctx) -> list[tuple[str, str, dict]]:
    prefix = c.e2e.api_path_pattern.rstrip("*").rstrip("/")
    return [m for m in _methods(c) if m[0] == prefix or m[0].startswith(prefix + "/")]


def method(c: Ctx) -> tuple[str, str, str]:
    if _is_http(c):
        return _http_method(c)
    api = reads.rest_api_id(c.inv)
    if not api:
        raise Blocked("no REST API")
    methods = _api_methods(c)
    if not methods:
        raise Broken(f"REST API {api} has no methods under {c.e2e.api_path_pattern}",
                     "the API's methods (e.g. GET /api/items)",
                     "Create the resources and methods, then redeploy the stage")
    return f"stage {graph.role(c.inv, 'api_stage')}", f"API {api}", \
        "methods " + ", ".join(f"{v} {p}" for p, v, _ in methods)


def authorizer(c: Ctx) -> tuple[str, str, str]:
    if _is_http(c):
        return _http_authorizer(c)
    api = reads.rest_api_id(c.inv)
    methods = _api_methods(c)
    if not methods:
        raise Blocked("no API methods to follow")
    auths = {a.get("id"): a for a in reads.authorizers(c.inv)}
    protected = [m for m in methods if m[0] not in c.e2e.public_paths]
    if not protected:
        raise Broken(f"API {api} has only public methods", "a protected method",
                     "Add the authorizer to the protected methods")
    seen = set()
    for path, verb, m in protected:
        name = f"method {verb} {path} of API {api}"
        kind = m.get("authorizationType", "NONE")
        if kind != "COGNITO_USER_POOLS":
            raise Broken(f"{name} has authorization {kind}", "COGNITO_USER_POOLS with the stack's "
                         "authorizer (anyone could call it)",
                         f"aws apigateway update-method --rest-api-id {api} --http-method {verb} "
                         "... authorizationType=COGNITO_USER_POOLS, authorizerId=<id>; redeploy")
        aid = m.get("authorizerId")
        if not aid or aid not in auths:
            raise Broken(f"{name} names authorizer {aid or '(none)'}, which does not exist",
                         f"one of {sorted(auths) or 'the API authorizers'}",
                         "Point the method at the Cognito authorizer and redeploy")
        source = auths[aid].get("identitySource") or ""
        if AUTH_IDENTITY_SOURCE.lower() not in [s.strip().lower() for s in source.split(",")]:
            raise Broken(f"authorizer {aid} ({auths[aid].get('name')}) of {name} reads the token "
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


def user_pool(c: Ctx) -> tuple[str, str, str]:
    if _is_http(c):
        return _http_user_pool(c)
    auths = {a.get("id"): a for a in reads.authorizers(c.inv)}
    used = {m.get("authorizerId") for p, _, m in _api_methods(c)
            if m.get("authorizationType") == "COGNITO_USER_POOLS"} & set(auths)
    if not used:
        raise Blocked("no authorizer to follow")
    pool = reads.user_pool(c.inv)
    pool_id = graph.role(c.inv, "user_pool")
    if not pool:
        raise Broken(f"user pool {pool_id or '(none in the stack)'} was not found",
                     "the stack's user pool", "Redeploy the stack (the pool was deleted)")
    arn = pool.get("Arn") or ""
    for aid in sorted(used):
        a = auths[aid]
        providers = a.get("providerARNs") or []
        if a.get("type") != "COGNITO_USER_POOLS" or arn not in providers:
            raise Broken(f"authorizer {aid} ({a.get('name')}) trusts {providers or 'no pool'}",
                         f"the stack's user pool {arn} (tokens from our pool are otherwise "
                         "rejected with 401, Challenge 7)",
                         f"aws apigateway update-authorizer --authorizer-id {aid} "
                         f"--patch-operations op=replace,path=/providerARNs/0,value={arn}; redeploy",
                         providers=providers)
    return f"authorizer(s) {', '.join(sorted(used))}", f"user pool {pool_id}", \
        f"authorizer -> {arn}"


def integration(c: Ctx) -> tuple[str, str, str]:
    if _is_http(c):
        return _http_integration(c)
    api = reads.rest_api_id(c.inv)
    methods = _api_methods(c)
    if not methods:
        raise Blocked("no API methods to follow")
    links = set()
    ports = {int(x["Port"]) for x in reads.listeners(c.inv)}
    for path, verb, m in methods:
        name = f"method {verb} {path} of API {api}"
        integ = m.get("methodIntegration") or {}
        if integ.get("connectionType") != "VPC_LINK" or not integ.get("connectionId"):
            raise Broken(f"{name} integrates {integ.get('type') or 'nothing'} over "
                         f"{integ.get('connectionType') or 'INTERNET'} "
                         f"(connectionId {integ.get('connectionId') or 'none'})",
                         "an HTTP_PROXY integration with connectionType VPC_LINK and the VPC link id",
                         "Set the integration's connectionType VPC_LINK and connectionId "
                         f"{graph.role(c.inv, 'vpc_link') or '<vpc link id>'}; redeploy (Challenge 2)",
                         integration=integ)
        # The host in the URI is only the Host header / TLS name (the VPC link decides where
        # the request goes); the port is where the NLB must listen.
        port = api_probes.uri_port(integ.get("uri") or "")
        if ports and port not in ports:
            raise Broken(f"{name} sends to port {port}", f"a listener port of the NLB {sorted(ports)}",
                         "Set the integration URI port to the listener port")
        links.add(integ["connectionId"])
    return f"{len(methods)} method(s)", f"VPC link {', '.join(sorted(links))}", \
        f"VPC_LINK integrations via {', '.join(sorted(links))}"


def vpc_link(c: Ctx) -> tuple[str, str, str]:
    if _is_http(c):
        return _http_vpc_link(c)
    links = {(m.get("methodIntegration") or {}).get("connectionId") for _, _, m in _api_methods(c)}
    links.discard(None)
    if not links:
        raise Blocked("no VPC link to follow")
    nlb_arn = graph.role(c.inv, "nlb")
    for lid in sorted(links):
        link = reads.vpc_link(c.inv, lid)
        if not link:
            raise Broken(f"VPC link {lid} does not exist", "the VPC link to exist",
                         "Recreate the VPC link to the NLB and point the integrations at it")
        targets = link.get("targetArns") or []
        if nlb_arn and nlb_arn not in targets:
            raise Broken(f"VPC link {lid} targets {targets}", f"the stack's NLB {nlb_arn}",
                         "Recreate the VPC link with targetArns = the NLB ARN (a VPC link's "
                         "target cannot be changed in place) and update the integrations",
                         targets=targets)
        if link.get("status") not in (None, "AVAILABLE"):
            raise Broken(f"VPC link {lid} is {link.get('status')} ({link.get('statusMessage')})",
                         "AVAILABLE", "Check the NLB exists in the VPC; recreate the link")
    return f"VPC link {', '.join(sorted(links))}", f"NLB {nlb_arn}", "VPC link -> NLB (AVAILABLE)"


# ---- the same hops through an HTTP API (API Gateway v2) -----------------------------------
# An HTTP API has routes instead of methods, a JWT authorizer instead of a Cognito one, and
# a VPC link (v2) whose integrations name an NLB listener; each hop above dispatches here
# when the stack's API is one, asking the questions of the HTTP API probes
# (probes.http_api) so that the trace and the api layer agree.
def _is_http(c: Ctx) -> bool:
    return http_api.is_http_stack(c.inv)


def _http_name(c: Ctx) -> str:
    return f"HTTP API {reads.http_api_id(c.inv)}"


def _http_routes(c: Ctx) -> list[dict]:
    """The HTTP API's routes on the path CloudFront sends to it (``$default`` catches all)."""
    prefix = c.e2e.api_path_pattern.rstrip("*").rstrip("/")
    out = []
    for r in reads.http_routes(c.inv):
        key = r.get("RouteKey") or ""
        verb, _, path = key.partition(" ")
        if key == "$default" or (verb != "OPTIONS" and (path == prefix or path.startswith(prefix + "/"))):
            out.append(r)
    return sorted(out, key=lambda r: r.get("RouteKey", ""))


def _route(r: dict) -> str:
    return f"route {r.get('RouteKey')} ({r.get('RouteId')})"


def _protected_routes(c: Ctx) -> list[dict]:
    return [r for r in _http_routes(c) if not http_api.is_public_route(r.get("RouteKey", ""), c.exp)]


def _http_stage(c: Ctx) -> tuple[str, str, str]:
    api, stage_name = reads.http_api_id(c.inv), graph.role(c.inv, "http_api_stage") or "$default"
    stage = reads.http_stage(c.inv)
    if not stage:
        raise Broken(f"{_http_name(c)} has no stage {stage_name!r}", "the stage to exist",
                     f"aws apigatewayv2 create-stage --api-id {api} --stage-name '{stage_name}' --auto-deploy")
    undeployed = http_api.stage_deployment_problem(c.inv, stage)
    if undeployed:
        raise Broken(f"stage {stage_name} of {_http_name(c)} {undeployed}",
                     "an existing deployment (or AutoDeploy true)",
                     f"aws apigatewayv2 create-deployment --api-id {api} --stage-name '{stage_name}' "
                     "(or update-stage --auto-deploy)")
    refusing = http_api.stage_throttle_blocks_all(stage)
    if refusing:
        raise Broken(f"stage {stage_name} of {_http_name(c)} {refusing}", "throttling above 0 req/s",
                     f"aws apigatewayv2 update-stage --api-id {api} --stage-name '{stage_name}' "
                     "--default-route-settings ThrottlingBurstLimit=<n>,ThrottlingRateLimit=<n>",
                     settings=stage.get("DefaultRouteSettings"))
    deployed = "auto-deployed" if stage.get("AutoDeploy") else f"deployment {stage.get('DeploymentId')}"
    return "API origin", f"{_http_name(c)} stage {stage_name}", f"stage {stage_name} -> {deployed}"


def _http_method(c: Ctx) -> tuple[str, str, str]:
    routes = _http_routes(c)
    if not routes:
        raise Broken(f"{_http_name(c)} has no routes under {c.e2e.api_path_pattern}",
                     "the API's routes (e.g. ANY /api/{proxy+})",
                     "Create the routes (aws apigatewayv2 create-route); an HTTP API without them answers 404")
    return f"stage {graph.role(c.inv, 'http_api_stage')}", _http_name(c), \
        "routes " + ", ".join(r.get("RouteKey", "?") for r in routes)


def _http_authorizer(c: Ctx) -> tuple[str, str, str]:
    api = reads.http_api_id(c.inv)
    if not _http_routes(c):
        raise Blocked("no API routes to follow")
    protected = _protected_routes(c)
    if not protected:
        raise Broken(f"{_http_name(c)} has only public routes", "a protected route",
                     "Add the JWT authorizer to the protected routes")
    seen = set()
    for r in protected:
        problem = http_api.route_authorization_problem(c.inv, r)
        if problem:
            raise Broken(f"{_route(r)} of {_http_name(c)} {problem}",
                         "JWT with the stack's JWT authorizer (only public paths go without)",
                         f"aws apigatewayv2 update-route --api-id {api} --route-id {r.get('RouteId')} "
                         "--authorization-type JWT --authorizer-id <authorizer>",
                         authorization_type=r.get("AuthorizationType"), authorizer_id=r.get("AuthorizerId"))
        auth = reads.http_authorizer(c.inv, r["AuthorizerId"]) or {}
        misread = http_api.identity_source_problem(auth)
        if misread:
            sources = http_api.identity_sources(auth)
            raise Broken(f"JWT authorizer {r['AuthorizerId']} ({auth.get('Name')}) of {_route(r)} {misread}",
                         f"identity source {HTTP_AUTH_IDENTITY_SOURCE} (clients send the token there "
                         "and CloudFront forwards it; without it every call is 401)",
                         f"aws apigatewayv2 update-authorizer --api-id {api} --authorizer-id "
                         f"{r['AuthorizerId']} --identity-source '{HTTP_AUTH_IDENTITY_SOURCE}'",
                         identity_source=sources)
        seen.add(r["AuthorizerId"])
    return f"{len(protected)} protected route(s)", f"authorizer(s) {', '.join(sorted(seen))}", \
        f"{', '.join(r.get('RouteKey', '?') for r in protected)} -> JWT {', '.join(sorted(seen))}"


def _http_user_pool(c: Ctx) -> tuple[str, str, str]:
    auths = {aid: a for aid, a in http_api.jwt_authorizers_in_use(c.inv, c.exp).items() if a}
    if not auths:
        raise Blocked("no JWT authorizer to follow")
    api, pool_id = reads.http_api_id(c.inv), graph.role(c.inv, "user_pool")
    client = graph.role(c.inv, "user_pool_client")
    if not reads.user_pool(c.inv):
        raise Broken(f"user pool {pool_id or '(none in the stack)'} was not found",
                     "the stack's user pool", "Redeploy the stack (the pool was deleted)")
    want = http_api.stack_issuer(c.inv)
    for aid, a in sorted(auths.items()):
        name = f"JWT authorizer {a.get('Name')} ({aid}) of {_http_name(c)}"
        audience = http_api.jwt_audience(a)
        fix = (f"aws apigatewayv2 update-authorizer --api-id {api} --authorizer-id {aid} "
               f"--jwt-configuration Issuer={want},Audience={client or '<app client id>'}")
        if not http_api.trusts_issuer(a, want):
            raise Broken(f"{name} trusts issuer {http_api.jwt_issuer(a) or 'none'}",
                         f"issuer {want} (tokens from the stack's pool {pool_id} are otherwise "
                         "rejected with 401, Challenge 7)", fix, issuer=http_api.jwt_issuer(a))
        if client and client not in audience:
            raise Broken(f"{name} accepts audience {', '.join(audience) or 'none'}",
                         f"the audience to include the stack's app client {client} (its tokens are "
                         "otherwise rejected with 401)", fix, layer="auth", audience=audience)
    return f"authorizer(s) {', '.join(sorted(auths))}", f"user pool {pool_id}", \
        f"JWT issuer {want}, audience {client}"


def _http_integration(c: Ctx) -> tuple[str, str, str]:
    api, routes = reads.http_api_id(c.inv), _http_routes(c)
    if not routes:
        raise Blocked("no API routes to follow")
    links = set()
    for r in routes:
        integ = http_api.route_integration(c.inv, r)
        name = f"{_route(r)} of {_http_name(c)}"
        if not integ:
            raise Broken(f"{name} targets {r.get('Target') or 'no integration'}, which does not exist",
                         "an HTTP_PROXY integration over the VPC link",
                         f"aws apigatewayv2 update-route --api-id {api} --route-id {r.get('RouteId')} "
                         "--target integrations/<integration id>", target=r.get("Target"))
        # whether the link exists, is AVAILABLE and reaches the NLB is the next hop's question
        if integ.get("ConnectionType") != "VPC_LINK" or not integ.get("ConnectionId") or \
                integ.get("IntegrationType") != "HTTP_PROXY":
            observed, _ = http_api.integration_problem(c.inv, integ) or ("is not over a VPC link", None)
            raise Broken(f"integration {integ.get('IntegrationId')} of {name} {observed}",
                         "an HTTP_PROXY integration with connection type VPC_LINK and the VPC link id",
                         f"aws apigatewayv2 update-integration --api-id {api} --integration-id "
                         f"{integ.get('IntegrationId')} --integration-type HTTP_PROXY --connection-type "
                         f"VPC_LINK --connection-id {graph.role(c.inv, 'http_vpc_link') or '<vpc link id>'} "
                         "--integration-uri <NLB listener ARN> (Challenge 2)", integration=integ)
        links.add(integ["ConnectionId"])
    return f"{len(routes)} route(s)", f"VPC link {', '.join(sorted(links))}", \
        f"HTTP_PROXY over VPC_LINK via {', '.join(sorted(links))}"


def _http_vpc_link(c: Ctx) -> tuple[str, str, str]:
    integs = {i.get("IntegrationId"): i for r in _http_routes(c)
              for i in [http_api.route_integration(c.inv, r)] if i and i.get("ConnectionType") == "VPC_LINK"}
    if not integs:
        raise Blocked("no VPC link to follow")
    nlb_arn = graph.role(c.inv, "nlb")
    links = set()
    for iid, integ in sorted(integs.items()):
        lid = integ.get("ConnectionId")
        problem = http_api.integration_problem(c.inv, integ)
        if problem:
            observed, fix = problem
            raise Broken(f"integration {iid} of {_http_name(c)} {observed}",
                         f"an AVAILABLE VPC link (v2) and IntegrationUri a listener ARN of NLB {nlb_arn}",
                         fix or (f"aws apigatewayv2 update-integration --api-id {reads.http_api_id(c.inv)} "
                                 f"--integration-id {iid} --integration-uri <listener ARN of {nlb_arn}>; "
                                 "a VPC link that is not AVAILABLE: check its subnets and security "
                                 "groups, recreate it"),
                         integration_uri=integ.get("IntegrationUri"), vpc_link=lid)
        link = reads.http_vpc_link(c.inv, lid) or {}
        if not link.get("SubnetIds") or not link.get("SecurityGroupIds"):
            raise Broken(f"VPC link {lid} has subnets {link.get('SubnetIds') or 'none'} and security "
                         f"groups {link.get('SecurityGroupIds') or 'none'}",
                         "subnets in the NLB's VPC and a security group letting it reach the listener",
                         "Recreate the VPC link (v2) with the app subnets and its security group "
                         "(aws apigatewayv2 create-vpc-link) and point the integrations at it")
        links.add(lid)
    return f"VPC link {', '.join(sorted(links))}", f"NLB {nlb_arn}", \
        "VPC link (AVAILABLE) -> listener(s) " + ", ".join(sorted(
            str(i.get("IntegrationUri")).rsplit("/", 3)[-1] for i in integs.values()))
