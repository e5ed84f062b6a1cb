import pytest

from probes.registry import for_layer


@pytest.mark.parametrize("probe_id", [s.id for s in for_layer("edge")])
def test_edge(probe_id, check):
    check(probe_id)
