"""Auth layer probes: the Cognito user pool and app client, and the JWT journey a client
goes through before the API accepts it (seed Challenge 7).

The app client is read once (``reads.user_pool_client``); its secret, if any, is
registered for redaction the moment a probe sees it. The JWT journey obtains real tokens
(from credentials the environment names, or from a test user the suite creates and
deletes where mutations are allowed) and verifies them as the API's authorizer would,
with :mod:`probes.jwt_check`.
"""
from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import secrets
import uuid
from typing import Any, Callable, Iterator

from probes import api as api_probes
from probes import graph, http_api, jwt_check, reads
from probes.api import cognito_authorizers_in_use
from probes.expectations import Strict, layer_expectations
from probes.inventory import Inventory, describe_error
from probes.redact import register_secret
from probes.registry import probe
from probes.result import Finding, Missing, absent, failed, passed, skipped

PASSWORD_FLOW = "ALLOW_USER_PASSWORD_AUTH"
# Cognito's defaults when TokenValidityUnits omits a token.
_DEFAULT_UNITS = {"AccessToken": "hours", "IdToken": "hours", "RefreshToken": "days"}
_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}


@layer_expectations("auth")
class AuthExpect(Strict):
    # The app client's ExplicitAuthFlows, exactly (the template's list).
    explicit_auth_flows: tuple[str, ...] = (
        "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_PASSWORD_AUTH")
    # A browser (public) client cannot keep a secret.
    client_secret: bool = False
    # OAuth flows, exactly; empty means the client must not use the hosted UI at all.
    oauth_flows: tuple[str, ...] = ("code",)
    max_access_token_minutes: int = 60
    max_id_token_minutes: int = 60
    max_refresh_token_days: int = 30
    # Names of the environment variables holding a test user's credentials (read-only runs).
    username_env: str = "STACKPROBE_TEST_USERNAME"
    password_env: str = "STACKPROBE_TEST_PASSWORD"
    # JWKS URL override; may hold {pool_id} and {region}. Default: the pool's issuer URL
    # on AWS, the same path on an AWS-compatible endpoint.
    jwks_url: str | None = None


def _client(inv: Inventory) -> dict | None:
    client = reads.user_pool_client(inv)
    if client:
        register_secret(client.get("ClientSecret"))
    return client


def _client_name(client: dict) -> str:
    return f"app client {client.get('ClientName') or ''} ({client['ClientId']})".replace("  ", " ")


def _need_client(inv: Inventory) -> dict:
    """The stack's app client; :class:`Missing` when the pool or the client is not there."""
    if not graph.role(inv, "user_pool"):
        raise Missing(absent("Cognito user pool", fix="Deploy the user pool or set resources.user_pool"))
    if not graph.role(inv, "user_pool_client"):
        raise Missing(absent("Cognito app client",
                             fix="Deploy the app client or set resources.user_pool_client"))
    client = _client(inv)
    if not client:
        raise Missing(absent(f"app client {graph.role(inv, 'user_pool_client')} of user pool "
                             f"{graph.role(inv, 'user_pool')}",
                             fix="Recreate the app client (and update the SPA's client id)"))
    return client


# ---- configuration ----------------------------------------------------------------------
@probe(layer="auth", component="user-pool", title="The user pool and its app client exist",
       severity="blocker", gate=True, challenge=7,
       remediation="Redeploy the stack: the user pool or app client was deleted outside "
                   "CloudFormation; tokens of a deleted client are rejected")
def pool_and_client_exist(inv: Inventory, exp: Any) -> Finding:
    pid = graph.role(inv, "user_pool")
    pool = reads.user_pool(inv) if pid else None
    if not pool:
        return absent(f"user pool {pid}" if pid else "Cognito user pool",
                      fix="Redeploy the stack or set resources.user_pool")
    client = _need_client(inv)
    return passed(f"user pool {pool['Id']}", f"exists with {_client_name(client)}",
                  userPoolArn=pool.get("Arn"))


@probe(layer="auth", component="app-client", title="The app client allows exactly the expected "
       "auth flows", severity="critical", gate=True, challenge=7,
       remediation="Set the client's ExplicitAuthFlows to the expected list (update-user-pool-"
                   "client resets every field you omit: pass the full configuration)")
