"""Interruptions, as an impatient on-call engineer makes them: Ctrl-C during the tests,
during the deploy and (twice) during the teardown. The teardown is shielded, no traceback
is printed, an abandoned teardown prints the command that removes the stack, and every
run leaves a reports folder that says how it ended."""
from __future__ import annotations

import json
import signal
import time

import pytest

from .conftest import PAUSE, clean_env, env_file, stacks, start_run, wait_for

pytestmark = pytest.mark.xdist_group("reliability")


def _summary(reports) -> dict:
    return json.loads((reports / "summary.json").read_text())


def test_ctrl_c_during_the_tests_leaves_a_report_that_says_interrupted(emulator, tmp_path):
    reports = tmp_path / "reports"
    (reports).mkdir()
    (reports / "summary.json").write_text('{"verdict": "passed"}')  # a previous run's
    envfile = env_file(tmp_path, emulator.endpoint, "int-report")
    proc = start_run(["suites/stack", PAUSE, "--env", str(envfile)], reports,
                     env=clean_env(STACKPROBE_PAUSE_MARKER=str(tmp_path / "held")))
    wait_for(tmp_path / "held", proc, "the tests")
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=90)
    assert proc.returncode == 2, out
    assert "Traceback" not in out, out
    assert "verdict by layer" in out and "exit 2: interrupted" in out, out
    s = _summary(reports)
    assert s["verdict"] == "interrupted" and s["exit_status"] == 2, s
    assert (reports / "junit.xml").is_file()


def test_ctrl_c_during_the_deploy_leaves_a_report_that_says_interrupted(emulator, tmp_path):
    reports = tmp_path / "reports"
    envfile = env_file(tmp_path, emulator.endpoint, "int-deploy-report")
    proc = start_run(["suites/stack", "--env", str(envfile)], reports,
                     plugins=("tests.reliability.slowdeploy",),
                     env=clean_env(STACKPROBE_SLOW_DEPLOY_MARKER=str(tmp_path / "held")))
    wait_for(tmp_path / "held", proc, "the deploy")
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=90)
    assert proc.returncode == 2, out
    s = _summary(reports)
    assert s["verdict"] == "interrupted" and "before the tests" in s["reason"], s
    assert [x["StackStatus"] for x in stacks(emulator.endpoint, "int-deploy-report")] \
        == ["DELETE_COMPLETE"], out


@pytest.mark.parametrize("presses", [1, 2], ids=["once-teardown-goes-on", "twice-abandons"])
def test_ctrl_c_during_the_teardown(emulator, tmp_path, presses):
    prefix = f"int-teardown-{presses}"
    envfile = env_file(tmp_path, emulator.endpoint, prefix)
    proc = start_run(["suites/stack", "--env", str(envfile)], tmp_path / "reports",
                     plugins=("tests.reliability.slowdelete",),
                     env=clean_env(STACKPROBE_SLOW_DELETE_MARKER=str(tmp_path / "deleting"),
                                   STACKPROBE_SLOW_DELETE_SECONDS="4"))
    wait_for(tmp_path / "deleting", proc, "the teardown")
    for _ in range(presses):
        proc.send_signal(signal.SIGINT)
        time.sleep(0.3)
    out, _ = proc.communicate(timeout=90)
    assert "Traceback" not in out, out
    name = (tmp_path / "deleting").read_text()
    assert f"tearing down stack {name}, Ctrl-C again within 5 s to abandon" in out, out
    status = [x["StackStatus"] for x in stacks(emulator.endpoint, prefix)]
    if presses == 1:
        assert f"stack {name} deleted" in out and status == ["DELETE_COMPLETE"], out
    else:
        assert "ABANDONED" in out, out
        assert f"pytest --sweep --sweep-confirm --sweep-older-than 0 --sweep-stack {name}" in out, out
