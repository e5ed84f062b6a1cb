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
    if case == "env-is-a-directory":
        return [f"--env={tmp_path}"], {}, ()
    if case == "reports-dir-is-a-file":
        (tmp_path / "afile").write_text("")
        return ["--env", plain(), f"--reports-dir={tmp_path / 'afile'}"], {}, ()
    if case == "reports-dir-unwritable":
        return ["--env", plain(), "--reports-dir=/proc/stackprobe-reports"], {}, ()
    if case == "endpoint-not-aws":
        return ["--env", plain(), "--endpoint-url", _plain_http_server()], {}, ()
    if case == "endpoint-never-answers":
        return ["--env", plain(), "--endpoint-url", _silent_server()], {}, ()
    if case in ("probe-threads-0", "probe-threads-negative"):
        return ["--env", plain(), f"--probe-threads={0 if case.endswith('0') else -1}"], {}, ()
    if case == "empty-stack-name":
        return ["--env", plain(), "--stack-name="], {}, ()
    if case == "unknown-marker":
        return ["--env", plain(), "-m", "nosuchlayer"], {}, ()
    if case == "marker-typo":
        return ["--env", plain(), "-m", "databse or network"], {}, ()
    if case == "bundled-stack-other-region":
        return ["--region", "eu-west-1"], {}, ()
    if case == "attach-without-endpoint":
        return ["--stack-name", "does-not-exist"], {}, ()
    if case == "keep-stack-on-embedded":
        return ["--keep-stack"], {}, ()
    raise AssertionError(case)


def _plain_http_server() -> str:
    """A web server that is not AWS: answers every request with an HTML page."""
    import http.server
    import threading
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


def _silent_server() -> str:
    """Accepts connections (the kernel's backlog) and never answers."""
    import socket
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    _SILENT.append(sock)  # open until the test process ends
    return f"http://127.0.0.1:{sock.getsockname()[1]}"


_SILENT: list = []


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
    "env-is-a-directory": ("is a directory, not an environment file", "Fix: pass --env"),
    "reports-dir-is-a-file": ("afile is a file", "Fix: pass --reports-dir a folder"),
    "reports-dir-unwritable": ("cannot write to the reports folder", "Fix: pass --reports-dir"),
    "endpoint-not-aws": ("answered, but not as AWS does", "Fix: point endpoint_url"),
    "endpoint-never-answers": ("did not answer within 5 s", "Fix: check that it is an AWS API"),
    "probe-threads-0": ("--probe-threads=0 is not a number of threads", "Fix: pass 1 or more"),
    "probe-threads-negative": ("--probe-threads=-1 is not a number of threads", "Fix: pass 1 or more"),
    "empty-stack-name": ("--stack-name is empty", "Fix: name the stack"),
    "unknown-marker": ("unknown marker(s): nosuchlayer", "Fix: use a layer"),
    "marker-typo": ("databse (did you mean database?)", "Fix: use a layer"),
    "bundled-stack-other-region": ("deploys only to us-east-1", "not to eu-west-1"),
    "attach-without-endpoint": ("its own embedded emulator, which is empty", "Fix: point at the stack"),
    "keep-stack-on-embedded": ("--keep-stack on the embedded target keeps nothing",
                               "python -m fixtures.emulator --deploy"),
}
# Stopped in pre-flight: bounded in seconds (the endpoint that never answers: 3 tries x 5 s).
SECONDS = 40


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_one_message_exit_4(emulator, tmp_path, case):
    import time
    args, env, plugins = _case_env(tmp_path, emulator, case)
    start = time.monotonic()
    code, out = run(["suites/stack", *args], tmp_path / "reports", env=clean_env(**env),
                    plugins=plugins, timeout=90)
    problem, fix = CASES[case]
    assert code == 4, out
    assert "Traceback" not in out and "INTERNALERROR" not in out, out
    errors = [ln for ln in out.splitlines() if "stackprobe could not run" in ln]
    assert len(errors) == 1, out
    assert problem in errors[0] and fix in errors[0], out
    assert time.monotonic() - start < SECONDS, out
    calls = tmp_path / "reports" / "aws-calls.json"
    if calls.exists():  # nothing deployed before the error
        assert "cloudformation:CreateStack" not in aws_calls(tmp_path / "reports")["sent"], out


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


@pytest.mark.parametrize("option", ["--markers", "--fixtures"])
def test_showing_markers_or_fixtures_deploys_nothing(tmp_path, option):
    """pytest shows and exits: the README's `pytest --markers` must not start the emulator,
    deploy the bundled stack and tear it down first."""
    code, out = run([option], tmp_path / "reports", timeout=60)
    assert code == 0, out
    assert "tearing down" not in out and "deploying" not in out, out
    assert "@pytest.mark.database" in out or "run_state" in out, out
