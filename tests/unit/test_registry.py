from probes import registry
from probes.result import FAIL, PASS, Finding, failed


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
