"""The HTML report, checked in a real browser: built with the pinned Allure 3 from the
results of real runs (healthy, then one injected fault), opened from file:// in headless
Chromium. Grouping by layer, the failing probe, its fix and its evidence must render; the
history must carry over between builds; two results directories must merge.

Installs what it needs through reports/install-browser.sh and FAILS (never skips) when it
cannot: a report nobody can open is a broken deliverable."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.reports.conftest import FAILING_PROBE, FAILING_TITLE, ROOT

pytestmark = pytest.mark.xdist_group("reports")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage"]
# Virtual time can run out before a loaded machine has parsed the 4 MB page: retry longer.
BUDGETS_MS = (15_000, 40_000, 90_000)
SCREENSHOT = ROOT / "docs" / "report-screenshot.png"


@pytest.fixture(scope="module")
def tools():
    proc = subprocess.run(["bash", str(ROOT / "reports" / "install-browser.sh")], capture_output=True,
                          text=True, timeout=900, env={k: v for k, v in os.environ.items()
                                                       if k != "STACKPROBE_SKIP_BROWSER"})
    if proc.returncode != 0:
        pytest.fail(f"cannot install chromium/allure for the report test:\n{proc.stdout}\n{proc.stderr}",
                    pytrace=False)
    chromium = shutil.which("chromium")
    assert chromium, f"install-browser.sh succeeded but chromium is not on PATH:\n{proc.stdout}"
    return chromium


def generate(out: Path, history: Path, *results: Path) -> Path:
    env = dict(os.environ, STACKPROBE_REPORT_DIR=str(out), STACKPROBE_HISTORY=str(history))
    proc = subprocess.run(["npx", "--prefix", "reports", "allure", "generate", "--config",
                           "reports/allurerc.mjs", *map(str, results)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    index = out / "index.html"
    assert index.is_file() and [p.name for p in out.iterdir() if p.suffix == ".html"] == ["index.html"], \
        f"expected one self-contained index.html in {out}: {list(out.iterdir())}"
    return index


def browse(chromium: str, url: str, tmp: Path, *extra: str, budget: int = BUDGETS_MS[0]) -> str:
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    proc = subprocess.run([chromium, *CHROMIUM_FLAGS, f"--virtual-time-budget={budget}",
                           f"--user-data-dir={profile}", *extra, url],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def rendered(chromium: str, url: str, tmp: Path, *must: str) -> str:
    """The page's visible text once it shows every string in ``must`` (or the last try's)."""
    for budget in BUDGETS_MS:
        text = visible_text(browse(chromium, url, tmp, "--dump-dom", budget=budget))
        if all(m in text for m in must):
            break
    return text


def visible_text(dom: str) -> str:
    dom = re.sub(r"<(script|style)\b.*?</\1>", " ", dom, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", dom))


def result_id(out: Path, title: str) -> str:
    by_id = json.loads((out / "test-results.json").read_text())["byId"]
    return next(i for i, r in by_id.items() if r["name"] == title)


def test_report_renders_layers_failure_fix_and_evidence(tools, report_runs, tmp_path):
    healthy, faulted = report_runs["healthy"], report_runs["faulted"]
    history = tmp_path / "history.jsonl"
    generate(tmp_path / "first", history, healthy.allure)
    out = tmp_path / "report"
    index = generate(out, history, faulted.allure)
    # History carried over: two builds, two entries; the second report knows the first.
    assert len(history.read_text().splitlines()) == 2

    layers = json.loads(faulted.summary.read_text())["layers"]
    overview = rendered(tools, index.as_uri(), tmp_path, FAILING_TITLE, *layers)
    assert "Failed to fetch" not in overview, overview[:2000]
    for layer in layers:
        assert layer in overview, f"layer {layer} not in the report tree: {overview[:2000]}"
    assert FAILING_TITLE in overview and "stackprobe" in overview

    detail = rendered(tools, f"{index.as_uri()}#{result_id(out, FAILING_TITLE)}", tmp_path,
                      "missing or empty outputs", "evidence (findings)")
    assert "missing or empty outputs: VpcId" in detail, detail[:3000]
    assert "Fix: Redeploy the stack" in detail
    assert "evidence (findings)" in detail and "AWS reads:" in detail
    assert "runbook: stack" in detail and FAILING_PROBE in detail
    assert "stack drift or incomplete stack" in detail  # the category from categories.json

    shot = tmp_path / "report.png"
    browse(tools, f"{index.as_uri()}#{result_id(out, FAILING_TITLE)}", tmp_path,
           f"--screenshot={shot}", "--window-size=1440,900", "--hide-scrollbars", budget=BUDGETS_MS[1])
    assert shot.is_file() and shot.stat().st_size > 20_000, "screenshot is blank or missing"
    if os.environ.get("STACKPROBE_UPDATE_SCREENSHOT") == "1":
        SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(shot, SCREENSHOT)


def test_results_of_parallel_jobs_merge_into_one_report(tools, report_runs, tmp_path):
    out = tmp_path / "merged"
    index = generate(out, tmp_path / "history.jsonl",
                     report_runs["healthy"].allure, report_runs["faulted"].allure)
    stats = json.loads((out / "summary.json").read_text())["stats"]
    assert stats["total"] == 4 and stats["failed"] == 1, stats  # 2 probes x 2 environments
    text = rendered(tools, index.as_uri(), tmp_path, "healthy-us-east-1", "faulted-us-east-1")
    assert "healthy-us-east-1" in text and "faulted-us-east-1" in text, text[:2000]
