"""API layer faults: stage settings, the Cognito authorizer, and the private integration
(VPC link -> internal NLB -> app port). Each is something an operator can do in the
console or CLI; method changes go through delete_method/put_method/put_integration, the
calls a person recreating a method in the console makes."""
from __future__ import annotations

from probes import path as p
from tests.faults import anystack as any_
from tests.faults.catalog import Fault

ACCOUNT, REGION = "123456789012", "us-east-1"


def _api(stack) -> str:
    return stack.outputs["RestApiId"]


def _stage(stack) -> str:
    return stack.outputs["ApiStageName"]


def _resource_id(stack, path: str) -> str:
    items = stack.client("apigateway").get_resources(restApiId=_api(stack))["items"]
    return next(r["id"] for r in items if r["path"] == path)


def _patch_stage(*ops):
    def inject(stack):
        stack.client("apigateway").update_stage(restApiId=_api(stack), stageName=_stage(stack),
                                                patchOperations=list(ops))
    return inject


def _integration_args(integ: dict, **overrides) -> dict:
    keep = {"type": "type", "httpMethod": "integrationHttpMethod", "uri": "uri",
            "connectionType": "connectionType", "connectionId": "connectionId",
            "timeoutInMillis": "timeoutInMillis"}
    args = {arg: integ[k] for k, arg in keep.items() if integ.get(k) not in (None, "")}
    if "timeoutInMillis" in args:
        args["timeoutInMillis"] = int(args["timeoutInMillis"])
    args.update(overrides)
    return {k: v for k, v in args.items() if v is not None}


def _put_integration(path: str, verb: str = "GET", **overrides):
    def inject(stack):
        apigw, api, rid = stack.client("apigateway"), _api(stack), _resource_id(stack, path)
        integ = apigw.get_integration(restApiId=api, resourceId=rid, httpMethod=verb)
        apigw.put_integration(restApiId=api, resourceId=rid, httpMethod=verb,
                              **_integration_args(integ, **overrides))
    return inject


def stage_deleted(stack):
    stack.client("apigateway").delete_stage(restApiId=_api(stack), stageName=_stage(stack))


def identity_source_changed(stack):
    apigw = stack.client("apigateway")
    authorizer = next(a for a in apigw.get_authorizers(restApiId=_api(stack))["items"]
                      if a["type"] == "COGNITO_USER_POOLS")
    apigw.update_authorizer(restApiId=_api(stack), authorizerId=authorizer["id"],
                            patchOperations=[{"op": "replace", "path": "/identitySource",
                                              "value": "method.request.header.X-Id-Token"}])


def link_to_other_nlb(stack):
    # Target ARNs of a VPC link are immutable: the operator created a second link (to a
    # second internal NLB) and pointed the integrations at it.
    elbv2 = stack.client("elbv2")
    subnets = stack.outputs["AppSubnetIds"].split(",")
    other = elbv2.create_load_balancer(Name=f"other-{stack.name}"[-32:], Type="network",
                                       Scheme="internal", Subnets=subnets)
    other_arn = other["LoadBalancers"][0]["LoadBalancerArn"]
    link = stack.client("apigateway").create_vpc_link(name=f"{stack.name}-other",
                                                      targetArns=[other_arn])
    for path in ("/api/health", "/api/items"):
        _put_integration(path, connectionId=link["id"])(stack)


def link_failed(stack):
    from moto.apigateway.models import apigateway_backends
    link = apigateway_backends[ACCOUNT][REGION].vpc_links[stack.outputs["VpcLinkId"]]
    link.status = "FAILED"
    link.status_message = "NLB ARN is malformed or target group has no healthy targets"


def nlb_internet_facing(stack):
    from moto.elbv2.models import elbv2_backends
    elbv2_backends[ACCOUNT][REGION].load_balancers[stack.outputs["NlbArn"]].scheme = (
        "internet-facing")


def listener_wrong_port(stack):
    elbv2 = stack.client("elbv2")
    listener = elbv2.describe_listeners(LoadBalancerArn=stack.outputs["NlbArn"])["Listeners"][0]
    elbv2.modify_listener(ListenerArn=listener["ListenerArn"], Port=9090)


