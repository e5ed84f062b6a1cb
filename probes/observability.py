"""Observability layer: the alarms that matter exist with the right thresholds and notify a
topic somebody actually receives (Challenge 6), an alarm drill proves the path end to end,
CloudTrail records the account, logs expire, and a dashboard shows every layer (Challenge 10).
"""
from __future__ import annotations

import json
import time
import uuid
from typing import Any

from pydantic import Field

from probes import graph, iam, reads
from probes.expectations import Strict, layer_expectations
from probes.inventory import Inventory
from probes.registry import probe
from probes.result import Finding, absent, failed, passed, skipped


class ExpectedAlarm(Strict):
    label: str
    namespace: str
    metric: str
    statistic: str
    comparison: str
    # Either a fixed threshold or a percentage of the DB's max_connections.
    threshold: float | None = None
    threshold_pct_of_max_connections: float | None = None
    # Period x evaluation periods: how long the condition must hold before it fires.
    window_seconds: int
    # Dimension whose value must name this stack's resource (ours are checked by name).
    dimension: str | None = None


DEFAULT_ALARMS = (
    ExpectedAlarm(label="ASG CPU > 80 % for 5 minutes", namespace="AWS/EC2",
                  metric="CPUUtilization", statistic="Average",
                  comparison="GreaterThanThreshold", threshold=80, window_seconds=300,
                  dimension="AutoScalingGroupName"),
    ExpectedAlarm(label="RDS connections > 80 % of max", namespace="AWS/RDS",
                  metric="DatabaseConnections", statistic="Average",
                  comparison="GreaterThanThreshold", threshold_pct_of_max_connections=80,
                  window_seconds=300, dimension="DBInstanceIdentifier"),
    ExpectedAlarm(label="API 5XX errors", namespace="AWS/ApiGateway", metric="5XXError",
                  statistic="Sum", comparison="GreaterThanOrEqualToThreshold", threshold=5,
                  window_seconds=300, dimension="ApiName"),
    ExpectedAlarm(label="NLB unhealthy hosts", namespace="AWS/NetworkELB",
                  metric="UnHealthyHostCount", statistic="Maximum",
                  comparison="GreaterThanThreshold", threshold=0, window_seconds=180,
                  dimension="LoadBalancer"),
    ExpectedAlarm(label="RDS free storage < 2 GiB", namespace="AWS/RDS",
                  metric="FreeStorageSpace", statistic="Minimum",
                  comparison="LessThanThreshold", threshold=2147483648, window_seconds=300,
                  dimension="DBInstanceIdentifier"),
)

# Which CloudWatch namespaces make a dashboard widget count for a layer.
LAYER_NAMESPACES = {
    "edge": ("AWS/CloudFront",),
    "waf": ("AWS/WAFV2",),
    "api": ("AWS/ApiGateway",),
    "compute": ("AWS/EC2", "AWS/AutoScaling", "AWS/NetworkELB", "AWS/ApplicationELB",
                "CWAgent"),
    "database": ("AWS/RDS",),
    "auth": ("AWS/Cognito",),
}


@layer_expectations("observability")
class ObservabilityExpect(Strict):
    alarms: tuple[ExpectedAlarm, ...] = DEFAULT_ALARMS
    # max_connections of the DB when its parameter group leaves it to the RDS formula.
    rds_max_connections: int | None = Field(default=None, ge=1)
    # Log groups must expire; optionally no later than this many days.
    log_retention_max_days: int | None = Field(default=None, ge=1)
    dashboard_layers: tuple[str, ...] = ("edge", "api", "compute", "database")
    # The alarm drill: which alarm to trip (default: one that notifies the topic) and how
    # long to wait for its notification.
    drill_alarm: str | None = None
    drill_wait_seconds: int = Field(default=20, ge=1, le=300)


# ---- alarms -----------------------------------------------------------------------------
def _alarm_metric(alarm: dict) -> tuple[str | None, str | None, str | None, int, list[dict]]:
    """(namespace, metric, statistic, period, dimensions) of a plain or metric-math alarm."""
    if alarm.get("MetricName"):
        return (alarm.get("Namespace"), alarm["MetricName"],
                alarm.get("Statistic") or alarm.get("ExtendedStatistic"),
                int(alarm.get("Period") or 0), alarm.get("Dimensions") or [])
    for q in alarm.get("Metrics") or []:
        stat = q.get("MetricStat")
        if stat and q.get("ReturnData", True):
            m = stat.get("Metric", {})
            return (m.get("Namespace"), m.get("MetricName"), stat.get("Stat"),
                    int(stat.get("Period") or q.get("Period") or 0), m.get("Dimensions") or [])
    return None, None, None, 0, []


