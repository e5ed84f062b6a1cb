"""HTTP API (v2) deployments on the emulator, as AWS answers them (moto 5.2.5 has none):
CreateDeployment, GetDeployment(s), DeleteDeployment; a stage's DeploymentId must exist and
GetStage answers it; CloudFormation's AWS::ApiGatewayV2::Deployment with StageName makes the
stage serve it. What probes.http_api.http_stage_deployed reads."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.emulator._support import Aws, create, http_default_route, template, unique


@pytest.fixture(scope="module")
def aws(emulator) -> Aws:
    return Aws(emulator.endpoint)


def _api_with_route(v2) -> str:
    api = v2.create_api(Name=unique("deploy"), ProtocolType="HTTP")["ApiId"]
    integ = v2.create_integration(ApiId=api, IntegrationType="HTTP_PROXY", IntegrationMethod="ANY",
                                  IntegrationUri="https://example.com/", PayloadFormatVersion="1.0")
    v2.create_route(ApiId=api, RouteKey="GET /orders", Target=f"integrations/{integ['IntegrationId']}")
    return api


def _code(exc: pytest.ExceptionInfo) -> str:
    return exc.value.response["Error"]["Code"]


def test_deployment_api_round_trip_and_refusals(aws):
    v2 = aws("apigatewayv2")
    bare = v2.create_api(Name=unique("bare"), ProtocolType="HTTP")["ApiId"]
    with pytest.raises(ClientError) as exc:
        v2.create_deployment(ApiId=bare)
    assert _code(exc) == "BadRequestException" and "route" in str(exc.value)

    api = _api_with_route(v2)
    dep = v2.create_deployment(ApiId=api, Description="first")
    assert dep["DeploymentStatus"] == "DEPLOYED" and dep["AutoDeployed"] is False
    got = v2.get_deployment(ApiId=api, DeploymentId=dep["DeploymentId"])
    assert got["DeploymentId"] == dep["DeploymentId"] and got["Description"] == "first"
    assert [d["DeploymentId"] for d in v2.get_deployments(ApiId=api)["Items"]] == [dep["DeploymentId"]]

    with pytest.raises(ClientError) as exc:
        v2.create_stage(ApiId=api, StageName="nope", DeploymentId="zzzzzz")
    assert _code(exc) == "NotFoundException"
    v2.create_stage(ApiId=api, StageName="prod", DeploymentId=dep["DeploymentId"])
    assert v2.get_stage(ApiId=api, StageName="prod")["DeploymentId"] == dep["DeploymentId"]

    v2.create_stage(ApiId=api, StageName="auto", AutoDeploy=True)
    with pytest.raises(ClientError) as exc:
        v2.create_deployment(ApiId=api, StageName="auto")
    assert _code(exc) == "BadRequestException" and "automatic deployment" in str(exc.value)

    v2.create_stage(ApiId=api, StageName="beta")
    assert "DeploymentId" not in v2.get_stage(ApiId=api, StageName="beta")
    second = v2.create_deployment(ApiId=api, StageName="beta")
    assert v2.get_stage(ApiId=api, StageName="beta")["DeploymentId"] == second["DeploymentId"]

    # v2's DeleteDeployment documents only NotFoundException: the stage keeps the id
    v2.delete_deployment(ApiId=api, DeploymentId=dep["DeploymentId"])
    with pytest.raises(ClientError) as exc:
        v2.get_deployment(ApiId=api, DeploymentId=dep["DeploymentId"])
    assert _code(exc) == "NotFoundException"
    assert v2.get_stage(ApiId=api, StageName="prod")["DeploymentId"] == dep["DeploymentId"]
    with pytest.raises(ClientError) as exc:
        v2.delete_deployment(ApiId=api, DeploymentId=dep["DeploymentId"])
    assert _code(exc) == "NotFoundException"


def test_cloudformation_deployment_is_served_by_its_stage(aws):
    res = {
        "Api": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"Name": unique("cfn"), "ProtocolType": "HTTP"}},
        **http_default_route("Api"),
        "Prod": {"Type": "AWS::ApiGatewayV2::Stage", "Properties": {
            "ApiId": {"Ref": "Api"}, "StageName": "prod",
            "DefaultRouteSettings": {"DetailedMetricsEnabled": True}}},
        "Deploy": {"Type": "AWS::ApiGatewayV2::Deployment", "DependsOn": ["Any", "Prod"], "Properties": {
            "ApiId": {"Ref": "Api"}, "StageName": "prod", "Description": "v1"}},
    }
    stack = create(aws, template(res, outputs={"Api": {"Ref": "Api"}, "Deploy": {"Ref": "Deploy"}}))
    out, v2 = stack.outputs, aws("apigatewayv2")
    stage = v2.get_stage(ApiId=out["Api"], StageName="prod")
    assert stage["DeploymentId"] == out["Deploy"]
    assert stage["DefaultRouteSettings"]["DetailedMetricsEnabled"] is True
    assert v2.get_deployment(ApiId=out["Api"], DeploymentId=out["Deploy"])["Description"] == "v1"
    stack.delete()
