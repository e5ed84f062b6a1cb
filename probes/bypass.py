"""The API cannot be reached around the WAF.

CloudFront's web ACL guards only requests that pass through CloudFront; a REST API's
execute-api endpoint is public by default, so a client that calls it directly skips the
WAF. One of three controls closes that bypass: a regional web ACL on the stage; a resource
policy or an authorizer that admits only what CloudFront sends (a secret origin header);
or a private endpoint. :func:`api_bypass_closed` decides which one applies; the request-path
trace calls it for the same question.
"""
from __future__ import annotations

from typing import Any

from probes import reads
from probes.inventory import Inventory
from probes.nodes import distributions, label, nodes
from probes.registry import probe
from probes.result import Finding, failed, passed, skipped

_INVOKE = {"execute-api:invoke", "execute-api:*", "*"}
# Condition keys a resource policy can compare with a header CloudFront adds to the origin
# request (a custom origin header replaces what the viewer sent under that name).
_HEADER_KEYS = {"aws:referer": "referer", "aws:useragent": "user-agent"}


def _as_list(v: Any) -> list:
    return v if isinstance(v, list) else [v] if v is not None else []


def api_origin(inv: Inventory, api_id: str) -> tuple[dict | None, dict | None]:
    """(distribution, its origin that targets this API's execute-api endpoint), or Nones."""
    for dist in distributions(inv):
        for origin in ((dist.get("DistributionConfig") or {}).get("Origins") or {}).get("Items") or []:
            if (origin.get("DomainName") or "").lower().startswith(f"{api_id.lower()}.execute-api."):
                return dist, origin
    return None, None


def _stage(inv: Inventory, api_id: str, origin: dict | None) -> dict:
    """The stage CloudFront calls (the origin path's first segment), else the stack's stage."""
    name = ((origin or {}).get("OriginPath") or "").strip("/").split("/")[0]
    if not name:
        return reads.api_stage(inv) or {} if api_id == reads.rest_api_id(inv) else {}
    return inv.call("apigateway", "get_stage", missing_ok=True, restApiId=api_id, stageName=name) or {}


def origin_headers(origin: dict | None) -> dict[str, str]:
    """{header name in lower case: value} that CloudFront adds to requests to ``origin``."""
    items = ((origin or {}).get("CustomHeaders") or {}).get("Items") or []
    return {h["HeaderName"].lower(): h.get("HeaderValue", "") for h in items}


def _header_deny(policy: dict | None) -> tuple[str, list[str]] | None:
    """(header, admitted values) of a Deny of Invoke to everyone unless a header carries a
    value, the shape of a resource policy that admits only a secret-carrying origin."""
    for st in _as_list((policy or {}).get("Statement")):
        actions = {a.lower() for a in _as_list(st.get("Action"))}
        principal = st.get("Principal")
        everyone = principal == "*" or (isinstance(principal, dict)
                                        and "*" in _as_list(principal.get("AWS")))
        if st.get("Effect") != "Deny" or not everyone or not actions & _INVOKE:
            continue
        for op in ("StringNotEquals", "StringNotEqualsIgnoreCase"):
            for key, values in ((st.get("Condition") or {}).get(op) or {}).items():
                if key.lower() in _HEADER_KEYS:
                    return _HEADER_KEYS[key.lower()], [str(v) for v in _as_list(values)]
    return None


def _authorizer_header_check(inv: Inventory, headers: dict[str, str]) -> str | None:
    """The header CloudFront sends that every method's custom authorizer reads, if any."""
    auths = {a["id"]: a for a in reads.authorizers(inv)}
    methods = [(r.get("path"), verb, m) for r in reads.api_resources(inv)
               for verb, m in (r.get("resourceMethods") or {}).items() if verb != "OPTIONS"]
    if not methods:
        return None
    common: set[str] | None = None
    for _, _, m in methods:
        auth = auths.get(m.get("authorizerId") or "")
        if m.get("authorizationType") != "CUSTOM" or not auth:
            return None
        names = {s.split("method.request.header.", 1)[1].strip().lower()
                 for s in (auth.get("identitySource") or "").split(",")
                 if "method.request.header." in s}
        common = names if common is None else common & names
    found = sorted((common or set()) & set(headers))
    return found[0] if found else None


