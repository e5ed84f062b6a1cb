"""REST APIs defined by an OpenAPI definition (AWS::ApiGateway::RestApi Body / BodyS3Location),
imported as API Gateway imports one ("API Gateway extensions to OpenAPI"): paths and methods,
x-amazon-apigateway-integration (every type; VPC_LINK with connectionId), security schemes with
x-amazon-apigateway-authorizer as authorizers and a method's `security` as its authorization,
the API-level extensions; intrinsic functions inside Body resolved by CloudFormation first.
What the import refuses fails the RestApi resource (CREATE_FAILED, rolled back). And the
resource graph follows such an API to its VPC link, NLB and user pool."""
from __future__ import annotations

import json

import pytest

from tests.emulator._support import ACCOUNT, REGION, Aws, create, gone, template, unique
from tests.emulator.test_models import _network


@pytest.fixture(scope="module")
def aws(emulator) -> Aws:
    return Aws(emulator.endpoint)


_LAMBDA = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:auth"
_LAMBDA_URI = f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{_LAMBDA}/invocations"


def _openapi3() -> dict:
    return {
        "openapi": "3.0.1",
        "info": {"title": "orders", "description": "orders API", "version": "1"},
        "x-amazon-apigateway-api-key-source": "AUTHORIZER",
        "x-amazon-apigateway-binary-media-types": ["image/png"],
        "x-amazon-apigateway-policy": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke",
            "Resource": {"Fn::Sub": "arn:aws:execute-api:${AWS::Region}:${AWS::AccountId}:*"}}]},
        "security": [{"cognito": ["orders/read"]}],
        "x-amazon-apigateway-request-validators": {
            "all": {"validateRequestBody": True, "validateRequestParameters": True},
            "params": {"validateRequestBody": False, "validateRequestParameters": True}},
        "x-amazon-apigateway-request-validator": "params",
        "x-amazon-apigateway-gateway-responses": {"DEFAULT_4XX": {
            "statusCode": 400, "responseTemplates": {"application/json": "{\"message\": $context.error.messageString}"}}},
        "components": {
            "schemas": {"Order": {"type": "object", "properties": {"id": {"type": "string"}}}},
            "securitySchemes": {
                "cognito": {"type": "apiKey", "name": "Authorization", "in": "header",
                            "x-amazon-apigateway-authtype": "cognito_user_pools",
                            "x-amazon-apigateway-authorizer": {
                                "type": "cognito_user_pools",
                                "providerARNs": [{"Fn::GetAtt": ["Pool", "Arn"]}]}},
                "token": {"type": "apiKey", "name": "X-Token", "in": "header",
                          "x-amazon-apigateway-authtype": "custom",
                          "x-amazon-apigateway-authorizer": {
                              "type": "token", "authorizerUri": _LAMBDA_URI,
                              "authorizerResultTtlInSeconds": 60,
                              "identityValidationExpression": "^x-[a-z]+$"}},
                "request": {"type": "apiKey", "name": "Unused", "in": "header",
                            "x-amazon-apigateway-authtype": "custom",
                            "x-amazon-apigateway-authorizer": {
                                "type": "request", "authorizerUri": _LAMBDA_URI,
                                "identitySource": "method.request.header.Auth, method.request.querystring.q"}},
                "key": {"type": "apiKey", "name": "x-api-key", "in": "header"},
            }},
        "paths": {
            "/": {"get": {"responses": {"200": {"description": "ok"}},
                          "x-amazon-apigateway-integration": {
                              "type": "mock", "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
                              "responses": {"default": {"statusCode": "200"}}}}},
            "/orders/{id}": {
                "parameters": [{"name": "id", "in": "path", "required": True}],
                "get": {"responses": {"200": {"description": "ok", "headers": {"X-Trace": {}}}},
                        "x-amazon-apigateway-integration": {
                            "type": "http_proxy", "httpMethod": "GET", "connectionType": "VPC_LINK",
                            "connectionId": {"Ref": "Link"},
                            "uri": {"Fn::Sub": "http://${Nlb.DNSName}/orders/{id}"},
                            "passthroughBehavior": "when_no_match", "timeoutInMillis": 10000,
                            "requestParameters": {"integration.request.path.id": "method.request.path.id"}}},
                "put": {"security": [{"token": []}, {"key": []}],
                        "requestBody": {"content": {"application/json": {
                            "schema": {"$ref": "#/components/schemas/Order"}}}},
                        "x-amazon-apigateway-integration": {
                            "type": "http", "httpMethod": "PUT", "uri": "https://example.com/orders",
                            "responses": {"2\\d{2}": {"statusCode": "200"}}}}},
            "/fn": {"post": {"security": [{"request": []}], "x-amazon-apigateway-request-validator": "all",
                             "x-amazon-apigateway-integration": {
                                 "type": "aws_proxy", "httpMethod": "POST", "uri": _LAMBDA_URI}}},
            "/queue": {"post": {"security": [],
                                "x-amazon-apigateway-integration": {
                                    "type": "aws", "httpMethod": "POST",
                                    "credentials": {"Fn::Sub": "arn:aws:iam::${AWS::AccountId}:role/sqs"},
                                    "uri": f"arn:aws:apigateway:{REGION}:sqs:path/{ACCOUNT}/q"}}},
            "/{proxy+}": {"x-amazon-apigateway-any-method": {
                "parameters": [{"name": "proxy", "in": "path", "required": True}],
                "x-amazon-apigateway-integration": {
                    "type": "http_proxy", "httpMethod": "ANY", "connectionType": "VPC_LINK",
                    "connectionId": {"Ref": "Link"},
                    "uri": {"Fn::Sub": "http://${Nlb.DNSName}/{proxy}"},
                    "requestParameters": {"integration.request.path.proxy": "method.request.path.proxy"}}}},
        },
    }