def client_auth_flows(inv: Inventory, exp: Any) -> Finding:
    client = _need_client(inv)
    have, want = set(client.get("ExplicitAuthFlows") or []), set(exp.auth.explicit_auth_flows)
    extra, missing = sorted(have - want), sorted(want - have)
    if extra or missing:
        parts = ([f"also allows {', '.join(extra)}"] if extra else []) + (
            [f"does not allow {', '.join(missing)}"] if missing else [])
        return failed(_client_name(client), " and ".join(parts),
                      f"exactly {', '.join(sorted(want))}", ExplicitAuthFlows=sorted(have))
    return passed(_client_name(client), f"allows exactly {', '.join(sorted(have))}")


@probe(layer="auth", component="app-client", title="A public app client has no secret",
       severity="normal", challenge=7,
       remediation="Browsers cannot keep a client secret and Cognito then demands SECRET_HASH: "
                   "create a client without a secret (GenerateSecret false; it cannot be "
                   "removed in place) and update the SPA's client id")
def client_secret(inv: Inventory, exp: Any) -> Finding:
    client = _need_client(inv)
    has = bool(client.get("ClientSecret"))
    if has != exp.auth.client_secret:
        return failed(_client_name(client), "has a client secret" if has else "has no secret",
                      "a client secret" if exp.auth.client_secret else
                      "a public client without a secret",
                      fix="" if has else "Create a confidential client with GenerateSecret true")
    return passed(_client_name(client), "has a secret" if has else "has no secret (public client)")


@probe(layer="auth", component="app-client", title="The app client's OAuth flows are explicit",
       severity="critical", challenge=7,
       remediation="Set AllowedOAuthFlowsUserPoolClient true and AllowedOAuthFlows to the "
                   "expected flows (the implicit flow exposes tokens in URLs)")
def client_oauth_flows(inv: Inventory, exp: Any) -> Finding:
    client = _need_client(inv)
    enabled = bool(client.get("AllowedOAuthFlowsUserPoolClient"))
    flows = sorted(client.get("AllowedOAuthFlows") or [])
    want = sorted(exp.auth.oauth_flows)
    evidence = {"AllowedOAuthFlowsUserPoolClient": enabled, "AllowedOAuthFlows": flows,
                "AllowedOAuthScopes": client.get("AllowedOAuthScopes") or []}
    observed = (f"allows OAuth flows {', '.join(flows) or 'none'}" if enabled
                else "has OAuth disabled")
    if (want and (not enabled or flows != want)) or (not want and enabled and flows):
        return failed(_client_name(client), observed,
                      f"OAuth enabled with exactly {', '.join(want)}" if want else "no OAuth flows",
                      **evidence)
    return passed(_client_name(client), observed, **evidence)


@probe(layer="auth", component="app-client",
       title="The app client's callback and logout URLs are explicit and HTTPS",
       severity="critical", challenge=7,
       remediation="List the exact https:// callback and logout URLs of the site (no http://, "
                   "no wildcards) in the app client")
def client_callback_urls_https(inv: Inventory, exp: Any) -> Finding:
    client = _need_client(inv)
    name = _client_name(client)
    callbacks, logouts = client.get("CallbackURLs") or [], client.get("LogoutURLs") or []
    default = [client["DefaultRedirectURI"]] if client.get("DefaultRedirectURI") else []
    evidence = {"CallbackURLs": callbacks, "LogoutURLs": logouts,
                "DefaultRedirectURI": client.get("DefaultRedirectURI")}
    if not client.get("AllowedOAuthFlowsUserPoolClient") and not callbacks and not logouts:
        if exp.auth.oauth_flows:
            return failed(name, "has no callback or logout URLs",
                          "explicit https callback and logout URLs", **evidence)
        return passed(name, "uses no OAuth redirects", **evidence)
    bad = [u for u in callbacks + logouts + default if not u.startswith("https://") or "*" in u]
    missing = [k for k, v in (("callback", callbacks), ("logout", logouts)) if not v]
    if bad or missing:
        parts = ([f"redirects to non-HTTPS or wildcard URL(s) {', '.join(sorted(set(bad)))}"]
                 if bad else []) + [f"has no {k} URL" for k in missing]
        return failed(name, " and ".join(parts), "only explicit https:// callback and logout URLs",
                      **evidence)
    return passed(name, f"redirects only to {', '.join(sorted(set(callbacks + logouts)))}",
                  **evidence)


@probe(layer="auth", component="app-client", title="Token lifetimes stay within bounds",
       severity="normal", challenge=7,
       remediation="Lower the client's token validity (AccessTokenValidity/IdTokenValidity "
                   "with TokenValidityUnits; RefreshTokenValidity): a stolen token stays "
                   "usable for its whole lifetime")
