"""probes.jwt_check as an HTTP API's JWT authorizer verifies: the audience is a list matched by
``aud``, or by ``client_id`` when the token has no ``aud`` (a Cognito access token); token_use
is not checked; a route's scopes need one of them in ``scope``."""
from __future__ import annotations

import pytest

from probes import jwt_check
from tests.unit.test_jwt import CLIENT, ISSUER, _jwks, _key, _token


@pytest.fixture(scope="module")
def key():
    return _key()


def _verify(key, token, **rule):
    return jwt_check.verify(token, _jwks(key), issuer=ISSUER, jwks_url="https://jwks.example/keys", **rule)


def test_id_and_access_tokens_pass_when_their_client_is_in_the_audience(key):
    assert _verify(key, _token(key), audience=["mobile", CLIENT])["aud"] == CLIENT
    access = _token(key, token_use="access", aud=None, client_id=CLIENT, scope="aws.cognito.signin.user.admin")
    assert _verify(key, access, audience=[CLIENT])["client_id"] == CLIENT
    assert _verify(key, access, audience=[CLIENT], scopes=["aws.cognito.signin.user.admin"])


def test_aud_wins_over_client_id(key):
    token = _token(key, aud="someone-else", client_id=CLIENT)
    with pytest.raises(jwt_check.TokenRejected) as exc:
        _verify(key, token, audience=[CLIENT])
    assert exc.value.step == "audience" and "aud 'someone-else'" in str(exc.value)


def test_a_client_outside_the_audience_is_rejected_naming_the_audience(key):
    access = _token(key, token_use="access", aud=None, client_id=CLIENT)
    with pytest.raises(jwt_check.TokenRejected) as exc:
        _verify(key, access, audience=["retired-mobile-client"])
    assert exc.value.step == "audience"
    assert "client_id 'client123'" in str(exc.value) and "retired-mobile-client" in str(exc.value)


def test_a_token_without_a_required_scope_is_rejected(key):
    access = _token(key, token_use="access", aud=None, client_id=CLIENT, scope="aws.cognito.signin.user.admin")
    with pytest.raises(jwt_check.TokenRejected) as exc:
        _verify(key, access, audience=[CLIENT], scopes=["kiosk/orders.purge"])
    assert exc.value.step == "scope" and "kiosk/orders.purge" in str(exc.value)
    with pytest.raises(jwt_check.TokenRejected) as exc:
        _verify(key, _token(key), audience=[CLIENT], scopes=["openid"])  # an ID token has no scopes
    assert exc.value.step == "scope" and "none" in str(exc.value)