def _max_connections(inv: Inventory, exp: Any) -> tuple[int | None, str]:
    if exp.observability.rds_max_connections:
        return exp.observability.rds_max_connections, "expectations.observability.rds_max_connections"
    group = reads.db_parameter_group_name(inv)
    if not group:
        return None, "no DB parameter group"
    value = reads.db_parameters(inv, group).get("max_connections")
    try:
        return int(str(value)), f"max_connections in DB parameter group {group}"
    except (TypeError, ValueError):
        return None, f"max_connections in {group} is {value!r} (a formula or unset)"


def _stack_dimension_value(inv: Inventory, dimension: str) -> str | None:
    """The value a dimension must have to watch this stack's resource, if we know it."""
    if dimension == "AutoScalingGroupName":
        return graph.role(inv, "auto_scaling_group")
    if dimension == "DBInstanceIdentifier":
        return graph.role(inv, "db_instance")
    if dimension == "LoadBalancer":
        arn = graph.role(inv, "nlb")
        return arn.split(":loadbalancer/", 1)[1] if arn and ":loadbalancer/" in arn else None
    if dimension == "TargetGroup":
        arn = graph.role(inv, "target_group")
        return arn.rsplit(":", 1)[1] if arn else None
    if dimension == "ApiId":
        return reads.http_api_id(inv)
    if dimension == "ApiName":
        api = reads.rest_api_id(inv)
        resp = inv.call("apigateway", "get_rest_api", missing_ok=True, restApiId=api) if api else None
        return (resp or {}).get("name")
    return None


def _compare(inv: Inventory, exp: Any, want: ExpectedAlarm, alarm: dict) -> list[str]:
    """What differs between an alarm and its expectation, in words (empty when it matches)."""
    _, _, stat, period, dims = _alarm_metric(alarm)
    problems = []
    if stat != want.statistic:
        problems.append(f"statistic {stat}, expected {want.statistic}")
    if alarm.get("ComparisonOperator") != want.comparison:
        problems.append(f"comparison {alarm.get('ComparisonOperator')}, expected {want.comparison}")
    threshold = alarm.get("Threshold")
    target, source = want.threshold, ""
    if want.threshold_pct_of_max_connections is not None:
        max_conn, source = _max_connections(inv, exp)
        if max_conn is None:
            problems.append(f"threshold {threshold} cannot be checked against "
                            f"{want.threshold_pct_of_max_connections:g} % of max_connections "
                            f"({source}; set expectations.observability.rds_max_connections)")
            target = None
        else:
            target = max_conn * want.threshold_pct_of_max_connections / 100
            source = f"{want.threshold_pct_of_max_connections:g} % of {max_conn} ({source})"
    if target is not None and (threshold is None or abs(float(threshold) - target) >= 1):
        problems.append(f"threshold {threshold:g}, expected {target:g}" if threshold is not None
                        else f"no threshold, expected {target:g}")
        if source:
            problems[-1] += f" = {source}"
    evals = int(alarm.get("EvaluationPeriods") or 0)
    window = period * evals
    if window != want.window_seconds:
        problems.append(f"window {period} s x {evals} = {window} s, expected "
                        f"{want.window_seconds} s")
    if want.dimension:
        value = _stack_dimension_value(inv, want.dimension)
        actual = next((d.get("Value") for d in dims if d.get("Name") == want.dimension), None)
        if value and actual != value:
            problems.append(f"dimension {want.dimension}={actual}, expected {value} "
                            "(this stack's resource)")
    return problems