def client_token_validity(inv: Inventory, exp: Any) -> Finding:
    client = _need_client(inv)
    units = {**_DEFAULT_UNITS, **(client.get("TokenValidityUnits") or {})}
    # Cognito's defaults when the client does not set a validity: 1 h, 1 h, 30 days.
    values = {k: client.get(f"{k}Validity") or default
              for k, default in (("AccessToken", 1), ("IdToken", 1), ("RefreshToken", 30))}
    limits = {"AccessToken": exp.auth.max_access_token_minutes * 60,
              "IdToken": exp.auth.max_id_token_minutes * 60,
              "RefreshToken": exp.auth.max_refresh_token_days * 86400}
    shown = {k: f"{values[k]} {units[k][:-1] if values[k] == 1 else units[k]}" for k in values}
    too_long = [f"{k} {shown[k]}" for k in values
                if values[k] * _SECONDS.get(units[k], 1) > limits[k]]
    evidence = {"validity": shown, "limits_seconds": limits}
    if too_long:
        return failed(_client_name(client), f"issues tokens valid too long: {', '.join(too_long)}",
                      f"access <= {exp.auth.max_access_token_minutes} min, id <= "
                      f"{exp.auth.max_id_token_minutes} min, refresh <= "
                      f"{exp.auth.max_refresh_token_days} days", **evidence)
    return passed(_client_name(client), "issues access {AccessToken}, id {IdToken}, refresh "
                                        "{RefreshToken} tokens".format(**shown), **evidence)


# ---- the JWT journey (Challenge 7) ------------------------------------------------------
Credentials = Callable[[Inventory, Any, dict, dict], contextlib.AbstractContextManager]


def _secret_hash(client: dict, username: str) -> dict[str, str]:
    secret = client.get("ClientSecret")
    if not secret:
        return {}
    digest = hmac.new(secret.encode(), (username + client["ClientId"]).encode(),
                      hashlib.sha256).digest()
    return {"SECRET_HASH": base64.b64encode(digest).decode()}


def _rest_authorizer_stop(inv: Inventory, exp: Any, pool: dict) -> tuple[str, str, str] | None:
    """(observed, expected, fix) when a Cognito authorizer of the REST API's protected methods
    does not trust the pool, else None."""
    pool_id, pool_arn = pool["Id"], pool.get("Arn", "")
    for a in cognito_authorizers_in_use(inv, exp):
        if pool_arn not in (a.get("providerARNs") or []):
            return (f"stops at the authorizer: tokens of user pool {pool_id} are rejected (401) by "
                    f"authorizer {a.get('name')} ({a['id']}), which trusts "
                    f"{', '.join(a.get('providerARNs') or []) or 'no pool'}",
                    f"the API's authorizer to trust {pool_arn}",
                    "Point the authorizer's provider ARNs at the stack's user pool and redeploy the stage")
    return None


def _http_authorizer_stop(inv: Inventory, exp: Any, pool_id: str, client_id: str,
                          issuer: str) -> tuple[str, str, str] | None:
    """(observed, expected, fix) when a JWT authorizer of the HTTP API's protected routes does not
    take this pool's tokens (issuer), this client's tokens (audience) or the Authorization header
    (identity source), else None."""
    api = reads.http_api_id(inv)
    for aid, a in sorted(http_api.jwt_authorizers_in_use(inv, exp).items()):
        if a is None:
            return (f"stops at the authorizer: protected routes use JWT authorizer {aid}, which does not "
                    "exist", "an existing JWT authorizer", f"Create a JWT authorizer (aws apigatewayv2 "
                    f"create-authorizer --api-id {api} --authorizer-type JWT ...) and attach it to the routes")
        who = f"JWT authorizer {a.get('Name')} ({aid}) of HTTP API {api}"
        audience = http_api.jwt_audience(a)
        fix = (f"aws apigatewayv2 update-authorizer --api-id {api} --authorizer-id {aid} --jwt-configuration "
               f"Audience={','.join(sorted(set(audience) | {client_id}))},Issuer={issuer}")
        if not http_api.trusts_issuer(a, issuer):
            return (f"stops at the authorizer: tokens of user pool {pool_id} are rejected (401) by {who}, "
                    f"which trusts issuer {http_api.jwt_issuer(a) or 'none'}",
                    f"the authorizer's issuer to be {issuer}", fix)
        if client_id not in audience:
            return (f"stops at the authorizer: tokens of app client {client_id} are rejected (401) by {who}, "
                    f"whose audience is {', '.join(audience) or 'empty'}",
                    f"the authorizer's audience to include {client_id}", fix)
        misread = http_api.identity_source_problem(a)
        if misread:
            return (f"stops at the authorizer: {who} {misread}, so the token clients send in the "
                    "Authorization header is never seen (401)",
                    f"identity source {http_api.TOKEN_SOURCE}",
                    f"aws apigatewayv2 update-authorizer --api-id {api} --authorizer-id {aid} "
                    f"--identity-source '{http_api.TOKEN_SOURCE}'")
    return None


