"""HTTP APIs (AWS::ApiGatewayV2::*) through CloudFormation: an API with a JWT authorizer on the
stack's user pool, a private integration over a VPC link (v2) to an NLB listener, routes, a
``$default`` stage with throttling and access logs; read back with boto3 apigatewayv2, updated
in place, deleted. And what AWS refuses fails its resource (CREATE_FAILED, rolled back)."""
from __future__ import annotations

import copy
import json

import pytest

from tests.emulator._support import ACCOUNT, REGION, Aws, create, gone, http_default_route, template, unique
from tests.emulator.test_models import _network


@pytest.fixture(scope="module")
def aws(emulator) -> Aws:
    return Aws(emulator.endpoint)


def _resources(burst: int = 20, audience_client: bool = True) -> dict:
    res = _network()
    res.update({
        "Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
            "GroupDescription": "link", "VpcId": {"Ref": "Vpc"}}},
        "Nlb": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {
            "Type": "network", "Scheme": "internal", "Subnets": [{"Ref": "Subnet0"}, {"Ref": "Subnet1"}]}},
        "Tg": {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Properties": {
            "Protocol": "TCP", "Port": 8080, "VpcId": {"Ref": "Vpc"}, "TargetType": "instance"}},
        "Listener": {"Type": "AWS::ElasticLoadBalancingV2::Listener", "Properties": {
            "LoadBalancerArn": {"Ref": "Nlb"}, "Protocol": "TCP", "Port": 80,
            "DefaultActions": [{"Type": "forward", "TargetGroupArn": {"Ref": "Tg"}}]}},
        "Pool": {"Type": "AWS::Cognito::UserPool", "Properties": {}},
        "Client": {"Type": "AWS::Cognito::UserPoolClient", "Properties": {"UserPoolId": {"Ref": "Pool"}}},
        "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 7}},
        "Http": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {
            "Name": unique("http"), "ProtocolType": "HTTP", "Tags": {"team": "kiosk"}}},
        "Link": {"Type": "AWS::ApiGatewayV2::VpcLink", "Properties": {
            "Name": unique("link"), "SubnetIds": [{"Ref": "Subnet0"}, {"Ref": "Subnet1"}],
            "SecurityGroupIds": [{"Ref": "Sg"}]}},
        "Jwt": {"Type": "AWS::ApiGatewayV2::Authorizer", "Properties": {
            "ApiId": {"Ref": "Http"}, "Name": "cognito", "AuthorizerType": "JWT",
            "IdentitySource": ["$request.header.Authorization"],
            "JwtConfiguration": {
                "Issuer": {"Fn::Sub": "https://cognito-idp.${AWS::Region}.amazonaws.com/${Pool}"},
                "Audience": [{"Ref": "Client"}] if audience_client else ["other"]}}},
        "Private": {"Type": "AWS::ApiGatewayV2::Integration", "Properties": {
            "ApiId": {"Ref": "Http"}, "IntegrationType": "HTTP_PROXY", "IntegrationMethod": "ANY",
            "ConnectionType": "VPC_LINK", "ConnectionId": {"Ref": "Link"}, "IntegrationUri": {"Ref": "Listener"},
            "PayloadFormatVersion": "1.0", "TimeoutInMillis": 10000}},
        "Items": {"Type": "AWS::ApiGatewayV2::Route", "Properties": {
            "ApiId": {"Ref": "Http"}, "RouteKey": "GET /items", "AuthorizationType": "JWT",
            "AuthorizerId": {"Ref": "Jwt"}, "Target": {"Fn::Sub": "integrations/${Private}"}}},
        "Health": {"Type": "AWS::ApiGatewayV2::Route", "Properties": {
            "ApiId": {"Ref": "Http"}, "RouteKey": "GET /health", "AuthorizationType": "NONE",
            "Target": {"Fn::Join": ["/", ["integrations", {"Ref": "Private"}]]}}},
        "Default": {"Type": "AWS::ApiGatewayV2::Stage", "Properties": {
            "ApiId": {"Ref": "Http"}, "StageName": "$default", "AutoDeploy": True,
            "DefaultRouteSettings": {"ThrottlingBurstLimit": burst, "ThrottlingRateLimit": 10,
                                     "DetailedMetricsEnabled": True},
            "AccessLogSettings": {"DestinationArn": {"Fn::GetAtt": ["Logs", "Arn"]},
                                  "Format": "$context.requestId $context.status"}}},
    })
    return res