# The expected alarms page the on-call engineer, so they are judged only on a stack whose
# alarms notify somebody (an alarm topic) and only for the resources the stack has: an
# expected alarm watches a resource through its dimension, and a stack without that
# resource (no DB, no API, no NLB) cannot be missing the alarm on it. Alarms whose actions
# only drive scaling policies or EC2 actions are tuned for scaling, not for paging: they
# are neither held to the paging thresholds nor required to notify the topic.
_DIMENSION_ROLES = {"AutoScalingGroupName": "auto_scaling_group", "DBInstanceIdentifier": "db_instance",
                    "ApiName": "rest_api", "ApiId": "http_api", "LoadBalancer": "nlb",
                    "TargetGroup": "target_group"}
# HTTP APIs publish their errors as 4xx/5xx per ApiId where REST APIs publish 4XXError/
# 5XXError per ApiName (API Gateway Developer Guide, "Metrics for HTTP APIs").
_HTTP_API_METRICS = {"5XXError": "5xx", "4XXError": "4xx"}


def _for_api_kind(inv: Inventory, want: ExpectedAlarm) -> ExpectedAlarm:
    """An expected REST API alarm, as it reads on a stack whose API is an HTTP API."""
    if want.dimension == "ApiName" and not graph.role(inv, "rest_api") and graph.role(inv, "http_api"):
        return want.model_copy(update={"metric": _HTTP_API_METRICS.get(want.metric, want.metric),
                                       "dimension": "ApiId"})
    return want


def _pages(alarm: dict) -> bool:
    """Whether an alarm is meant to page: it notifies SNS, or has no action left at all."""
    actions = alarm.get("AlarmActions") or []
    return not actions or any(":sns:" in a for a in actions)


@probe(layer="observability", component="alarms",
       title="Each expected alarm exists with the right metric, threshold and window",
       severity="critical", gate=True, challenge=6, needs=("AWS::CloudWatch::Alarm", "alarm_topic"),
       remediation="Correct the alarm (aws cloudwatch put-metric-alarm) to the expected "
                   "statistic, comparison, threshold and period x evaluation periods, or change "
                   "expectations.observability.alarms if the environment differs on purpose")
def alarms_configured(inv: Inventory, exp: Any) -> list[Finding]:
    alarms = [a for a in reads.alarms(inv) if _pages(a)]
    findings = []
    for want in (_for_api_kind(inv, w) for w in exp.observability.alarms):
        matches = [a for a in alarms
                   if _alarm_metric(a)[:2] == (want.namespace, want.metric)]
        what = f"alarm on {want.namespace} {want.metric} ({want.label})"
        watched = _DIMENSION_ROLES.get(want.dimension or "")
        if not matches and watched and not graph.role(inv, watched):
            findings.append(skipped(what, f"is not expected: the stack has no {graph.ROLES[watched][1]} "
                                          f"({graph.of(inv).followed(watched)})"))
            continue
        if not matches:
            findings.append(absent(
                what, "an alarm on this metric",
                f"Create it: aws cloudwatch put-metric-alarm --namespace {want.namespace} "
                f"--metric-name {want.metric} --statistic {want.statistic} --comparison-operator "
                f"{want.comparison} ... --alarm-actions <alarm topic ARN>",
                stack_alarms=[a["AlarmName"] for a in alarms]))
            continue
        judged = [(a, _compare(inv, exp, want, a)) for a in matches]
        good = [a for a, problems in judged if not problems]
        if good:
            a = good[0]
            findings.append(passed(f"alarm {a['AlarmName']}", f"watches {want.label} as expected",
                                   threshold=a.get("Threshold"), period=a.get("Period"),
                                   evaluation_periods=a.get("EvaluationPeriods")))
            continue
        a, problems = judged[0]
        findings.append(failed(
            f"alarm {a['AlarmName']} ({want.label})", f"has {'; '.join(problems)}",
            f"{want.statistic} {want.comparison} over {want.window_seconds} s as the "
            "environment expects",
            f"aws cloudwatch put-metric-alarm --alarm-name {a['AlarmName']} with the expected "
            "values (or update the stack), or change expectations.observability.alarms",
            statistic=_alarm_metric(a)[2], comparison=a.get("ComparisonOperator"),
            threshold=a.get("Threshold"), period=_alarm_metric(a)[3],
            evaluation_periods=a.get("EvaluationPeriods"),
            datapoints_to_alarm=a.get("DatapointsToAlarm")))
    return findings