_BOTH_TOKENS = (("id", "IdToken"), ("access", "AccessToken"))


def _checks(inv: Inventory, exp: Any, client_id: str,
            http: bool) -> tuple[list[tuple[str, str, str, dict]], list[str]]:
    """The token checks the API's authorizer makes, as (token key, token use, where it is
    checked, verify() arguments), and the routes left to the OAuth flow.

    REST (Cognito authorizer without scopes): the ID and the access token, each with its
    token_use. HTTP API (JWT authorizer): any token whose aud, or client_id when it has no aud,
    is in the authorizer's audience - the ID and the access token alike; a route with
    AuthorizationScopes takes only a token carrying one of them (an ID token has none). The
    access token this journey gets (USER_PASSWORD_AUTH) carries SIGNIN_SCOPE only: a route
    requiring scopes the client may be granted through OAuth is left to that flow; one requiring
    only scopes the client can never be granted is checked, and fails."""
    cognito = [(key, use, "", {"client_id": client_id, "token_use": use}) for use, key in _BOTH_TOKENS]
    client = reads.user_pool_client(inv) or {}
    grantable = set(client.get("AllowedOAuthScopes") or []) | {SIGNIN_SCOPE}
    checks: list[tuple[str, str, str, dict]] = []
    oauth_only: list[str] = []

    def scoped(scopes: list[str], where: str, rule: dict) -> None:
        if SIGNIN_SCOPE in scopes or not grantable & set(scopes):
            checks.append(("AccessToken", "access", f" for {where}", {**rule, "scopes": scopes}))
        else:
            oauth_only.append(where)

    if not http:  # REST: a method with authorizationScopes takes only a scoped access token
        methods = api_probes.cognito_methods(inv, exp)
        if not methods or any(not m.get("authorizationScopes") for _, m in methods):
            checks += cognito
        for where, m in methods:
            if m.get("authorizationScopes"):
                scoped(m["authorizationScopes"], f"method {where}", {"client_id": client_id, "token_use": "access"})
        return checks or cognito, oauth_only
    for aid, a in sorted(http_api.jwt_authorizers_in_use(inv, exp).items()):
        audience = http_api.jwt_audience(a or {})
        routes = http_api.scoped_routes(inv, exp, aid)
        if len(routes) < len(http_api.protected_jwt_routes(inv, exp, aid)):  # a route takes any token
            checks += [(key, use, f" by JWT authorizer {aid}", {"audience": audience}) for use, key in _BOTH_TOKENS]
        for route in routes:
            scoped(route["AuthorizationScopes"], f"route {route.get('RouteKey')} ({route.get('RouteId')})",
                   {"audience": audience})
    return checks or cognito, oauth_only


