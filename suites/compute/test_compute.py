import pytest

from probes.registry import for_layer


@pytest.mark.parametrize("probe_id", [s.id for s in for_layer("compute")])
def test_compute(probe_id, check):
    check(probe_id)