@probe(layer="observability", component="alarms",
       title="Alarms have actions enabled and notify the alarm topic", severity="critical",
       gate=True, challenge=6, needs=("AWS::CloudWatch::Alarm", "alarm_topic"),
       remediation="aws cloudwatch enable-alarm-actions --alarm-names <name>, and set "
                   "--alarm-actions <alarm topic ARN> with put-metric-alarm")
def alarm_actions_notify_topic(inv: Inventory, exp: Any) -> list[Finding]:
    topic = graph.role(inv, "alarm_topic")
    if not topic:
        return [absent("SNS alarm topic (AWS::SNS::Topic)",
                       fix="Set resources.alarm_topic in the environment file")]
    alarms = reads.alarms(inv)
    if not alarms:
        return [absent("CloudWatch alarms (AWS::CloudWatch::Alarm)",
                       fix="Create the expected alarms (observability.alarms_configured lists "
                           "them)")]
    findings = []
    for a in alarms:
        name = f"alarm {a['AlarmName']}"
        actions = a.get("AlarmActions") or []
        if not _pages(a):
            findings.append(skipped(name, f"acts on {', '.join(actions)} (scaling or instance "
                                          "actions, not a page)", alarm_actions=actions))
            continue
        problems = []
        if not a.get("ActionsEnabled", False):
            problems.append("has actions disabled (ActionsEnabled=false)")
        if topic not in actions:
            problems.append(f"alarm actions {actions or 'none'} do not include the topic")
        if problems:
            fix = []
            if not a.get("ActionsEnabled", False):
                fix.append(f"aws cloudwatch enable-alarm-actions --alarm-names {a['AlarmName']}")
            if topic not in actions:
                fix.append(f"add {topic} to its AlarmActions (put-metric-alarm --alarm-actions)")
            findings.append(failed(name, "; ".join(problems),
                                   f"actions enabled and AlarmActions including {topic}",
                                   "; ".join(fix), alarm_actions=actions,
                                   actions_enabled=a.get("ActionsEnabled")))
        else:
            findings.append(passed(name, f"notifies {topic}", alarm_actions=actions))
    return findings


@probe(layer="observability", component="notifications",
       title="The alarm topic has a subscription that can deliver",
       severity="critical", gate=True, challenge=6, needs=("AWS::CloudWatch::Alarm", "alarm_topic"),
       remediation="Subscribe an endpoint that needs no person (an SQS queue: the bundled "
                   "template's AlarmQueueEnabled=true) or have the e-mail's owner click the "
                   "link in the confirmation e-mail (aws sns subscribe --topic-arn <topic> "
                   "--protocol email --notification-endpoint <addr> sends a new one)")
def alarm_topic_subscribed(inv: Inventory, exp: Any) -> Finding:
    topic = graph.role(inv, "alarm_topic")
    if not topic:
        return absent("SNS alarm topic (AWS::SNS::Topic)",
                      fix="Set resources.alarm_topic in the environment file")
    if not inv.call("sns", "get_topic_attributes", missing_ok=True, TopicArn=topic):
        return absent(f"SNS topic {topic}")
    subs = reads.topic_subscriptions(inv, topic)
    confirmed, pending = [], []
    for s in subs:
        label = f"{s.get('Protocol')}:{s.get('Endpoint')}"
        arn = s.get("SubscriptionArn") or ""
        if arn in ("PendingConfirmation", "Deleted") or not arn.startswith("arn:"):
            (pending if arn != "Deleted" else []).append(label)
            continue
        attrs = (inv.call("sns", "get_subscription_attributes", missing_ok=True,
                          SubscriptionArn=arn) or {}).get("Attributes", {})
        if str(attrs.get("PendingConfirmation", "false")).lower() == "true":
            pending.append(label)
        else:
            confirmed.append(label)
    name = f"SNS topic {topic}"
    # Pending endpoints receive nothing until their owner confirms: say who must act.
    waiting = "; ".join(
        f"{p} is pending confirmation: {p.split(':', 1)[1]} must click the link in the "
        "confirmation e-mail" if p.startswith(("email:", "email-json:"))
        else f"{p} is pending confirmation: the endpoint must confirm with the token SNS sent it"
        for p in pending)
    if not confirmed:
        return failed(name, "has no subscription that can deliver (alarms notify nobody)"
                      + (f"; {waiting}" if waiting else ": no subscription at all"),
                      "at least one confirmed subscription", confirmed=confirmed, pending=pending)
    return passed(name, f"delivers to {len(confirmed)} confirmed subscription(s): "
                  f"{', '.join(confirmed)}" + (f"; {waiting}" if waiting else ""),
                  confirmed=confirmed, pending=pending)


