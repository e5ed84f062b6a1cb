import pytest

from probes.registry import for_layer


@pytest.mark.parametrize("probe_id", [s.id for s in for_layer("auth")])
def test_auth(probe_id, check):
    check(probe_id)