def origin_secret_rotated_in_policy_only(stack):
    """The API policy's CloudFront-only Referer secret rotated, CloudFront's origin header not:
    the policy now refuses CloudFront's own requests (and still every direct call)."""
    import json
    api = stack.client("apigateway")
    text = api.get_rest_api(restApiId=_api(stack))["policy"]
    policy = json.loads(text.replace('\\"', '"'))
    for st in policy["Statement"]:
        for op in (st.get("Condition") or {}).values():
            for key in list(op):
                if key.lower() == "aws:referer":
                    op[key] = "rotated-on-one-side-only"
    api.update_rest_api(restApiId=_api(stack), patchOperations=[
        {"op": "replace", "path": "/policy", "value": json.dumps(policy)}])

FAULTS = [
    Fault("api-stage-deleted", stage_deleted,
          ("api.stage_deployed", "api.stage_access_logging", "api.stage_metrics_enabled",
           "api.stage_throttling"), mentions=("was not found",),
          also_breaks=("stack.resources_exist", "e2e.request_path")),
    Fault("api-access-logging-removed",
          _patch_stage({"op": "remove", "path": "/accessLogSettings"}),
          ("api.stage_access_logging",), challenge=10, mentions=("no access logging",)),
    Fault("api-metrics-disabled",
          _patch_stage({"op": "replace", "path": "/*/*/metrics/enabled", "value": "false"}),
          ("api.stage_metrics_enabled",), challenge=10, mentions=("metrics disabled",)),
    Fault("api-throttling-loosened",
          _patch_stage({"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "5000"},
                       {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "10000"}),
          ("api.stage_throttling",), mentions=("burst 5000",)),
    Fault("api-items-method-public", any_.on_lab_stack(any_.method_public), ("api.methods_authorized",), challenge=7,
          mentions=("GET /api/items", "authorization NONE"), also_breaks=("e2e.request_path",)),
    Fault("api-authorizer-other-pool", any_.on_lab_stack(any_.authorizer_other_pool),
          ("api.authorizer_trusts_stack_pool", "auth.jwt_flow"), challenge=7,
          mentions=("cognito-staging",), also_breaks=("e2e.request_path",)),
    Fault("api-identity-source-changed", identity_source_changed,
          ("api.authorizer_identity_source",), challenge=7, mentions=("X-Id-Token",)),
    Fault("api-integration-over-internet", _put_integration("/api/items", connectionType="INTERNET",
                                                            connectionId=None),
          ("api.integrations_via_vpc_link",), challenge=2, mentions=("over INTERNET",), also_breaks=("e2e.request_path",)),
    Fault("api-integration-not-proxy", _put_integration("/api/health", type="HTTP"),
          ("api.integrations_via_vpc_link",), challenge=2, mentions=("is HTTP over VPC_LINK",)),
    Fault("api-vpc-link-other-nlb", link_to_other_nlb, ("api.vpc_link_targets_nlb",), challenge=2,
          mentions=("targets arn:",), also_breaks=("e2e.request_path",)),
    Fault("api-vpc-link-failed", link_failed, ("api.vpc_link_targets_nlb",), challenge=2,
          mentions=("is FAILED",), also_breaks=("e2e.request_path",), via="emulator-state",
          why="API Gateway sets a VPC link's status itself (FAILED when it cannot attach to the "
              "NLB); no API sets it and moto makes every link AVAILABLE at once"),
    Fault("api-nlb-internet-facing", nlb_internet_facing, ("api.nlb_internal",), challenge=2,
          mentions=("internet-facing",), via="emulator-state",
          why="an NLB's scheme is fixed at creation; the real-world fault is an NLB created "
              "internet-facing, which in place of the stack's would change its ARN and every "
              "reference to it"),
    Fault("api-listener-wrong-port", listener_wrong_port, ("api.nlb_listener_forwards",),
          challenge=2, mentions=("TCP:9090",), also_breaks=("e2e.request_path",)),

    Fault("api-throttled-to-zero",
          any_.on_lab_stack(any_.throttled_to_zero),
          ("api.stage_throttling",), mentions=("rate 0",), hop=p.API_STAGE),
    Fault("api-origin-secret-rotated-in-policy-only", origin_secret_rotated_in_policy_only,
          ("api.resource_policy_admits_callers",), challenge=7, mentions=("denies execute-api:Invoke",),
          # the WAF-bypass probe sees the same mismatch: CloudFront is refused too
          also_breaks=("waf.api_not_reachable_around_waf",), hop=p.API_STAGE),
]
