"""The whole suite, read-only, against a deployed stack (attach mode), twice at once: as
is, and with 20 % of AWS calls answered by throttling errors or 503s. Proves: nothing
state-changing is sent (evidence: reports/aws-calls.json, from botocore's hooks); verdicts
do not change under throttling; no secret (DB password, test-user password, tokens,
JWT-shaped strings, signed Authorization headers) reaches any report, log or output, even
with botocore logging at DEBUG."""
from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

from probes.aws import is_mutating

from .conftest import aws_calls, clean_env, env_file, start_run

# One worker runs the module, so its expensive fixture (two whole-suite runs) runs once.
pytestmark = pytest.mark.xdist_group("reliability")

TEST_USER = "reliability-user@example.com"
TEST_PASSWORD = "Kn0wn-Test-User-Pa55!"  # noqa: S105 - planted, must never be reported
# JWT-shaped, planted as a resource tag the probes read.
PLANTED_JWT = ("eyJhbGciOiJSUzI1NiIsImtpZCI6InBsYW50ZWQifQ.eyJzdWIiOiJyZWxpYWJpbGl0eSJ9."
               "c2lnbmF0dXJlLXBsYW50ZWQtZm9yLXRoZS10ZXN0")
BRIEF_PREFIXES = ("Create", "Put", "Update", "Delete", "Set", "Modify", "Authorize", "Revoke",
                  "Invoke", "Publish")
JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+")
SIGNED_HEADER = re.compile(r"AWS4-HMAC-SHA256 Credential=|Signature=[0-9a-f]{16}")


@dataclass
class SuiteRun:
    code: int
    out: str
    reports: Path
    seconds: float

    def verdicts(self) -> dict[str, str]:
        root = ET.parse(self.reports / "junit.xml").getroot()
        result = {}
        for case in root.iter("testcase"):
            kind = next((c.tag for c in case if c.tag in ("failure", "error", "skipped")), "passed")
            result[f"{case.get('classname')}::{case.get('name')}"] = kind
        return result


@pytest.fixture(scope="module")
def runs(lab, tmp_path_factory):
    stack = lab.deploy()
    s = stack.session()
    cognito = s.client("cognito-idp")
    pool = stack.outputs["UserPoolId"]
    cognito.admin_create_user(UserPoolId=pool, Username=TEST_USER, MessageAction="SUPPRESS",
                              TemporaryPassword="Temp-Pa55word-0!")
    cognito.admin_set_user_password(UserPoolId=pool, Username=TEST_USER, Password=TEST_PASSWORD,
                                    Permanent=True)
    s.client("ec2").create_tags(Resources=[stack.outputs["VpcId"]],
                                Tags=[{"Key": "session", "Value": PLANTED_JWT}])
    secret = s.client("secretsmanager").get_secret_value(SecretId=stack.outputs["DbSecretArn"])
    import json
    db_password = json.loads(secret["SecretString"])["password"]

    base = tmp_path_factory.mktemp("suite-runs")
    envfile = env_file(base, stack.endpoint, "readonly", mode="attach", stack=stack.name,
                       allow_mutations=False)
    env = dict(STACKPROBE_TEST_USERNAME=TEST_USER, STACKPROBE_TEST_PASSWORD=TEST_PASSWORD)
    args = ["suites", "--env", str(envfile), "--stack-name", stack.name]
    start = time.monotonic()
    plain = start_run([*args, "--log-level=DEBUG"], base / "plain", env=clean_env(**env))
    throttled = start_run(args, base / "throttled", plugins=("tests.reliability.faults",),
                          env=clean_env(**env, STACKPROBE_FAULT_RATE="0.2",
                                        STACKPROBE_FAULT_LOG=str(base / "faults")))
    done = {}
    for name, proc in (("plain", plain), ("throttled", throttled)):
        out, _ = proc.communicate(timeout=400)
        done[name] = SuiteRun(proc.returncode, out, base / name, time.monotonic() - start)
    return done, {"db_password": db_password, "faults": base / "faults"}


def test_read_only_run_sends_no_mutation(runs):
    done, _ = runs
    run = done["plain"]
    assert run.code == 0, run.out
    calls = aws_calls(run.reports)
    assert calls["read_only"] is True and calls["deployed"] is False
    assert calls["mutations_sent"] == [] and calls["mutations_refused"] == [], calls
    assert calls["sent"], "no AWS call recorded: the evidence is missing"
    written = [op for op in calls["sent"]
               if is_mutating(op.split(":", 1)[1]) or op.split(":", 1)[1].startswith(BRIEF_PREFIXES)]
    assert written == [], written
    for group in calls["processes"].values():
        for s in group:
            assert s["allow_mutations"] is False and s["mutations"] == [] and s["refused"] == []
    assert "skipped" in run.verdicts().values()  # mutating probes skip, they are not attempted


def test_throttling_changes_no_verdict(runs):
    done, info = runs
    plain, throttled = done["plain"], done["throttled"]
    import json
    counts = [json.loads(p.read_text()) for p in info["faults"].glob("*.json")]
    calls = sum(c["calls"] for c in counts)
    injected = sum(c["injected"] for c in counts)
    assert calls and injected / calls > 0.1, counts  # the faults really happened
    assert throttled.code == plain.code, throttled.out
    assert throttled.verdicts() == plain.verdicts()
    # Bounded: retries back off, they never hang (both runs shared the same busy machine).
    assert throttled.seconds < 4 * plain.seconds + 60, (throttled.seconds, plain.seconds)


def test_no_secret_in_any_artifact_log_or_output(runs):
    done, info = runs
    plain = done["plain"]
    calls = aws_calls(plain.reports)["sent"]
    # The secrets were really in the run's hands: the DB secret read, the test user signed in.
    assert calls.get("secretsmanager:GetSecretValue"), calls
    assert calls.get("cognito-idp:InitiateAuth"), calls
    literal = {"DB password": info["db_password"], "test-user password": TEST_PASSWORD,
               "planted JWT": PLANTED_JWT}
    for run in done.values():
        texts = {"terminal output": run.out}
        texts.update({str(p): p.read_text(errors="replace") for p in run.reports.rglob("*")
                      if p.is_file()})
        for where, text in texts.items():
            for label, value in literal.items():
                assert value not in text, f"{label} in {where}"
            assert not JWT_SHAPE.search(text), f"JWT-shaped string in {where}"
            assert not SIGNED_HEADER.search(text), f"signed Authorization header in {where}"
