"""Pytest plugin (``-p benchmarks.phases``): where a run's wall time goes, per process.

Writes ``$STACKPROBE_BENCH_OUT/phases-<pid>.json`` at the end of the process with
wall-clock stamps (``time.time()``) of: plugin import (interpreter + pytest start-up),
emulator start, deploy, configure done, collection done, tests done, teardown done; and
the inventory's per-read keys of this process, so the benchmark can count reads that
were repeated *across* xdist workers (summary.json only sums per-process counts), and the
shape of each read's answer (how many items each of its lists holds, nothing of their
content), so it can see a read whose answer grows with the account.
Nothing here changes what a run does.
"""
from __future__ import annotations

import atexit
import functools
import json
import os
import resource
import time
from pathlib import Path
from typing import Any

import pytest

STAMPS: dict[str, float] = {"plugin_imported": time.time()}
SPANS: dict[str, float] = {}
RUNS: list[Any] = []  # this process's stackprobe plugin object, for its inventory at exit
OUT = os.environ.get("STACKPROBE_BENCH_OUT")


def _timed(name: str, fn: Any) -> Any:
    if getattr(fn, "_bench_timed", False):
        return fn

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.time()
        STAMPS.setdefault(f"{name}_start", start)
        try:
            return fn(*args, **kwargs)
        finally:
            SPANS[name] = SPANS.get(name, 0.0) + time.time() - start
            STAMPS[f"{name}_end"] = time.time()

    wrapper._bench_timed = True  # type: ignore[attr-defined]
    return wrapper


def _instrument() -> None:
    from fixtures import stack as stackmod
    from fixtures.emulator import server

    server.start = _timed("emulator_start", server.start)
    stackmod.deploy = _timed("deploy", stackmod.deploy)
    stackmod.delete = _timed("teardown", stackmod.delete)


_instrument()


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    STAMPS["configured"] = time.time()
    from fixtures.plugin import get
    if get(config) is not None:
        RUNS.append(get(config))


def pytest_collection_finish(session: pytest.Session) -> None:
    STAMPS["collected"] = time.time()


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    STAMPS["tests_done"] = time.time()


def _dump() -> None:
    if not OUT:
        return
    STAMPS["process_end"] = time.time()
    reads: list[list[str]] = []
    answers: list[list[Any]] = []
    try:
        for run in RUNS:
            for inv in run.inventories():
                reads += [[r.service, r.operation, r.params] for r in inv.log if not r.cached]
                answers += [[service, op.removesuffix("[*]"), params, _shape(value)]
                            for (service, _, op, params), value in inv.answers()]
    except Exception:  # the benchmark must never break a run
        pass
    doc = {"pid": os.getpid(), "emulator_stacks_created": _emulator_stacks_created(), "worker": os.environ.get("PYTEST_XDIST_WORKER", "controller"),
           "stamps": STAMPS, "spans": SPANS, "reads": reads, "answers": answers,
           "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}
    path = Path(OUT) / f"phases-{os.getpid()}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc))


def _shape(value: Any) -> Any:
    """How many items an answer holds: a paginated read's length, or the length of each
    list at the top of a response (e.g. {"SecurityGroups": 3})."""
    if isinstance(value, list):
        return len(value)
    if isinstance(value, dict):
        return {k: len(v) for k, v in sorted(value.items()) if isinstance(v, list)}
    return None


def _emulator_stacks_created() -> int | None:
    """Stacks the in-process emulator holds, deleted ones included (moto keeps them, as
    ``ListStacks`` shows): the emulator's own count of CreateStack calls that created a
    stack. None when this process ran no emulator (xdist workers, attach runs)."""
    import sys
    if "moto.cloudformation.models" not in sys.modules:
        return None
    try:
        from moto.cloudformation.models import cloudformation_backends
        ids: set[str] = set()
        for regions in cloudformation_backends.values():
            for backend in regions.values():
                ids |= set(backend.stacks) | set(backend.deleted_stacks)
        return len(ids)
    except Exception:
        return None


# atexit: after config cleanups (the teardown runs there) and in every xdist worker.
atexit.register(_dump)
