import pytest

from probes.registry import for_layer


@pytest.mark.parametrize("probe_id", [s.id for s in for_layer("network")])
def test_network(probe_id, check):
    check(probe_id)
