"""Every bad input is one message naming the problem and the fix, exit code 4 ("could not
run", distinct from 1 "probes failed"), no traceback; the account guard stops the run
before any call but sts:GetCallerIdentity."""
from __future__ import annotations

import pytest

from fixtures import stack as stackmod
from fixtures.emulator.server import free_port

from .conftest import aws_calls, clean_env, env_file, run, session


def _case_env(tmp_path, emulator, case):
    """(args, env vars, plugins) for one bad input."""
    ep = emulator.endpoint
    plain = lambda **kw: str(env_file(tmp_path, ep, "bad", **kw))  # noqa: E731
    if case == "malformed-yaml":
        p = tmp_path / "bad.yaml"
        p.write_text("name: bad\nstack: {mode: deploy\n  name: [x\n")
        return ["--env", str(p)], {}, ()
    if case == "unknown-environment":
        return ["--env", "nosuchenv"], {}, ()
    if case == "unknown-key":
        return ["--env", plain(extra="colour: blue\n")], {}, ()
    if case == "missing-credentials":
        nowhere = str(tmp_path / "none")
        return (["--env", plain()], {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "",
                                     "AWS_CONFIG_FILE": nowhere,
                                     "AWS_SHARED_CREDENTIALS_FILE": nowhere}, ())
    if case == "unknown-profile":
        return ["--env", plain(), "--profile", "no-such-profile"], {}, ()
    if case in ("expired-credentials", "invalid-credentials"):
        code = "ExpiredToken" if case.startswith("expired") else "InvalidClientTokenId"
        return ["--env", plain()], {"STACKPROBE_FAULT_STS": code}, ("tests.reliability.faults",)
    if case == "wrong-region-file":
        p = env_file(tmp_path, ep, "bad")
        p.write_text(p.read_text().replace("us-east-1", "us-east-9"))
        return ["--env", str(p)], {}, ()
    if case == "wrong-region-option":
        return ["--env", plain(), "--region", "eu-moon-1"], {}, ()
    if case == "missing-stack":
        return ["--env", plain(), "--stack-name", "no-such-stack"], {}, ()
    if case == "rolled-back-stack":
        name = f"rolled-back-{tmp_path.name}"[:60]
        with pytest.raises(stackmod.DeployError):
            stackmod.deploy(session(ep), "tests/lifecycle/broken.yaml", name, timeout=60,
                            out=lambda _: None)
        return ["--env", plain(), "--stack-name", name], {}, ()
    if case == "unreachable-endpoint":
        p = env_file(tmp_path, f"http://127.0.0.1:{free_port()}", "bad")
        return ["--env", str(p)], {}, ()
    raise AssertionError(case)


CASES = {
    "malformed-yaml": ("malformed YAML at line", "Fix: correct the YAML syntax"),
    "unknown-environment": ("unknown environment 'nosuchenv'", "Fix: use one of"),
    "unknown-key": ("unknown key 'colour'", "Fix: remove it"),
    "missing-credentials": ("no AWS credentials found", "Fix: set AWS_PROFILE"),
    "unknown-profile": ("no-such-profile", "Fix: check the credentials"),
    "expired-credentials": ("credentials expired: ExpiredToken", "Fix: refresh them"),
    "invalid-credentials": ("credentials rejected: InvalidClientTokenId", "Fix: refresh them"),
    "wrong-region-file": ("us-east-9", "Fix:"),
    "wrong-region-option": ("region 'eu-moon-1' is not an AWS region", "Fix: set region"),
    "missing-stack": ("stack 'no-such-stack' does not exist", "Fix: check --stack-name"),
    "rolled-back-stack": ("ROLLBACK", "Fix: repair or redeploy"),
    "unreachable-endpoint": ("cannot reach the endpoint", "Fix: start the emulator"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_one_message_exit_4(emulator, tmp_path, case):
    args, env, plugins = _case_env(tmp_path, emulator, case)
    code, out = run(["suites/stack", *args], tmp_path / "reports", env=clean_env(**env),
                    plugins=plugins, timeout=90)
    problem, fix = CASES[case]
    assert code == 4, out
    assert "Traceback" not in out, out
    errors = [ln for ln in out.splitlines() if "stackprobe could not run" in ln]
    assert len(errors) == 1, out
    assert problem in errors[0] and fix in errors[0], out


def test_account_guard_stops_before_any_call_but_sts(emulator, tmp_path):
    envfile = env_file(tmp_path, emulator.endpoint, "elsewhere", account="999999999999")
    reports = tmp_path / "reports"
    code, out = run(["suites/stack", "--env", str(envfile)], reports)
    assert code == 4, out
    line = next(ln for ln in out.splitlines() if "stackprobe could not run" in ln)
    assert "123456789012" in line and "999999999999" in line and "Fix:" in line
    calls = aws_calls(reports)
    assert calls["sent"] == {"sts:GetCallerIdentity": 1}, calls
    assert calls["mutations_sent"] == [] and calls["mutations_refused"] == []
