# ruff: noqa: F811  (pytest fixtures imported from _support, so the tests also run with --noconftest)
"""Updating the bundled stack: in place where AWS updates in place, replacement where AWS
replaces, dependents follow a replaced resource, and the old one goes in the cleanup phase."""
from __future__ import annotations

from pathlib import Path

from tests.emulator._support import aws, create, emu, unique  # noqa: F401

TEMPLATE = Path(__file__).resolve().parents[2] / "fixtures" / "cloudformation" / "stack.yaml"


def _physical(aws, name: str) -> dict[str, str]:
    return {r["LogicalResourceId"]: r["PhysicalResourceId"]
            for r in aws("cloudformation").list_stack_resources(StackName=name)["StackResourceSummaries"]}


def test_update_bundled_stack(aws):
    body = TEMPLATE.read_text()
    stack = create(aws, body, name=unique("update"))
    before = _physical(aws, stack.name)
    changed = body.replace("RetentionInDays: 30", "RetentionInDays: 14").replace("MinimumLength: 12", "MinimumLength: 14")
    stack.update(changed, parameters={"InstanceType": "t3.small", "DbInstanceClass": "db.t3.small",
                                      "AlarmEmail": "b@example.com", "AppPort": "9090"})
    after = _physical(aws, stack.name)
    # AppPort changes the target group's Port (replacement); a subscription's Endpoint too
    assert {k for k in before if before[k] != after[k]} == {"TargetGroup", "AlarmEmailSubscription"}

    elb = aws("elbv2")
    listener = elb.describe_listeners(ListenerArns=[after["NlbListener"]])["Listeners"][0]
    assert listener["Port"] == 9090 and listener["DefaultActions"][0]["TargetGroupArn"] == after["TargetGroup"]
    assert elb.describe_target_groups(TargetGroupArns=[after["TargetGroup"]])["TargetGroups"][0]["Port"] == 9090
    assert after["TargetGroup"] not in [t["TargetGroupArn"] for t in elb.describe_target_groups()["TargetGroups"]
                                        if t["TargetGroupArn"] == before["TargetGroup"]] and \
        before["TargetGroup"] not in [t["TargetGroupArn"] for t in elb.describe_target_groups()["TargetGroups"]]
    asg = aws("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[after["AutoScalingGroup"]])[
        "AutoScalingGroups"][0]
    assert asg["TargetGroupARNs"] == [after["TargetGroup"]]
    versions = aws("ec2").describe_launch_template_versions(LaunchTemplateId=after["LaunchTemplate"])["LaunchTemplateVersions"]
    latest = max(versions, key=lambda v: v["VersionNumber"])
    assert latest["LaunchTemplateData"]["InstanceType"] == "t3.small"
    assert str(asg["LaunchTemplate"]["Version"]) == str(latest["VersionNumber"])

    db = aws("rds").describe_db_instances(DBInstanceIdentifier=after["Database"])["DBInstances"][0]
    assert db["DBInstanceClass"] == "db.t3.small"
    params = {p["ParameterName"]: p["ParameterValue"] for p in aws("rds").describe_db_parameters(
        DBParameterGroupName=after["DbParameterGroup"], Source="user")["Parameters"]}
    assert params["max_connections"] == "190"  # from the template's mapping for db.t3.small
    alarm = aws("cloudwatch").describe_alarms(AlarmNames=[after["RdsConnectionsHighAlarm"]])["MetricAlarms"][0]
    assert alarm["Threshold"] == 152
    retention = {g["logGroupName"]: g.get("retentionInDays") for g in _all_log_groups(aws("logs"))}
    assert retention[after["ApiAccessLogGroup"]] == 14
    pool = aws("cognito-idp").describe_user_pool(UserPoolId=after["UserPool"])["UserPool"]
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] == 14
    subs = aws("sns").list_subscriptions_by_topic(TopicArn=after["AlarmTopic"])["Subscriptions"]
    assert [s["Endpoint"] for s in subs] == ["b@example.com"]
    stack.delete()


def _all_log_groups(logs):
    """Every page: other tests' stacks share this emulator, and a page holds 50 groups."""
    return [g for page in logs.get_paginator("describe_log_groups").paginate() for g in page["logGroups"]]