def _resources(body: dict | None = None, **api_props) -> dict:
    res = _network()
    res.update({
        "Nlb": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {
            "Type": "network", "Scheme": "internal", "Subnets": [{"Ref": "Subnet0"}, {"Ref": "Subnet1"}]}},
        "Link": {"Type": "AWS::ApiGateway::VpcLink", "Properties": {
            "Name": unique("link"), "TargetArns": [{"Ref": "Nlb"}]}},
        "Pool": {"Type": "AWS::Cognito::UserPool", "Properties": {}},
        "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {
            "Body": _openapi3() if body is None else body, **api_props}},
    })
    return res


def _methods(aws: Aws, api: str) -> dict[str, dict]:
    items = aws("apigateway").get_resources(restApiId=api, embed=["methods"])["items"]
    return {f"{verb} {r['path']}": m for r in items for verb, m in (r.get("resourceMethods") or {}).items()}


def test_openapi3_body_imports_paths_integrations_authorizers_and_extensions(aws):
    stack = create(aws, template(_resources(), outputs={
        "Api": {"Ref": "Api"}, "Root": {"Fn::GetAtt": ["Api", "RootResourceId"]}, "Link": {"Ref": "Link"},
        "Pool": {"Fn::GetAtt": ["Pool", "Arn"]}, "Dns": {"Fn::GetAtt": ["Nlb", "DNSName"]}}))
    out = stack.outputs
    apigw = aws("apigateway")
    api = apigw.get_rest_api(restApiId=out["Api"])
    assert api["name"] == "orders" and api["description"] == "orders API"
    assert api["apiKeySource"] == "AUTHORIZER" and api["binaryMediaTypes"] == ["image/png"]
    policy = json.loads(api["policy"])
    assert policy["Statement"][0]["Resource"] == f"arn:aws:execute-api:{REGION}:{ACCOUNT}:*"

    auths = {a["name"]: a for a in apigw.get_authorizers(restApiId=out["Api"])["items"]}
    assert auths["cognito"]["type"] == "COGNITO_USER_POOLS" and auths["cognito"]["providerARNs"] == [out["Pool"]]
    assert auths["cognito"]["identitySource"] == "method.request.header.Authorization"
    assert auths["token"]["type"] == "TOKEN" and auths["token"]["authorizerUri"] == _LAMBDA_URI
    assert auths["token"]["identitySource"] == "method.request.header.X-Token"
    assert auths["token"]["authorizerResultTtlInSeconds"] == 60
    assert auths["request"]["type"] == "REQUEST"
    assert auths["request"]["identitySource"] == "method.request.header.Auth, method.request.querystring.q"
    assert [m["name"] for m in apigw.get_models(restApiId=out["Api"])["items"]] == ["Order"]
    validators = {v["name"]: v for v in apigw.get_request_validators(restApiId=out["Api"])["items"]}
    assert validators["all"]["validateRequestBody"] is True
    assert validators["params"]["validateRequestBody"] is False
    gw = apigw.get_gateway_response(restApiId=out["Api"], responseType="DEFAULT_4XX")
    assert gw["statusCode"] == "400" and "messageString" in gw["responseTemplates"]["application/json"]

    m = _methods(aws, out["Api"])
    assert set(m) == {"GET /", "GET /orders/{id}", "PUT /orders/{id}", "POST /fn", "POST /queue",
                      "ANY /{proxy+}"}
    root = m["GET /"]
    assert root["authorizationType"] == "COGNITO_USER_POOLS" and root["authorizerId"] == auths["cognito"]["id"]
    assert root["authorizationScopes"] == ["orders/read"]
    assert root["methodIntegration"]["type"] == "MOCK" and root["methodResponses"]["200"]["statusCode"] == "200"
    assert root["methodIntegration"]["integrationResponses"]["200"]["statusCode"] == "200"

    order = m["GET /orders/{id}"]
    integ = order["methodIntegration"]
    assert integ["type"] == "HTTP_PROXY" and integ["httpMethod"] == "GET"
    assert integ["connectionType"] == "VPC_LINK" and integ["connectionId"] == out["Link"]
    assert integ["uri"] == f"http://{out['Dns']}/orders/{{id}}"
    assert integ["passthroughBehavior"] == "WHEN_NO_MATCH" and integ["timeoutInMillis"] == 10000
    assert integ["requestParameters"] == {"integration.request.path.id": "method.request.path.id"}
    assert order["requestParameters"] == {"method.request.path.id": True}
    assert order["methodResponses"]["200"]["responseParameters"] == {"method.response.header.X-Trace": False}

    put = m["PUT /orders/{id}"]
    assert put["authorizationType"] == "CUSTOM" and put["authorizerId"] == auths["token"]["id"]
    assert put["apiKeyRequired"] is True and put["methodIntegration"]["type"] == "HTTP"
    assert put["requestModels"] == {"application/json": "Order"}
    assert put["methodIntegration"]["integrationResponses"]["200"]["selectionPattern"] == "2\\d{2}"
    fn = m["POST /fn"]
    assert fn["authorizationType"] == "CUSTOM" and fn["authorizerId"] == auths["request"]["id"]
    assert fn["methodIntegration"]["type"] == "AWS_PROXY" and fn["methodIntegration"]["uri"] == _LAMBDA_URI
    assert fn["requestValidatorId"] == validators["all"]["id"]  # the method's own validator
    assert root["requestValidatorId"] == validators["params"]["id"]  # the API-wide one
    queue = m["POST /queue"]  # `security: []` opts out of the API-wide requirement
    assert queue["authorizationType"] == "NONE" and queue["methodIntegration"]["type"] == "AWS"
    assert queue["methodIntegration"]["credentials"] == f"arn:aws:iam::{ACCOUNT}:role/sqs"
    anym = m["ANY /{proxy+}"]
    assert anym["methodIntegration"]["connectionId"] == out["Link"]
    assert anym["requestParameters"] == {"method.request.path.proxy": True}

    stack.delete()
    assert gone(lambda: apigw.get_rest_api(restApiId=out["Api"]))


