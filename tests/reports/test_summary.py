"""The artifacts of a real run: JSON summary (against its schema), JUnit XML, Allure
results and their metadata files, the terminal table, exit codes, and no secret anywhere."""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from fixtures import reporting
from tests.reports.conftest import (
    FAILING_PROBE,
    FAILING_TITLE,
    ROOT,
    SECRET_KEY,
    SESSION_TOKEN,
    run_suite,
)

pytestmark = pytest.mark.xdist_group("reports")
SCHEMA = json.loads((ROOT / "reports" / "summary.schema.json").read_text())


def _results(run) -> list[dict]:
    return [json.loads(p.read_text()) for p in run.allure.glob("*-result.json")]


def test_exit_codes_pass_0_fail_1(report_runs):
    assert report_runs["healthy"].returncode == 0, report_runs["healthy"].output
    assert report_runs["faulted"].returncode == 1, report_runs["faulted"].output


def test_bad_environment_exits_4_with_one_line(tmp_path):
    run = run_suite(tmp_path, "bad", None, env_arg="no-such-environment")
    assert run.returncode == 4, run.output
    assert "stackprobe could not run" in run.output
    assert "Traceback" not in run.output


@pytest.mark.parametrize("name", ["healthy", "faulted"])
def test_summary_validates_against_schema(report_runs, name):
    summary = json.loads(report_runs[name].summary.read_text())
    jsonschema.validate(summary, SCHEMA)


def test_summary_names_first_failure_fix_and_counts_calls_of_the_run(report_runs):
    s = json.loads(report_runs["faulted"].summary.read_text())
    assert s["verdict"] == "failed" and s["exit_status"] == 1
    assert s["layers"]["stack"]["failed"] == 1 and s["layers"]["stack"]["passed"] == 1
    first = s["first_failure"]
    assert first["probe_id"] == FAILING_PROBE and first["title"] == FAILING_TITLE
    assert "VpcId" in first["message"] and first["fix"].startswith("Redeploy the stack")
    assert first["command"] == f"pytest -m stack --env {report_runs['faulted'].dir / 'faulted.yaml'}"
    assert s["account"] == "1234****9012"
    # Two workers: the controller made every read-only verdict, the workers only reported
    # them, so the stack is described once in the run and only the controller read.
    assert s["aws_calls"]["processes"] == 1, s["aws_calls"]
    assert s["aws_calls"]["aws_reads_made"] >= 2
    assert s["aws_calls"]["api_calls"].get("cloudformation:DescribeStacks", 0) == 1, s["aws_calls"]
    calls = json.loads((report_runs["faulted"].dir / "aws-calls.json").read_text())
    per_worker = [sum(n for session in sessions for op, n in session["api_calls"].items())
                  for name, sessions in calls["processes"].items() if name != "controller"]
    assert per_worker == [0, 0], calls["processes"]
    probes = [x for x in calls["processes"]["controller"] if x["purpose"] == "probes"]
    assert sum(s["aws_calls"]["api_calls"].values()) == sum(probes[0]["api_calls"].values())


def test_junit_xml_has_the_failure(report_runs):
    root = ET.parse(report_runs["faulted"].junit).getroot()
    failures = [tc for tc in root.iter("testcase") if tc.find("failure") is not None]
    assert [tc.get("name") for tc in failures] == [f"test_stack[{FAILING_PROBE}]"]
    assert "Fix:" in failures[0].find("failure").get("message", "") + (failures[0].find("failure").text or "")


