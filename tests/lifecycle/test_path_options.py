"""``--env PATH`` and ``--reports-dir PATH`` written with a space, the path outside the
checkout: pytest would take the path for a test path and root the run there (issue: the
first hour). The installed entry point ``stackprobe_entry`` starts pytest again with the
option joined by ``=``; called in-process it says how in one line."""
from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# installed: the entry point is declared and its module importable without help
INSTALLED = (any(e.value == "stackprobe_entry"
                 for e in importlib.metadata.entry_points(group="pytest11"))
             and importlib.util.find_spec("stackprobe_entry") is not None)
sys.path.insert(0, str(ROOT / "fixtures" / "entry"))
import stackprobe_entry  # noqa: E402  (the module the wheel installs at top level)

needs_install = pytest.mark.skipif(
    not INSTALLED, reason="the pytest11 entry point comes from the installed distribution "
    "(tox installs it; by hand: pip install -e .), and it is not installed in this interpreter")


@pytest.mark.parametrize("given, expected", [
    (["--env", "/x/e.yaml", "-m", "db"], ["--env=/x/e.yaml", "-m", "db"]),
    (["--reports-dir", "/r", "--env", "prod"], ["--reports-dir=/r", "--env=prod"]),
    (["--env=/x/e.yaml"], ["--env=/x/e.yaml"]),
    (["--env", "-q"], ["--env", "-q"]),          # no value: pytest names the error itself
    (["--", "--env", "/x"], ["--", "--env", "/x"]),
    (["-k", "--env"], ["-k", "--env"]),
])
def test_joined(given, expected):
    assert stackprobe_entry.joined(given)[0] == expected


def _pytest(args: list[str], cwd: Path, code: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    env.pop("STACKPROBE_PATHS_JOINED", None)
    cmd = [sys.executable, "-c", code] if code else [sys.executable, "-m", "pytest", *args]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


@needs_install
def test_env_outside_checkout_with_a_space_is_read(tmp_path):
    bad = tmp_path / "elsewhere" / "bad env.yaml"
    bad.parent.mkdir()
    bad.write_text("target: [oops\n")
    proc = _pytest(["--env", str(bad), "--collect-only", "-q"], ROOT)
    out = proc.stdout + proc.stderr
    # stackprobe's own one-line error about the file proves the option reached it
    assert proc.returncode == 4, out
    assert "unrecognized arguments" not in out
    assert f"{bad}: malformed YAML" in out, out
    assert "Traceback" not in out


@needs_install
def test_reports_dir_outside_checkout_with_a_space(tmp_path):
    target = tmp_path / "a file"
    target.write_text("not a folder")
    proc = _pytest(["--reports-dir", str(target), "--collect-only", "-q"], ROOT)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 4, out
    assert "unrecognized arguments" not in out
    assert str(target) in out and "--reports-dir" in out, out


@needs_install
def test_in_process_says_how(tmp_path):
    bad = tmp_path / "e.yaml"
    bad.write_text("target: embedded\n")
    code = ("import pytest, sys; sys.exit(pytest.main(['--env', %r, '--collect-only', '-q']))"
            % str(bad))
    proc = _pytest([], ROOT, code=code)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 4, out
    assert f"Fix: write it with '=': --env={bad}" in out, out