def _swagger2() -> dict:
    doc = _openapi3()
    schemes = doc.pop("components")
    return {"swagger": "2.0", "info": doc["info"], "securityDefinitions": schemes["securitySchemes"],
            "definitions": schemes["schemas"], "paths": {"/orders/{id}": doc["paths"]["/orders/{id}"]},
            "security": [{"cognito": []}]}


def test_swagger2_body_as_yaml_text_with_name_override(aws):
    """Swagger 2 (securityDefinitions, definitions), given as text; Name wins over info.title."""
    import yaml

    res = _resources(body={})
    body = json.loads(json.dumps(_swagger2()))
    # YAML text cannot carry intrinsic functions: the template substitutes them (Fn::Sub on the text)
    body["paths"]["/orders/{id}"]["get"]["x-amazon-apigateway-integration"].update(
        connectionId="${Link}", uri="http://${Nlb.DNSName}/orders/{id}")
    body["securityDefinitions"]["cognito"]["x-amazon-apigateway-authorizer"]["providerARNs"] = ["${Pool.Arn}"]
    body["securityDefinitions"].pop("token")
    body["securityDefinitions"].pop("request")
    body["paths"]["/orders/{id}"].pop("put")
    body["paths"]["/orders/{id}"]["get"]["responses"]["200"]["schema"] = {"$ref": "#/definitions/Order"}
    res["Api"]["Properties"] = {"Name": "renamed", "Body": {"Fn::Sub": yaml.safe_dump(body)}}
    stack = create(aws, template(res, outputs={"Api": {"Ref": "Api"}, "Link": {"Ref": "Link"},
                                               "Pool": {"Fn::GetAtt": ["Pool", "Arn"]}}))
    out = stack.outputs
    assert aws("apigateway").get_rest_api(restApiId=out["Api"])["name"] == "renamed"
    m = _methods(aws, out["Api"])
    get = m["GET /orders/{id}"]
    assert get["authorizationType"] == "COGNITO_USER_POOLS"
    assert get["methodIntegration"]["connectionId"] == out["Link"]
    assert get["methodResponses"]["200"]["responseModels"] == {"application/json": "Order"}
    (auth,) = aws("apigateway").get_authorizers(restApiId=out["Api"])["items"]
    assert auth["providerARNs"] == [out["Pool"]] and get["authorizerId"] == auth["id"]
    stack.delete()


