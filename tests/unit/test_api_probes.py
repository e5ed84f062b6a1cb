"""API probes on canned AWS responses: the cases the emulator cannot produce (a deployment's
apiSummary, stage-variable VPC links, a stack without an AppSubnetIds output)."""
from __future__ import annotations

from typing import Any

from probes import api
from probes.expectations import build
from tests.unit.fakes import FakeInventory as Fake

EXP = build({})
NLB = "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/net/app/abc"
POOL = "arn:aws:cognito-idp:us-east-1:1:userpool/us-east-1_P"


def FakeInventory(responses: dict[str, Any], roles: dict[str, str],  # noqa: N802 - the shared fake
                  outputs: dict[str, str] | None = None) -> Fake:
    return Fake(responses, roles, parameters={"AppPort": "8080"}, outputs=outputs)


def _method(auth="COGNITO_USER_POOLS", authorizer="a1", conn="VPC_LINK", cid="link1",
            itype="HTTP_PROXY"):
    return {"authorizationType": auth, "authorizerId": authorizer,
            "methodIntegration": {"type": itype, "connectionType": conn, "connectionId": cid}}


def _inv(**overrides):
    responses = {
        "get_resources": [
            {"id": "r1", "path": "/api/health", "resourceMethods": {"GET": _method(auth="NONE")}},
            {"id": "r2", "path": "/api/items",
             "resourceMethods": {"GET": _method(), "OPTIONS": _method(auth="NONE")}},
        ],
        "get_stage": {"stageName": "prod", "deploymentId": "d1", "variables": {"link": "link1"},
                      "methodSettings": {"*/*": {"metricsEnabled": True,
                                                 "throttlingBurstLimit": 100,
                                                 "throttlingRateLimit": 50.0}}},
        "get_deployment": {"id": "d1"},
        "get_authorizers": [{"id": "a1", "name": "cognito", "type": "COGNITO_USER_POOLS",
                             "providerARNs": [POOL],
                             "identitySource": "method.request.header.Authorization"}],
        "describe_user_pool": {"UserPool": {"Id": "us-east-1_P", "Arn": POOL}},
        "get_vpc_link": {"id": "link1", "status": "AVAILABLE", "targetArns": [NLB]},
    }
    responses.update(overrides)
    return FakeInventory(responses, {"rest_api": "api1", "api_stage": "prod", "nlb": NLB,
                                     "user_pool": "us-east-1_P", "vpc_link": "link1"})


def test_healthy_canned_api_passes():
    inv = _inv()
    for fn in (api.stage_deployed, api.methods_authorized, api.authorizer_trusts_stack_pool,
               api.integrations_via_vpc_link, api.vpc_link_targets_nlb, api.stage_throttling):
        result = fn(inv, EXP)
        for f in result if isinstance(result, list) else [result]:
            assert f.ok, f.message


def test_options_preflight_is_public_but_other_verbs_are_not():
    inv = _inv(get_resources=[{"id": "r2", "path": "/api/items", "resourceMethods": {
        "OPTIONS": _method(auth="NONE"), "DELETE": _method(auth="NONE")}}])
    findings = {f.resource: f for f in api.methods_authorized(inv, EXP)}
    assert findings["method OPTIONS /api/items of REST API api1"].ok
    bad = findings["method DELETE /api/items of REST API api1"]
    assert not bad.ok and "authorization NONE" in bad.message


def test_stale_deployment_is_caught_from_the_api_summary():
    summary = {"/api/health": {"GET": {"authorizationType": "NONE"}},
               "/api/items": {"GET": {"authorizationType": "NONE"},
                              "OPTIONS": {"authorizationType": "NONE"}}}
    f = api.stage_deployed(_inv(get_deployment={"id": "d1", "apiSummary": summary}), EXP)
    assert not f.ok
    assert "GET /api/items is deployed with authorization NONE but configured with " \
           "COGNITO_USER_POOLS" in f.message and "create-deployment" in f.message


def test_stage_variable_vpc_link_is_resolved():
    res = [{"id": "r2", "path": "/api/items",
            "resourceMethods": {"GET": _method(cid="${stageVariables.link}")}}]
    seen = []
    inv = _inv(get_resources=res,
               get_vpc_link=lambda **p: seen.append(p["vpcLinkId"]) or
               {"id": p["vpcLinkId"], "status": "AVAILABLE", "targetArns": [NLB]})
    assert all(f.ok for f in api.vpc_link_targets_nlb(inv, EXP))
    assert seen == ["link1"]


def test_unused_leftover_authorizer_does_not_decide():
    auths = [{"id": "a1", "name": "cognito", "type": "COGNITO_USER_POOLS", "providerARNs": [POOL],
              "identitySource": "method.request.header.Authorization"},
             {"id": "a9", "name": "old", "type": "COGNITO_USER_POOLS",
              "providerARNs": ["arn:other"], "identitySource": "method.request.header.X"}]
    inv = _inv(get_authorizers=auths)
    assert all(f.ok for f in api.authorizer_trusts_stack_pool(inv, EXP))
    assert all(f.ok for f in api.authorizer_identity_source(inv, EXP))


def test_nlb_in_public_subnet_without_outputs_is_found_by_route():
    lb = {"LoadBalancerArn": NLB, "LoadBalancerName": "app", "Type": "network",
          "Scheme": "internal", "AvailabilityZones": [{"SubnetId": "subnet-pub"}]}
    tables = [{"Associations": [{"SubnetId": "subnet-pub"}],
               "Routes": [{"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1"}]}]
    inv = _inv(describe_load_balancers={"LoadBalancers": [lb]}, describe_route_tables=tables)
    inv.roles["vpc"] = "vpc-1"
    f = api.nlb_internal(inv, EXP)
    assert not f.ok and "public subnet(s) subnet-pub" in f.message


def test_throttling_absent_names_the_account_limit():
    inv = _inv(get_stage={"stageName": "prod", "deploymentId": "d1", "methodSettings": {}})
    f = api.stage_throttling(inv, EXP)
    assert not f.ok and "no stage-wide throttling" in f.message


def test_nlb_in_private_subnets_of_its_own_passes():
    """An NLB in dedicated private subnets (not the ASG's) is a design, not a fault."""
    lb = {"LoadBalancerArn": NLB, "LoadBalancerName": "app", "Type": "network",
          "Scheme": "internal", "AvailabilityZones": [{"SubnetId": "subnet-lb-a"}, {"SubnetId": "subnet-lb-b"}]}
    tables = [{"Associations": [{"SubnetId": "subnet-lb-a"}, {"SubnetId": "subnet-lb-b"}],
               "Routes": [{"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-1"}]}]
    inv = _inv(describe_load_balancers={"LoadBalancers": [lb]}, describe_route_tables=tables)
    inv.roles["vpc"] = "vpc-1"
    f = api.nlb_internal(inv, EXP)
    assert f.ok and "private subnets subnet-lb-a, subnet-lb-b" in f.message