# ---- the alarm drill (mutating) ---------------------------------------------------------
def _drill_alarm(inv: Inventory, exp: Any, topic: str) -> dict | None:
    alarms = reads.alarms(inv)
    if exp.observability.drill_alarm:
        return next((a for a in alarms if a["AlarmName"] == exp.observability.drill_alarm), None)
    routed = [a for a in alarms if topic in (a.get("AlarmActions") or [])
              and a.get("ActionsEnabled", False)]
    # Prefer one at OK: a transition to ALARM is what publishes.
    for pool in (routed, alarms):
        for a in sorted(pool, key=lambda a: (a.get("StateValue") != "OK", a["AlarmName"])):
            return a
    return None


def _notification_for(body: str, alarm_name: str) -> dict | None:
    try:
        envelope = json.loads(body)
        message = envelope.get("Message", body) if isinstance(envelope, dict) else body
        payload = json.loads(message) if isinstance(message, str) else message
    except (TypeError, ValueError):
        return None
    if isinstance(payload, dict) and payload.get("AlarmName") == alarm_name \
            and payload.get("NewStateValue") == "ALARM":
        return payload
    return None


@probe(layer="observability", component="notifications",
       title="Alarm drill: a tripped alarm's notification reaches the topic's subscribers",
       severity="critical", challenge=6, mutating=True,
       remediation="Point the alarm's AlarmActions at the alarm topic, enable its actions, and "
                   "check the topic policy lets cloudwatch.amazonaws.com publish")
def alarm_drill(inv: Inventory, exp: Any) -> Finding:
    """Trip an alarm and watch its notification arrive, then put everything back.

    The one place a probe makes its own clients: it must change state (a temporary SQS
    queue subscribed to the topic, the alarm's state). It uses ``inv.session``, which
    refuses every mutation unless the environment sets ``allow_mutations: true``.
    """
    topic = graph.role(inv, "alarm_topic")
    if not topic:
        return absent("SNS alarm topic (AWS::SNS::Topic)")
    alarm = _drill_alarm(inv, exp, topic)
    if not alarm:
        return absent(f"alarm to drill{f' {exp.observability.drill_alarm}' if exp.observability.drill_alarm else ''}")
    name = alarm["AlarmName"]
    sqs, sns, cw = (inv.session.client(s) for s in ("sqs", "sns", "cloudwatch"))
    queue_url = sub_arn = None
    tripped = False
    original = alarm.get("StateValue") or "OK"
    wait = exp.observability.drill_wait_seconds
    received: dict | None = None
    try:
        queue_url = sqs.create_queue(QueueName=f"stackprobe-drill-{uuid.uuid4().hex[:12]}")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
                           "Action": "sqs:SendMessage", "Resource": queue_arn,
                           "Condition": {"ArnEquals": {"aws:SourceArn": topic}}}]})})
        sub_arn = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn,
                                ReturnSubscriptionArn=True)["SubscriptionArn"]
        if original == "ALARM":  # only a transition publishes
            cw.set_alarm_state(AlarmName=name, StateValue="OK",
                               StateReason="stackprobe alarm drill: reset before tripping")
        tripped = True
        cw.set_alarm_state(AlarmName=name, StateValue="ALARM",
                           StateReason="stackprobe alarm drill (test notification)")
        deadline = time.monotonic() + wait
        while received is None and time.monotonic() < deadline:
            left = max(0, min(20, int(deadline - time.monotonic())))
            resp = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10,
                                       WaitTimeSeconds=left)
            for m in resp.get("Messages", []):
                received = received or _notification_for(m.get("Body", ""), name)
            if not resp.get("Messages") and left == 0:
                break
    finally:
        if tripped:
            try:
                cw.set_alarm_state(AlarmName=name, StateValue=original,
                                   StateReason="stackprobe alarm drill: state restored")
            except Exception:  # noqa: BLE001 - cleanup must continue
                pass
        if sub_arn and sub_arn.startswith("arn:"):
            try:
                sns.unsubscribe(SubscriptionArn=sub_arn)
            except Exception:  # noqa: BLE001
                pass
        if queue_url:
            try:
                sqs.delete_queue(QueueUrl=queue_url)
            except Exception:  # noqa: BLE001
                pass
    actions = alarm.get("AlarmActions") or []
    who = f"alarm {name} -> SNS topic {topic}"
    if received is None:
        why = []
        if topic not in actions:
            why.append(f"the alarm's actions are {actions or 'empty'}")
        if not alarm.get("ActionsEnabled", False):
            why.append("its actions are disabled")
        return failed(who, f"was set to ALARM but no notification reached a queue subscribed "
                           f"to the topic within {wait} s"
                           + (f" ({'; '.join(why)})" if why else ""),
                      "the ALARM notification delivered to the topic's subscribers",
                      alarm_actions=actions, actions_enabled=alarm.get("ActionsEnabled"),
                      restored_state=original)
    return passed(who, f"delivered the ALARM notification to a test subscriber (state restored "
                       f"to {original}); email subscribers still need a confirmed subscription",
                  restored_state=original)


