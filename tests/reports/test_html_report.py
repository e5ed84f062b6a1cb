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
# A screenshot of the loading spinner is ~21 KB (a blank page ~6 KB); a rendered report is
# several times larger.
SCREENSHOT_WAIT_MS = 30_000
RENDERED_PNG_BYTES = 60_000
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


def screenshot(chromium: str, url: str, tmp: Path, shot: Path, tries: int = 8) -> None:
    """Headless Chromium takes its picture when the page says it loaded, which for this
    single-file report is sometimes still the loading spinner: try again until the picture
    shows a rendered report."""
    size = 0
    for _ in range(tries):
        profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
        proc = subprocess.run([chromium, *CHROMIUM_FLAGS, f"--timeout={SCREENSHOT_WAIT_MS}",
                               f"--user-data-dir={profile}", f"--screenshot={shot}",
                               "--window-size=1440,900", "--hide-scrollbars", url],
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr[-3000:]
        size = shot.stat().st_size if shot.is_file() else 0
        if size > RENDERED_PNG_BYTES:
            return
    pytest.fail(f"{shot.name} shows no rendered report after {tries} tries ({size} bytes)",
                pytrace=False)


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
    assert "runbook: stack" in detail and FAILING_PROBE in detail  # attached text, no file:// link
    assert "stack drift or incomplete stack" in detail  # the category from categories.json

    shot = tmp_path / "report.png"
    screenshot(tools, f"{index.as_uri()}#{result_id(out, FAILING_TITLE)}", tmp_path, shot)
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


# ---- a run with failures in three layers -------------------------------------------------
THREE_LAYER_FAULTS = ("net-nat-gateway-deleted", "db-backups-off", "alarm-actions-disabled")
SCREENSHOTS = {"overview": "report-overview.png", "failure": "report-failure.png"}


@pytest.fixture(scope="module")
def three_layers(lab, tmp_path_factory):
    """The bundled stack on the emulator with one fault in each of network, database and
    observability (the network fault cuts the request path), probed by an attach run."""
    from tests.faults.catalog import all_faults
    from tests.reliability.conftest import clean_env, env_file, run

    stack = lab.deploy()
    faults = {f.id: f for f in all_faults()}
    for fault_id in THREE_LAYER_FAULTS:
        faults[fault_id].inject(stack)
    base = tmp_path_factory.mktemp("three-layers")
    envfile = env_file(base, stack.endpoint, "three", mode="attach", stack=stack.name,
                       allow_mutations=False)
    code, out = run(["suites", "--env", str(envfile), "--stack-name", stack.name], base / "r",
                    timeout=300, env=clean_env())
    assert code == 1, out
    return base / "r", out


def report_categories(index: Path) -> dict[str, int]:
    """The categories the single-file report shows, with their totals (its embedded
    widgets/categories.json)."""
    import base64
    m = re.search(r'd\("widgets/categories.json","([^"]+)"\)', index.read_text())
    assert m, "no categories in the report"
    doc = json.loads(base64.b64decode(m.group(1)))
    return {doc["nodes"][r]["name"]: doc["nodes"][r]["statistic"]["total"] for r in doc["roots"]}


def _results(alluredir: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in alluredir.glob("*-result.json")]


def _label(result: dict, name: str) -> str | None:
    return next((label["value"] for label in result["labels"] if label["name"] == name), None)


def test_three_layer_run_categories_order_and_step_statuses(tools, three_layers, tmp_path):
    reports, out = three_layers
    results = _results(reports / "allure-results")
    failed = {_label(r, "probe_id"): r for r in results if r["status"] == "failed"}
    # categories from the outcome's fields
    categories = {pid: _label(r, "stackprobe_category") for pid, r in failed.items()}
    assert categories["e2e.request_path"] == "broken request path", categories
    assert categories["database.backups_retained"] == "configuration finding", categories
    assert categories["observability.alarm_actions_notify_topic"] == "alerting gap", categories
    assert {_label(r, "stackprobe_category") for r in results if r["status"] == "skipped"
            and _label(r, "suite") == "live journeys"} <= {"emulator limitation", None}
    # a failed finding is a failed step, not a green tick; no "?" teardown rows
    steps = [s for r in failed.values() for s in r.get("steps", []) if s["name"].startswith("failed: ")]
    assert steps and all(s["status"] == "failed" for s in steps), steps
    for container in (reports / "allure-results").glob("*-container.json"):
        assert all(a.get("status") for a in json.loads(container.read_text()).get("afters", []))
    # the terminal leads with the first broken hop
    section = out[out.index("stackprobe: verdict by layer"):]
    assert section.splitlines()[1].startswith("FIRST BROKEN HOP:"), section[:600]

    out_dir = tmp_path / "report"
    index = generate(out_dir, tmp_path / "history.jsonl", reports / "allure-results")
    by_id = json.loads((out_dir / "test-results.json").read_text())["byId"]
    shown = report_categories(index)
    assert shown == {"broken request path": 1, "alerting gap": 1, "configuration finding": 2}, shown

    overview = rendered(tools, index.as_uri(), tmp_path, "01 stack", "11 e2e")
    positions = [overview.find(f"{i:02d} {layer}") for i, layer in
                 ((1, "stack"), (7, "network"), (9, "database"), (10, "observability"), (11, "e2e"))]
    assert -1 not in positions and positions == sorted(positions), (positions, overview[:2000])
    assert "suites.e2e" not in overview

    e2e = next(i for i, r in by_id.items() if r["status"] == "failed" and "request path" in r["name"])
    shots = {"overview": index.as_uri(), "failure": f"{index.as_uri()}#{e2e}"}
    for name, url in shots.items():
        shot = tmp_path / SCREENSHOTS[name]
        screenshot(tools, url, tmp_path, shot)
        if os.environ.get("STACKPROBE_UPDATE_SCREENSHOT") == "1":
            shutil.copyfile(shot, SCREENSHOT.parent / SCREENSHOTS[name])
