"""UpdateMethod, the call that changes a method's authorization from the console or the CLI
(moto 5.2.5 answered it with HTTP 500): the documented patch paths, all or nothing, and the
refusals API Gateway makes."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.emulator._support import aws, emu, unique  # noqa: F401


@pytest.fixture
def method(aws):  # noqa: F811 - the fixture
    apigw = aws("apigateway")
    api = apigw.create_rest_api(name=unique("upd"))["id"]
    root = apigw.get_resources(restApiId=api)["items"][0]["id"]
    pool = aws("cognito-idp").create_user_pool(PoolName=unique("pool"))["UserPool"]["Arn"]
    auth = apigw.create_authorizer(restApiId=api, name="cognito", type="COGNITO_USER_POOLS",
                                   providerARNs=[pool], identitySource="method.request.header.Authorization")["id"]
    apigw.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="COGNITO_USER_POOLS",
                     authorizerId=auth)
    return apigw, api, root, auth


def _update(apigw, api, root, *ops):
    return apigw.update_method(restApiId=api, resourceId=root, httpMethod="GET",
                               patchOperations=[dict(zip(("op", "path", "value"), o, strict=True)) for o in ops])


def test_scopes_are_added_and_removed(method):
    apigw, api, root, _ = method
    assert _update(apigw, api, root, ("add", "/authorizationScopes", "orders/write"))["authorizationScopes"] \
        == ["orders/write"]
    got = apigw.get_method(restApiId=api, resourceId=root, httpMethod="GET")
    assert got["authorizationScopes"] == ["orders/write"]
    assert "authorizationScopes" not in _update(apigw, api, root, ("remove", "/authorizationScopes", "orders/write"))


def test_a_method_made_public_keeps_its_integration_and_settings(method):
    apigw, api, root, _ = method
    got = _update(apigw, api, root, ("replace", "/authorizationType", "NONE"), ("replace", "/apiKeyRequired", "true"))
    assert got["authorizationType"] == "NONE" and got["apiKeyRequired"] is True


@pytest.mark.parametrize("ops, message", [
    ([("replace", "/authorizationType", "OPEN")], "Invalid authorization type"),
    ([("replace", "/authorizerId", "nope123")], "Invalid authorizer ID"),
    ([("replace", "/authorizationType", "AWS_IAM"), ("add", "/authorizationScopes", "a/b")],
     "only supported for the COGNITO_USER_POOLS"),
    ([("replace", "/httpMethod", "POST")], "Invalid patch path '/httpMethod'"),
    ([("replace", "/requestValidatorId", "nope1")], "Invalid Request Validator identifier"),
    ([("add", "/requestParameters/header.X-Id", "true")], "Invalid request parameter name"),
])
def test_refusals_change_nothing(method, ops, message):
    apigw, api, root, auth = method
    with pytest.raises(ClientError) as err:
        _update(apigw, api, root, *ops)
    assert err.value.response["Error"]["Code"] == "BadRequestException"
    assert message in err.value.response["Error"]["Message"]
    got = apigw.get_method(restApiId=api, resourceId=root, httpMethod="GET")
    assert got["authorizationType"] == "COGNITO_USER_POOLS" and got["authorizerId"] == auth
    assert not got.get("authorizationScopes")
