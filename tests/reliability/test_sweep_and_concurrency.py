"""Orphans are found by tag and age, listed without harm by default, deleted only on
confirmation; two runs at once never collide (ports, stack names, reports folders)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from fixtures import stack as stackmod
from fixtures import sweep as sweepmod

from .conftest import MINI, PAUSE, clean_env, env_file, run, session, stacks, start_run


def _deploy(endpoint: str, name: str, created: datetime | None, managed: bool = True) -> None:
    tags = stackmod.run_tags(f"run-{name}") if managed else [{"Key": "team", "Value": "web"}]
    if created:
        tags = [dict(t, Value=created.isoformat(timespec="seconds"))
                if t["Key"] == "stackprobe:created" else t for t in tags]
    stackmod.deploy(session(endpoint), MINI, name, tags=tags, timeout=60, out=lambda _: None)


def _status(endpoint: str, name: str) -> str:
    return next(s["StackStatus"] for s in stacks(endpoint, name.rsplit("-", 1)[0])
                if s["StackName"] == name)


def test_parse_age_and_table():
    assert sweepmod.parse_age("6h") == timedelta(hours=6)
    assert sweepmod.parse_age("30m") == timedelta(minutes=30)
    assert sweepmod.parse_age("0") == timedelta(0)
    with pytest.raises(sweepmod.SweepError, match="Fix: use a number with a unit"):
        sweepmod.parse_age("six hours")
    now = datetime(2030, 1, 2, tzinfo=timezone.utc)
    o = sweepmod.Orphan("sp-x", "CREATE_COMPLETE", now - timedelta(hours=7, minutes=5), "ci", "r1")
    table = sweepmod.format_table([o], now=now).splitlines()
    assert table[0].split() == ["NAME", "AGE", "OWNER", "RUN", "ID", "STATUS"]
    assert table[1].split() == ["sp-x", "7h05m", "ci", "r1", "CREATE_COMPLETE"]


def test_sweep_lists_then_deletes_only_old_managed_stacks(emulator, tmp_path):
    ep = emulator.endpoint
    old = datetime.now(timezone.utc) - timedelta(hours=8)
    _deploy(ep, "sweep-old-1", old)
    _deploy(ep, "sweep-young-1", None)                 # a run in progress: too young
    _deploy(ep, "sweep-foreign-1", old, managed=False)  # not ours: never touched
    envfile = env_file(tmp_path, ep, "sweeper")

    code, out = run(["--sweep", f"--env={envfile}"], tmp_path / "r1")
    assert code == 0, out
    assert "sweep-old-1" in out and "sweep-foreign-1" not in out
    young = out.split("young (under 6h", 1)[1]  # the orphan a run just made is shown, marked young
    assert "sweep-young-1" in young and "sweep-old-1" not in young, out
    header = next(ln for ln in out.splitlines() if ln.startswith("NAME"))
    assert header.split() == ["NAME", "AGE", "OWNER", "RUN", "ID", "STATUS"]
    assert "dry run: nothing deleted" in out and "passed" not in out  # runs no tests
    assert _status(ep, "sweep-old-1") == "CREATE_COMPLETE"

    code, out = run(["--sweep", "--sweep-confirm", f"--env={envfile}"], tmp_path / "r2")
    assert code == 0, out
    assert "deleted sweep-old-1" in out
    assert _status(ep, "sweep-old-1") == "DELETE_COMPLETE"
    assert _status(ep, "sweep-young-1") == "CREATE_COMPLETE"
    assert _status(ep, "sweep-foreign-1") == "CREATE_COMPLETE"


def test_sweep_bad_age_is_exit_4(tmp_path):
    code, out = run(["--sweep", "--sweep-older-than", "soon"], tmp_path / "r")
    assert code == 4 and "could not run" in out and "Fix:" in out and "Traceback" not in out, out


def test_two_embedded_runs_at_once_never_collide(tmp_path):
    """Embedded target (each run its own emulator on a free port), same stack prefix,
    one reports folder each."""
    envfile = env_file(tmp_path, None, "twins")
    procs = [start_run(["suites/stack", f"--env={envfile}"], tmp_path / f"r{i}") for i in (1, 2)]
    outs = [p.communicate(timeout=300)[0] for p in procs]
    for p, out in zip(procs, outs, strict=True):
        assert p.returncode == 0, out
    import json
    calls = [json.loads((tmp_path / f"r{i}" / "aws-calls.json").read_text()) for i in (1, 2)]
    assert calls[0]["stack_name"] != calls[1]["stack_name"]
    for i in (1, 2):
        assert (tmp_path / f"r{i}" / "junit.xml").exists()
        assert (tmp_path / f"r{i}" / "summary.json").exists()
        assert any((tmp_path / f"r{i}" / "allure-results").glob("*-result.json"))


def test_second_run_on_a_busy_reports_folder_stops_with_the_fix(emulator, tmp_path):
    marker = tmp_path / "held"
    reports = tmp_path / "shared"
    first = start_run(["suites/stack", PAUSE, "--env", str(env_file(tmp_path, emulator.endpoint,
                                                                     "busy-first"))],
                      reports, env=clean_env(STACKPROBE_PAUSE_MARKER=str(marker)))
    try:
        import time
        deadline = time.monotonic() + 90
        while not marker.exists():
            assert first.poll() is None, first.stdout.read()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        code, out = run(["suites/stack", "--env", str(env_file(tmp_path, emulator.endpoint,
                                                               "busy-second"))], reports)
        assert code == 4, out
        assert "is in use by another stackprobe run" in out and "--reports-dir" in out
        assert stacks(emulator.endpoint, "busy-second") == []  # stopped before any deploy
    finally:
        first.terminate()
        first.communicate(timeout=90)
    assert [s["StackStatus"] for s in stacks(emulator.endpoint, "busy-first")] == ["DELETE_COMPLETE"]


DB_TEMPLATE = """AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Database:
    Type: AWS::RDS::DBInstance
    DeletionPolicy: Snapshot
    Properties:
      Engine: postgres
      DBInstanceClass: db.t3.micro
      AllocatedStorage: '20'
      MasterUsername: app_admin
      ManageMasterUserPassword: true
