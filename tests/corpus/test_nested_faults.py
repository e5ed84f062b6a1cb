"""Faults injected into the corpus's nested stack (``harbor``: a root nesting network, data,
app and edge children), as test_independent_faults.py injects them into the flat
independent stacks, with the same checks (its test body, called here): the fault's probes
fail in its layer naming the broken resource, nothing ERRORs, other layers match the
review, the trace names the cut hop, and undoing the fault restores the review.

The faults chosen reach every child through the resource graph, and two cross children:
the data child's secret denying the app child's instance role, and the children's alarms
losing their action on the root's topic.

    pytest tests/corpus/test_nested_faults.py -n 2 --dist loadgroup -p no:randomly -q
"""
from __future__ import annotations

import pytest

from tests.corpus.test_independent_faults import Stacks
from tests.corpus.test_independent_faults import test_fault_is_caught_in_its_layer as _caught_in_its_layer
from tests.faults.anystack import FAULTS, ForeignFault

NAME = "harbor"
CHOSEN = ("net-app-port-closed", "cmp-target-group-detached", "api-method-public", "edge-oac-removed",
          "db-secret-policy-denies-app-role", "obs-alarm-actions-removed")


@pytest.fixture(scope="module")
def stacks(emulator):
    pool = Stacks(emulator)
    yield pool
    pool.close()


@pytest.mark.xdist_group(f"nested-faults-{NAME}")
@pytest.mark.parametrize("fault", [f for f in FAULTS if f.id in CHOSEN], ids=str)
def test_fault_in_a_nested_stack_is_caught_in_its_layer(stacks, fault: ForeignFault):
    _caught_in_its_layer(stacks, NAME, fault)


def test_every_chosen_fault_is_in_the_catalog():
    assert set(CHOSEN) <= {f.id for f in FAULTS}
