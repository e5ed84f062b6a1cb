"""e2e runs last, and its verdict says which layers already failed in this run.

Directories collect alphabetically, so suites/e2e would run before edge, network and the
rest; the collection hook below moves e2e items to the end. A small recorder sees every
test report, so when the request path is broken the e2e failure can add "layers already
failed: network (2), compute (1)" and the on-call engineer knows where the story started.
Under pytest-xdist the workers write their layer failures to the run's shared directory
(the one the shared reads live in), so the note covers every worker's failures so far.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from probes import path as request_path

SUITES = Path(__file__).resolve().parent.parent
E2E = Path(__file__).resolve().parent
RECORDER = "stackprobe-e2e-layer-failures"


def _layer(fspath: str | Path) -> str | None:
    p = Path(str(fspath))
    p = p if p.is_absolute() else (SUITES.parent / p)
    try:
        return p.resolve().relative_to(SUITES).parts[0]
    except (ValueError, IndexError):
        return None


class LayerFailures:
    """Failed layer tests seen by this process, in the order they failed; under xdist also
    those of the other workers, through ``shared`` (the run's shared directory)."""

    FILE = "layer-tests.jsonl"

    WAIT_SECONDS = 30.0

    def __init__(self, shared: str | None = None) -> None:
        self.failed: dict[str, list[str]] = {}
        self.ran: set[str] = set()
        self.shared = Path(shared) / self.FILE if shared else None
        self.expected = 0  # layer tests in this run's selection (the same on every worker)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        # after -m/-k deselection: the tests that will really run
        self.expected = sum(1 for i in session.items if _layer(i.path) not in (None, "e2e"))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        layer = _layer(report.fspath)
        # one record per test: its call, or the setup that failed or skipped it
        if not layer or layer == "e2e" or (report.when != "call" and report.passed):
            return
        self.ran.add(layer)
        if report.failed:
            self.failed.setdefault(layer, []).append(report.nodeid)
        if self.shared is not None:
            import json

            from filelock import FileLock
            with FileLock(str(self.shared) + ".lock"), self.shared.open("a") as f:
                f.write(json.dumps({"layer": layer, "nodeid": report.nodeid,
                                    "failed": bool(report.failed)}) + "\n")

    def _everyone(self) -> tuple[set[str], dict[str, list[str]]]:
        """Every worker's layer tests. Under load scheduling e2e can start while other
        workers still run layer tests: wait for all of them (bounded), then read."""
        if self.shared is None:
            return self.ran, self.failed
        import json
        import time
        deadline = time.monotonic() + self.WAIT_SECONDS
        while True:
            records = [json.loads(line) for line in
                       (self.shared.read_text().splitlines() if self.shared.exists() else [])]
            if len({r["nodeid"] for r in records}) >= self.expected or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        ran: set[str] = set()
        failed: dict[str, list[str]] = {}
        for rec in records:
            ran.add(rec["layer"])
            if rec["failed"] and rec["nodeid"] not in failed.get(rec["layer"], []):
                failed.setdefault(rec["layer"], []).append(rec["nodeid"])
        return ran, failed

    def note(self, worker: bool) -> str:
        ran, failed = self._everyone()
        scope = " (all xdist workers)" if worker and self.shared else \
            " by this xdist worker" if worker else ""
        if not ran:
            return f"No layer suite ran before e2e{scope} in this run: run pytest (all layers) " \
                   "to see which layer the broken hop belongs to."
        if not failed:
            return f"Layers that ran before e2e{scope} all passed ({', '.join(sorted(ran))})."
        parts = [f"{layer} ({len(ids)})" for layer, ids in failed.items()]
        return f"Layers already failed in this run{scope}: {', '.join(parts)}."


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.has_plugin(RECORDER):
        shared = getattr(config, "workerinput", {}).get("stackprobe_reads")
        config.pluginmanager.register(LayerFailures(shared), RECORDER)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Layer suites first, e2e last (stable otherwise)."""
    e2e = [i for i in items if _layer(i.path) == "e2e"]
    if e2e:
        items[:] = [i for i in items if _layer(i.path) != "e2e"] + e2e


@pytest.fixture
def e2e_verdict(request: pytest.FixtureRequest, pytestconfig: pytest.Config):
    """Wraps an e2e check: attaches the hop table to the report, and appends to a failure
    which layers already failed in this run."""
    from fixtures.plugin import OUTCOME_KEY

    @contextmanager
    def verdict() -> Iterator[None]:
        try:
            yield
        except pytest.fail.Exception as exc:
            recorder = pytestconfig.pluginmanager.get_plugin(RECORDER)
            if recorder is None:
                raise
            note = recorder.note(hasattr(pytestconfig, "workerinput"))
            raise pytest.fail.Exception(f"{exc.msg}\n{note}", pytrace=False) from None
        finally:
            outcome = request.node.stash.get(OUTCOME_KEY, None)
            for finding in (outcome.findings if outcome else []):
                if finding.evidence.get("hops"):
                    _attach(request_path.render_table(
                        request_path.hops_from_evidence(finding.evidence)))
    return verdict()


def _attach(table: str) -> None:
    try:
        import allure
    except ImportError:
        return
    allure.attach(table, name="request path", attachment_type=allure.attachment_type.TEXT)
