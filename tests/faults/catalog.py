"""The fault catalog: faults a real operator could cause, each with the probes that must
catch it. Each layer's faults live in ``tests/faults/f_<layer>.py`` as ``FAULTS``.

A fault's ``inject(stack)`` changes a freshly deployed stack through AWS APIs (the
stack's :class:`tests.conftest.DeployedStack` gives clients). Where the emulator cannot
express the fault through the API, ``via`` says "emulator-state" and ``why`` says why; the
injection then edits moto's backend state directly.

The injections live in ``tests/faults/anystack.py``: they find their resources through the
resource graph (``probes.graph`` roles), never the bundled stack's logical ids or Outputs,
so the same functions inject into any stack of this architecture (the corpus's independent
stacks: tests/corpus/test_independent_faults.py); the catalog takes them through
``anystack.on_lab_stack``. New faults are written there.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Callable

LAYER_MODULES = ("network", "compute", "database", "observability", "dns", "edge", "waf",
                 "api", "auth", "stack", "breadth")


@dataclass(frozen=True)
class Fault:
    id: str
    inject: Callable[[Any], None]
    breaks: tuple[str, ...]          # probe ids that must fail
    challenge: int | None = None     # seed worklog challenge
    via: str = "api"                 # "api" or "emulator-state"
    why: str = ""                    # for emulator-state: what the API cannot express
    also_breaks: tuple[str, ...] = ()  # probes of other layers that legitimately fail too
    # Words the failure message must contain (resource ids are checked by the harness).
    mentions: tuple[str, ...] = ()
    # e2e: the hop the request-path trace must name for this fault, if it breaks the path.
    hop: str | None = None
    # Expectation overrides for this fault's run: ((layer, {key: value}), ...), for probes
    # whose expectation is a floor the default environment does not require.
    expect: tuple[tuple[str, dict[str, Any]], ...] = ()

    def __str__(self) -> str:
        return self.id


def all_faults() -> list[Fault]:
    faults: list[Fault] = []
    for layer in LAYER_MODULES:
        try:
            module = importlib.import_module(f"tests.faults.f_{layer}")
        except ModuleNotFoundError as exc:
            if exc.name != f"tests.faults.f_{layer}":
                raise
            continue
        faults.extend(module.FAULTS)
    ids = [f.id for f in faults]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise ValueError(f"duplicate fault ids: {dupes}")
    return faults