def test_body_s3_location_and_update_overwrites(aws):
    s3 = aws("s3")
    bucket = unique("defs")
    s3.create_bucket(Bucket=bucket)
    doc = {"openapi": "3.0.1", "info": {"title": "from-s3"}, "paths": {
        "/a": {"get": {"x-amazon-apigateway-integration": {"type": "mock"}}}}}
    s3.put_object(Bucket=bucket, Key="api.json", Body=json.dumps(doc).encode())
    res = _resources(body={})
    res["Api"]["Properties"] = {"BodyS3Location": {"Bucket": bucket, "Key": "api.json"}}
    stack = create(aws, template(res, outputs={"Api": {"Ref": "Api"}}))
    api = stack.outputs["Api"]
    assert aws("apigateway").get_rest_api(restApiId=api)["name"] == "from-s3"
    assert set(_methods(aws, api)) == {"GET /a"}

    res["Api"]["Properties"] = {"Body": {"openapi": "3.0.1", "info": {"title": "inline"}, "paths": {
        "/b": {"post": {"x-amazon-apigateway-integration": {"type": "mock"}}}}}}
    stack.update(template(res, outputs={"Api": {"Ref": "Api"}}))
    assert stack.outputs["Api"] == api  # updated in place, the definition replaced
    assert set(_methods(aws, api)) == {"POST /b"}
    paths = {r["path"] for r in aws("apigateway").get_resources(restApiId=api)["items"]}
    assert paths == {"/", "/b"}
    stack.delete()


