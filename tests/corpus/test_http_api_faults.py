"""The HTTP API probes (probes/http_api.py) and the JWT journey through the HTTP API's JWT
authorizer (probes/auth.py) on the kiosk corpus stack: each passes on the healthy stack, and
each fault, injected through the apigatewayv2 API as an operator's change would be, makes its
probe fail naming the changed resource's id; the fault is then undone and the probe passes
again. (The bundled stack's API is a REST API: there these probes
skip, so their faults live here, on the stack that has an HTTP API.)"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from probes import expectations as expmod
from probes import path, registry
from probes.aws import AwsSession
from probes.inventory import Inventory
from probes.result import FAIL, PASS
from tests.conftest import CREDS
from tests.corpus import corpus
from tests.corpus.corpus import Deployer

pytestmark = pytest.mark.xdist_group("corpus")


@dataclass
class Kiosk:
    deployer: Deployer
    stack: str
    physical: dict[str, str]

    def v2(self) -> Any:
        return self.deployer.session.client("apigatewayv2")

    def run(self, probe_id: str, allow_mutations: bool = False, **auth: Any) -> list:
        """The probe's findings; ``auth`` adds auth-layer expectations (e.g. jwks_url)."""
        session = AwsSession("us-east-1", self.deployer.session.endpoint_url, allow_mutations=allow_mutations,
                             credentials=CREDS)
        raw = dict(corpus.entry("kiosk").expect.get("expectations") or {})
        if auth:
            raw["auth"] = {**(raw.get("auth") or {}), **auth}
        return registry.run(probe_id, Inventory(session, self.stack), expmod.build(raw)).findings


@pytest.fixture(scope="module")
def kiosk(emulator) -> Iterator[Kiosk]:
    deployer = Deployer(emulator)
    try:
        stack = deployer.deploy("kiosk")
        yield Kiosk(deployer, stack, deployer.physical["kiosk"])
    finally:
        deployer.delete_all()


def _stage(k: Kiosk, auto_deploy: bool = True, **settings: Any) -> None:
    """Replace the $default stage (moto has no UpdateStage; an operator's update-stage has the
    same effect on what GetStage answers)."""
    api = k.physical["KioskHttpApi"]
    k.v2().delete_stage(ApiId=api, StageName="$default")
    k.v2().create_stage(ApiId=api, StageName="$default", AutoDeploy=auto_deploy, **settings)


def _healthy_stage(k: Kiosk, auto_deploy: bool = True, detailed_metrics: bool = True, **settings: Any) -> None:
    """The template's stage; the arguments change one thing of it."""
    logs = k.deployer.session.client("logs").describe_log_groups(
        logGroupNamePrefix=k.physical["ApiAccessLogs"])["logGroups"][0]["arn"].removesuffix(":*")
    _stage(k, auto_deploy, DefaultRouteSettings={"ThrottlingBurstLimit": 80, "ThrottlingRateLimit": 40.0,
                                                 "DetailedMetricsEnabled": detailed_metrics},
           AccessLogSettings={"DestinationArn": logs, "Format": "$context.requestId"}, **settings)


def _stage_on_a_deleted_deployment(k: Kiosk) -> None:
    """The stage serves an explicit deployment (no AutoDeploy) that is then deleted: v2's
    DeleteDeployment does not refuse a deployment a stage serves."""
    api = k.physical["KioskHttpApi"]
    dep = k.v2().create_deployment(ApiId=api, Description="release 41")["DeploymentId"]
    _healthy_stage(k, auto_deploy=False, DeploymentId=dep)
    k.v2().delete_deployment(ApiId=api, DeploymentId=dep)


def _route_scopes(k: Kiosk, scopes: list[str]) -> None:
    k.v2().update_route(ApiId=k.physical["KioskHttpApi"], RouteId=k.physical["OrdersRoute"],
                        AuthorizationScopes=scopes)


def _identity_source(k: Kiosk, source: str) -> None:
    k.v2().update_authorizer(ApiId=k.physical["KioskHttpApi"], AuthorizerId=k.physical["KioskJwt"],
                             IdentitySource=[source])


def _authorizer(k: Kiosk, issuer: str | None = None, audience: list[str] | None = None) -> None:
    pool, client = k.physical["KioskPatrons"], k.physical["KioskWebApp"]
    k.v2().update_authorizer(ApiId=k.physical["KioskHttpApi"], AuthorizerId=k.physical["KioskJwt"],
                             JwtConfiguration={
                                 "Issuer": issuer or f"https://cognito-idp.us-east-1.amazonaws.com/{pool}",
                                 "Audience": audience or [client]})