_OUTPUTS = {
    "Api": {"Ref": "Http"}, "ApiId": {"Fn::GetAtt": ["Http", "ApiId"]},
    "Endpoint": {"Fn::GetAtt": ["Http", "ApiEndpoint"]},
    "Domain": {"Fn::Select": [2, {"Fn::Split": ["/", {"Fn::GetAtt": ["Http", "ApiEndpoint"]}]}]},
    "Link": {"Ref": "Link"}, "LinkId": {"Fn::GetAtt": ["Link", "VpcLinkId"]},
    "Jwt": {"Ref": "Jwt"}, "JwtId": {"Fn::GetAtt": ["Jwt", "AuthorizerId"]},
    "Private": {"Ref": "Private"}, "PrivateId": {"Fn::GetAtt": ["Private", "IntegrationId"]},
    "Items": {"Ref": "Items"}, "ItemsId": {"Fn::GetAtt": ["Items", "RouteId"]}, "Stage": {"Ref": "Default"},
    "Pool": {"Ref": "Pool"}, "Client": {"Ref": "Client"}, "Listener": {"Ref": "Listener"},
    "Subnet0": {"Ref": "Subnet0"}, "Sg": {"Ref": "Sg"},
}


def test_http_api_round_trip_update_and_delete(aws):
    stack = create(aws, template(_resources(), outputs=_OUTPUTS))
    out = stack.outputs
    v2 = aws("apigatewayv2")
    api_id = out["Api"]
    assert out["ApiId"] == api_id
    assert out["Endpoint"] == f"https://{api_id}.execute-api.{REGION}.amazonaws.com"
    assert out["Domain"] == f"{api_id}.execute-api.{REGION}.amazonaws.com"
    api = v2.get_api(ApiId=api_id)
    assert api["ProtocolType"] == "HTTP" and api["Tags"] == {"team": "kiosk"}

    link = v2.get_vpc_link(VpcLinkId=out["Link"])
    assert out["LinkId"] == out["Link"] and link["VpcLinkVersion"] == "V2"
    assert out["Subnet0"] in link["SubnetIds"] and link["SecurityGroupIds"] == [out["Sg"]]

    auth = v2.get_authorizer(ApiId=api_id, AuthorizerId=out["Jwt"])
    assert out["JwtId"] == out["Jwt"] and auth["AuthorizerType"] == "JWT"
    assert auth["IdentitySource"] == ["$request.header.Authorization"]
    assert auth["JwtConfiguration"] == {
        "Issuer": f"https://cognito-idp.{REGION}.amazonaws.com/{out['Pool']}", "Audience": [out["Client"]]}

    integ = v2.get_integration(ApiId=api_id, IntegrationId=out["Private"])
    assert out["PrivateId"] == out["Private"]
    assert (integ["IntegrationType"], integ["ConnectionType"], integ["ConnectionId"], integ["IntegrationUri"],
            integ["PayloadFormatVersion"], integ["TimeoutInMillis"]) == (
        "HTTP_PROXY", "VPC_LINK", out["Link"], out["Listener"], "1.0", 10000)

    routes = {r["RouteKey"]: r for r in v2.get_routes(ApiId=api_id)["Items"]}
    assert set(routes) == {"GET /items", "GET /health"}
    items = routes["GET /items"]
    assert items["RouteId"] == out["Items"] == out["ItemsId"]
    assert (items["AuthorizationType"], items["AuthorizerId"], items["Target"]) == (
        "JWT", out["Jwt"], f"integrations/{out['Private']}")
    assert routes["GET /health"]["AuthorizationType"] == "NONE"

    stage = v2.get_stage(ApiId=api_id, StageName="$default")
    assert out["Stage"] == "$default" and stage["AutoDeploy"] is True
    assert stage["DefaultRouteSettings"] == {"DetailedMetricsEnabled": True, "ThrottlingBurstLimit": 20,
                                             "ThrottlingRateLimit": 10.0}
    assert stage["AccessLogSettings"]["DestinationArn"].startswith(f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:")
    assert v2.get_stages(ApiId=api_id)["Items"][0]["StageName"] == "$default"

    # throttling and the audience change in place: same API, authorizer and stage
    stack.update(template(_resources(burst=5, audience_client=False), outputs=_OUTPUTS))
    after = stack.outputs
    assert (after["Api"], after["Jwt"], after["Private"], after["Items"]) == (
        api_id, out["Jwt"], out["Private"], out["Items"])
    assert v2.get_authorizer(ApiId=api_id, AuthorizerId=out["Jwt"])["JwtConfiguration"]["Audience"] == ["other"]
    assert v2.get_stage(ApiId=api_id, StageName="$default")["DefaultRouteSettings"]["ThrottlingBurstLimit"] == 5

    stack.delete()
    assert gone(lambda: v2.get_api(ApiId=api_id))
    assert gone(lambda: v2.get_vpc_link(VpcLinkId=out["Link"]))


def _broken(mutate) -> str:
    res = _resources()
    mutate(res)
    return template(res)


def _props(res: dict, logical: str) -> dict:
    return res[logical]["Properties"]


@pytest.mark.parametrize("mutate, resource, reason", [
    (lambda r: _props(r, "Jwt").pop("JwtConfiguration"), "Jwt", "JwtConfiguration with an Issuer is required"),
    (lambda r: _props(r, "Jwt").pop("IdentitySource"), "Jwt", "IdentitySource is required"),
    (lambda r: _props(r, "Items").update(Target="integrations/nosuch"), "Items",
     "Invalid integration identifier specified nosuch"),
    (lambda r: _props(r, "Items").update(Target={"Ref": "Private"}), "Items", "integrations/<integration id>"),
    (lambda r: _props(r, "Items").pop("AuthorizerId"), "Items", "AuthorizerId is required"),
    (lambda r: _props(r, "Health").update(AuthorizerId={"Ref": "Jwt"}), "Health",
     "AuthorizerId can be specified only when AuthorizationType is JWT or CUSTOM"),
    (lambda r: _props(r, "Health").update(RouteKey="GET /items"), "(Items|Health)", "Route key already exists"),
    (lambda r: _props(r, "Private").pop("ConnectionId"), "Private", "ConnectionId is required"),
    (lambda r: _props(r, "Private").update(IntegrationUri={"Fn::GetAtt": ["Nlb", "DNSName"]}), "Private",
     "listener"),
    (lambda r: _props(r, "Private").update(IntegrationType="HTTP"), "Private", "not supported for HTTP APIs"),
    (lambda r: _props(r, "Default")["AccessLogSettings"].pop("Format"), "Default", "format must be specified"),
    (lambda r: _props(r, "Link").update(SubnetIds=["subnet-00000000"]), "Link", "subnet"),
])
def test_what_aws_refuses_fails_the_resource(aws, mutate, resource, reason):
    import re

    stack = create(aws, _broken(mutate), expect="ROLLBACK_COMPLETE")
    failure = stack.failure()
    assert re.match(rf"{resource} CREATE_FAILED", failure), failure
    assert re.search(reason, failure, re.IGNORECASE), failure


def test_quick_create_and_explicit_deployment(aws):
    res = {
        "Quick": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {
            "Name": unique("quick"), "ProtocolType": "HTTP", "Target": "https://example.com/backend"}},
        "Manual": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"Name": unique("manual"), "ProtocolType": "HTTP"}},
        **http_default_route("Manual"),
        "Prod": {"Type": "AWS::ApiGatewayV2::Stage", "Properties": {"ApiId": {"Ref": "Manual"}, "StageName": "prod"}},
        "Deploy": {"Type": "AWS::ApiGatewayV2::Deployment", "DependsOn": ["Any", "Prod"], "Properties": {
            "ApiId": {"Ref": "Manual"}, "StageName": "prod"}},
    }
    stack = create(aws, template(res, outputs={"Quick": {"Ref": "Quick"}, "Deploy": {"Ref": "Deploy"},
                                               "DeployId": {"Fn::GetAtt": ["Deploy", "DeploymentId"]}}))
    out = stack.outputs
    v2 = aws("apigatewayv2")
    routes = v2.get_routes(ApiId=out["Quick"])["Items"]
    assert [r["RouteKey"] for r in routes] == ["$default"]
    integ_id = routes[0]["Target"].split("/")[1]
    assert v2.get_integration(ApiId=out["Quick"], IntegrationId=integ_id)["IntegrationUri"] == \
        "https://example.com/backend"
    assert v2.get_stage(ApiId=out["Quick"], StageName="$default")["AutoDeploy"] is True
    assert out["Deploy"] == out["DeployId"] and out["Deploy"]
    stack.delete()

    # a deployment on an automatically deployed stage is refused
    auto = copy.deepcopy(res)
    auto["Prod"]["Properties"]["AutoDeploy"] = True
    failed = create(aws, template(auto), expect="ROLLBACK_COMPLETE")
    assert "automatic deployment" in failed.failure()


def test_deletes_tolerate_already_gone(aws):
    stack = create(aws, template(_resources(), outputs=_OUTPUTS))
    out = stack.outputs
    v2 = aws("apigatewayv2")
    v2.delete_route(ApiId=out["Api"], RouteId=out["Items"])
    v2.delete_api(ApiId=out["Api"])
    v2.delete_vpc_link(VpcLinkId=out["Link"])
    stack.delete()


def test_the_http_api_types_are_modelled():
    from fixtures.emulator.coverage import unmodelled_types

    types = ["AWS::ApiGatewayV2::Api", "AWS::ApiGatewayV2::Stage", "AWS::ApiGatewayV2::Authorizer",
             "AWS::ApiGatewayV2::Integration", "AWS::ApiGatewayV2::Route", "AWS::ApiGatewayV2::VpcLink",
             "AWS::ApiGatewayV2::Deployment"]
    body = json.dumps({"Resources": {f"R{i}": {"Type": t} for i, t in enumerate(types)}})
    assert unmodelled_types(json.loads(body)) == []