def _mutated(path: list, value, make=_openapi3) -> dict:
    """A fresh definition from ``make`` with the value at ``path`` replaced (or dropped)."""
    body = make()
    node = body
    for key in path[:-1]:
        node = node[key]
    if value is _DROP:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return body


_DROP = object()
_ORDER = ["paths", "/orders/{id}", "get", "x-amazon-apigateway-integration"]


@pytest.mark.parametrize("body, reason", [
    (_mutated([*_ORDER, "type"], "lambda"), "Invalid integration type 'lambda'"),
    (_mutated([*_ORDER, "connectionId"], _DROP), "connectionId is required when connectionType is VPC_LINK"),
    (_mutated([*_ORDER, "connectionId"], "nolink1"), "Invalid VPC link identifier specified: nolink1"),
    (_mutated([*_ORDER, "passthroughBehavior"], "sometimes"), "Invalid passthrough behavior"),
    (_mutated([*_ORDER, "requestParameters"], {"integration.request.path.x": "method.request.path.x"}),
     "Invalid mapping expression specified"),
    (_mutated([*_ORDER, "httpMethod"], _DROP), "Unable to put integration on 'GET' for resource at path"),
    (_mutated([*_ORDER, "timeoutInMillis"], 30001), "timeoutInMillis must be between 50 and 29000"),
    (_mutated(["paths", "/fn", "post", "security"], [{"nobody": []}]), "security scheme 'nobody' is not defined"),
    (_mutated(["components", "securitySchemes", "token", "x-amazon-apigateway-authorizer", "type"], "jwt"),
     "Invalid authorizer type 'jwt'"),
    (_mutated(["components", "securitySchemes", "cognito", "x-amazon-apigateway-authorizer", "providerARNs"],
              _DROP), "providerARNs is required"),
    (_mutated(["openapi"], "1.0"), "Invalid OpenAPI input"),
    (_mutated(["paths", "/{proxy+}", "trace"], {}), "Invalid HTTP method"),
    (_mutated(["x-amazon-apigateway-request-validator"], "strict"), "request validator 'strict' is not defined"),
    (_mutated(["x-amazon-apigateway-gateway-responses"], {"DEFAULT_3XX": {}}),
     "Invalid gateway response type 'DEFAULT_3XX'"),
    (_mutated(["paths", "/orders/{id}", "put", "requestBody", "content", "application/json", "schema"],
              {"$ref": "#/components/schemas/Missing"}), "Unable to resolve the reference #/components/schemas/Missing"),
    (_mutated(["x-amazon-apigateway-documentation"], {}), "does not import x-amazon-apigateway-documentation"),
], ids=["integration-type", "vpc-link-no-id", "vpc-link-unknown", "passthrough", "mapping", "http-method",
        "timeout", "undefined-scheme", "authorizer-type", "cognito-no-pool", "version", "verb",
        "undefined-validator", "gateway-response-type", "missing-model", "unmodelled-extension"])
def test_what_the_import_refuses_fails_the_api(aws, body, reason):
    before = len(_named(aws, "orders"))
    stack = create(aws, template(_resources(body=body)), expect="ROLLBACK_COMPLETE")
    failure = stack.failure()
    assert failure.startswith("Api CREATE_FAILED") and reason in failure, failure
    assert len(_named(aws, "orders")) == before  # no half-imported API stays behind


def _named(aws: Aws, name: str) -> list[str]:
    return [a["id"] for a in aws("apigateway").get_rest_apis(limit=500)["items"] if a["name"] == name]


