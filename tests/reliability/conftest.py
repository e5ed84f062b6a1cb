"""Helpers for the reliability tests: subprocess runs of the real suite against the test
process's emulator (or an embedded one of their own), each with its own reports folder,
and the stacks they leave behind."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from probes.aws import AwsSession

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).parent
CREDS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
MINI = "tests/lifecycle/mini.yaml"
PAUSE = str(ROOT / "tests/lifecycle/pause_check.py")


def env_file(tmp_path: Path, endpoint: str | None, name: str, *, template: str = MINI,
             mode: str = "deploy", stack: str | None = None, account: str = "123456789012",
             allow_mutations: bool = True, extra: str = "") -> Path:
    """An environment file for one run: target endpoint (the given emulator) or embedded."""
    target = f"target: endpoint\nendpoint_url: {endpoint}" if endpoint else "target: embedded"
    p = tmp_path / f"{name}.yaml"
    p.write_text(f"""name: {name}
{target}
region: us-east-1
account_id: "{account}"
allow_mutations: {str(allow_mutations).lower()}
stack: {{mode: {mode}, name: {stack or name}, template: {template}}}
{extra}""")
    return p


def clean_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_DEFAULT_REGION="us-east-1", PYTHONUNBUFFERED="1", COLUMNS="160",
               AWS_EC2_METADATA_DISABLED="true")
    for var in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "STACKPROBE_ENV", "AWS_SESSION_TOKEN",
                "PYTEST_ADDOPTS", "PYTEST_XDIST_WORKER", "PYTEST_XDIST_TESTRUNUID"):
        env.pop(var, None)
    env.update(extra)
    return env


def start_run(args: list[str], reports: Path, env: dict[str, str] | None = None,
              plugins: tuple[str, ...] = ()) -> subprocess.Popen:
    """``pytest <args> --reports-dir <reports>`` in the project root, output captured."""
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
           *[a for p in plugins for a in ("-p", p)], f"--reports-dir={reports}", *args]
    return subprocess.Popen(cmd, cwd=ROOT, env=env or clean_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, preexec_fn=_user_signals)


def _user_signals() -> None:
    """The run gets the signal dispositions a user's shell gives it: a launcher that ignores
    SIGINT (``nohup``, a CI step in the background) would pass that on, and the interrupt
    tests would then test nothing."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def run(args: list[str], reports: Path, timeout: float = 120, **kw) -> tuple[int, str]:
    proc = start_run(args, reports, **kw)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        pytest.fail(f"run did not end in {timeout}s:\n{out}")
    return proc.returncode, out


def session(endpoint: str, allow_mutations: bool = True) -> AwsSession:
    return AwsSession("us-east-1", endpoint, allow_mutations=allow_mutations, credentials=CREDS)


def stacks(endpoint: str, prefix: str) -> list[dict]:
    """Every stack (deleted ones too) whose name starts with ``prefix-``."""
    cfn = session(endpoint).client("cloudformation")
    out = []
    for page in cfn.get_paginator("list_stacks").paginate():
        out += [s for s in page["StackSummaries"] if s["StackName"].startswith(prefix + "-")]
    return out


def aws_calls(reports: Path) -> dict:
    return json.loads((reports / "aws-calls.json").read_text())


def wait_for(path: Path, proc: subprocess.Popen, what: str, seconds: float = 90) -> None:
    """Until the run writes ``path`` (it reached ``what``); fails if it ends first."""
    deadline = time.monotonic() + seconds
    while not path.exists():
        if proc.poll() is not None:
            pytest.fail(f"the run ended before {what}:\n{proc.stdout.read()}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the run never reached {what}")
        time.sleep(0.05)
