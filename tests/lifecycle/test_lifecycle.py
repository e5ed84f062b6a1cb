"""The stack fixture's promises, checked from outside in subprocess runs against one
emulator: deployed exactly once under xdist, torn down on SIGTERM, a broken deploy names
its first failed resource, bad input is one message and exit code 4."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fixtures import stack as stackmod
from probes.aws import AwsSession

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).parent
CREDS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def _env_file(tmp_path: Path, endpoint: str, prefix: str, template: str = "tests/lifecycle/mini.yaml",
              extra: str = "") -> Path:
    p = tmp_path / f"{prefix}.yaml"
    p.write_text(f"""name: {prefix}
target: endpoint
endpoint_url: {endpoint}
region: us-east-1
account_id: "123456789012"
allow_mutations: true
stack: {{mode: deploy, name: {prefix}, template: {template}}}
{extra}""")
    return p


def _run(args: list[str], tmp_path: Path, **kw) -> subprocess.Popen:
    env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_DEFAULT_REGION="us-east-1", PYTHONUNBUFFERED="1", **kw.pop("env", {}))
    env.pop("AWS_ENDPOINT_URL", None)
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
           f"--junitxml={tmp_path}/junit.xml", f"--alluredir={tmp_path}/allure", *args]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, **kw)


def _stacks(endpoint: str, prefix: str) -> list[dict]:
    # every page: other tests' stacks share the emulator, and ListStacks pages at 100
    cfn = AwsSession("us-east-1", endpoint, credentials=CREDS).client("cloudformation")
    return [s for page in cfn.get_paginator("list_stacks").paginate()
            for s in page["StackSummaries"] if s["StackName"].startswith(prefix + "-")]


def test_deployed_exactly_once_under_xdist_and_torn_down(emulator, tmp_path):
    envfile = _env_file(tmp_path, emulator.endpoint, "once")
    proc = _run(["suites/stack", "-n", "2", "--env", str(envfile)], tmp_path)
    out, _ = proc.communicate(timeout=180)
    assert proc.returncode == 0, out
    stacks = _stacks(emulator.endpoint, "once")
    assert len(stacks) == 1, f"expected one CreateStack, found {stacks}\n{out}"
    assert stacks[0]["StackStatus"] == "DELETE_COMPLETE", out


def test_xdist_workers_report_the_controllers_verdicts(emulator, tmp_path):
    """Each distinct read is made once per run, not once per worker: the controller makes
    every read-only probe's verdict, the workers report them and read nothing themselves;
    no read store is left on disk."""
    import json
    import tempfile

    envfile = _env_file(tmp_path, emulator.endpoint, "shared")
    before = set(Path(tempfile.gettempdir()).iterdir())
    proc = _run(["suites/stack", "-n", "2", "--env", str(envfile), f"--reports-dir={tmp_path}/r"],
                tmp_path)
    out, _ = proc.communicate(timeout=180)
    assert proc.returncode == 0, out
    calls = json.loads((tmp_path / "r" / "aws-calls.json").read_text())
    workers = {k: v for k, v in calls["processes"].items() if k != "controller"}
    assert len(workers) == 2, calls["processes"]
    assert all(not s["sent"] for sessions in workers.values() for s in sessions), workers
    probes = [s for s in calls["processes"]["controller"] if s["purpose"] == "probes"]
    assert probes and probes[0]["sent"].get("cloudformation:DescribeStacks") == 1, probes
    assert probes[0]["sent"].get("cloudformation:ListStackResources") == 1, probes
    # no read store of this run (other runs on the machine may make their own temp dirs)
    assert not [p for p in set(Path(tempfile.gettempdir()).iterdir()) - before
                if p.name.startswith("stackprobe-reads")]


def test_sigterm_mid_run_tears_the_stack_down(emulator, tmp_path):
    marker = tmp_path / "running"
    envfile = _env_file(tmp_path, emulator.endpoint, "sigterm")
    proc = _run(["suites/stack", str(HERE / "pause_check.py"), "--env", str(envfile)], tmp_path,
                env={"STACKPROBE_PAUSE_MARKER": str(marker)})
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert proc.poll() is None, proc.stdout.read()
        assert time.monotonic() < deadline, "the run never reached the pause"
        time.sleep(0.1)
    assert [s["StackStatus"] for s in _stacks(emulator.endpoint, "sigterm")] == ["CREATE_COMPLETE"]
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=60)
    stacks = _stacks(emulator.endpoint, "sigterm")
    assert [s["StackStatus"] for s in stacks] == ["DELETE_COMPLETE"], out


def test_broken_template_names_the_failed_resource_fast(emulator):
    session = AwsSession("us-east-1", emulator.endpoint, allow_mutations=True, credentials=CREDS)
    start = time.monotonic()
    with pytest.raises(stackmod.DeployError) as info:
        stackmod.deploy(session, HERE / "broken.yaml", "broken-1", timeout=60, out=lambda _: None)
    assert time.monotonic() - start < 15
    assert "BrokenSubnet" in str(info.value)
    assert "AWS::EC2::Subnet" in str(info.value)


@pytest.mark.parametrize("args, fragment", [
    (["--env", "nosuchenv"], "unknown environment 'nosuchenv'"),
    (["--stack-name", "no-such-stack"], "does not exist"),
])
def test_bad_input_is_one_message_and_exit_code_4(emulator, tmp_path, args, fragment):
    if "--stack-name" in args:
        args = [*args, "--env", str(_env_file(tmp_path, emulator.endpoint, "attach"))]
    proc = _run(["suites/stack", *args], tmp_path)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 4, out
    assert fragment in out
    assert "Traceback" not in out
    assert "stackprobe could not run" in out
