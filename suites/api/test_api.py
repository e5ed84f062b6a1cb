import pytest

from probes.registry import for_layer


@pytest.mark.parametrize("probe_id", [s.id for s in for_layer("api")])
def test_api(probe_id, check):
    check(probe_id)
