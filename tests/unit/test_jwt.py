"""probes.jwt_check: each way a Cognito token can be rejected gives its own message."""
from __future__ import annotations

import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from probes import jwt_check

POOL = "us-east-1_Abc123"
ISSUER = f"https://cognito-idp.us-east-1.amazonaws.com/{POOL}"
CLIENT = "client123"


def _key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def keys():
    return _key(), _key()


def _jwks(private, kid="k1"):
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    return {"keys": [dict(jwk, kid=kid, alg="RS256", use="sig")]}


def _token(private, kid="k1", **claims):
    now = int(time.time())
    body = {"iss": ISSUER, "token_use": "id", "aud": CLIENT, "exp": now + 3600, "iat": now,
            "sub": "u"}
    body.update(claims)
    body = {k: v for k, v in body.items() if v is not None}
    return jwt.encode(body, private, algorithm="RS256", headers={"kid": kid})


def _verify(token, jwks, token_use="id"):
    return jwt_check.verify(token, jwks, issuer=ISSUER, client_id=CLIENT, token_use=token_use,
                            jwks_url="https://jwks.example/keys")


def test_valid_id_and_access_tokens_verify(keys):
    good, _ = keys
    assert _verify(_token(good), _jwks(good))["sub"] == "u"
    access = _token(good, token_use="access", aud=None, client_id=CLIENT)
    assert _verify(access, _jwks(good), token_use="access")["client_id"] == CLIENT


@pytest.mark.parametrize("case, step, words", [
    ("expired", "expiry", ["expired at"]),
    ("audience", "audience", ["aud 'other-client'", CLIENT]),
    ("access_audience", "audience", ["client_id 'other-client'"]),
    ("issuer", "issuer", ["us-east-1_Other", ISSUER]),
    ("token_use", "token_use", ["'access'", "expected 'id'"]),
    ("signature", "signature", ["does not verify", "jwks.example"]),
    ("kid", "kid", ["'k9'", "another user pool"]),
    ("alg", "format", ["HS256"]),
    ("garbage", "format", ["not a JWT"]),
])
def test_each_rejection_has_its_own_message(keys, case, step, words):
    good, other = keys
    jwks, use = _jwks(good), "id"
    token = {
        "expired": lambda: _token(good, exp=int(time.time()) - 120),
        "audience": lambda: _token(good, aud="other-client"),
        "access_audience": lambda: _token(good, token_use="access", aud=None,
                                          client_id="other-client"),
        "issuer": lambda: _token(good, iss=ISSUER.replace(POOL, "us-east-1_Other")),
        "token_use": lambda: _token(good, token_use="access"),
        "signature": lambda: _token(other),  # same kid, another pool's key
        "kid": lambda: _token(good, kid="k9"),
        "alg": lambda: jwt.encode({"iss": ISSUER}, "s" * 32, algorithm="HS256",
                                  headers={"kid": "k1"}),
        "garbage": lambda: "not-a-token",
    }[case]()
    if case == "access_audience":
        use = "access"
    with pytest.raises(jwt_check.TokenRejected) as info:
        _verify(token, jwks, token_use=use)
    assert info.value.step == step
    for word in words:
        assert word in str(info.value), str(info.value)


def test_messages_are_distinct(keys):
    good, other = keys
    messages = set()
    for token, use in [(_token(good, exp=1), "id"), (_token(good, aud="x"), "id"),
                       (_token(good, iss="https://x"), "id"), (_token(good), "access"),
                       (_token(other), "id")]:
        with pytest.raises(jwt_check.TokenRejected) as info:
            _verify(token, _jwks(good), token_use=use)
        messages.add(info.value.step)
    assert messages == {"expiry", "audience", "issuer", "token_use", "signature"}


def test_jwks_urls():
    assert jwt_check.jwks_url_for(POOL) == f"{ISSUER}/.well-known/jwks.json"
    assert (jwt_check.jwks_url_for(POOL, "http://127.0.0.1:5000/")
            == f"http://127.0.0.1:5000/{POOL}/.well-known/jwks.json")
    assert (jwt_check.jwks_url_for(POOL, None, "https://idp.example/{region}/{pool_id}.json")
            == f"https://idp.example/us-east-1/{POOL}.json")
    assert jwt_check.issuer_for(POOL) == ISSUER


def test_fetch_jwks_caches_and_explains_failures(httpserver, keys):
    good, _ = keys
    httpserver.expect_oneshot_request("/ok").respond_with_json(_jwks(good))
    httpserver.expect_request("/empty").respond_with_json({"keys": []})
    httpserver.expect_request("/missing").respond_with_data("nope", status=404)
    url = httpserver.url_for("/ok")
    assert jwt_check.fetch_jwks(url)["keys"][0]["kid"] == "k1"
    assert jwt_check.fetch_jwks(url)["keys"][0]["kid"] == "k1"  # oneshot: served from cache
    with pytest.raises(jwt_check.JwksUnavailable, match="no keys"):
        jwt_check.fetch_jwks(httpserver.url_for("/empty"))
    with pytest.raises(jwt_check.JwksUnavailable, match="HTTP 404"):
        jwt_check.fetch_jwks(httpserver.url_for("/missing"))
