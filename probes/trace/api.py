"""Hops through API Gateway and Cognito (api and auth layers): stage -> methods ->
authorizer -> user pool, and the methods' VPC_LINK integrations -> VPC link -> NLB."""
from __future__ import annotations

from urllib.parse import urlsplit

from probes import api as api_probes
from probes import evaluators, graph, reads
from probes.trace.engine import Blocked, Broken, Ctx

# Where the Cognito authorizer must read the token: clients send the ID token in the
# Authorization header, and that is the header CloudFront forwards on /api/*.
AUTH_IDENTITY_SOURCE = "method.request.header.Authorization"


def stage(c: Ctx) -> tuple[str, str, str]:
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
        uri = urlsplit(integ.get("uri") or "")
        port = uri.port or (443 if uri.scheme == "https" else 80)
        if ports and port not in ports:
            raise Broken(f"{name} sends to port {port}", f"a listener port of the NLB {sorted(ports)}",
                         "Set the integration URI port to the listener port")
        links.add(integ["connectionId"])
    return f"{len(methods)} method(s)", f"VPC link {', '.join(sorted(links))}", \
        f"VPC_LINK integrations via {', '.join(sorted(links))}"


def vpc_link(c: Ctx) -> tuple[str, str, str]:
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
