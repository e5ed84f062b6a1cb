"""The live suite itself (suites/e2e/test_live.py: its fixtures, settings and token
provider, not only the journey functions) runs end to end against a stand-in data plane:
local HTTPS servers that answer like CloudFront, WAF and the API behind the Cognito
authorizer, and a user pool on the emulator whose tokens the stand-in API verifies. So a
fixture that reads a key the environment model does not have fails here, not at the first
staging run."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import jwt
import pytest
from werkzeug import Request, Response

from fixtures import stack as stackmod
from tests.e2e.test_live_journeys import CF
from tests.reliability.conftest import clean_env, env_file, run, session

POOL_TEMPLATE = """AWSTemplateFormatVersion: "2010-09-09"
Resources:
  UserPool:
    Type: AWS::Cognito::UserPool
    Properties:
      AdminCreateUserConfig: {AllowAdminCreateUserOnly: true}
  UserPoolClient:
    Type: AWS::Cognito::UserPoolClient
    Properties:
      UserPoolId: !Ref UserPool
      ExplicitAuthFlows: [ALLOW_USER_PASSWORD_AUTH, ALLOW_REFRESH_TOKEN_AUTH]
Outputs:
  UserPoolId: {Value: !Ref UserPool}
  UserPoolClientId: {Value: !Ref UserPoolClient}
"""


def _moto_keys() -> jwt.PyJWKSet:
    """The key set the emulator's Cognito signs every token with."""
    import moto.cognitoidp
    path = Path(moto.cognitoidp.__file__).parent / "resources" / "jwks-public.json.gz"
    return jwt.PyJWKSet.from_dict(json.loads(gzip.decompress(path.read_bytes())))


def _stand_in(keys: jwt.PyJWKSet, audience: str):
    """What a healthy stack answers: the site through CloudFront, WAF refusing SQL
    injection, the API refusing missing, foreign and expired tokens."""
    def handler(request: Request) -> Response:
        if "OR" in request.query_string.decode().upper():
            return Response("blocked", 403, headers=CF)
        if request.path == "/":
            return Response("<html>site</html>", 200, headers=CF)
        if request.path == "/api/health":
            return Response(json.dumps({"database": "reachable"}), 200, headers=CF)
        if request.path == "/api/items":
            token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
            try:
                kid = jwt.get_unverified_header(token).get("kid")
                key = next(k for k in keys.keys if k.key_id == kid)
                jwt.decode(token, key.key, algorithms=["RS256"], audience=audience)
            except Exception:  # noqa: BLE001 - any bad token: what the authorizer answers
                return Response('{"message":"Unauthorized"}', 401, headers=CF)
            return Response("[]", 200, headers=CF)
        return Response("not found", 404, headers=CF)
    return handler


@pytest.fixture
def pool_stack(emulator):
    s = session(emulator.endpoint)
    name = "live-suite-pool"
    outputs = stackmod.deploy(s, _write(POOL_TEMPLATE), name, timeout=60, out=lambda _: None)
    idp = s.client("cognito-idp")
    idp.admin_create_user(UserPoolId=outputs["UserPoolId"], Username="tester",
                          MessageAction="SUPPRESS")
    idp.admin_set_user_password(UserPoolId=outputs["UserPoolId"], Username="tester",
                                Password="Correct-Horse-9", Permanent=True)
    yield name, outputs
    stackmod.delete(s, name, timeout=60, out=lambda _: None)


def _write(text: str) -> Path:
    import tempfile
    path = Path(tempfile.mkdtemp()) / "pool.yaml"
    path.write_text(text)
    return path


def test_the_live_suite_runs_its_own_fixtures_against_a_stand_in_data_plane(
        emulator, pool_stack, https, ca_file, tmp_path):
    name, outputs = pool_stack
    https.expect_request(__import__("re").compile(".*")).respond_with_handler(
        _stand_in(_moto_keys(), outputs["UserPoolClientId"]))
    base = https.url_for("/")
    envfile = env_file(tmp_path, emulator.endpoint, "live-suite", mode="attach", stack=name,
                       allow_mutations=False, extra=f"""expectations:
  auth: {{username_env: LIVE_SUITE_USER, password_env: LIVE_SUITE_PASSWORD}}
live:
  site_url: {base}
  api_url: {base}api
  wait_seconds: 5
""")
    code, out = run(["suites/e2e/test_live.py", f"--env={envfile}", "-p", "no:randomly", "-rA"],
                    tmp_path / "reports", timeout=180,
                    env=clean_env(LIVE_SUITE_USER="tester", LIVE_SUITE_PASSWORD="Correct-Horse-9",
                                  REQUESTS_CA_BUNDLE=ca_file))
    assert code == 0, out
    for journey in ("test_site_served_through_cloudfront", "test_waf_blocks_sql_injection",
                    "test_api_rejects_anonymous", "test_api_accepts_valid_token",
                    "test_api_rejects_bad_token[foreign]", "test_api_rejects_bad_token[expired]",
                    "test_health_reports_database_reachable"):
        assert f"PASSED suites/e2e/test_live.py::{journey}" in out, out
    assert "Correct-Horse-9" not in out  # the test user's password never reaches the output