def _api_alarm(k: Kiosk, threshold: float) -> None:
    k.deployer.session.client("cloudwatch").put_metric_alarm(
        AlarmName=k.physical["ApiServerErrors"], Namespace="AWS/ApiGateway", MetricName="5xx",
        Dimensions=[{"Name": "ApiId", "Value": k.physical["KioskHttpApi"]}], Statistic="Sum", Period=60,
        EvaluationPeriods=5, Threshold=threshold, ComparisonOperator="GreaterThanOrEqualToThreshold",
        AlarmActions=[k.physical["OnCall"]])


def _integration_uri(k: Kiosk, uri: str) -> None:
    k.v2().update_integration(ApiId=k.physical["KioskHttpApi"], IntegrationId=k.physical["WorkersIntegration"],
                              IntegrationUri=uri)


@dataclass
class Fault:
    probe: str
    resource: str  # logical id whose physical id the failure must name
    inject: Callable[[Kiosk], None]
    undo: Callable[[Kiosk], None]
    hop: str | None = None  # the request-path hop the fault cuts (e2e.request_path names it)
    mutating: bool = False  # the probe runs where mutations are allowed (the JWT journey's test user)


FAULTS = {
    "route-without-authorizer": Fault(
        "api.http_routes_authorized", "OrdersRoute",
        lambda k: k.v2().update_route(ApiId=k.physical["KioskHttpApi"], RouteId=k.physical["OrdersRoute"],
                                      AuthorizationType="NONE"),
        lambda k: k.v2().update_route(ApiId=k.physical["KioskHttpApi"], RouteId=k.physical["OrdersRoute"],
                                      AuthorizationType="JWT", AuthorizerId=k.physical["KioskJwt"]),
        path.METHOD_AUTHORIZER),
    "jwt-issuer-of-another-pool": Fault(
        "api.http_jwt_issuer_is_stack_pool", "KioskJwt",
        lambda k: _authorizer(k, issuer="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_SomeoneElse"),
        _authorizer, path.AUTHORIZER_POOL),
    "jwt-audience-without-the-client": Fault(
        "auth.http_jwt_audience_has_stack_client", "KioskJwt",
        lambda k: _authorizer(k, audience=["retired-mobile-client"]),
        _authorizer, path.AUTHORIZER_POOL),
    "integration-to-a-public-url": Fault(
        "api.http_integrations_via_vpc_link", "WorkersIntegration",
        lambda k: k.v2().update_integration(ApiId=k.physical["KioskHttpApi"],
                                            IntegrationId=k.physical["WorkersIntegration"],
                                            ConnectionType="INTERNET",
                                            IntegrationUri="https://orders.kiosk.example/"),
        lambda k: k.v2().update_integration(ApiId=k.physical["KioskHttpApi"],
                                            IntegrationId=k.physical["WorkersIntegration"],
                                            ConnectionType="VPC_LINK", ConnectionId=k.physical["KioskLink"],
                                            IntegrationUri=k.physical["KioskNlbListener"]),
        path.METHOD_VPC_LINK),
    "integration-to-another-listener": Fault(
        "api.http_integrations_via_vpc_link", "WorkersIntegration",
        lambda k: _integration_uri(k, k.physical["KioskNlbListener"].replace("/net/", "/net/retired-", 1)),
        lambda k: _integration_uri(k, k.physical["KioskNlbListener"]),
        path.VPC_LINK_NLB),
    "stage-throttled-to-zero": Fault(
        "api.http_stage_throttling", "KioskLiveStage",
        lambda k: _stage(k, DefaultRouteSettings={"ThrottlingBurstLimit": 0, "ThrottlingRateLimit": 0.0},
                         AccessLogSettings={"DestinationArn": "arn:aws:logs:us-east-1:123456789012:log-group:x",
                                            "Format": "$context.requestId"}),
        _healthy_stage, path.API_STAGE),
    "stage-without-access-logs": Fault(
        "api.http_stage_access_logging", "KioskLiveStage",
        lambda k: _stage(k, DefaultRouteSettings={"ThrottlingBurstLimit": 80, "ThrottlingRateLimit": 40.0}),
        _healthy_stage),
    "stage-without-deployment": Fault(
        "api.http_stage_deployed", "KioskLiveStage", lambda k: _healthy_stage(k, auto_deploy=False),
        _healthy_stage, path.API_STAGE),
    "stage-on-a-deleted-deployment": Fault(
        "api.http_stage_deployed", "KioskLiveStage", _stage_on_a_deleted_deployment, _healthy_stage,
        path.API_STAGE),
    "stage-without-detailed-metrics": Fault(
        "api.http_stage_metrics", "KioskLiveStage", lambda k: _healthy_stage(k, detailed_metrics=False),
        _healthy_stage),
    # The JWT journey of a test user (mutating: it creates and deletes the user) on the HTTP API.
    "journey-jwt-issuer-of-another-pool": Fault(
        "auth.jwt_flow_test_user", "KioskJwt",
        lambda k: _authorizer(k, issuer="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_SomeoneElse"),
        _authorizer, mutating=True),
    "journey-jwt-audience-without-the-client": Fault(
        "auth.jwt_flow_test_user", "KioskJwt", lambda k: _authorizer(k, audience=["retired-mobile-client"]),
        _authorizer, mutating=True),
    "journey-jwt-read-from-another-header": Fault(
        "auth.jwt_flow_test_user", "KioskJwt", lambda k: _identity_source(k, "$request.header.X-Kiosk-Token"),
        lambda k: _identity_source(k, "$request.header.Authorization"), mutating=True),
    # a scope no token of the app client can carry (not in its AllowedOAuthScopes): every call refused
    "journey-route-scope-the-client-cannot-get": Fault(
        "auth.jwt_flow_test_user", "OrdersRoute", lambda k: _route_scopes(k, ["kiosk-admin/orders.purge"]),
        lambda k: _route_scopes(k, []), mutating=True),
    # HTTP APIs publish 5xx per ApiId: the expected API 5XX alarm is judged in that form
    "api-5xx-alarm-threshold-raised": Fault(
        "observability.alarms_configured", "ApiServerErrors",
        lambda k: _api_alarm(k, 500), lambda k: _api_alarm(k, 5)),
}


