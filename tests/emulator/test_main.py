# ruff: noqa: F811  (pytest fixtures imported from _support, so the tests also run with --noconftest)
"""``python -m fixtures.emulator``: one JSON line, serves until SIGINT/SIGTERM."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import boto3

from tests.emulator._support import CREDS, REGION

ROOT = Path(__file__).resolve().parents[2]


def _launch(*args: str) -> tuple[subprocess.Popen, dict]:
    proc = subprocess.Popen([sys.executable, "-m", "fixtures.emulator", *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    assert line, proc.stderr.read()[-3000:]
    return proc, json.loads(line)


def test_standalone_deploy_then_sigint():
    proc, info = _launch("--deploy", "--region", REGION)
    try:
        assert set(info) == {"endpoint", "region", "stack_name"} and info["region"] == REGION
        assert info["stack_name"].startswith("stackprobe-emulator-")
        cfn = boto3.client("cloudformation", endpoint_url=info["endpoint"], region_name=REGION, **CREDS)
        assert cfn.describe_stacks(StackName=info["stack_name"])["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0


def test_standalone_port_then_sigterm():
    from fixtures.emulator.server import free_port

    port = free_port()
    proc, info = _launch("--port", str(port))
    try:
        assert info == {"endpoint": f"http://127.0.0.1:{port}", "region": "us-east-1"}
        sts = boto3.client("sts", endpoint_url=info["endpoint"], region_name=REGION, **CREDS)
        assert sts.get_caller_identity()["Account"] == "123456789012"
    finally:
        proc.terminate()
        assert proc.wait(timeout=30) == 0


def test_standalone_refuses_an_unmodelled_type_through_cloudformation():
    """Any client's CreateStack on the standalone emulator: the type it does not model fails
    its resource (an event naming the type) and the stack rolls back, as in deploy mode."""
    proc, info = _launch()
    try:
        cfn = boto3.client("cloudformation", endpoint_url=info["endpoint"], region_name=REGION, **CREDS)
        body = json.dumps({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"},
                                         "Thing": {"Type": "AWS::GameLift::Fleet"}}})
        stack_id = cfn.create_stack(StackName="standalone-unmodelled", TemplateBody=body)["StackId"]
        assert cfn.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"] == "ROLLBACK_COMPLETE"
        failed = [e for e in cfn.describe_stack_events(StackName=stack_id)["StackEvents"]
                  if e["ResourceStatus"] == "CREATE_FAILED"]
        assert [(e["LogicalResourceId"], e["ResourceType"]) for e in failed] == [("Thing", "AWS::GameLift::Fleet")]
        assert "AWS::GameLift::Fleet" in failed[0]["ResourceStatusReason"]
    finally:
        proc.terminate()
        assert proc.wait(timeout=30) == 0


def test_a_busy_port_is_one_error_and_a_stop_takes_no_poll_interval():
    import socket
    import time

    import pytest

    from fixtures.emulator.server import start

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(RuntimeError, match="address already in use"):
            start(port=busy.getsockname()[1])
    emu = start()
    began = time.monotonic()
    emu.stop()
    assert time.monotonic() - began < 0.3  # moto's own serve_forever polled every 0.5 s
