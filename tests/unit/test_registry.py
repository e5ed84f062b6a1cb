from probes import registry
from probes.result import FAIL, PASS, Finding, Missing, absent, failed


def test_every_probe_has_complete_metadata():
    specs = registry.load_all()
    assert specs, "no probes registered"
    for spec in specs.values():
        assert spec.id == f"{spec.layer}.{spec.fn.__name__}"
        assert spec.title and spec.remediation and spec.component
        assert spec.severity in registry.SEVERITIES


def test_message_is_one_actionable_sentence():
    f = failed("security group sg-1", "allows tcp/22 from 0.0.0.0/0", "no port 22 anywhere",
               "Remove the rule")
    assert f.message == ("security group sg-1 allows tcp/22 from 0.0.0.0/0; expected no port 22 "
                         "anywhere. Fix: Remove the rule")
    assert Finding(PASS, "x", "is fine", "y").message == "x is fine."
    assert f.status == FAIL


class _BrokenInventory:
    """Has no read methods: any probe that reads raises AttributeError."""


def test_a_probe_that_raises_is_reported_as_error_not_swallowed():
    outcome = registry.run("stack.outputs_present", _BrokenInventory(), None)
    assert outcome.status == "error"
    assert "could not complete" in outcome.failures[0].message


def test_missing_raised_by_a_helper_is_the_probes_verdict_in_the_probes_shape():
    gone = absent("CloudFront distribution", "a distribution in the stack")

    def need(inv):
        raise Missing(gone)

    @registry.probe(layer="edge", component="test-only", title="one finding", severity="normal", needs=(),
                    remediation="r")
    def _one_missing_test_probe(inv, exp) -> Finding:
        return need(inv)

    @registry.probe(layer="edge", component="test-only", title="per resource", severity="normal",
                    remediation="r")
    def _each_missing_test_probe(inv, exp) -> list[Finding]:
        return [need(inv)]

    try:
        assert _one_missing_test_probe(None, None) is gone
        assert _each_missing_test_probe(None, None) == [gone]
        outcome = registry.run("edge._one_missing_test_probe", object(), None)
        assert outcome.status == "failed" and outcome.failures[0].resource == "CloudFront distribution"
    finally:
        for pid in ("edge._one_missing_test_probe", "edge._each_missing_test_probe"):
            registry._REGISTRY.pop(pid, None)