def _journey(inv: Inventory, exp: Any, credentials: Credentials) -> Finding:
    """Step by step: the API trusts this pool; its JWKS is published; a user signs in with
    the client; the ID and access tokens verify as the authorizer verifies them."""
    client = _need_client(inv)
    pool = reads.user_pool(inv)
    if not pool:
        return absent(f"user pool {graph.role(inv, 'user_pool')}")
    pool_id, client_id = pool["Id"], client["ClientId"]
    name = f"JWT journey for {_client_name(client)} of user pool {pool_id}"
    issuer = jwt_check.issuer_for(pool_id)
    evidence: dict[str, Any] = {"issuer": issuer}
    http = http_api.is_http_stack(inv)

    # 1. The authorizer the protected methods (routes) use must trust the pool that issues the
    # tokens (an HTTP API's JWT authorizer also the client, and read the Authorization header).
    stop = (_http_authorizer_stop(inv, exp, pool_id, client_id, issuer) if http
            else _rest_authorizer_stop(inv, exp, pool) if reads.rest_api_id(inv) else None)
    if stop:
        return failed(name, *stop, **evidence)

    # 2. The pool publishes the keys its tokens are signed with.
    endpoint = inv.session.client("cognito-idp").meta.endpoint_url
    url = jwt_check.jwks_url_for(pool_id, endpoint, exp.auth.jwks_url)
    evidence["jwks_url"] = url
    try:
        jwks = jwt_check.fetch_jwks(url)
    except jwt_check.JwksUnavailable as exc:
        return failed(name, f"stops at the JWKS: {exc}", "the pool's JWKS to be served",
                      "Check auth.jwks_url and network egress to cognito-idp", **evidence)
    evidence["kids"] = sorted(str(k.get("kid")) for k in jwks["keys"])

    # 3. Sign in (USER_PASSWORD_AUTH: no SRP implementation needed).
    if PASSWORD_FLOW not in (client.get("ExplicitAuthFlows") or []):
        return skipped(name, f"ran the trust-chain and JWKS steps only: the client does not allow "
                             f"{PASSWORD_FLOW}, the flow this probe signs in with",
                       **evidence)
    with credentials(inv, exp, pool, client) as creds:
        if isinstance(creds, Finding):
            creds.evidence.update(evidence)
            return creds
        username, password = creds
        evidence["username"] = username
        try:
            resp = inv.session.client("cognito-idp").initiate_auth(
                ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": username, "PASSWORD": password,
                                **_secret_hash(client, username)})
        except Exception as exc:  # any sign-in error is the finding
            return failed(name, f"stops at sign-in: user {username} cannot sign in with "
                                f"{_client_name(client)} ({describe_error(exc)})",
                          "USER_PASSWORD_AUTH to return tokens",
                          "Check the user exists, is confirmed and enabled, and the password "
                          f"in {exp.auth.password_env} is current", **evidence)
    result = resp.get("AuthenticationResult") or {}
    for t in ("IdToken", "AccessToken", "RefreshToken"):
        register_secret(result.get(t))
    if not result.get("IdToken") or not result.get("AccessToken"):
        return failed(name, f"stops at sign-in: Cognito answered challenge "
                            f"{resp.get('ChallengeName') or 'none'} instead of tokens",
                      "ID and access tokens", "Complete the user's pending challenge (e.g. set a "
                      "permanent password) or use a user without MFA for the probe", **evidence)

    # 4. Verify each token as the API's authorizer does.
    fixes = _HTTP_FIX_BY_STEP if http else _FIX_BY_STEP
    checks, oauth_only = _checks(inv, exp, client_id, http)
    if oauth_only:
        evidence["left_to_the_oauth_flow"] = oauth_only
    expiry = {}
    for key, use, where, rule in checks:
        try:
            claims = jwt_check.verify(result[key], jwks, issuer=issuer, jwks_url=url, **rule)
        except jwt_check.TokenRejected as exc:
            return failed(name, f"stops at {use} token verification ({exc.step}){where}: {exc}",
                          "tokens the API's authorizer accepts", fixes.get(exc.step, ""),
                          step=exc.step, **evidence)
        expiry[key] = claims.get("exp")
    evidence["expires"] = expiry
    scoped = ", scopes" if any("scopes" in rule for *_, rule in checks) else ""
    accepted = f"its Cognito authorizer's checks{' (token use' + scoped + ')' if scoped else ''}"
    if http:
        accepted = f"its JWT authorizer's checks (issuer, audience{scoped})"
    if oauth_only:
        accepted += (f"; {'route' if http else 'method'}(s) {', '.join(oauth_only)} require scopes "
                     "granted only through the OAuth flow, not checked")
    return passed(name, f"signs in user {username} and gets ID and access tokens signed by a key "
                        f"of {url}, issued by {issuer} for client {client_id}, unexpired, passing "
                        f"{accepted}", **evidence)


# The scope every access token of USER_PASSWORD_AUTH carries (Cognito's own API scope).
SIGNIN_SCOPE = "aws.cognito.signin.user.admin"

