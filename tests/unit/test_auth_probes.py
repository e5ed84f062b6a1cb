"""Auth probes on canned app-client descriptions: token-validity units, redirect URLs and
the client secret never reaching a message."""
from __future__ import annotations

import json

import pytest

from probes import auth
from probes.expectations import build
from tests.unit.test_api_probes import FakeInventory

EXP = build({})
CLIENT = {"ClientId": "c1", "ClientName": "web", "UserPoolId": "us-east-1_P",
          "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH",
                                "ALLOW_USER_PASSWORD_AUTH"],
          "AllowedOAuthFlowsUserPoolClient": True, "AllowedOAuthFlows": ["code"],
          "CallbackURLs": ["https://d1.cloudfront.net/callback"],
          "LogoutURLs": ["https://d1.cloudfront.net/"],
          "AccessTokenValidity": 1, "IdTokenValidity": 1, "RefreshTokenValidity": 30,
          "TokenValidityUnits": {"AccessToken": "hours", "IdToken": "hours",
                                 "RefreshToken": "days"}}


def _inv(**client):
    desc = {k: v for k, v in {**CLIENT, **client}.items() if v is not None}
    return FakeInventory({"describe_user_pool_client": {"UserPoolClient": desc}},
                         {"user_pool": "us-east-1_P", "user_pool_client": "c1"})


def test_canned_client_passes_every_config_probe():
    for fn in (auth.client_auth_flows, auth.client_secret, auth.client_oauth_flows,
               auth.client_callback_urls_https, auth.client_token_validity):
        assert fn(_inv(), EXP).ok, fn(_inv(), EXP).message


@pytest.mark.parametrize("change, ok, words", [
    ({"AccessTokenValidity": 60, "TokenValidityUnits": {"AccessToken": "minutes"}}, True, ""),
    ({"AccessTokenValidity": 61, "TokenValidityUnits": {"AccessToken": "minutes"}}, False,
     "AccessToken 61 minutes"),
    ({"IdTokenValidity": 1, "TokenValidityUnits": {"IdToken": "days"}}, False, "IdToken 1 day"),
    ({"RefreshTokenValidity": 3650}, False, "RefreshToken 3650 days"),
    # Units omitted: Cognito reads access/id in hours, refresh in days.
    ({"AccessTokenValidity": 2, "TokenValidityUnits": None}, False, "AccessToken 2 hours"),
    ({"AccessTokenValidity": None, "IdTokenValidity": None, "RefreshTokenValidity": None,
      "TokenValidityUnits": None}, True, ""),
])
def test_token_validity_honours_units(change, ok, words):
    f = auth.client_token_validity(_inv(**change), EXP)
    assert f.ok is ok, f.message
    assert words in f.message


@pytest.mark.parametrize("urls, words", [
    (["http://localhost:3000/callback"], "http://localhost:3000/callback"),
    (["https://*.example.com/callback"], "wildcard"),
    ([], "no callback URL"),
])
def test_redirects_must_be_explicit_https(urls, words):
    f = auth.client_callback_urls_https(_inv(CallbackURLs=urls), EXP)
    assert not f.ok and words in f.message, f.message


def test_client_secret_is_reported_but_never_shown():
    secret = "s3cr3t-client-value-1234567890"
    f = auth.client_secret(_inv(ClientSecret=secret), EXP)
    assert not f.ok and "has a client secret" in f.message
    assert secret not in f.message + json.dumps(f.as_dict())


def test_exact_auth_flows_name_extra_and_missing():
    f = auth.client_auth_flows(_inv(ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH"]),
                               EXP)
    assert not f.ok
    assert "also allows ALLOW_CUSTOM_AUTH" in f.message
    assert "does not allow ALLOW_REFRESH_TOKEN_AUTH, ALLOW_USER_PASSWORD_AUTH" in f.message


def test_oauth_implicit_flow_fails():
    f = auth.client_oauth_flows(_inv(AllowedOAuthFlows=["code", "implicit"]), EXP)
    assert not f.ok and "code, implicit" in f.message
