"""The JWT journey (Challenge 7) against a deployed stack on the emulator.

The mutating probe (``auth.jwt_flow_test_user``) is skipped by the fault harness, so it is
proven here: it passes on a healthy stack and leaves no user behind; it fails, naming the
step, when the authorizer trusts another pool or the keys do not sign the tokens. The
read-only probe (``auth.jwt_flow``) is proven with credentials from the environment.
"""
from __future__ import annotations

import json

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from probes import registry
from probes.expectations import build
from probes.inventory import Inventory
from tests.faults import anystack

PASSWORD = "Str0ng!Passw0rd-For-Probe"


def _run(lab, stack, probe_id, exp=None, allow_mutations=True):
    inv = Inventory(stack.session(allow_mutations=allow_mutations), stack.name, stack.resources)
    return registry.run(probe_id, inv, exp or lab.expectations)


def _users(stack):
    return stack.client("cognito-idp").list_users(UserPoolId=stack.outputs["UserPoolId"])["Users"]


@pytest.fixture
def stack(lab):
    return lab.deploy()


def test_test_user_journey_passes_and_cleans_up(lab, stack):
    outcome = _run(lab, stack, "auth.jwt_flow_test_user")
    assert outcome.status == "passed", outcome.summary()
    text = outcome.summary()
    assert "ID and access tokens" in text and stack.outputs["UserPoolClientId"] in text
    assert _users(stack) == [], "the test user must be deleted afterwards"
    assert "eyJ" not in text and "eyJ" not in json.dumps(outcome.findings[0].as_dict())


def test_test_user_journey_is_skipped_when_mutations_are_refused(lab, stack):
    outcome = _run(lab, stack, "auth.jwt_flow_test_user", allow_mutations=False)
    assert outcome.status == "skipped", outcome.summary()
    assert "does not allow mutations" in outcome.summary()


def test_journey_fails_at_the_authorizer_when_it_trusts_another_pool(lab, stack):
    from fixtures import environment
    injected = anystack.authorizer_other_pool(anystack.Target(
        stack.session(), stack.name, environment.load("local").expectations_obj))
    try:
        outcome = _run(lab, stack, "auth.jwt_flow_test_user")
        assert outcome.status == "failed", outcome.summary()
        text = outcome.summary()
        assert "stops at the authorizer" in text and "cognito-staging" in text, text
        assert stack.outputs["UserPoolId"] in text
        assert _users(stack) == []
    finally:
        injected.undo()


def test_journey_fails_at_the_signature_when_the_jwks_is_another_pools(lab, stack, httpserver):
    # Another pool's key set under the same kid: on AWS every pool has its own keys.
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(other.public_key()))
    httpserver.expect_request("/other-pool/jwks.json").respond_with_json(
        {"keys": [dict(jwk, kid="dummy", alg="RS256", use="sig")]})
    exp = build({"auth": {"jwks_url": httpserver.url_for("/other-pool/jwks.json")}})
    outcome = _run(lab, stack, "auth.jwt_flow_test_user", exp)
    assert outcome.status == "failed", outcome.summary()
    assert "verification (signature)" in outcome.summary(), outcome.summary()


def test_journey_fails_at_the_kid_when_the_jwks_has_other_keys(lab, stack, httpserver):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(other.public_key()))
    httpserver.expect_request("/kid/jwks.json").respond_with_json(
        {"keys": [dict(jwk, kid="another-key", alg="RS256")]})
    exp = build({"auth": {"jwks_url": httpserver.url_for("/kid/jwks.json")}})
    outcome = _run(lab, stack, "auth.jwt_flow_test_user", exp)
    assert outcome.status == "failed" and "(kid)" in outcome.summary(), outcome.summary()


def test_journey_fails_at_the_jwks_when_it_is_not_served(lab, stack, httpserver):
    httpserver.expect_request("/gone/jwks.json").respond_with_data("no", status=404)
    exp = build({"auth": {"jwks_url": httpserver.url_for("/gone/jwks.json")}})
    outcome = _run(lab, stack, "auth.jwt_flow", exp, allow_mutations=False)
    assert outcome.status == "failed" and "HTTP 404" in outcome.summary(), outcome.summary()


