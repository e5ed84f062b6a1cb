"""Auth layer faults: app-client settings an operator changes in the Cognito console.

``update_user_pool_client`` resets every field the call omits, so each injection passes
the client's full current configuration with one change, as a careful operator would.
"""
from __future__ import annotations

from tests.faults import anystack as any_
from tests.faults.catalog import Fault


def client_with_secret(stack):
    # A client secret cannot be added to an existing client: the operator recreated the
    # app client with "Generate client secret" ticked and the environment names the new one.
    t = any_.lab_target(stack)
    new = stack.client("cognito-idp").create_user_pool_client(
        UserPoolId=t.role("user_pool"), GenerateSecret=True, **any_.client_config(t))["UserPoolClient"]
    stack.resources["user_pool_client"] = new["ClientId"]


FAULTS = [
    Fault("auth-client-deleted", any_.on_lab_stack(any_.client_deleted),
          ("auth.pool_and_client_exist", "auth.client_auth_flows", "auth.jwt_flow"), challenge=7,
          mentions=("was not found",), also_breaks=("stack.resources_exist",)),
    Fault("auth-admin-password-flow-allowed",
          any_.on_lab_stack(any_.admin_password_flow_allowed),
          ("auth.client_auth_flows",), challenge=7,
          mentions=("also allows ALLOW_ADMIN_USER_PASSWORD_AUTH",)),
    Fault("auth-custom-auth-allowed",
          any_.on_lab_stack(any_.custom_auth_allowed),
          ("auth.client_auth_flows",), challenge=7, mentions=("ALLOW_CUSTOM_AUTH",)),
    Fault("auth-client-has-secret", client_with_secret, ("auth.client_secret",), challenge=7,
          mentions=("has a client secret",)),
    Fault("auth-implicit-flow-allowed",
          any_.on_lab_stack(any_.implicit_flow_allowed),
          ("auth.client_oauth_flows",), challenge=7, mentions=("implicit",)),
    Fault("auth-http-callback-url",
          any_.on_lab_stack(any_.http_callback_url),
          ("auth.client_callback_urls_https",), challenge=7,
          mentions=("http://app.example.com/callback",)),
    Fault("auth-access-token-24h",
          any_.on_lab_stack(any_.access_token_24h),
          ("auth.client_token_validity",), challenge=7, mentions=("AccessToken 24 hours",)),
]