def test_graph_follows_an_api_defined_only_by_its_body(aws, emulator):
    """Attach level: the resource graph reads the imported API as it reads a resource-declared
    one: rest_api (the stack's only), its VPC_LINK integrations' connectionId -> the VPC link ->
    its targetArns -> the NLB, and the Cognito authorizer's providerARNs -> the user pool."""
    from probes import graph
    from probes.aws import AwsSession
    from probes.inventory import Inventory
    from tests.conftest import CREDS

    stack = create(aws, template(_resources(), outputs={"Api": {"Ref": "Api"}}))
    session = AwsSession("us-east-1", emulator.endpoint, allow_mutations=False, credentials=CREDS)
    g = graph.of(Inventory(session, stack.name))
    assert g.role("rest_api") == stack.outputs["Api"]
    assert g.role("vpc_link") == stack.physical("Link") and "VPC_LINK" in g.followed("vpc_link")
    assert g.role("nlb") == stack.physical("Nlb") and "targetArns" in g.followed("nlb")
    assert g.role("user_pool") == stack.physical("Pool") and "authorizers" in g.followed("user_pool")
    stack.delete()


# ---- HTTP APIs (AWS::ApiGatewayV2::Api Body) ----------------------------------------------
_PRIVATE = "#/components/x-amazon-apigateway-integrations/private"


def _http_openapi() -> dict:
    return {
        "openapi": "3.0.1",
        "info": {"title": "kiosk-http", "description": "kiosk", "version": "2"},
        "x-amazon-apigateway-cors": {"allowOrigins": ["https://example.com"], "allowMethods": ["GET"]},
        "components": {
            "securitySchemes": {
                "cognito": {"type": "oauth2", "flows": {}, "x-amazon-apigateway-authorizer": {
                    "type": "jwt", "identitySource": "$request.header.Authorization",
                    "jwtConfiguration": {
                        "issuer": {"Fn::Sub": "https://cognito-idp.${AWS::Region}.amazonaws.com/${Pool}"},
                        "audience": [{"Ref": "Client"}]}}},
                "lambda": {"type": "apiKey", "name": "Authorization", "in": "header",
                           "x-amazon-apigateway-authorizer": {
                               "type": "request", "identitySource": "$request.header.Auth, $request.querystring.q",
                               "authorizerUri": _LAMBDA_URI, "authorizerPayloadFormatVersion": "2.0",
                               "enableSimpleResponses": True}},
                "iam": {"type": "apiKey", "name": "Authorization", "in": "header",
                        "x-amazon-apigateway-authtype": "awsSigv4"}},
            "x-amazon-apigateway-integrations": {"private": {
                "type": "http_proxy", "httpMethod": "ANY", "connectionType": "VPC_LINK",
                "connectionId": {"Ref": "Link"}, "uri": {"Ref": "Listener"}, "payloadFormatVersion": "1.0",
                "timeoutInMillis": 10000}}},
        "paths": {
            "/items": {"get": {"security": [{"cognito": ["items/read"]}],
                               "x-amazon-apigateway-integration": {"$ref": _PRIVATE}}},
            "/health": {"get": {"x-amazon-apigateway-integration": {"$ref": _PRIVATE}}},
            "/admin": {"post": {"security": [{"lambda": []}],
                                "x-amazon-apigateway-integration": {
                                    "type": "aws_proxy", "httpMethod": "POST", "uri": _LAMBDA,
                                    "payloadFormatVersion": "2.0"}},
                       "delete": {"security": [{"iam": []}],
                                  "x-amazon-apigateway-integration": {"$ref": _PRIVATE}}},
            "$default": {"x-amazon-apigateway-any-method": {"x-amazon-apigateway-integration": {
                "type": "http_proxy", "httpMethod": "ANY", "uri": "https://example.com/"}}},
        },
    }


def _http_resources(body: dict | None = None, **api_props) -> dict:
    """test_http_api's network, NLB listener, user pool + client and VPC link (v2), with an API
    defined only by its Body and a $default stage."""
    from tests.emulator.test_http_api import _resources as http_api_resources

    res = {k: v for k, v in http_api_resources().items()
           if k not in ("Http", "Jwt", "Private", "Items", "Health", "Default", "Logs")}
    res.update({
        "Http": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {
            "Body": _http_openapi() if body is None else body, **api_props}},
        "Default": {"Type": "AWS::ApiGatewayV2::Stage", "Properties": {
            "ApiId": {"Ref": "Http"}, "StageName": "$default", "AutoDeploy": True}},
    })
    return res


