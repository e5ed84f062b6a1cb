"""A probe's Prowler check ids (``@probe(see_also=...)``) reach the reviewer: in the Allure
result (one ``prowler_check`` label and one hub link per check, and in the description) and
in summary.json (each failure and the layer's first failure), from a real run."""
from __future__ import annotations

import json

import jsonschema
import pytest

from fixtures import reporting
from probes import registry
from tests.reports.conftest import ROOT, run_suite

pytestmark = pytest.mark.xdist_group("reports")
# Judges every bucket of the stack: the mini stack's bucket has no policy, so none that
# denies requests without TLS (a public access block may be on by S3's defaults).
PROBE = "edge.buckets_deny_insecure_transport"


@pytest.fixture(scope="module")
def bucket_run(moto_endpoint, tmp_path_factory):
    run = run_suite(tmp_path_factory.mktemp("see-also"), "seealso", moto_endpoint,
                    "suites/edge", "-k", PROBE)
    assert run.returncode == 1, run.output
    return run


def test_the_probe_names_prowler_checks():
    assert registry.get(PROBE).see_also, "pick a probe with see_also for this test"


def test_see_also_in_allure_labels_links_and_description(bucket_run):
    checks = registry.get(PROBE).see_also
    results = [json.loads(p.read_text()) for p in bucket_run.allure.glob("*-result.json")]
    result = next(r for r in results if ("probe_id", PROBE) in
                  {(label["name"], label["value"]) for label in r["labels"]})
    labels = [label["value"] for label in result["labels"] if label["name"] == reporting.PROWLER_LABEL]
    assert sorted(labels) == sorted(checks)  # allure-pytest keeps labels in a set
    links = {link["name"]: link["url"] for link in result.get("links", [])}
    for check in checks:
        assert links[f"Prowler: {check}"] == f"https://hub.prowler.com/check/{check}"
        assert f"`{check}`" in result["description"]


def test_see_also_in_summary_failures(bucket_run):
    summary = json.loads(bucket_run.summary.read_text())
    jsonschema.validate(summary, json.loads((ROOT / "reports" / "summary.schema.json").read_text()))
    checks = list(registry.get(PROBE).see_also)
    failure = next(f for f in summary["failures"] if f["probe_id"] == PROBE)
    assert failure["see_also"] == checks
    assert summary["layers"]["edge"]["first_failure"]["see_also"] == checks
    assert summary["first_failure"]["see_also"] == checks
