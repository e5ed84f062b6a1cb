"""The suite does not need our Outputs: the bundled stack deployed with its Outputs section
removed gives every probe the same verdict as the stack with them (roles come from the
resource graph), healthy and with a fault injected."""
from __future__ import annotations

import re

import pytest

from fixtures import environment as envmod
from fixtures.stack import ROOT
from probes import graph

pytestmark = pytest.mark.xdist_group("outputs-stripped")


@pytest.fixture(scope="module")
def stripped_template(tmp_path_factory) -> str:
    text = (ROOT / envmod.DEFAULT_TEMPLATE).read_text()
    head, sep, _ = text.partition("\nOutputs:\n")
    assert sep, "the bundled template has an Outputs section to strip"
    path = tmp_path_factory.mktemp("stripped") / "stack-no-outputs.yaml"
    path.write_text(head + "\n")
    return str(path)


def _verdicts(lab, stack) -> dict[str, str]:
    return {pid: o.status for pid, o in lab.run(stack).items()}


def _normalise(text: str, stack) -> str:
    return re.sub(re.escape(stack.name), "<stack>", text)


def test_same_verdicts_without_outputs(lab, stripped_template):
    full, bare = lab.deploy(), lab.deploy(template=stripped_template)
    assert not bare.outputs, "the stripped stack must have no outputs"
    with_outputs, without = _verdicts(lab, full), _verdicts(lab, bare)
    differ = {pid: (with_outputs[pid], without[pid]) for pid in with_outputs
              if with_outputs[pid] != without[pid]}
    assert not differ, f"verdicts differ without Outputs (with, without): {differ}"
    assert set(without.values()) <= {"passed", "skipped"}, without


def test_roles_resolve_to_the_same_logical_ids_without_outputs(lab, stripped_template):
    full, bare = lab.deploy(), lab.deploy(template=stripped_template)

    def logical_roles(stack) -> dict[str, str | None]:
        g = graph.of(stack.inventory())
        out = {}
        for role, (rtype, _) in graph.ROLES.items():
            pid = g.role(role)
            out[role] = g.logical_of(rtype, pid) if pid else None
        return out
    assert logical_roles(full) == logical_roles(bare)
    roles = logical_roles(bare)
    assert roles["site_bucket"] == "SiteBucket" and roles["log_bucket"] == "LogBucket"
    assert roles["instance_role"] == "InstanceRole" and roles["app_security_group"] == "AppSecurityGroup"
    assert roles["db_security_group"] == "DbSecurityGroup" and roles["alarm_topic"] == "AlarmTopic"
    assert roles["flow_log_bucket"] == "FlowLogBucket" and roles["nlb"] == "Nlb"


def test_a_fault_gives_the_same_verdicts_without_outputs(lab, stripped_template):
    """The ASG detached from its target group: the graph must still find the ASG."""
    full, bare = lab.deploy(), lab.deploy(template=stripped_template)
    for stack in (full, bare):
        asg = stack.physical("AutoScalingGroup")
        stack.client("autoscaling").detach_load_balancer_target_groups(
            AutoScalingGroupName=asg, TargetGroupARNs=[stack.physical("TargetGroup")])
    assert _verdicts(lab, full) == _verdicts(lab, bare)
