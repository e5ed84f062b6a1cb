"""Hops of the web ACL (waf layer): the distribution is guarded by the stack's web ACL,
which lets ordinary requests through, and the API cannot be called around it."""
from __future__ import annotations

from probes import bypass, evaluators, graph, reads, waf
from probes.trace.engine import Blocked, Broken, Ctx, Exposed, Skip, dist_name, items, norm


def web_acl(c: Ctx) -> tuple[str, str, str]:
    d = c.distribution()
    acl_id = (d.get("DistributionConfig") or {}).get("WebACLId") or ""
    expected_arn = graph.role(c.inv, "web_acl")
    acl = reads.web_acl(c.inv)
    src = dist_name(d)
    fix = (f"Associate the web ACL: set WebACLId of distribution {d.get('Id')} to "
           f"{(acl or {}).get('ARN') or expected_arn or 'the web ACL ARN'} (update-distribution)")
    if not acl_id:
        raise Broken(f"{src} has no web ACL (WebACLId is empty)",
                     f"web ACL {expected_arn or '(a CLOUDFRONT-scope web ACL)'} associated", fix)
    if expected_arn and expected_arn.startswith("arn:") and acl_id != expected_arn:
        raise Broken(f"{src} is protected by web ACL {acl_id}", f"the stack's web ACL {expected_arn}",
                     fix, web_acl_id=acl_id)
    if expected_arn and not acl:
        raise Broken(f"web ACL {expected_arn} does not exist", "the web ACL to exist",
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
            raise Broken(f"web ACL {acl.get('Name')} ({acl_id}) on {src} has default action Block "
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
        raise Broken(f"web ACL {acl.get('Name')} on {src} has rule {name} (priority {priority}) that "
                     f"blocks every request ({why}): viewers get 403", "no Block rule matching every "
                     "request", f"Remove rule {name} from web ACL {acl.get('Name')} or narrow its match "
                     "(aws wafv2 update-web-acl --scope CLOUDFRONT ...)", rules=blocking)
    return src, f"web ACL {acl_id}", f"{src} -> web ACL {acl_id}"


def api_bypass(c: Ctx) -> tuple[str, str, str]:
    """Can the API be called without passing CloudFront and its web ACL? The question the
    waf layer asks (probes.bypass), asked of the API behind this distribution. An open
    bypass does not stop a legitimate request, so the hop is exposed, not broken."""
    if graph.role(c.inv, "http_api") and not reads.rest_api_id(c.inv):
        return _http_api_bypass(c)
    api = reads.rest_api_id(c.inv)
    if not api or not reads.rest_api(c.inv):
        raise Blocked(f"REST API {api or '(none in the stack)'} was not found")
    d = c.distribution()
    stage = graph.role(c.inv, "api_stage") or "<stage>"
    behind = [o for o in items((d.get("DistributionConfig") or {}).get("Origins"))
              if (graph.api_origin(norm(o.get("DomainName"))) or ("",))[0] == api]
    if not behind:
        raise Skip(f"REST API {api} is not an origin of {dist_name(d)}: there is no web ACL to go "
                   "around")
    closed, control, detail = bypass.api_bypass_closed(c.inv, api)
    src, tgt = f"API {api} stage {stage}", "callers around the WAF"
    if closed:
        return src, tgt, f"closed by {control}: {detail}"
    region = c.inv.session.region
    if control == "resource policy":  # the policy asks for a header CloudFront does not send
        fix = (f"Make the API origin's custom header on {dist_name(d)} carry the value the resource "
               f"policy of REST API {api} requires (or the policy require the value CloudFront "
               "sends), then redeploy the stage")
    else:
        fix = (f"Close https://{api}.execute-api.{region}.amazonaws.com/{stage} to direct calls: "
               "associate a REGIONAL web ACL with the stage (aws wafv2 associate-web-acl "
               f"--resource-arn arn:aws:apigateway:{region}::/restapis/{api}/stages/{stage} "
               "--web-acl-arn <regional web ACL>); or add a secret custom header to CloudFront's "
               "API origin and a resource-policy Deny of execute-api:Invoke unless aws:Referer "
               "equals it, then redeploy the stage; or make the endpoint PRIVATE")
    raise Exposed(f"REST API {api} stage {stage} can be called around {dist_name(d)} and its web "
                  f"ACL: {detail}",
                  "a regional web ACL on the stage, a resource policy or authorizer admitting only "
                  "CloudFront's origin header, or a private endpoint", fix, control=control)


def _http_api_bypass(c: Ctx) -> tuple[str, str, str]:
    """The bypass question for an HTTP API (probes.bypass.http_api_bypass_closed): closed only
    by a disabled execute-api endpoint or a Lambda authorizer on every route requiring
    CloudFront's origin header; a JWT authorizer does not close it (any signed-in caller
    skips the web ACL)."""
    api = reads.http_api_id(c.inv)
    if not api or not reads.http_api(c.inv, api):
        raise Blocked(f"HTTP API {api or '(none in the stack)'} was not found")
    d = c.distribution()
    stage = graph.role(c.inv, "http_api_stage") or "$default"
    behind = [o for o in items((d.get("DistributionConfig") or {}).get("Origins"))
              if (graph.api_origin(norm(o.get("DomainName"))) or ("",))[0] == api]
    if not behind:
        raise Skip(f"HTTP API {api} is not an origin of {dist_name(d)}: there is no web ACL to go "
                   "around")
    closed, control, detail = bypass.http_api_bypass_closed(c.inv, api)
    src, tgt = f"HTTP API {api} stage {stage}", "callers around the WAF"
    if closed:
        return src, tgt, f"closed by {control}: {detail}"
    raise Exposed(f"HTTP API {api} stage {stage} can be called around {dist_name(d)} and its web "
                  f"ACL: {detail}",
                  "the execute-api endpoint disabled (CloudFront calling a custom domain), or a Lambda "
                  "authorizer on every route admitting only CloudFront's secret origin header",
                  f"Add a secret custom header to CloudFront's API origin and a Lambda REQUEST "
                  f"authorizer on every route of HTTP API {api} that requires it (aws apigatewayv2 "
                  f"create-authorizer --api-id {api} --authorizer-type REQUEST --identity-source "
                  "'$request.header.<name>' ...); or set DisableExecuteApiEndpoint and point "
                  "CloudFront at a custom domain name of the API", control=control)
