"""Nothing orphaned: a run interrupted during its deploy or during its tests (SIGINT,
SIGTERM, pytest-timeout in either method, its own deploy timeout) deletes the stack it
created; the stack's buckets are emptied (every version) so the delete can succeed."""
from __future__ import annotations

import signal

import pytest

from fixtures import stack as stackmod

from .conftest import PAUSE, ROOT, clean_env, env_file, run, session, stacks, start_run, wait_for


def _all_stacks(s) -> list[dict]:
    """Every stack summary, every page (other tests' stacks share the emulator; 100 a page)."""
    return [x for page in s.client("cloudformation").get_paginator("list_stacks").paginate()
            for x in page["StackSummaries"]]


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

    statuses = [x["StackStatus"] for x in _all_stacks(s) if x["StackName"] == name]
    assert statuses == ["DELETE_COMPLETE"]
    assert bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert "s3:DeleteObjects" in s.mutations


def _late_log_files(emulator, monkeypatch, name: str, lands_after: int | None) -> tuple:
    """A deployed mini stack whose bucket receives a log file after each emptying (after the
    first ``lands_after`` ones, or every one when None), as late log delivery does."""
    s = session(emulator.endpoint)
    stackmod.deploy(s, "tests/lifecycle/mini.yaml", name, timeout=60, out=lambda _: None)
    s3 = s.client("s3")
    bucket = s.client("cloudformation").describe_stack_resource(
        StackName=name, LogicalResourceId="Bucket")["StackResourceDetail"]["PhysicalResourceId"]
    original = stackmod.empty_buckets
    calls: list[str] = []

    def empty_then_a_log_lands(session_, stack_name):
        original(session_, stack_name)
        calls.append(stack_name)
        if lands_after is None or len(calls) <= lands_after:
            s3.put_object(Bucket=bucket, Key="AWSLogs/late.gz", Body=b"x")

    monkeypatch.setattr(stackmod, "empty_buckets", empty_then_a_log_lands)
    return s, bucket, calls


def test_teardown_survives_a_late_log_file(emulator, monkeypatch):
    """Log delivery writes into a bucket after it was emptied: the first DeleteStack ends
    DELETE_FAILED (BucketNotEmpty); the teardown empties again, retries with a new
    ClientRequestToken and ends DELETE_COMPLETE."""
    name = "late-log-file"
    s, _, calls = _late_log_files(emulator, monkeypatch, name, lands_after=1)
    said: list[str] = []
    stackmod.delete(s, name, timeout=60, out=said.append)

    statuses = [x["StackStatus"] for x in _all_stacks(s) if x["StackName"] == name]
    assert statuses == ["DELETE_COMPLETE"]
    assert len(calls) == 2
    retry = [line for line in said if "attempt 2 of" in line]
    assert retry and "BucketNotEmpty" in retry[0] and "emptying again" in retry[0], said


def test_a_delete_that_keeps_failing_names_what_is_left_and_the_command(emulator, monkeypatch):
    name = "always-late-log-file"
    s, bucket, _ = _late_log_files(emulator, monkeypatch, name, lands_after=None)
    with pytest.raises(stackmod.DeployError) as err:
        stackmod.delete(s, name, timeout=60, out=lambda _: None, attempts=2)
    text = str(err.value)
    assert "not deleted (failed, 2 attempt(s))" in text and "BucketNotEmpty" in text
    assert "Left: " in text and f"Bucket (AWS::S3::Bucket {bucket})" in text
    assert f"aws s3 rm s3://{bucket} --recursive" in text
    assert f"aws cloudformation delete-stack --stack-name {name}" in text
    monkeypatch.undo()
    stackmod.delete(s, name, timeout=60, out=lambda _: None)


def test_a_template_above_the_inline_limit_goes_through_s3_and_leaves_nothing(emulator, tmp_path):
    """Above 51,200 bytes CreateStack takes a TemplateURL: the template is staged in a
    bucket of the run's own, which is gone once CloudFormation has the template."""
    s = session(emulator.endpoint)
    body = (ROOT / "tests/lifecycle/mini.yaml").read_text()
    pad = "# " + "x" * 98 + "\n"
    big = tmp_path / "big.yaml"
    big.write_text(body + pad * (stackmod.TEMPLATE_BODY_LIMIT // len(pad) + 5))
    assert len(big.read_bytes()) > stackmod.TEMPLATE_BODY_LIMIT
    s3 = s.client("s3")
    before = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    outputs = stackmod.deploy(s, big, "big-template", timeout=60, out=lambda _: None)
    assert outputs["BucketName"]
    after = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert not [b for b in after - before if b.startswith("stackprobe-templates-")], after - before
    assert "cloudformation:CreateStack" in s.mutations
    stackmod.delete(s, "big-template", timeout=60, out=lambda _: None)