# ---- CloudTrail -------------------------------------------------------------------------
def _trail(inv: Inventory) -> tuple[str, dict | None]:
    name = graph.role(inv, "trail")
    if not name:
        return "CloudTrail trail (AWS::CloudTrail::Trail)", None
    return f"CloudTrail trail {name}", reads.trail(inv, name)


def _no_trail(what: str) -> Finding:
    return absent(what, fix="Create a multi-region trail with log file validation, or set "
                            "resources.trail in the environment file")


@probe(concern="security", layer="observability", component="cloudtrail", title="CloudTrail trail is multi-region",
       severity="normal",
       remediation="aws cloudtrail update-trail --name <trail> --is-multi-region-trail")
def cloudtrail_multi_region(inv: Inventory, exp: Any) -> Finding:
    what, trail = _trail(inv)
    if trail is None:
        return _no_trail(what)
    if not trail.get("IsMultiRegionTrail"):
        return failed(what, f"records only {trail.get('HomeRegion', 'its home region')} "
                            "(IsMultiRegionTrail=false)", "a multi-region trail",
                      f"aws cloudtrail update-trail --name {trail['Name']} --is-multi-region-trail")
    return passed(what, "is multi-region")


@probe(concern="security", layer="observability", component="cloudtrail", title="CloudTrail trail is logging",
       severity="critical", gate=True,
       remediation="aws cloudtrail start-logging --name <trail>")
def cloudtrail_logging(inv: Inventory, exp: Any) -> Finding:
    what, trail = _trail(inv)
    if trail is None:
        return _no_trail(what)
    status = reads.trail_status(inv, trail.get("TrailARN") or trail["Name"])
    if not status:
        return absent(f"status of {what}")
    if not status.get("IsLogging"):
        return failed(what, "is not logging (IsLogging=false: API activity is not recorded)",
                      "IsLogging=true", f"aws cloudtrail start-logging --name {trail['Name']}",
                      stopped=status.get("StopLoggingTime"))
    err = status.get("LatestDeliveryError")
    if err:
        return failed(what, f"is logging but fails to deliver: {err}", "delivery to succeed",
                      f"Fix the bucket policy of {trail.get('S3BucketName')} for "
                      "cloudtrail.amazonaws.com", latest_delivery_error=err)
    return passed(what, "is logging")


@probe(concern="security", layer="observability", component="cloudtrail",
       title="CloudTrail log file validation is on", severity="normal",
       remediation="aws cloudtrail update-trail --name <trail> --enable-log-file-validation")
def cloudtrail_log_file_validation(inv: Inventory, exp: Any) -> Finding:
    what, trail = _trail(inv)
    if trail is None:
        return _no_trail(what)
    if not trail.get("LogFileValidationEnabled"):
        return failed(what, "has log file validation off (tampered logs go unnoticed)",
                      "LogFileValidationEnabled=true",
                      f"aws cloudtrail update-trail --name {trail['Name']} "
                      "--enable-log-file-validation")
    return passed(what, "has log file validation on")