_FIX_BY_STEP = {
    "kid": "The token comes from another user pool than the JWKS: check auth.jwks_url and that "
           "the client belongs to the pool the authorizer trusts",
    "signature": "The token was not signed by this pool: check auth.jwks_url and the pool id",
    "issuer": "The token's pool is not the stack's pool: use the app client of the stack's pool",
    "audience": "The token was issued to another app client: use the stack's app client id",
    "token_use": "Send the ID token in the Authorization header (a method with authorization scopes "
                 "takes the access token instead)",
    "expiry": "Refresh the token; check the client's clock and token validity",
    "scope": "The method requires a scope no token of this app client can carry: allow one of the "
             "method's authorizationScopes in the client's AllowedOAuthScopes (OAuth flow), or change "
             "the method's scopes (aws apigateway update-method --patch-operations "
             "op=replace,path=/authorizationScopes,...) and redeploy",
}
# An HTTP API's JWT authorizer takes the ID or the access token alike, by audience and scopes.
_HTTP_FIX_BY_STEP = {
    **_FIX_BY_STEP,
    "audience": "The token's aud (ID token) or client_id (access token) is not in the JWT authorizer's "
                "audience: add the stack's app client id (aws apigatewayv2 update-authorizer "
                "--jwt-configuration Issuer=<issuer>,Audience=<client id>)",
    "token_use": "Send the ID or the access token Cognito returned at sign-in (a JWT authorizer takes "
                 "either; a refresh token is no bearer token)",
    "scope": "The route requires a scope no token of this app client can carry: allow one of the route's "
             "AuthorizationScopes in the client's AllowedOAuthScopes (OAuth flow), or change the route's "
             "scopes (aws apigatewayv2 update-route --authorization-scopes ...)",
}


@contextlib.contextmanager
def _env_credentials(inv: Inventory, exp: Any, pool: dict, client: dict) -> Iterator[Any]:
    names = (exp.auth.username_env, exp.auth.password_env)
    user, password = (os.environ.get(n) for n in names)
    register_secret(password)
    if not user or not password:
        unset = [n for n in names if not os.environ.get(n)]
        yield skipped(f"JWT journey for {_client_name(client)} of user pool {pool['Id']}",
                      f"ran the trust-chain and JWKS steps only: the token step needs "
                      f"{' and '.join(unset)} set to a test user's credentials (or an environment "
                      "that allows mutations, where auth.jwt_flow_test_user creates one)")
        return
    yield user, password


@contextlib.contextmanager
def _test_user(inv: Inventory, exp: Any, pool: dict, client: dict) -> Iterator[Any]:
    """A throw-away confirmed user with a permanent password; always deleted afterwards."""
    if not inv.session.allow_mutations:
        yield skipped(f"JWT journey for {_client_name(client)} of user pool {pool['Id']}",
                      "needs to create a test user and this environment does not allow mutations")
        return
    cognito = inv.session.client("cognito-idp")
    username = f"stackprobe-{uuid.uuid4().hex[:12]}@example.com"
    # Meets any Cognito password policy: upper, lower, digit, symbol, 32+ characters.
    password = f"{secrets.token_urlsafe(24)}Aa1!"
    register_secret(password)
    created = False
    try:
        cognito.admin_create_user(
            UserPoolId=pool["Id"], Username=username, MessageAction="SUPPRESS",
            TemporaryPassword=f"{secrets.token_urlsafe(24)}Bb2#",
            UserAttributes=[{"Name": "email", "Value": username},
                            {"Name": "email_verified", "Value": "true"}])
        created = True
        cognito.admin_set_user_password(UserPoolId=pool["Id"], Username=username,
                                        Password=password, Permanent=True)
        yield username, password
    except Exception as exc:
        if created:
            raise
        yield failed(f"user pool {pool['Id']}", f"refused to create test user {username} "
                                                f"({describe_error(exc)})",
                     "admin_create_user to succeed", "Check the caller's cognito-idp:AdminCreateUser "
                     "permission and the pool's username attributes")
    finally:
        if created:
            with contextlib.suppress(Exception):
                cognito.admin_delete_user(UserPoolId=pool["Id"], Username=username)


@probe(layer="auth", component="jwt", title="A user of the environment signs in and gets tokens "
       "the API's authorizer accepts", severity="blocker", gate=True, challenge=7,
       remediation="Follow the failing step: authorizer pool, JWKS, sign-in, or the token claim "
                   "named in the message")
def jwt_flow(inv: Inventory, exp: Any) -> Finding:
    return _journey(inv, exp, _env_credentials)


@probe(layer="auth", component="jwt", title="A freshly created test user signs in and gets "
       "tokens the API's authorizer accepts", severity="blocker", challenge=7, mutating=True,
       remediation="Follow the failing step: authorizer pool, JWKS, sign-in, or the token claim "
                   "named in the message")
def jwt_flow_test_user(inv: Inventory, exp: Any) -> Finding:
    return _journey(inv, exp, _test_user)
