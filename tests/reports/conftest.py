"""Runs of the real suite for the report tests: a tiny stack on a moto server of our own
(independent of the emulator), one healthy run and one with an injected fault under
xdist. Each run keeps its reports in its own folder (nothing lands in the project's
reports/)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# A credential that must never appear in any artifact (moto accepts any value).
SECRET_KEY = "spSECRETkey0123456789abcdefXYZ"
SESSION_TOKEN = "spSESSIONtoken9876543210zyx"
FAILING_PROBE = "stack.outputs_present"
FAILING_TITLE = "Every stack output is present and non-empty"


@dataclass
class Run:
    name: str
    returncode: int
    output: str
    dir: Path

    @property
    def allure(self) -> Path:
        return self.dir / "allure-results"

    @property
    def summary(self) -> Path:
        return self.dir / "summary.json"

    @property
    def junit(self) -> Path:
        return self.dir / "junit.xml"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def moto_endpoint():
    from moto.server import ThreadedMotoServer
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def run_suite(base: Path, name: str, endpoint: str | None, *args: str, fault: bool = False,
              env_arg: str | None = None) -> Run:
    out = base / name
    out.mkdir(parents=True, exist_ok=True)
    if env_arg is None:
        envfile = out / f"{name}.yaml"
        extra = "expectations:\n  stack:\n    required_outputs: [VpcId]\n" if fault else ""
        envfile.write_text(f"""name: {name}
target: endpoint
endpoint_url: {endpoint}
region: us-east-1
account_id: "123456789012"
allow_mutations: true
stack: {{mode: deploy, name: {name}, template: tests/lifecycle/mini.yaml}}
{extra}""")
        env_arg = str(envfile)
    env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIAREPORTTEST", AWS_SECRET_ACCESS_KEY=SECRET_KEY,
               AWS_SESSION_TOKEN=SESSION_TOKEN, AWS_DEFAULT_REGION="us-east-1",
               PYTHONUNBUFFERED="1", COLUMNS="160")
    for var in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "STACKPROBE_ENV", "GITHUB_ACTIONS", "GITLAB_CI"):
        env.pop(var, None)
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "suites/stack",
           "--env", env_arg, f"--alluredir={out / 'allure-results'}",
           f"--junitxml={out / 'junit.xml'}", *args]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    return Run(name, proc.returncode, proc.stdout + proc.stderr, out)


@pytest.fixture(scope="session")
def report_runs(moto_endpoint, tmp_path_factory) -> dict[str, Run]:
    """A healthy run, then the same stack shape with one injected fault under -n 2."""
    base = tmp_path_factory.mktemp("report-runs")
    return {
        "healthy": run_suite(base, "healthy", moto_endpoint),
        "faulted": run_suite(base, "faulted", moto_endpoint, "-n", "2", fault=True),
    }
