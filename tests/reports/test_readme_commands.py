"""Every command the README shows runs as written, after the two set-up commands and the
activation line (here: this interpreter's bin directory first on PATH, as activation
does). Each runs in a cheap mode: pytest lines with ``--collect-only`` (options, markers
and --env are checked there), ``--help`` for the benchmark, tox lines against tox.ini,
and for real where it is cheap on the embedded target (the standalone emulator, the
attach run against it, the sweeper)."""
from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.reports.conftest import ROOT

pytestmark = pytest.mark.xdist_group("readme")
README = ROOT / "README.md"
STARTS = ("pytest", "python -m ", "tox -e ", "AWS_ENDPOINT_URL=")
SETUP = ("python3 -m venv", ". .tox/local/bin/activate", "bash ")
PLACEHOLDERS = {"<env>": "local", "<layer>": "database"}


def readme_commands() -> list[str]:
    """Inline code and shell-block lines that are commands (usage patterns with [...]
    and the set-up lines themselves excepted)."""
    text = README.read_text()
    found: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        found += [ln.strip() for ln in block.splitlines() if ln.strip() and not ln.startswith("#")]
    found += [" ".join(c.split()) for c in
              re.findall(r"`([^`]+)`", re.sub(r"```.*?```", "", text, flags=re.S))]
    commands = []
    for c in found:
        c = c.strip()
        if c.startswith(SETUP) or "[" in c or "…" in c:
            continue
        if c.startswith(STARTS) and (c == "pytest" or not c.startswith("pytest") or c[6] == " "):
            commands.append(c)
    return list(dict.fromkeys(commands))


COMMANDS = readme_commands()


def test_the_readme_shows_the_commands_a_user_needs():
    assert "pytest" in COMMANDS and "pytest --env prod -m database" in COMMANDS
    assert "python -m fixtures.emulator --deploy" in COMMANDS
    assert any(c.startswith("AWS_ENDPOINT_URL=") for c in COMMANDS), COMMANDS
    assert len(COMMANDS) >= 10, COMMANDS


@pytest.fixture(scope="module")
def standalone():
    """The README's ``python -m fixtures.emulator --deploy``, run as shown."""
    proc = subprocess.Popen(shlex.split("python -m fixtures.emulator --deploy"), cwd=ROOT,
                            env=_activated(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    line = proc.stdout.readline()
    assert line, proc.stderr.read()
    yield json.loads(line)
    proc.terminate()
    proc.wait(timeout=30)


def _activated(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTEST_", "AWS_", "STACKPROBE_"))}
    env.update(PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
               AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_EC2_METADATA_DISABLED="true", **extra)
    return env


def _cheap(command: str, tmp_path: Path, standalone: dict) -> tuple[str, set[int]]:
    """The command in its cheap mode and the exit codes that mean "works as written"."""
    for key, value in {**PLACEHOLDERS, "<endpoint>": standalone["endpoint"],
                       "<stack_name>": standalone["stack_name"]}.items():
        command = command.replace(key, value)
    if command.startswith("AWS_ENDPOINT_URL=") or " --sweep" in command:
        return command, {0}  # for real: against the standalone emulator / a fresh embedded one
    if command.startswith("pytest"):
        return (command if "--markers" in command else f"{command} --collect-only -q"), {0}
    if command.startswith("python -m benchmarks.bench"):
        return f"{command} --help", {0}
    raise AssertionError(f"no cheap mode for {command!r}")


@pytest.mark.parametrize("command", [c for c in COMMANDS if not c.startswith(("tox ", "python -m fixtures.emulator"))])
def test_readme_command_runs_as_written(command, tmp_path, standalone):
    cheap, ok = _cheap(command, tmp_path, standalone)
    env = _activated(PYTEST_ADDOPTS=f"--reports-dir={tmp_path / 'reports'} -p no:randomly")
    proc = subprocess.run(["bash", "-c", cheap], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode in ok, f"{cheap}\n{out[-3000:]}"
    assert "Traceback" not in out and "unrecognized arguments" not in out, out[-3000:]


@pytest.mark.parametrize("command", [c for c in COMMANDS if c.startswith("tox ")])
def test_readme_tox_environments_exist(command):
    ini = (ROOT / "tox.ini").read_text()
    for name in shlex.split(command)[2].split(","):
        assert f"[testenv:{name}]" in ini, f"{command}: no [testenv:{name}] in tox.ini"