def _ids(k: Kiosk, logical: str) -> set[str]:
    pid = k.physical[logical]
    return {f"stage {pid}", f"{pid} of"} if logical == "KioskLiveStage" else {pid}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_http_api_fault_is_caught_and_healthy_passes(kiosk, fault):
    f = FAULTS[fault]
    healthy = kiosk.run(f.probe, f.mutating)
    assert healthy and all(x.status == PASS for x in healthy), [x.message for x in healthy]
    f.inject(kiosk)
    try:
        broken = kiosk.run(f.probe, f.mutating)
    finally:
        f.undo(kiosk)
    failures = [x for x in broken if x.status == FAIL]
    assert failures, f"{fault}: {f.probe} did not fail: {[x.message for x in broken]}"
    assert any(any(i in x.message for i in _ids(kiosk, f.resource)) for x in failures), (
        f"{fault}: no failure names {f.resource} ({kiosk.physical[f.resource]}): "
        f"{[x.message for x in failures]}")
    assert all("; expected " in x.message and " Fix: " in x.message for x in failures), failures[0].message
    again = kiosk.run(f.probe, f.mutating)
    assert all(x.status == PASS for x in again), [x.message for x in again]
    if f.mutating:
        users = kiosk.deployer.session.client("cognito-idp").list_users(UserPoolId=kiosk.physical["KioskPatrons"])
        assert users["Users"] == [], "the journey's test user must be deleted afterwards"


def _trace(k: Kiosk, required_layers: tuple[str, ...] = ()) -> tuple[list[path.Hop], Any]:
    session = AwsSession("us-east-1", k.deployer.session.endpoint_url, allow_mutations=False,
                         credentials=CREDS)
    exp = expmod.build(corpus.entry("kiosk").expect.get("expectations"))
    exp.required_layers = required_layers
    inv = Inventory(session, k.stack)
    (finding,) = registry.run("e2e.request_path", inv, exp).findings
    return path.trace(inv, exp), finding


_HTTP_HOPS = (path.DISTRIBUTION_API, path.API_STAGE, path.STAGE_METHOD, path.METHOD_AUTHORIZER,
              path.AUTHORIZER_POOL, path.METHOD_VPC_LINK, path.VPC_LINK_NLB)


