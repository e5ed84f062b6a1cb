"""Live journeys (-m live): what a viewer gets from the real data plane.

They need real endpoints (environment ``live:`` settings) and skip on the emulator, which
has no data plane. Each failure names the request-path hop and layer suite to look at.
"""
from __future__ import annotations

import os
from typing import Callable

import pytest

from probes import graph, live
from probes.redact import register_secret

NO_DATA_PLANE = ("no data plane on the emulator: live journeys need real endpoints "
                 "(set live.site_url / live.api_url in the environment file)")
pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def settings(environment, run_state):
    s = environment.live
    if run_state.target == "embedded" or not (s.site_url or s.api_url):
        pytest.skip(NO_DATA_PLANE)
    return s


def _need(value: str | None, key: str) -> str:
    if not value:
        pytest.skip(f"live.{key} is not set in the environment file; this journey needs it")
    return value


def _verdict(finding) -> None:
    if not finding.ok:
        pytest.fail(finding.message, pytrace=False)


@pytest.fixture(scope="module")
def token_provider(expectations, inventory, aws) -> Callable[[], str]:
    """An ID token for the environment's test user (USER_PASSWORD_AUTH), from the user and
    password in the environment variables the environment file names."""
    names = (expectations.auth.username_env, expectations.auth.password_env)
    user, password = (os.environ.get(n or "") for n in names)
    client_id = graph.role(inventory, "user_pool_client")
    if not (user and password and client_id):
        pytest.skip(f"no test user: set {names[0]} and {names[1]} (expectations.auth."
                    "username_env / password_env) and have a user pool client in the stack")
    register_secret(password)

    def provider() -> str:
        resp = aws.client("cognito-idp").initiate_auth(
            ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": user, "PASSWORD": password})
        token = resp["AuthenticationResult"]["IdToken"]
        register_secret(token)
        return token
    return provider


def test_domain_resolves_to_cloudfront(settings, inventory):
    domain = _need(settings.domain, "domain")
    dist = inventory.outputs().get("DistributionDomainName")
    _verdict(live.domain_resolves(domain, distribution_domain=dist,
                                  wait_seconds=settings.wait_seconds))


def test_tls_certificate_valid(settings):
    _verdict(live.tls_certificate(_need(settings.domain, "domain")))


def test_site_served_through_cloudfront(settings):
    _verdict(live.site_served(_need(settings.site_url, "site_url"),
                              wait_seconds=settings.wait_seconds))


def test_site_bucket_refuses_direct_access(settings, inventory, run_state):
    _need(settings.site_url, "site_url")
    bucket = graph.role(inventory, "site_bucket")
    if not bucket:
        pytest.skip("the stack has no site bucket to try directly")
    _verdict(live.bucket_refuses_direct(live.bucket_url(bucket, run_state.region)))


def test_waf_blocks_sql_injection(settings):
    _verdict(live.waf_blocks_sqli(_need(settings.site_url, "site_url")))


def test_api_rejects_anonymous(settings):
    _verdict(live.api_rejects_anonymous(_need(settings.api_url, "api_url"),
                                        wait_seconds=settings.wait_seconds))


def test_api_accepts_valid_token(settings, token_provider):
    _verdict(live.api_accepts_token(_need(settings.api_url, "api_url"), token_provider))


@pytest.mark.parametrize("kind", ["foreign", "expired"])
def test_api_rejects_bad_token(settings, inventory, run_state, kind):
    api = _need(settings.api_url, "api_url")
    pool = graph.role(inventory, "user_pool") or "unknown"
    # Our pool's issuer, a key it never had: what a token from another pool looks like.
    token = live.forged_token(issuer=f"https://cognito-idp.{run_state.region}.amazonaws.com/{pool}",
                              audience=graph.role(inventory, "user_pool_client") or "client",
                              expired=kind == "expired")
    _verdict(live.api_rejects_token(api, token, kind))


def test_health_reports_database_reachable(settings):
    _verdict(live.health_reports_database(_need(settings.api_url, "api_url"),
                                          wait_seconds=settings.wait_seconds))


@pytest.mark.mutating
def test_invalidation_serves_new_content(settings, inventory, run_state, environment):
    site = _need(settings.site_url, "site_url")
    if not run_state.allow_mutations:
        pytest.skip(f"writes an object and an invalidation; environment {environment.name} is "
                    "read-only (allow_mutations: false, or --stack-name attached)")
    bucket, dist = graph.role(inventory, "site_bucket"), graph.role(inventory, "distribution")
    if not bucket or not dist:
        pytest.skip("the stack has no site bucket or distribution")
    session = run_state.session(allow_mutations=True, profile=environment.profile)
    s3, cloudfront = session.client("s3"), session.client("cloudfront")
    key = "stackprobe-canary.txt"

    def publish(k: str, body: str) -> None:
        s3.put_object(Bucket=bucket, Key=k, Body=body.encode(), ContentType="text/plain",
                      CacheControl="max-age=86400")

    def invalidate(path: str) -> str:
        resp = cloudfront.create_invalidation(DistributionId=dist, InvalidationBatch={
            "Paths": {"Quantity": 1, "Items": [path]}, "CallerReference": os.urandom(8).hex()})
        return resp["Invalidation"]["Id"]

    try:
        _verdict(live.content_refreshed(site, key, publish, invalidate,
                                        wait_seconds=max(settings.wait_seconds, 600)))
    finally:
        s3.delete_object(Bucket=bucket, Key=key)