_HTTP_OUT = {"Api": {"Ref": "Http"}, "Link": {"Ref": "Link"}, "Listener": {"Ref": "Listener"},
             "Pool": {"Ref": "Pool"}, "Client": {"Ref": "Client"}}


def test_http_api_body_imports_routes_integrations_and_authorizers(aws):
    stack = create(aws, template(_http_resources(), outputs=_HTTP_OUT))
    out = stack.outputs
    v2 = aws("apigatewayv2")
    api = v2.get_api(ApiId=out["Api"])
    assert api["ProtocolType"] == "HTTP" and api["Name"] == "kiosk-http" and api["Description"] == "kiosk"
    assert api["CorsConfiguration"]["AllowOrigins"] == ["https://example.com"]
    routes = {r["RouteKey"]: r for r in v2.get_routes(ApiId=out["Api"])["Items"]}
    # (moto 5.2.5 has no GetAuthorizers for HTTP APIs: each route's authorizer is read)
    auths = {a["Name"]: a for a in (v2.get_authorizer(ApiId=out["Api"], AuthorizerId=r["AuthorizerId"])
                                    for r in routes.values() if r.get("AuthorizerId"))}
    jwt = auths["cognito"]
    assert jwt["AuthorizerType"] == "JWT" and jwt["IdentitySource"] == ["$request.header.Authorization"]
    assert jwt["JwtConfiguration"] == {
        "Issuer": f"https://cognito-idp.{REGION}.amazonaws.com/{out['Pool']}", "Audience": [out["Client"]]}
    lam = auths["lambda"]
    assert lam["AuthorizerType"] == "REQUEST" and lam["AuthorizerUri"] == _LAMBDA_URI
    assert lam["IdentitySource"] == ["$request.header.Auth", "$request.querystring.q"]
    assert lam["AuthorizerPayloadFormatVersion"] == "2.0" and lam["EnableSimpleResponses"] is True

    integs = {i["IntegrationId"]: i for i in v2.get_integrations(ApiId=out["Api"])["Items"]}
    assert set(routes) == {"GET /items", "GET /health", "POST /admin", "DELETE /admin", "$default"}
    items = routes["GET /items"]
    assert items["AuthorizationType"] == "JWT" and items["AuthorizerId"] == jwt["AuthorizerId"]
    assert items["AuthorizationScopes"] == ["items/read"]
    private = integs[items["Target"].split("/")[1]]
    assert private["IntegrationType"] == "HTTP_PROXY" and private["ConnectionType"] == "VPC_LINK"
    assert private["ConnectionId"] == out["Link"] and private["IntegrationUri"] == out["Listener"]
    assert private["PayloadFormatVersion"] == "1.0" and private["TimeoutInMillis"] == 10000
    # one integration per reusable x-amazon-apigateway-integrations entry
    assert routes["GET /health"]["Target"] == items["Target"] == routes["DELETE /admin"]["Target"]
    assert routes["GET /health"]["AuthorizationType"] == "NONE"
    admin = routes["POST /admin"]
    assert admin["AuthorizationType"] == "CUSTOM" and admin["AuthorizerId"] == lam["AuthorizerId"]
    assert integs[admin["Target"].split("/")[1]]["IntegrationType"] == "AWS_PROXY"
    assert routes["DELETE /admin"]["AuthorizationType"] == "AWS_IAM"
    assert integs[routes["$default"]["Target"].split("/")[1]]["IntegrationUri"] == "https://example.com/"
    assert len(integs) == 3

    body = _http_openapi()
    del body["paths"]["/health"]
    stack.update(template(_http_resources(body=body), outputs=_HTTP_OUT))
    assert stack.outputs["Api"] == out["Api"]  # reimported in place
    assert "GET /health" not in {r["RouteKey"] for r in v2.get_routes(ApiId=out["Api"])["Items"]}
    stack.delete()
    assert gone(lambda: v2.get_api(ApiId=out["Api"]))


