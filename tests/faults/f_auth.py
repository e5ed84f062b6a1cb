"""Auth layer faults: app-client settings an operator changes in the Cognito console.

``update_user_pool_client`` resets every field the call omits, so each injection passes
the client's full current configuration with one change, as a careful operator would.
"""
from __future__ import annotations

from tests.faults.catalog import Fault

# Fields describe_user_pool_client returns that update_user_pool_client accepts.
UPDATABLE = (
    "ClientName", "RefreshTokenValidity", "AccessTokenValidity", "IdTokenValidity",
    "TokenValidityUnits", "ReadAttributes", "WriteAttributes", "ExplicitAuthFlows",
    "SupportedIdentityProviders", "CallbackURLs", "LogoutURLs", "DefaultRedirectURI",
    "AllowedOAuthFlows", "AllowedOAuthScopes", "AllowedOAuthFlowsUserPoolClient",
    "PreventUserExistenceErrors", "EnableTokenRevocation",
    "EnablePropagateAdditionalUserContextData", "AuthSessionValidity",
)


def _ids(stack) -> tuple[str, str]:
    return stack.outputs["UserPoolId"], stack.outputs["UserPoolClientId"]


def _config(stack) -> dict:
    pool, client = _ids(stack)
    desc = stack.client("cognito-idp").describe_user_pool_client(UserPoolId=pool, ClientId=client)
    return {k: v for k, v in desc["UserPoolClient"].items() if k in UPDATABLE}


def _update(change):
    def inject(stack):
        pool, client = _ids(stack)
        config = _config(stack)
        config.update(change(config))
        stack.client("cognito-idp").update_user_pool_client(UserPoolId=pool, ClientId=client,
                                                            **config)
    return inject


def client_deleted(stack):
    pool, client = _ids(stack)
    stack.client("cognito-idp").delete_user_pool_client(UserPoolId=pool, ClientId=client)


def client_with_secret(stack):
    # A client secret cannot be added to an existing client: the operator recreated the
    # app client with "Generate client secret" ticked and the environment names the new one.
    pool, _ = _ids(stack)
    config = _config(stack)
    new = stack.client("cognito-idp").create_user_pool_client(
        UserPoolId=pool, GenerateSecret=True, **config)["UserPoolClient"]
    stack.resources["user_pool_client"] = new["ClientId"]


FAULTS = [
    Fault("auth-client-deleted", client_deleted,
          ("auth.pool_and_client_exist", "auth.client_auth_flows", "auth.jwt_flow"), challenge=7,
          mentions=("was not found",), also_breaks=("stack.resources_exist",)),
    Fault("auth-admin-password-flow-allowed",
          _update(lambda c: {"ExplicitAuthFlows": sorted(set(c.get("ExplicitAuthFlows", []))
                                                         | {"ALLOW_ADMIN_USER_PASSWORD_AUTH"})}),
          ("auth.client_auth_flows",), challenge=7,
          mentions=("also allows ALLOW_ADMIN_USER_PASSWORD_AUTH",)),
    Fault("auth-custom-auth-allowed",
          _update(lambda c: {"ExplicitAuthFlows": sorted(set(c.get("ExplicitAuthFlows", []))
                                                         | {"ALLOW_CUSTOM_AUTH"})}),
          ("auth.client_auth_flows",), challenge=7, mentions=("ALLOW_CUSTOM_AUTH",)),
    Fault("auth-client-has-secret", client_with_secret, ("auth.client_secret",), challenge=7,
          mentions=("has a client secret",)),
    Fault("auth-implicit-flow-allowed",
          _update(lambda c: {"AllowedOAuthFlows": ["code", "implicit"]}),
          ("auth.client_oauth_flows",), challenge=7, mentions=("implicit",)),
    Fault("auth-http-callback-url",
          _update(lambda c: {"CallbackURLs": [*c.get("CallbackURLs", []),
                                              "http://app.example.com/callback"]}),
          ("auth.client_callback_urls_https",), challenge=7,
          mentions=("http://app.example.com/callback",)),
    Fault("auth-access-token-24h",
          _update(lambda c: {"AccessTokenValidity": 24,
                             "TokenValidityUnits": {**c.get("TokenValidityUnits", {}),
                                                    "AccessToken": "hours"}}),
          ("auth.client_token_validity",), challenge=7, mentions=("AccessToken 24 hours",)),
]