# ---- logs -------------------------------------------------------------------------------
def _stack_log_group_names(inv: Inventory) -> list[str]:
    names = set(inv.ids("AWS::Logs::LogGroup"))
    # Groups services create for the stack's resources (they never expire by default).
    prefixes = []
    db = graph.role(inv, "db_instance")
    if db:
        prefixes.append(f"/aws/rds/instance/{db}/")
    api = reads.rest_api_id(inv)
    if api:
        prefixes.append(f"API-Gateway-Execution-Logs_{api}/")
    for prefix in prefixes:
        names.update(g["logGroupName"] for g in reads.log_groups(inv, prefix))
    return sorted(names)


@probe(layer="observability", component="logs",
       title="Every log group of the stack has a retention policy", severity="normal",
       challenge=10,
       remediation="aws logs put-retention-policy --log-group-name <group> "
                   "--retention-in-days <days>")
def log_groups_have_retention(inv: Inventory, exp: Any) -> list[Finding]:
    names = _stack_log_group_names(inv)
    if not names:
        return [skipped(f"stack {inv.stack_name}", "has no log groups")]
    limit = exp.observability.log_retention_max_days
    findings = []
    for name in names:
        group = reads.log_group(inv, name)
        what = f"log group {name}"
        if group is None:
            findings.append(absent(what, fix="Recreate it with a retention policy (redeploy)"))
            continue
        days = group.get("retentionInDays")
        fix = (f"aws logs put-retention-policy --log-group-name {name} --retention-in-days "
               f"{limit or 30}")
        if days is None:
            findings.append(failed(what, "never expires (no retention policy; it grows and "
                                         "costs forever)",
                                   f"a retention policy{f' of at most {limit} days' if limit else ''}",
                                   fix, stored_bytes=group.get("storedBytes")))
        elif limit and days > limit:
            findings.append(failed(what, f"keeps logs {days} days", f"at most {limit} days", fix))
        else:
            findings.append(passed(what, f"keeps logs {days} days"))
    return findings


# ---- dashboard --------------------------------------------------------------------------
def _widget_namespaces(widget: dict) -> set[str]:
    found, current = set(), None
    for row in (widget.get("properties") or {}).get("metrics") or []:
        if not isinstance(row, list) or not row or not isinstance(row[0], str):
            continue
        current = current if row[0] == "." else row[0]
        if current:
            found.add(current)
    return found


@probe(layer="observability", component="dashboard",
       title="A dashboard shows every layer (edge, api, compute, database)",
       severity="normal", challenge=10,
       remediation="Add metric widgets for the missing layers to the dashboard "
                   "(aws cloudwatch put-dashboard), e.g. AWS/CloudFront, AWS/ApiGateway, "
                   "AWS/EC2 + AWS/NetworkELB, AWS/RDS")
def dashboard_covers_layers(inv: Inventory, exp: Any) -> Finding:
    name = graph.role(inv, "dashboard")
    if not name:
        return absent("CloudWatch dashboard (AWS::CloudWatch::Dashboard)",
                      fix="Create a dashboard with a widget per layer, or set "
                          "resources.dashboard in the environment file")
    body = reads.dashboard(inv, name)
    what = f"dashboard {name}"
    if body is None:
        return absent(what, fix="Recreate it (redeploy the stack or aws cloudwatch put-dashboard)")
    covered: dict[str, list[str]] = {}
    for w in body.get("widgets") or []:
        if w.get("type") != "metric":
            continue
        title = (w.get("properties") or {}).get("title") or "(untitled)"
        namespaces = _widget_namespaces(w)
        for layer, spaces in LAYER_NAMESPACES.items():
            if namespaces & set(spaces):
                covered.setdefault(layer, []).append(title)
    want = exp.observability.dashboard_layers
    missing = [layer for layer in want if layer not in covered]
    if missing:
        need = ", ".join(f"{layer} ({'/'.join(LAYER_NAMESPACES.get(layer, ('?',)))})"
                         for layer in missing)
        return failed(what, f"has no metric widget for layer(s) {', '.join(missing)}",
                      f"widgets covering {', '.join(want)}",
                      f"Add metric widgets for {need} to {name} (aws cloudwatch put-dashboard)",
                      covered=covered, widgets=len(body.get("widgets") or []))
    return passed(what, f"covers {', '.join(want)} ({len(body.get('widgets') or [])} widgets)",
                  covered=covered)


