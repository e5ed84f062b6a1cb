"""e2e runs last, and its verdict says which layers already failed in this run.

Directories collect alphabetically, so suites/e2e would run before edge, network and the
rest; the collection hook below moves e2e items to the end. A small recorder sees every
test report, so when the request path is broken the e2e failure can add "layers already
failed: network (2), compute (1)" and the on-call engineer knows where the story started.
Under pytest-xdist each worker knows only the tests it ran itself (the note says so);
``-p no:xdist`` or ``-n 0`` gives the whole picture.
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
    """Failed layer tests seen by this process, in the order they failed."""

    def __init__(self) -> None:
        self.failed: dict[str, list[str]] = {}
        self.ran: set[str] = set()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        layer = _layer(report.fspath)
        if not layer or layer == "e2e":
            return
        self.ran.add(layer)
        if report.failed:
            self.failed.setdefault(layer, []).append(report.nodeid)

    def note(self, worker: bool) -> str:
        scope = " by this xdist worker" if worker else ""
        if not self.ran:
            return f"No layer suite ran before e2e{scope} in this run: run pytest (all layers) " \
                   "to see which layer the broken hop belongs to."
        if not self.failed:
            return f"Layers that ran before e2e{scope} all passed ({', '.join(sorted(self.ran))})."
        parts = [f"{layer} ({len(ids)})" for layer, ids in self.failed.items()]
        return f"Layers already failed in this run{scope}: {', '.join(parts)}."


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.has_plugin(RECORDER):
        config.pluginmanager.register(LayerFailures(), RECORDER)


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
