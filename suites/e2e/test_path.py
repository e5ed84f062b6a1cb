import pytest

from probes.registry import for_layer


@pytest.mark.parametrize("probe_id", [s.id for s in for_layer("e2e")])
def test_e2e(probe_id, check, e2e_verdict):
    with e2e_verdict:
        check(probe_id)
