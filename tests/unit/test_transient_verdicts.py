"""Verdicts name a transient state apart from a broken one: a target still ``initial`` is
"health checks still running", an ``unused`` one says why the NLB sends it nothing; an
alarm topic passes when one subscription can deliver and names who must click for a
pending e-mail, and fails only when nothing can deliver."""
from __future__ import annotations

from typing import Any

from probes import compute, observability, registry
from probes.expectations import build

EXP = build({})
TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/app/abc"
TOPIC = "arn:aws:sns:us-east-1:123456789012:alarms"


class _Inv:
    stack_name = "stack"

    def __init__(self, answers: dict[str, Any], roles: dict[str, str]):
        self.answers, self.roles = answers, roles
        self.explicit = roles  # the graph takes the roles as resources.<role> overrides

    def of_type(self, rtype: str) -> list[dict]:
        """One declared resource of any type (the registry checks a probe's needed types)."""
        return [{"LogicalResourceId": "Declared", "PhysicalResourceId": "declared", "ResourceType": rtype}]

    def one(self, role: str, hint: str | None = None) -> str | None:
        return self.roles.get(role)

    def call(self, service: str, operation: str, *, region: str | None = None,
             missing_ok: bool = False, **params: Any) -> Any:
        value = self.answers.get(operation)
        return value(params) if callable(value) else value

    def paginate(self, service: str, operation: str, key: str, **params: Any) -> list:
        return self.answers.get(operation, [])


def _targets(*states: tuple[str, str, str, str]) -> _Inv:
    return _Inv({
        "describe_auto_scaling_groups": [{"AutoScalingGroupName": "asg", "Instances": [
            {"InstanceId": i, "LifecycleState": "InService"} for i, *_ in states]}],
        "describe_target_health": {"TargetHealthDescriptions": [
            {"Target": {"Id": i, "Port": 8080},
             "TargetHealth": {"State": s, **({"Reason": r} if r else {}), **({"Description": d} if d else {})}}
            for i, s, r, d in states]},
    }, {"target_group": TG, "auto_scaling_group": "asg"})


def _messages(probe_fn, inv) -> list[str]:
    return [f.message for f in registry.run(probe_fn.spec.id, inv, EXP).findings]


def test_an_initial_target_is_named_as_still_checking_not_as_broken():
    texts = _messages(compute.targets_healthy, _targets(
        ("i-new", "initial", "Elb.InitialHealthChecking", "Initial health checks in progress"),
        ("i-old", "healthy", "", "")))
    initial = next(t for t in texts if "i-new" in t)
    assert "is initial: health checks still running" in initial and "Wait a minute and rerun" in initial
    assert any("i-old" in t and "is healthy" in t for t in texts)


def test_unused_and_unhealthy_targets_say_why():
    texts = _messages(compute.targets_healthy, _targets(
        ("i-1", "unused", "Target.NotInUse", "Target group is not configured to receive traffic from the load balancer"),
        ("i-2", "unhealthy", "Target.FailedHealthChecks", "Health checks failed")))
    assert any("i-1" in t and "is unused (Target.NotInUse - Target group is not configured" in t
               and "the load balancer sends it nothing" in t for t in texts)
    assert any("i-2" in t and "is unhealthy (Target.FailedHealthChecks - Health checks failed)" in t
               for t in texts)
    assert not any("initial" in t for t in texts)


def _topic(*subs: tuple[str, str, str]) -> _Inv:
    return _Inv({
        "get_topic_attributes": {"Attributes": {"TopicArn": TOPIC}},
        "list_subscriptions_by_topic": [{"Protocol": p, "Endpoint": e, "SubscriptionArn": a} for p, e, a in subs],
        "get_subscription_attributes": {"Attributes": {"PendingConfirmation": "false"}},
    }, {"alarm_topic": TOPIC})


def test_a_pending_email_beside_a_confirmed_queue_passes_and_names_who_must_click():
    outcome = registry.run(observability.alarm_topic_subscribed.spec.id, _topic(
        ("email", "oncall@example.com", "PendingConfirmation"),
        ("sqs", "arn:aws:sqs:us-east-1:123456789012:alarms", f"{TOPIC}:1111")), EXP)
    assert outcome.status == "passed", outcome.summary()
    text = outcome.findings[0].message
    assert "delivers to 1 confirmed subscription(s): sqs:" in text
    assert "oncall@example.com must click the link in the confirmation e-mail" in text


def test_only_a_pending_email_fails_and_names_who_must_click():
    outcome = registry.run(observability.alarm_topic_subscribed.spec.id, _topic(
        ("email", "oncall@example.com", "PendingConfirmation")), EXP)
    assert outcome.status == "failed"
    text = outcome.findings[0].message
    assert "has no subscription that can deliver" in text
    assert "oncall@example.com must click the link in the confirmation e-mail" in text