def api_bypass_closed(inv: Inventory, api_id: str | None = None) -> tuple[bool, str | None, str]:
    """Can the REST API (default: the stack's) be called without passing CloudFront and its
    web ACL?

    Returns (closed, which control closes it or None, detail in words). The controls, in the
    order they are checked: "private endpoint", "regional web ACL", "resource policy",
    "authorizer". A policy or authorizer closes the bypass only if CloudFront's API origin
    sends the header value it requires (otherwise CloudFront is refused too).
    """
    api_id = api_id or reads.rest_api_id(inv)
    api = reads.rest_api(inv, api_id) if api_id else None
    if not api:
        return False, None, "the REST API was not found"
    _, origin = api_origin(inv, api_id)
    where = f"https://{api_id}.execute-api.{inv.session.region}.amazonaws.com"
    types = (api.get("endpointConfiguration") or {}).get("types") or []
    if "PRIVATE" in types:
        return True, "private endpoint", f"REST API {api_id} has a PRIVATE endpoint"
    if api.get("disableExecuteApiEndpoint"):
        return True, "private endpoint", f"REST API {api_id} has its execute-api endpoint disabled"
    stage = _stage(inv, api_id, origin)
    if stage.get("webAclArn"):
        return True, "regional web ACL", (f"stage {stage.get('stageName')} has regional web ACL "
                                          f"{stage['webAclArn']}")
    headers = origin_headers(origin)
    deny = _header_deny(reads.parse_api_policy(api.get("policy")))
    if deny:
        header, values = deny
        sent = headers.get(header)
        if sent is not None and sent in values:
            return True, "resource policy", (f"the resource policy of REST API {api_id} denies "
                                             f"every request whose {header} header is not the "
                                             f"value CloudFront's origin {origin['Id']} sends")
        return False, "resource policy", (
            f"the resource policy of REST API {api_id} admits only requests with a set {header} "
            f"header, but CloudFront's API origin does not send that value, so CloudFront "
            f"is refused too")
    header = _authorizer_header_check(inv, headers)
    if header:
        return True, "authorizer", (f"every method of REST API {api_id} uses a custom authorizer "
                                    f"reading the {header} header CloudFront's origin sends")
    return False, None, (f"REST API {api_id} answers at {where}/{stage.get('stageName', '<stage>')} "
                         "to any client: no regional web ACL on the stage, no resource policy or "
                         "authorizer requiring CloudFront's origin header, not a private endpoint")


