"""e2e runs last, and its verdict says which layers already failed in this run.

Directories collect alphabetically, so suites/e2e would run before edge, network and the
rest; the collection hook below moves e2e items to the end. When the request path is
broken the e2e failure adds "layers already failed: network (2), compute (1)" (from the
run's verdicts, fixtures/plugin.py), so the on-call engineer knows where the story started.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from fixtures import plugin
from probes import path

SUITES = Path(__file__).resolve().parent.parent


def _layer(fspath: str | Path) -> str | None:
    p = Path(str(fspath))
    p = p if p.is_absolute() else (SUITES.parent / p)
    try:
        return p.resolve().relative_to(SUITES).parts[0]
    except (ValueError, IndexError):
        return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Layer suites first, e2e last (stable otherwise)."""
    e2e = [i for i in items if _layer(i.path) == "e2e"]
    if e2e:
        items[:] = [i for i in items if _layer(i.path) != "e2e"] + e2e


@pytest.fixture
def e2e_verdict(request: pytest.FixtureRequest, pytestconfig: pytest.Config):
    """Wraps an e2e check: attaches the hop table to the report, and appends to a failure
    which layers already failed in this run."""
    @contextmanager
    def verdict() -> Iterator[None]:
        try:
            yield
        except pytest.fail.Exception as exc:
            note = plugin.get(pytestconfig).layers_note()
            raise pytest.fail.Exception(f"{exc.msg}\n{note}", pytrace=False) from None
        finally:
            outcome = request.node.stash.get(plugin.OUTCOME_KEY, None)
            for finding in (outcome.findings if outcome else []):
                if finding.evidence.get("hops"):
                    _attach(path.render_table(path.hops_from_evidence(finding.evidence)))
    return verdict()


def _attach(table: str) -> None:
    try:
        import allure
    except ImportError:
        return
    allure.attach(table, name="request path", attachment_type=allure.attachment_type.TEXT)
