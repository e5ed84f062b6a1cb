"""Cognito JWT verification, the way API Gateway's authorizer does it (a REST API's Cognito
authorizer, an HTTP API's JWT authorizer).

Owns: fetching a user pool's JWKS (plain HTTPS GET with a timeout, once per URL per run),
and verifying one token step by step (signing key, signature, issuer, audience or
client_id, token_use, scopes, expiry), so that a rejection names the step that failed
(seed Challenge 7: "API calls with JWT tokens were being rejected with 401").
"""
from __future__ import annotations

import threading
import time
from collections.abc import Collection
from typing import Any

import requests

# Cognito signs with RS256 only; accepting anything else would let "alg": "none" in.
ALGORITHMS = ("RS256",)
_JWKS: dict[str, dict[str, Any]] = {}
_lock = threading.Lock()


class TokenRejected(Exception):
    """A token failed one verification step; the message names the step and both values."""

    def __init__(self, step: str, message: str):
        super().__init__(message)
        self.step = step


class JwksUnavailable(Exception):
    """The JWKS document could not be fetched or is not a key set."""


def issuer_for(pool_id: str) -> str:
    """The ``iss`` Cognito puts in every token of ``pool_id`` (the region is its prefix)."""
    region = pool_id.split("_", 1)[0]
    return f"https://cognito-idp.{region}.amazonaws.com/{pool_id}"


def jwks_url_for(pool_id: str, endpoint_url: str | None = None, template: str | None = None) -> str:
    """Where ``pool_id`` publishes its keys.

    ``template`` (the ``auth.jwks_url`` expectation) wins; it may hold ``{pool_id}`` and
    ``{region}``. Otherwise the pool's issuer URL on AWS, or the same path on an
    AWS-compatible endpoint (moto and LocalStack serve it there).
    """
    region = pool_id.split("_", 1)[0]
    if template:
        return template.format(pool_id=pool_id, region=region)
    base = (endpoint_url or f"https://cognito-idp.{region}.amazonaws.com").rstrip("/")
    return f"{base}/{pool_id}/.well-known/jwks.json"


def fetch_jwks(url: str, timeout: float = 10.0) -> dict[str, Any]:
    """The key set at ``url``; fetched once per URL per process and shared."""
    with _lock:
        if url in _JWKS:
            return _JWKS[url]
    try:
        resp = requests.get(url, timeout=(3.05, timeout))
    except requests.RequestException as exc:
        raise JwksUnavailable(f"GET {url} failed: {type(exc).__name__}: {exc}") from None
    if resp.status_code != 200:
        raise JwksUnavailable(f"GET {url} returned HTTP {resp.status_code}: {resp.text[:200]!r}")
    try:
        doc = resp.json()
    except ValueError:
        raise JwksUnavailable(f"GET {url} returned a body that is not JSON: "
                              f"{resp.text[:200]!r}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("keys"), list) or not doc["keys"]:
        raise JwksUnavailable(f"GET {url} returned no keys (a JWKS has a non-empty 'keys' list)")
    with _lock:
        _JWKS[url] = doc
    return doc


def verify(token: str, jwks: dict[str, Any], *, issuer: str, client_id: str = "", token_use: str | None = None,
           audience: Collection[str] | None = None, scopes: Collection[str] = (),
           jwks_url: str = "the JWKS", now: float | None = None, leeway: int = 0) -> dict[str, Any]:
    """Verify a Cognito ``token`` like the API Gateway authorizer; return its claims.

    Without ``audience``, as a REST API's Cognito authorizer: ``token_use`` must match and the
    app client (``aud`` of an ID token, ``client_id`` of an access token) must be ``client_id``.
    With ``audience``, as an HTTP API's JWT authorizer: ``aud`` (or ``client_id`` when the token
    has no ``aud``) must be one of ``audience``, ``token_use`` is checked only when given, and a
    route's ``scopes`` need one of them in the token's ``scope`` (or ``scp``) claim.

    Raises :class:`TokenRejected` naming the first failing step: ``format``, ``kid``,
    ``signature``, ``issuer``, ``audience``, ``token_use``, ``scope`` or ``expiry``.
    """
    import jwt  # PyJWT and its crypto backend: a tenth of a second, only where a token is checked
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise TokenRejected("format", f"token is not a JWT ({exc})") from None
    kid, alg = header.get("kid"), header.get("alg")
    if alg not in ALGORITHMS:
        raise TokenRejected("format", f"token is signed with alg {alg!r}, not RS256")
    keys = {k.get("kid"): k for k in jwks.get("keys", [])}
    if kid not in keys:
        raise TokenRejected("kid", f"token key id {kid!r} is not in {jwks_url} (kids: "
                                   f"{', '.join(sorted(str(k) for k in keys)) or 'none'}); the "
                                   "token was issued by another user pool")
    try:
        key = jwt.PyJWK(keys[kid]).key
    except jwt.PyJWTError as exc:
        raise TokenRejected("kid", f"key {kid!r} in {jwks_url} is unusable ({exc})") from None
    try:
        claims = jwt.decode(token, key, algorithms=list(ALGORITHMS),
                            options={"verify_exp": False, "verify_aud": False,
                                     "verify_iss": False, "verify_iat": False,
                                     "verify_nbf": False})
    except jwt.InvalidSignatureError:
        raise TokenRejected("signature", f"token signature does not verify against key {kid!r} "
                                         f"of {jwks_url}; the token was signed by another "
                                         "pool or altered") from None
    except jwt.PyJWTError as exc:
        raise TokenRejected("format", f"token cannot be decoded ({exc})") from None
    if claims.get("iss") != issuer:
        raise TokenRejected("issuer", f"token issuer {claims.get('iss')!r} is not {issuer!r}")
    use = claims.get("token_use")
    if token_use is not None and use != token_use:
        raise TokenRejected("token_use", f"token_use is {use!r}, expected {token_use!r}")
    if audience is None:
        # Cognito: id tokens carry the app client in aud, access tokens in client_id.
        aud_claim = "aud" if token_use == "id" else "client_id"
        aud = claims.get(aud_claim)
        if aud != client_id:
            raise TokenRejected("audience", f"token {aud_claim} {aud!r} is not the app client "
                                            f"{client_id!r}")
    else:
        # A JWT authorizer reads client_id only when the token has no aud (Cognito access tokens).
        aud_claim = "aud" if "aud" in claims else "client_id"
        aud = claims.get(aud_claim)
        if aud not in audience:
            raise TokenRejected("audience", f"token {aud_claim} {aud!r} is not in the authorizer's "
                                            f"audience ({', '.join(audience) or 'empty'})")
    if scopes:
        granted = claims.get("scope") or claims.get("scp") or ""
        granted = granted.split() if isinstance(granted, str) else list(granted)
        if not set(granted) & set(scopes):
            raise TokenRejected("scope", f"token scopes ({', '.join(granted) or 'none'}) include none of "
                                         f"{', '.join(sorted(scopes))}")
    exp = claims.get("exp")
    now = time.time() if now is None else now
    if not isinstance(exp, (int, float)):
        raise TokenRejected("expiry", "token has no numeric exp claim")
    if exp + leeway <= now:
        raise TokenRejected("expiry", f"token expired at {_iso(exp)} ({int(now - exp)} s ago, "
                                      f"now {_iso(now)})")
    return claims


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))