def test_allure_labels_come_from_probe_metadata(report_runs):
    results = {r["name"]: r for r in _results(report_runs["faulted"])}
    failing = results[FAILING_TITLE]
    labels = {(label["name"], label["value"]) for label in failing["labels"]}
    assert {("epic", "stack"), ("feature", "outputs"), ("severity", "critical"),
            ("parentSuite", "01 stack"), ("suite", "outputs"), ("subSuite", FAILING_PROBE),
            ("probe_id", FAILING_PROBE), ("stackprobe_env", "faulted-us-east-1"),
            ("stackprobe_category", "stack drift or incomplete stack")} <= labels
    # no file:// link into the checkout: the runbook text travels with the result
    assert not any(link["url"].startswith("file:") for link in failing.get("links", []))
    runbook = next(a for a in failing["attachments"] if a["name"] == "runbook: stack")
    assert "detect-stack-drift" in (report_runs["faulted"].allure / runbook["source"]).read_text()
    assert failing["status"] == "failed" and "Fix:" in failing["statusDetails"]["message"]
    steps = [s["name"] for s in failing["steps"]]
    assert steps[0].startswith("AWS reads:") and failing["steps"][0]["steps"], steps
    evidence = next(a for a in failing["attachments"] if a["name"] == "evidence (findings)")
    data = json.loads((report_runs["faulted"].allure / evidence["source"]).read_text())
    assert data[0]["probe_id"] == FAILING_PROBE and data[0]["evidence"]["outputs"]


def test_environment_properties_and_categories_in_results(report_runs):
    allure = report_runs["faulted"].allure
    props = dict(line.split(" = ", 1) for line in
                 (allure / "environment.properties").read_text().splitlines())
    assert props["environment"] == "faulted" and props["region"] == "us-east-1"
    assert props["account"] == "1234****9012" and props["target"] == "endpoint"
    assert re.fullmatch(r"[0-9a-f]{64}", props["template.sha256"])
    for key in ("version.python", "version.stackprobe", "version.boto3", "version.moto"):
        assert props[key]
    assert json.loads((allure / "categories.json").read_text()) == json.loads(
        (ROOT / "reports" / "categories.json").read_text())
    assert not (allure / "executor.json").exists()  # not on a CI


def test_terminal_table_is_the_last_word(report_runs):
    out = report_runs["faulted"].output
    table = out[out.index("stackprobe: verdict by layer"):]
    row = next(line for line in table.splitlines() if line.startswith("stack "))
    assert re.match(r"stack\s+1\s+1\s+0\s+stack\.outputs_present: stack faulted-\S+ has missing", row)
    assert "-> pytest -m stack --env" in row
    assert re.search(r"^total\s+1\s+1\s+0", table, re.M)
    # one headline first: no broken hop in this run, so the most severe failure and its fix
    assert re.search(r"^MOST SEVERE FAILURE \(\w+\): stack\.outputs_present: .*Fix: Redeploy",
                     table.splitlines()[1]), table
    assert "failures, most severe first:" in table
    assert "summary.json" in table and "tox -e report" in table


def test_no_secret_in_any_artifact(report_runs):
    for run in report_runs.values():
        for path in [p for p in run.dir.rglob("*") if p.is_file()]:
            text = path.read_text(errors="replace")
            assert SECRET_KEY not in text and SESSION_TOKEN not in text, path
        assert SECRET_KEY not in run.output


# ---- pure functions ------------------------------------------------------------------
def test_mask_account():
    assert reporting.mask_account("123456789012") == "1234****9012"
    assert reporting.mask_account("1234") == "****"
    assert reporting.mask_account(None) is None


def test_executor_from_github_and_gitlab(monkeypatch):
    for var in ("GITHUB_ACTIONS", "GITLAB_CI"):
        monkeypatch.delenv(var, raising=False)
    assert reporting.executor() is None
    github = {"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "acme/stackprobe", "GITHUB_RUN_ID": "42",
              "GITHUB_RUN_NUMBER": "7", "GITHUB_WORKFLOW": "stackprobe"}
    gitlab = {"GITLAB_CI": "true", "CI_PROJECT_URL": "https://gitlab.example.com/acme/stackprobe",
              "CI_JOB_URL": "https://gitlab.example.com/acme/stackprobe/-/jobs/9",
              "CI_PIPELINE_IID": "3", "CI_JOB_NAME": "nightly"}
    for var, value in github.items():
        monkeypatch.setenv(var, value)
    gh = reporting.executor()
    assert gh["type"] == "github" and gh["buildUrl"] == "https://github.com/acme/stackprobe/actions/runs/42"
    monkeypatch.delenv("GITHUB_ACTIONS")
    for var, value in gitlab.items():
        monkeypatch.setenv(var, value)
    gl = reporting.executor()
    assert gl["type"] == "gitlab" and gl["buildName"] == "nightly #3" and gl["buildUrl"].endswith("/jobs/9")


