"""Nothing orphaned: a run interrupted during its deploy or during its tests (SIGINT,
SIGTERM, pytest-timeout in either method, its own deploy timeout) deletes the stack it
created; the stack's buckets are emptied (every version) so the delete can succeed."""
from __future__ import annotations

import signal

import pytest

from fixtures import stack as stackmod

from .conftest import PAUSE, clean_env, env_file, run, session, stacks, start_run, wait_for


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("phase", ["deploy", "run"])
def test_interrupt_leaves_no_stack(emulator, tmp_path, sig, phase):
    prefix = f"int-{phase}-{sig.name.lower()}"
    marker = tmp_path / "held"
    envfile = env_file(tmp_path, emulator.endpoint, prefix)
    if phase == "deploy":
        proc = start_run(["suites/stack", "--env", str(envfile)], tmp_path / "reports",
                         plugins=("tests.reliability.slowdeploy",),
                         env=clean_env(STACKPROBE_SLOW_DEPLOY_MARKER=str(marker)))
    else:
        proc = start_run(["suites/stack", PAUSE, "--env", str(envfile)], tmp_path / "reports",
                         env=clean_env(STACKPROBE_PAUSE_MARKER=str(marker)))
    wait_for(marker, proc, f"the {phase}")
    assert [s["StackStatus"] for s in stacks(emulator.endpoint, prefix)] == ["CREATE_COMPLETE"]
    proc.send_signal(sig)
    out, _ = proc.communicate(timeout=90)
    assert [s["StackStatus"] for s in stacks(emulator.endpoint, prefix)] == ["DELETE_COMPLETE"], out
    assert proc.returncode == 2, out  # interrupted, not "tests failed"


@pytest.mark.parametrize("method", ["signal", "thread"])
def test_pytest_timeout_leaves_no_stack(emulator, tmp_path, method):
    """thread: pytest-timeout ends the process with os._exit(1), skipping every cleanup;
    the plugin deletes the stack first."""
    prefix = f"timeout-{method}"
    envfile = env_file(tmp_path, emulator.endpoint, prefix)
    code, out = run(["suites/stack", PAUSE, "--env", str(envfile), "--timeout", "3",
                     f"--timeout-method={method}"], tmp_path / "reports",
                    env=clean_env(STACKPROBE_PAUSE_MARKER=str(tmp_path / "held")))
    assert code == 1, out
    assert "Timeout" in out
    assert [s["StackStatus"] for s in stacks(emulator.endpoint, prefix)] == ["DELETE_COMPLETE"], out


def test_deploy_timeout_deletes_the_stack_and_says_so(emulator, tmp_path):
    prefix = "deploy-timeout"
    envfile = env_file(tmp_path, emulator.endpoint, prefix)
    code, out = run(["suites/stack", "--env", str(envfile)], tmp_path / "reports",
                    plugins=("tests.reliability.slowdeploy",),
                    env=clean_env(STACKPROBE_SLOW_DEPLOY_SECONDS="0.5",
                                  STACKPROBE_SLOW_DEPLOY_RESULT="timeout"))
    assert code == 4, out
    assert "not complete after" in out and "deploy_timeout_minutes" in out
    assert "Traceback" not in out
    assert [s["StackStatus"] for s in stacks(emulator.endpoint, prefix)] == ["DELETE_COMPLETE"], out


def test_versioned_buckets_are_emptied_before_the_delete(emulator):
    s = session(emulator.endpoint)
    name = "versioned-buckets"
    stackmod.deploy(s, "tests/lifecycle/mini.yaml", name, timeout=60, out=lambda _: None)
    s3 = s.client("s3")
    bucket = s.client("cloudformation").describe_stack_resource(
        StackName=name, LogicalResourceId="Bucket")["StackResourceDetail"]["PhysicalResourceId"]
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    for i in range(3):
        s3.put_object(Bucket=bucket, Key="index.html", Body=f"v{i}".encode())
    s3.put_object(Bucket=bucket, Key="other.txt", Body=b"x")
    s3.delete_object(Bucket=bucket, Key="other.txt")  # leaves a delete marker
    versions = s3.list_object_versions(Bucket=bucket)
    assert len(versions["Versions"]) == 4 and len(versions["DeleteMarkers"]) == 1

    stackmod.delete(s, name, timeout=60, out=lambda _: None)

    statuses = [x["StackStatus"] for x in s.client("cloudformation").list_stacks()["StackSummaries"]
                if x["StackName"] == name]
    assert statuses == ["DELETE_COMPLETE"]
    assert bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert "s3:DeleteObjects" in s.mutations
