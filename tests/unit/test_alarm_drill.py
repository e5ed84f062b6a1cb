"""The alarm drill (mutating, so the fault catalog skips it): it proves the path alarm ->
SNS topic -> subscriber on a healthy stack, fails with the reason when the alarm has no
route to the topic, and always removes its queue and subscription."""
from __future__ import annotations

from probes import registry
from probes.expectations import build
from probes.inventory import Inventory

DRILL = "observability.alarm_drill"


def _mutating_inventory(stack) -> Inventory:
    # The drill creates its clients from the inventory's session; this one allows mutations.
    return Inventory(stack.session(allow_mutations=True), stack.name, stack.resources)


def _drill_queues(stack) -> list[str]:
    urls = stack.client("sqs").list_queues().get("QueueUrls", [])
    return [u for u in urls if "stackprobe-drill-" in u]


def _topic_subscriptions(stack) -> list[str]:
    subs = stack.client("sns").list_subscriptions_by_topic(
        TopicArn=stack.outputs["AlarmTopicArn"])["Subscriptions"]
    return sorted(s["SubscriptionArn"] for s in subs)


def _states(stack) -> dict[str, str]:
    alarms = stack.client("cloudwatch").describe_alarms()["MetricAlarms"]
    return {a["AlarmName"]: a["StateValue"] for a in alarms}


def test_drill_delivers_on_a_healthy_stack_and_cleans_up(lab):
    stack = lab.deploy()
    subs, states, queues = _topic_subscriptions(stack), _states(stack), _drill_queues(stack)
    outcome = registry.run(DRILL, _mutating_inventory(stack), lab.expectations)
    assert outcome.status == "passed", outcome.summary()
    assert "delivered the ALARM notification" in outcome.summary()
    assert _drill_queues(stack) == queues
    assert _topic_subscriptions(stack) == subs
    assert _states(stack) == states


def test_drill_fails_when_the_alarm_has_no_route_to_the_topic(lab):
    stack = lab.deploy()
    cw = stack.client("cloudwatch")
    for alarm in cw.describe_alarms()["MetricAlarms"]:
        params = {k: alarm[k] for k in (
            "AlarmName", "MetricName", "Namespace", "Statistic", "Dimensions", "Period",
            "EvaluationPeriods", "Threshold", "ComparisonOperator", "TreatMissingData")
            if alarm.get(k) is not None}
        cw.put_metric_alarm(**params, AlarmActions=[], OKActions=[])
    subs, queues = _topic_subscriptions(stack), _drill_queues(stack)
    exp = build({"observability": {"drill_wait_seconds": 2}})
    outcome = registry.run(DRILL, _mutating_inventory(stack), exp)
    assert outcome.status == "failed", outcome.summary()
    message = outcome.failures[0].message
    assert "no notification reached" in message and "actions are empty" in message, message
    assert stack.outputs["AlarmTopicArn"] in message
    assert "; expected " in message and " Fix: " in message
    assert _drill_queues(stack) == queues
    assert _topic_subscriptions(stack) == subs


def test_drill_is_refused_on_a_read_only_inventory(lab, healthy):
    queues = _drill_queues(healthy)
    outcome = registry.run(DRILL, healthy.inventory(), lab.expectations)
    assert outcome.status == "error"
    assert "does not allow mutations" in outcome.summary()
    assert _drill_queues(healthy) == queues