@pytest.mark.parametrize("required", [(), ("api", "auth", "edge")])
def test_request_path_follows_the_http_api(kiosk, required):
    """The API hops judge the HTTP API (not skipped as "no REST API"), even when the api layer
    is required; the WAF-bypass hop is exposed: kiosk's execute-api endpoint is open and a JWT
    authorizer does not close it (probes.bypass.http_api_bypass_closed)."""
    hops, finding = _trace(kiosk, required)
    by_name = {h.name: h for h in hops}
    api = kiosk.physical["KioskHttpApi"]
    for name in _HTTP_HOPS:
        assert by_name[name].status == path.OK, (name, by_name[name].evidence)
    assert f"HTTP API {api} stage $default" in by_name[path.DISTRIBUTION_API].target
    assert "auto-deployed" in by_name[path.API_STAGE].evidence
    assert kiosk.physical["KioskPatrons"] in by_name[path.AUTHORIZER_POOL].evidence
    assert not [h.name for h in hops if h.status in (path.BROKEN, path.BLOCKED)], path.render_table(hops)
    bypass = by_name[path.API_BYPASS]
    assert bypass.status == path.EXPOSED and api in bypass.evidence, bypass.evidence
    assert finding.status == FAIL and finding.evidence["first_broken_hop"] == path.API_BYPASS


# Faults only the trace judges (no api-layer probe asks where the JWT is read from).
HOP_FAULTS = {**{name: f for name, f in FAULTS.items() if f.hop},
              "jwt-read-from-another-header": Fault(
                  "e2e.request_path", "KioskJwt",
                  lambda k: _identity_source(k, "$request.header.X-Kiosk-Token"),
                  lambda k: _identity_source(k, "$request.header.Authorization"), path.METHOD_AUTHORIZER)}


@pytest.mark.parametrize("fault", sorted(HOP_FAULTS))
def test_request_path_names_the_hop_a_fault_cuts(kiosk, fault):
    f = HOP_FAULTS[fault]
    f.inject(kiosk)
    try:
        hops, finding = _trace(kiosk)
    finally:
        f.undo(kiosk)
    assert finding.status == FAIL and finding.evidence["first_broken_hop"] == f.hop, (
        f"{fault}: {finding.message}\n{path.render_table(hops)}")
    assert "; expected " in finding.message and " Fix: " in finding.message, finding.message
    assert any(i in finding.message for i in _ids(kiosk, f.resource)), finding.message
    hops, finding = _trace(kiosk)
    assert finding.evidence["first_broken_hop"] == path.API_BYPASS, finding.message


def test_rest_api_probes_skip_on_the_http_api_even_when_the_layer_is_required(kiosk):
    """The api layer has its API (an HTTP API): the REST probes skip, naming it, and are
    never turned into "nothing to judge" failures by required_layers."""
    session = AwsSession("us-east-1", kiosk.deployer.session.endpoint_url, allow_mutations=False,
                         credentials=CREDS)
    exp = expmod.build(corpus.entry("kiosk").expect.get("expectations"))
    exp.required_layers = ("api", "auth")
    inv = Inventory(session, kiosk.stack)
    for pid in ("api.methods_authorized", "api.stage_throttling", "api.vpc_link_targets_nlb"):
        (finding,) = registry.run(pid, inv, exp).findings
        assert finding.status == "skipped", finding.message
        assert "HTTP API" in finding.message and kiosk.physical["KioskHttpApi"] in finding.message


def test_the_graph_follows_the_http_api(kiosk):
    """Roles behind an HTTP API come from its references: the user pool from the JWT issuer,
    the VPC link and the NLB from the private integration (link id, listener ARN)."""
    from probes import graph

    session = AwsSession("us-east-1", kiosk.deployer.session.endpoint_url, allow_mutations=False,
                         credentials=CREDS)
    g = graph.of(Inventory(session, kiosk.stack))
    p = kiosk.physical
    assert g.role("rest_api") is None and "HTTP API, not a REST API" in g.followed("rest_api")
    assert g.role("http_api") == p["KioskHttpApi"] and g.role("http_api_stage") == "$default"
    assert g.role("http_vpc_link") == p["KioskLink"]
    assert g.role("user_pool") == p["KioskPatrons"] and "issuer" in g.followed("user_pool")
    assert g.role("nlb") == p["KioskNlb"] and "listener ARNs" in g.followed("nlb")
    assert g.role("target_group") == p["WorkerTargets"]