"""


def test_sweep_deletes_the_final_snapshot_as_a_teardown_does(emulator, tmp_path):
    """A swept stack's DeletionPolicy: Snapshot leaves a final DB snapshot (test data) that
    would pile up night after night: the sweep deletes it, as the run's own teardown does."""
    template = tmp_path / "db.yaml"
    template.write_text(DB_TEMPLATE)
    s = session(emulator.endpoint)
    name = "sweep-snap-1"
    stackmod.deploy(s, template, name, tags=stackmod.run_tags("run-snap"), timeout=60, out=lambda _: None)
    db = s.client("cloudformation").describe_stack_resource(
        StackName=name, LogicalResourceId="Database")["StackResourceDetail"]["PhysicalResourceId"]
    orphan = next(o for o in sweepmod.find_orphans(s, timedelta(0)) if o.name == name)
    said: list[str] = []
    assert sweepmod.sweep(s, [orphan], out=said.append) == []
    assert _status(emulator.endpoint, name) == "DELETE_COMPLETE"
    rds = s.client("rds")
    assert rds.describe_db_snapshots(DBInstanceIdentifier=db, SnapshotType="manual")["DBSnapshots"] == []
    assert any("deleted final snapshot" in line for line in said), said


def test_nested_stacks_are_never_swept_on_their_own():
    """A nested stack inherits its root's stackprobe tags; deleting it apart would leave the
    root broken. Only the root is an orphan; its delete takes the children."""
    from datetime import datetime, timezone

    tags = [{"Key": sweepmod.MANAGED_TAG, "Value": "true"}]
    created = datetime(2026, 1, 1, tzinfo=timezone.utc)
    stacks = [{"StackName": "run-1", "StackStatus": "CREATE_COMPLETE", "CreationTime": created, "Tags": tags},
              {"StackName": "run-1-Data-X1", "StackStatus": "CREATE_COMPLETE", "CreationTime": created,
               "Tags": tags, "ParentId": "arn:aws:cloudformation:us-east-1:1:stack/run-1/a",
               "RootId": "arn:aws:cloudformation:us-east-1:1:stack/run-1/a"}]

    class Paginator:
        def paginate(self):
            return [{"Stacks": stacks}]

    class Cfn:
        def get_paginator(self, name):
            assert name == "describe_stacks"
            return Paginator()

    class Session:
        def client(self, service):
            return Cfn()

    assert [o.name for o in sweepmod.find_orphans(Session(), timedelta(0))] == ["run-1"]