def _env_user(stack, monkeypatch, password=PASSWORD):
    cognito, pool = stack.client("cognito-idp"), stack.outputs["UserPoolId"]
    user = "oncall-probe@example.com"
    cognito.admin_create_user(UserPoolId=pool, Username=user, MessageAction="SUPPRESS",
                              TemporaryPassword="Temp0rary!Passw0rd")
    cognito.admin_set_user_password(UserPoolId=pool, Username=user, Password=PASSWORD,
                                    Permanent=True)
    monkeypatch.setenv("STACKPROBE_TEST_USERNAME", user)
    monkeypatch.setenv("STACKPROBE_TEST_PASSWORD", password)
    return user


def test_read_only_journey_with_environment_credentials(lab, stack, monkeypatch):
    _env_user(stack, monkeypatch)
    outcome = _run(lab, stack, "auth.jwt_flow", allow_mutations=False)
    assert outcome.status == "passed", outcome.summary()
    assert PASSWORD not in json.dumps([f.as_dict() for f in outcome.findings])


def test_read_only_journey_fails_at_sign_in_with_a_wrong_password(lab, stack, monkeypatch):
    _env_user(stack, monkeypatch, password="Wr0ng!Passw0rd-xyz")
    outcome = _run(lab, stack, "auth.jwt_flow", allow_mutations=False)
    assert outcome.status == "failed", outcome.summary()
    text = outcome.summary()
    assert "stops at sign-in" in text and "Wr0ng!Passw0rd-xyz" not in text, text


def test_read_only_journey_without_credentials_names_the_variables(lab, stack, monkeypatch):
    monkeypatch.delenv("STACKPROBE_TEST_USERNAME", raising=False)
    monkeypatch.delenv("STACKPROBE_TEST_PASSWORD", raising=False)
    outcome = _run(lab, stack, "auth.jwt_flow", allow_mutations=False)
    assert outcome.status == "skipped", outcome.summary()
    assert "STACKPROBE_TEST_USERNAME and STACKPROBE_TEST_PASSWORD" in outcome.summary()


def _scope_protected_methods(stack, scope):
    """Every Cognito-protected method of the stack's REST API now requires ``scope``
    (UpdateMethod, as the console does); returns the undo."""
    apigw, api = stack.client("apigateway"), stack.outputs["RestApiId"]
    changed = [(r["id"], verb) for r in apigw.get_resources(restApiId=api, embed=["methods"])["items"]
               for verb, m in (r.get("resourceMethods") or {}).items()
               if m.get("authorizationType") == "COGNITO_USER_POOLS"]
    for rid, verb in changed:
        apigw.update_method(restApiId=api, resourceId=rid, httpMethod=verb,
                            patchOperations=[{"op": "add", "path": "/authorizationScopes", "value": scope}])
    assert changed
    return changed


def test_rest_journey_fails_at_the_scope_no_token_of_the_client_can_carry(lab, stack, monkeypatch):
    """A method with authorizationScopes takes only an access token carrying one: a scope the
    app client may never be granted fails the journey at the scope, naming the method."""
    _env_user(stack, monkeypatch)
    _scope_protected_methods(stack, "orders/write")
    outcome = _run(lab, stack, "auth.jwt_flow", allow_mutations=False)
    assert outcome.status == "failed", outcome.summary()
    text = outcome.summary()
    assert "scope" in text and "orders/write" in text and "/api/items" in text, text
    assert "AllowedOAuthScopes" in outcome.findings[0].fix


def test_rest_journey_leaves_a_scope_the_client_is_granted_through_oauth_to_that_flow(lab, stack, monkeypatch):
    _env_user(stack, monkeypatch)
    _scope_protected_methods(stack, "email")  # in the bundled client's AllowedOAuthScopes
    outcome = _run(lab, stack, "auth.jwt_flow", allow_mutations=False)
    assert outcome.status == "passed", outcome.summary()
    assert "require scopes granted only through the" in outcome.summary()