@probe(layer="observability", component="notifications",
       title="The alarm topic's policy lets CloudWatch publish", severity="critical", gate=True,
       challenge=10, needs=("alarm_topic",),
       remediation="Remove the Deny from the topic policy (aws sns set-topic-attributes "
                   "--attribute-name Policy ...): CloudWatch publishes alarm notifications as "
                   "cloudwatch.amazonaws.com")
def alarm_topic_policy_allows_cloudwatch(inv: Inventory, exp: Any) -> Finding:
    topic = graph.role(inv, "alarm_topic")
    attrs = reads.topic_attributes(inv, topic)
    if not attrs:
        return absent(f"SNS topic {topic}", "the alarm topic to exist")
    policy = json.loads(attrs.get("Policy") or "{}")
    owner = topic.split(":")[4]
    # Alarms of the topic's own account publish (the default policy's SourceOwner condition).
    context = {"aws:SourceOwner": owner, "aws:SourceAccount": owner}
    decision = iam.decide_resource(policy, "the topic policy", "cloudwatch.amazonaws.com",
                                   "sns:Publish", topic, context)
    if decision.verdict == "deny":
        return failed(f"SNS topic {topic}", "has a topic policy that denies sns:Publish to CloudWatch "
                      "(alarms fire and nobody is paged)", "CloudWatch allowed to publish",
                      policy=policy)
    # The default policy lets the owner account publish, which covers its alarms.
    account = iam.decide_resource(policy, "the topic policy", f"arn:aws:iam::{owner}:root",
                                  "sns:Publish", topic, context)
    if not decision.allowed and not account.allowed:
        return failed(f"SNS topic {topic}", "has a topic policy that lets neither CloudWatch nor "
                      f"account {owner} publish", "CloudWatch allowed to publish", policy=policy)
    return passed(f"SNS topic {topic}", "lets CloudWatch alarms publish", policy=policy)


@probe(concern="security", layer="observability", component="cloudtrail",
       title="The trail's bucket policy lets CloudTrail deliver", severity="critical", gate=True,
       challenge=10,
       remediation="Restore the bucket policy CloudTrail needs: s3:GetBucketAcl on the bucket and "
                   "s3:PutObject on <bucket>/[prefix/]AWSLogs/<account>/* for "
                   "cloudtrail.amazonaws.com (with bucket-owner-full-control)")
def trail_bucket_allows_delivery(inv: Inventory, exp: Any) -> Finding:
    label, trail = _trail(inv)
    if not trail:
        return _no_trail(label)
    bucket = trail.get("S3BucketName")
    if not bucket:
        return failed(label, "delivers to no S3 bucket", "an S3 bucket for the log files")
    account = (trail.get("TrailARN") or "arn:aws:cloudtrail:r:000000000000:").split(":")[4]
    prefix = f"{trail['S3KeyPrefix']}/" if trail.get("S3KeyPrefix") else ""
    key = f"arn:aws:s3:::{bucket}/{prefix}AWSLogs/{account}/CloudTrail/x.json.gz"
    policy = reads.bucket_policy(inv, bucket)
    service = "cloudtrail.amazonaws.com"
    # What CloudTrail sends with its delivery (the keys AWS's documented bucket policy checks).
    context = {"aws:SourceArn": trail.get("TrailARN", ""), "aws:SourceAccount": account,
               "s3:x-amz-acl": "bucket-owner-full-control"}
    acl = iam.decide_resource(policy, "the bucket policy", service, "s3:GetBucketAcl",
                              f"arn:aws:s3:::{bucket}", context)
    put = iam.decide_resource(policy, "the bucket policy", service, "s3:PutObject", key, context)
    missing = [what for what, d in (("s3:GetBucketAcl on the bucket", acl),
                                    (f"s3:PutObject on {prefix}AWSLogs/{account}/*", put)) if not d.allowed]
    if missing:
        return failed(f"bucket {bucket} ({label}'s log bucket)",
                      f"has a bucket policy that does not let CloudTrail call {' or '.join(missing)}"
                      if policy else "has no bucket policy, so CloudTrail cannot deliver log files",
                      f"{service} allowed s3:GetBucketAcl and s3:PutObject", policy=policy or {})
    return passed(f"bucket {bucket} ({label}'s log bucket)", "lets CloudTrail deliver log files")