def test_request_path_bypass_hop_closed_by_a_disabled_execute_api_endpoint(kiosk):
    """An HTTP API whose execute-api endpoint is disabled answers no direct caller: the hop is
    ok (probes.bypass.http_api_bypass_closed), and kiosk's trace then passes."""
    api = kiosk.physical["KioskHttpApi"]
    kiosk.v2().update_api(ApiId=api, DisableExecuteApiEndpoint=True)
    try:
        hops, finding = _trace(kiosk)
    finally:
        kiosk.v2().update_api(ApiId=api, DisableExecuteApiEndpoint=False)
    hop = next(h for h in hops if h.name == path.API_BYPASS)
    assert hop.status == path.OK and "private endpoint" in hop.evidence, hop.evidence
    assert finding.status == PASS, finding.message


# ---- the JWT journey through the HTTP API's JWT authorizer (auth.jwt_flow, auth.jwt_flow_test_user) ----
def _users(k: Kiosk) -> list:
    return k.deployer.session.client("cognito-idp").list_users(UserPoolId=k.physical["KioskPatrons"])["Users"]


def test_read_only_journey_with_environment_credentials_on_the_http_api(kiosk, monkeypatch):
    cognito, pool = kiosk.deployer.session.client("cognito-idp"), kiosk.physical["KioskPatrons"]
    user, password = "oncall-probe@example.com", "Str0ng!Passw0rd-For-Probe"
    cognito.admin_create_user(UserPoolId=pool, Username=user, MessageAction="SUPPRESS",
                              TemporaryPassword="Temp0rary!Passw0rd")
    try:
        cognito.admin_set_user_password(UserPoolId=pool, Username=user, Password=password, Permanent=True)
        monkeypatch.setenv("STACKPROBE_TEST_USERNAME", user)
        monkeypatch.setenv("STACKPROBE_TEST_PASSWORD", password)
        (finding,) = kiosk.run("auth.jwt_flow")
    finally:
        cognito.admin_delete_user(UserPoolId=pool, Username=user)
    assert finding.status == PASS, finding.message
    assert "JWT authorizer's checks (issuer, audience)" in finding.message
    assert kiosk.physical["KioskWebApp"] in finding.message and password not in finding.message


def test_journey_without_credentials_runs_the_authorizer_step_on_the_http_api(kiosk, monkeypatch):
    monkeypatch.delenv("STACKPROBE_TEST_USERNAME", raising=False)
    monkeypatch.delenv("STACKPROBE_TEST_PASSWORD", raising=False)
    (finding,) = kiosk.run("auth.jwt_flow")
    assert finding.status == "skipped" and "trust-chain and JWKS steps" in finding.message, finding.message
    _authorizer(kiosk, audience=["retired-mobile-client"])
    try:
        (finding,) = kiosk.run("auth.jwt_flow")
    finally:
        _authorizer(kiosk)
    assert finding.status == FAIL and "stops at the authorizer" in finding.message, finding.message


def test_journey_fails_at_the_signature_on_the_http_api(kiosk, httpserver):
    # Another pool's key set under the pool's kid: on AWS every pool has its own keys.
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(other.public_key()))
    httpserver.expect_request("/other-pool/jwks.json").respond_with_json(
        {"keys": [dict(jwk, kid="dummy", alg="RS256", use="sig")]})
    (finding,) = kiosk.run("auth.jwt_flow_test_user", True, jwks_url=httpserver.url_for("/other-pool/jwks.json"))
    assert finding.status == FAIL, finding.message
    assert "verification (signature) by JWT authorizer " + kiosk.physical["KioskJwt"] in finding.message
    assert _users(kiosk) == []


@pytest.mark.parametrize("scopes, words", [
    # the scope every access token of the password flow carries: the access token is checked with it
    (["aws.cognito.signin.user.admin"], ["(issuer, audience, scopes)"]),
    # a scope the client is granted through the OAuth flow only: left to that flow, and said so
    (["openid"], ["require scopes granted only through the OAuth flow, not checked"]),
])
def test_journey_on_routes_with_scopes(kiosk, scopes, words):
    _route_scopes(kiosk, scopes)
    try:
        (finding,) = kiosk.run("auth.jwt_flow_test_user", True)
    finally:
        _route_scopes(kiosk, [])
    assert finding.status == PASS, finding.message
    assert all(w in finding.message for w in words), finding.message
    assert _users(kiosk) == []
