"""The e2e test as a user reads it: run after the layer suites (the probes themselves run
side by side on a thread pool first), its failure names the first broken hop and which
layers already failed in this run, on any xdist worker."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from tests.faults.f_network import _delete_nat
from tests.reliability.conftest import clean_env, env_file, run

pytestmark = pytest.mark.xdist_group("e2e-suite-verdict")


@pytest.fixture(scope="module")
def broken(lab):
    stack = lab.deploy()
    _delete_nat(stack)  # the app tier loses its way to Secrets Manager
    return stack


def _failures(reports) -> dict[str, str]:
    root = ET.parse(reports / "junit.xml").getroot()
    return {case.get("name"): (case.find("failure").get("message", "") + (case.find("failure").text or ""))
            for case in root.iter("testcase") if case.find("failure") is not None}


@pytest.mark.parametrize("workers", ["0", "2"])
def test_e2e_names_the_hop_and_the_layers_that_failed_first(broken, tmp_path, workers):
    envfile = env_file(tmp_path, broken.endpoint, "verdict", mode="attach", stack=broken.name,
                       allow_mutations=False)
    code, out = run(["suites/network", "suites/e2e/test_path.py", "--env", str(envfile),
                     "--stack-name", broken.name, "-n", workers], tmp_path / "r", timeout=240,
                    env=clean_env())
    assert code == 1, out
    failures = _failures(tmp_path / "r")
    assert "test_network[network.private_subnets_egress_via_nat]" in failures, failures.keys()
    e2e = failures["test_e2e[e2e.request_path]"]
    assert "'app tier → Secrets Manager'" in e2e and "Next: pytest -m " in e2e, e2e
    scope = "" if workers == "0" else " (all xdist workers)"
    assert f"Layers already failed in this run{scope}: network (1)." in e2e, e2e