def http_api_bypass_closed(inv: Inventory, api_id: str | None = None) -> tuple[bool, str | None, str]:
    """:func:`api_bypass_closed` for an HTTP API (API Gateway v2; default: the stack's).

    An HTTP API has no resource policy, no private endpoint and takes no web ACL, so two
    controls remain: "private endpoint" (DisableExecuteApiEndpoint: the execute-api host
    answers nobody) and "authorizer" (every route's Lambda REQUEST authorizer reads a header
    CloudFront's origin sends). A JWT authorizer on every route does not close the bypass: a
    token proves only that its bearer signed in to the pool (anyone can, with self sign-up),
    and whoever holds one calls the API without the web ACL's rules and rate limits, as a
    Cognito authorizer does not close it on a REST API.
    """
    api_id = api_id or reads.http_api_id(inv)
    api = reads.http_api(inv, api_id) if api_id else None
    if not api:
        return False, None, "the HTTP API was not found"
    if api.get("DisableExecuteApiEndpoint"):
        return True, "private endpoint", f"HTTP API {api_id} has its execute-api endpoint disabled"
    _, origin = api_origin(inv, api_id)
    headers = origin_headers(origin)
    routes = reads.http_routes(inv) if api_id == reads.http_api_id(inv) else []
    common: set[str] | None = None
    for route in routes:
        auth = reads.http_authorizer(inv, route.get("AuthorizerId") or "") or {}
        if route.get("AuthorizationType") != "CUSTOM" or auth.get("AuthorizerType") != "REQUEST":
            common = set()
            break
        names = {s.split("$request.header.", 1)[1].strip().lower()
                 for s in auth.get("IdentitySource") or [] if s.startswith("$request.header.")}
        common = names if common is None else common & names
    found = sorted((common or set()) & set(headers))
    if found:
        return True, "authorizer", (f"every route of HTTP API {api_id} uses a Lambda authorizer reading "
                                    f"the {found[0]} header CloudFront's origin sends")
    return False, None, (f"HTTP API {api_id} answers at https://{api_id}.execute-api.{inv.session.region}"
                         ".amazonaws.com to any client: its execute-api endpoint is enabled and no "
                         "authorizer on every route requires CloudFront's origin header (a JWT only "
                         "proves the caller signed in; HTTP APIs take no web ACL or resource policy)")


@probe(layer="waf", component="api-bypass", needs=("rest_api|http_api",),
       title="The API cannot be reached around the WAF (execute-api endpoint closed to "
             "direct calls)",
       severity="critical", gate=True,
       remediation="Close the execute-api endpoint to direct calls: add an origin custom header "
                   "with a secret value to CloudFront's API origin and a resource-policy Deny "
                   "of execute-api:Invoke unless aws:Referer equals it (Referer as the header "
                   "name); or associate a regional web ACL with the stage; then redeploy the "
                   "stage",
       see_also=("apigateway_restapi_waf_acl_attached", "apigateway_restapi_public",
                 "apigateway_endpoint_public"))
def api_not_reachable_around_waf(inv: Inventory, exp: Any) -> list[Finding]:
    # the trace's "API stage → closed to callers around the WAF" hop asks the same question
    kinds = {"AWS::ApiGateway::RestApi": ("REST API", api_bypass_closed),
             "AWS::ApiGatewayV2::Api": ("HTTP API", http_api_bypass_closed)}
    apis = [(n, *kinds[t]) for t in kinds for n in nodes(inv, t)]
    if not apis:
        return [skipped("stack APIs", "the stack has no REST or HTTP API")]

    def judge(item: tuple[dict, str, Any]) -> Finding:
        node, kind, closed_by = item
        dist, origin = api_origin(inv, node["id"])
        if not origin:
            return skipped(label(inv, node, kind), "is not an origin of a CloudFront "
                           "distribution of the stack: there is no web ACL to go around")
        closed, control, detail = closed_by(inv, node["id"])
        name = f"{label(inv, node, kind)}, behind distribution {dist['Id']},"
        if closed:
            return passed(name, f"cannot be called around CloudFront's web ACL: {detail}",
                          control=control)
        if kind == "HTTP API":  # no resource policy, no web ACL on an HTTP API stage
            return failed(name, f"can be called around CloudFront's web ACL: {detail}",
                          "the execute-api endpoint disabled, or a Lambda REQUEST authorizer on "
                          "every route admitting only CloudFront's origin header",
                          "Serve the API through a custom domain that CloudFront uses as its "
                          "origin and disable the default endpoint (aws apigatewayv2 update-api "
                          f"--api-id {node['id']} --disable-execute-api-endpoint), or add a "
                          "REQUEST authorizer checking a secret origin header CloudFront sends",
                          control=control)
        return failed(name, f"can be called around CloudFront's web ACL: {detail}",
                      "a regional web ACL on the stage, a resource policy or authorizer "
                      "admitting only CloudFront's origin header, or a private endpoint",
                      control=control)

    return inv.parallel(judge, apis)