def _outcome(probe_id: str, *statuses: str):
    from probes import registry
    from probes.result import Finding
    findings = [Finding(status, "r", "emulator and moto in the text change nothing")
                for status in statuses]
    return registry.Outcome(registry.get(probe_id), findings, 0.0, [])


def _first_rule(labels: dict[str, str], status: str) -> str | None:
    """Allure 3's matching of reports/categories.json: the first rule with a matcher whose
    statuses and label patterns all match."""
    rules = json.loads((ROOT / "reports" / "categories.json").read_text())
    for rule in rules:
        for m in rule["matchers"]:
            if status in m.get("statuses", [status]) and all(
                    re.search(pattern, labels.get(name, "")) for name, pattern in
                    m.get("labels", {}).items()):
                return rule["name"]
    return None


@pytest.mark.parametrize("probe_id, statuses, expected", [
    ("stack.outputs_present", ("error",), "could not run"),
    ("e2e.request_path", ("passed", "failed"), "broken request path"),
    ("stack.outputs_present", ("failed",), "stack drift or incomplete stack"),
    ("observability.alarm_actions_notify_topic", ("failed",), "alerting gap"),
    ("network.no_world_open_ingress", ("failed",), "security misconfiguration"),
    ("waf.web_acl_associated", ("failed",), "security misconfiguration"),
    ("database.backups_retained", ("failed",), "configuration finding"),
    ("database.backups_retained", ("passed", "skipped"), None),
    # declared per probe (concern=): security outside the security components, and a
    # probe of a security component that is about the app working
    ("edge.buckets_block_public_access", ("failed",), "security misconfiguration"),
    ("database.not_publicly_accessible", ("failed",), "security misconfiguration"),
    ("observability.cloudtrail_logging", ("failed",), "security misconfiguration"),
    ("database.app_role_reads_master_secret", ("failed",), "configuration finding"),
])
def test_categories_come_from_structured_fields(probe_id, statuses, expected):
    """Not from the message: a stack named stackprobe-emulator-… is not an emulator limitation."""
    category = reporting.category_of(_outcome(probe_id, *statuses))
    assert category == expected
    if category:
        status = "broken" if category == "could not run" else "failed"
        assert _first_rule({reporting.CATEGORY_LABEL: category}, status) == expected


def test_a_broken_test_and_an_emulator_skip_are_categorised_without_text():
    assert _first_rule({}, "broken") == "could not run"
    assert _first_rule({reporting.CATEGORY_LABEL: "emulator limitation"}, "skipped") == "emulator limitation"
    assert _first_rule({}, "failed") is None  # never a message match


def _config(xmlpath: str | None, invocation_dir: Path):
    """The two things summary_path reads from a pytest config."""
    from types import SimpleNamespace
    return SimpleNamespace(option=SimpleNamespace(xmlpath=xmlpath),
                           invocation_params=SimpleNamespace(dir=invocation_dir))


def test_schema_is_valid_and_summary_path_follows_junit(tmp_path):
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    # beside the JUnit XML: relative to where pytest was started, or absolute as given
    assert reporting.summary_path(_config("out/junit.xml", tmp_path)) == tmp_path / "out" / "summary.json"
    assert reporting.summary_path(_config(str(tmp_path / "x" / "j.xml"), ROOT)) == tmp_path / "x" / "summary.json"
    # no JUnit XML asked for: the project's reports folder
    assert reporting.summary_path(_config(None, tmp_path)) == ROOT / "reports" / "summary.json"


