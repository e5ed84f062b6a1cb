"""The benchmark runs: ``python -m benchmarks.bench --quick`` (one full embedded run, one
attach run, one stack through the library runner, the fill case at 0 and 200) writes its
JSON and prints its table.

Timing budgets are the benchmark's business, not a test's (DESIGN.md section 6): this only
checks that it runs, that its numbers have the promised shape, and the counts that do not
depend on the machine: exactly one CreateStack, no read repeated beyond the 0.9 ratio.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.xdist_group("bench")
def test_quick_bench_runs_and_writes_its_json(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    proc = subprocess.run([sys.executable, "-m", "benchmarks.bench", "--quick", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=480)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "budgets:" in proc.stdout and "full (-n 0)" in proc.stdout
    doc = json.loads(out.read_text())

    full = doc["full"]
    assert full["n"] == 1 and full["exit"] == [0] and full["verdict"] == "passed"
    assert full["wall_s"] > 0
    assert set(full["phases_s"]) >= {"startup", "emulator_start", "deploy", "tests", "teardown"}
    assert full["create_stack_sent"] == 1, "the client sent more than one CreateStack"
    assert full["emulator_stacks_created"] == 1, "the emulator holds more than one stack"
    calls = full["probe_calls"]
    assert calls["reads"] >= calls["distinct_reads"] > 0
    assert calls["distinct_per_read"] >= 0.9

    attach = doc["attach"]["database"]
    assert attach["exit"] == [0] and attach["wall_s"] > 0
    assert attach["create_stack_sent"] == 0 and attach["probe_calls"]["reads"] > 0
    assert doc["emulator"]["stacks_after"] == doc["emulator"]["stacks_before_attach_runs"] == 1

    one = doc["scale"]["library_one_process"]["1"]
    assert one["wall_s"] > 0 and one["max_rss_mb"] > 0 and one["reads_per_stack"][0] > 0

    fill = doc["fill"]["by_size"]
    assert list(fill) == ["0", "200"] and fill["200"]["exit"] == [0]
    assert fill["200"]["reads_identical"] is True, fill["200"]
    assert "fill: attach run" in proc.stdout

    assert doc["verdicts"]["one_create_stack_whatever_n"]["ok"] is True
    assert doc["verdicts"]["distinct_reads_per_read_ge_0.9"]["ok"] is True