def _http_mutated(path: list, value) -> dict:
    return _mutated(path, value, _http_openapi)


_SCHEMES = ["components", "securitySchemes"]
_PRIVATE_PATH = ["components", "x-amazon-apigateway-integrations", "private"]


@pytest.mark.parametrize("body, reason", [
    (_http_mutated(["openapi"], _DROP) | {"swagger": "2.0"}, "HTTP APIs import OpenAPI 3.0 definitions"),
    (_http_mutated([*_SCHEMES, "cognito", "x-amazon-apigateway-authorizer", "jwtConfiguration"], _DROP),
     "JwtConfiguration with an Issuer is required"),
    (_http_mutated([*_SCHEMES, "cognito", "x-amazon-apigateway-authorizer", "identitySource"], _DROP),
     "IdentitySource is required for JWT authorizers"),
    (_http_mutated([*_SCHEMES, "cognito", "x-amazon-apigateway-authorizer", "type"], "cognito_user_pools"),
     "Invalid authorizer type 'cognito_user_pools'"),
    (_http_mutated([*_PRIVATE_PATH, "uri"], "http://internal.example.com/"),
     "for a private integration"),
    (_http_mutated([*_PRIVATE_PATH, "connectionId"], "nolink1"), "nolink1"),
    (_http_mutated([*_PRIVATE_PATH, "type"], "http"), "Integration type HTTP is not supported for HTTP APIs"),
    (_http_mutated(["paths", "/admin", "post", "security"], [{"lambda": ["x"]}]),
     "AuthorizationScopes are supported only for JWT authorizers"),
    (_http_mutated(["paths", "/health", "get", "security"], [{"nobody": []}]),
     "security scheme 'nobody' is not defined"),
    (_http_mutated(["paths", "$default", "get"], {}), "the $default path takes only"),
    (_http_mutated(["x-amazon-apigateway-policy"], {}), "does not import x-amazon-apigateway-policy"),
], ids=["swagger2", "jwt-no-config", "jwt-no-identity", "authorizer-type", "private-uri", "unknown-link",
        "rest-only-type", "scopes-not-jwt", "undefined-scheme", "default-verb", "unmodelled-extension"])
def test_what_the_http_import_refuses_fails_the_api(aws, body, reason):
    before = [a["ApiId"] for a in aws("apigatewayv2").get_apis()["Items"] if a["Name"] == "kiosk-http"]
    stack = create(aws, template(_http_resources(body=body)), expect="ROLLBACK_COMPLETE")
    failure = stack.failure()
    assert failure.startswith("Http CREATE_FAILED") and reason in failure, failure
    after = [a["ApiId"] for a in aws("apigatewayv2").get_apis()["Items"] if a["Name"] == "kiosk-http"]
    assert after == before  # no half-imported API stays behind


def test_graph_follows_an_http_api_defined_only_by_its_body(aws, emulator):
    """The graph follows the imported HTTP API: routes' VPC_LINK integration -> the VPC link and
    the listener -> the NLB; the JWT authorizer's issuer -> the user pool."""
    from probes import graph
    from probes.aws import AwsSession
    from probes.inventory import Inventory
    from tests.conftest import CREDS

    stack = create(aws, template(_http_resources(), outputs=_HTTP_OUT))
    session = AwsSession("us-east-1", emulator.endpoint, allow_mutations=False, credentials=CREDS)
    g = graph.of(Inventory(session, stack.name))
    assert g.role("rest_api") is None and g.role("http_api") == stack.outputs["Api"]
    assert g.role("http_vpc_link") == stack.outputs["Link"]
    assert g.role("nlb") == stack.physical("Nlb") and "listener ARNs" in g.followed("nlb")
    assert g.role("user_pool") == stack.outputs["Pool"] and "issuer" in g.followed("user_pool")
    stack.delete()