def test_first_broken_hop_from_the_e2e_finding():
    results = reporting.Results()
    results.tests["n"] = reporting.TestRecord("n", "e2e", reporting.E2E_PROBE, facts={"findings": [
        {"status": "passed", "resource": "x", "message": "ok", "fix": "", "next_step": "", "hop": None},
        {"status": "failed", "resource": "request path hop 9 'vpc-link'", "hop": "vpc-link",
         "hop_layer": "api", "message": "VPC link vl-1 FAILED; expected AVAILABLE. Fix: recreate it",
         "fix": "recreate it", "next_step": "pytest -m api (layer api)"}]})
    hop = reporting.first_broken_hop_of(results)
    assert hop == {"hop": "vpc-link", "layer": "api", "fix": "recreate it", "status": None,
                   "message": "VPC link vl-1 FAILED; expected AVAILABLE. Fix: recreate it",
                   "next_step": "pytest -m api (layer api)"}
    jsonschema.validate(hop, {**SCHEMA["properties"]["first_broken_hop"], "$defs": SCHEMA["$defs"]})
    assert reporting.hop_layer({"first_broken_hop": "db", "hops": [{"name": "db", "layer": "database"}]}) \
        == "database"


def test_call_counts_are_not_mistaken_for_secrets():
    merged = reporting.merge_call_stats([{"aws_reads_made": 1, "api_calls": {"secretsmanager:GetSecretValue": 2}},
                                         {"aws_reads_made": 2, "api_calls": {"secretsmanager:GetSecretValue": 1}}])
    assert merged["api_calls"] == {"secretsmanager:GetSecretValue": 3} and merged["processes"] == 2
    jsonschema.validate(merged, SCHEMA["properties"]["aws_calls"] | {"$defs": SCHEMA["$defs"]})


def test_one_headline_the_first_broken_hop_when_the_path_is_cut():
    summary = {"first_broken_hop": {"hop": "NLB → app port", "layer": "network",
                                    "message": "sg-1 does not admit 8080; expected ..."},
               "failures": [{"severity": "critical", "probe_id": "network.app_sg", "message": "m"}],
               "totals": {"passed": 1, "failed": 2, "skipped": 0}, "exit_status": 1}
    line, bad = reporting.headline_of(summary)
    assert bad and line.startswith("FIRST BROKEN HOP: NLB → app port (layer network)")
    line, _ = reporting.headline_of({**summary, "first_broken_hop": None})
    assert line.startswith("MOST SEVERE FAILURE (critical): network.app_sg")
    # a hop that lets requests around a control does not cut the path: said as such
    exposed = {"hop": "API stage → closed to callers around the WAF", "layer": "waf",
               "status": "exposed", "message": "stage prod is public"}
    line, bad = reporting.headline_of({**summary, "first_broken_hop": exposed})
    assert bad and line.startswith("REQUEST PATH CONNECTED BUT EXPOSED: API stage → closed to "
                                   "callers around the WAF (layer waf)")
    line, bad = reporting.headline_of({**summary, "first_broken_hop": None, "failures": [],
                                       "exit_status": 0, "totals": {"passed": 3, "failed": 0,
                                                                     "skipped": 1}})
    assert not bad and line == "ALL PASSED: 3 passed, 1 skipped"


def test_runbook_links_are_stable_or_absent(monkeypatch):
    from probes import registry
    spec = registry.get(FAILING_PROBE)
    for var in ("STACKPROBE_RUNBOOK_BASE", "GITHUB_REPOSITORY", "GITHUB_SHA", "CI_PROJECT_URL",
                "CI_COMMIT_SHA"):
        monkeypatch.delenv(var, raising=False)
    assert reporting.runbook_url(spec) is None
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/stackprobe")
    monkeypatch.setenv("GITHUB_SHA", "abc")
    assert reporting.runbook_url(spec) == "https://github.com/acme/stackprobe/blob/abc/README.md#runbook-stack"
    assert "detect-stack-drift" in reporting.runbook_text("stack")


def test_a_probe_declares_a_known_concern():
    from probes import registry
    assert {s.concern for s in registry.load_all().values()} <= set(registry.CONCERNS)
    with pytest.raises(ValueError, match="unknown concern 'secruity'"):
        registry.probe(layer="network", component="x", title="t", severity="normal",
                       remediation="r", concern="secruity")
