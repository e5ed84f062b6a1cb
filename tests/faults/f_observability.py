"""Faults for the observability layer: alarms that cannot fire or notify nobody (Challenge
6), a trail that stopped, logs that never expire and a dashboard missing a layer
(Challenge 10)."""
import json

from tests.faults import anystack as any_
from tests.faults.catalog import Fault
from tests.faults.catalog import listed_physical as _physical

ACCOUNT, REGION = "123456789012", "us-east-1"

_PUT_KEYS = ("AlarmName", "AlarmDescription", "ActionsEnabled", "OKActions", "AlarmActions",
             "InsufficientDataActions", "MetricName", "Namespace", "Statistic", "Dimensions",
             "Period", "EvaluationPeriods", "DatapointsToAlarm", "Threshold",
             "ComparisonOperator", "TreatMissingData")


def _repoint_alarm(logical_id, **changes):
    """put-metric-alarm over an existing alarm, as an operator 'tuning' it would."""
    def inject(stack):
        cw = stack.client("cloudwatch")
        alarm = cw.describe_alarms(AlarmNames=[_physical(stack, logical_id)])["MetricAlarms"][0]
        params = {k: alarm[k] for k in _PUT_KEYS if k in alarm and alarm[k] is not None}
        params.update(changes)
        cw.put_metric_alarm(**params)
    return inject


def _disable_actions(stack):
    stack.client("cloudwatch").disable_alarm_actions(
        AlarmNames=[_physical(stack, "AsgCpuHighAlarm")])


def _subscriptions(stack):
    return stack.client("sns").list_subscriptions_by_topic(
        TopicArn=stack.outputs["AlarmTopicArn"])["Subscriptions"]


def _unsubscribe(stack):
    # Every confirmed subscription goes; the e-mail one stays PendingConfirmation (AWS lets
    # nobody unsubscribe a pending subscription: it expires after three days).
    for s in _subscriptions(stack):
        if s["SubscriptionArn"].startswith("arn:"):
            stack.client("sns").unsubscribe(SubscriptionArn=s["SubscriptionArn"])


def _subscription_pending(stack):
    # The queue's subscription waits for its confirmation, as a subscription of a queue in
    # another account does until the queue's owner confirms it (Challenge 6).
    from moto.sns.models import sns_backends
    backend = sns_backends[ACCOUNT][REGION]
    for s in _subscriptions(stack):
        if s["Protocol"] == "sqs":
            backend.subscriptions[s["SubscriptionArn"]].attributes["PendingConfirmation"] = "true"


def _trail(stack):
    return stack.outputs["TrailName"]


def _update_trail(**params):
    def inject(stack):
        stack.client("cloudtrail").update_trail(Name=_trail(stack), **params)
    return inject


def _drop_retention(stack):
    stack.client("logs").delete_retention_policy(logGroupName=_physical(stack, "DbLogGroup"))


def _dashboard_without(namespace):
    def inject(stack):
        cw, name = stack.client("cloudwatch"), stack.outputs["DashboardName"]
        body = json.loads(cw.get_dashboard(DashboardName=name)["DashboardBody"])
        body["widgets"] = [w for w in body["widgets"]
                           if not any(isinstance(r, list) and r and r[0] == namespace
                                      for r in w.get("properties", {}).get("metrics", []))]
        cw.put_dashboard(DashboardName=name, DashboardBody=json.dumps(body))
    return inject


def _trail_bucket_policy_removed(stack) -> None:
    stack.client("s3").delete_bucket_policy(Bucket=stack.physical("TrailBucket"))

def _root_only_key(stack) -> str:
    """A customer-managed key with the default key policy (the account root only)."""
    return stack.client("kms").create_key(Description="alarm topic", Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Sid": "Enable IAM policies", "Effect": "Allow",
             "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*",
             "Resource": "*"}]}))["KeyMetadata"]["KeyId"]


def _topic_key(key_of):
    """Encrypt the alarm topic (a compliance ticket's "encrypt every topic")."""
    def inject(stack) -> None:
        stack.client("sns").set_topic_attributes(TopicArn=stack.physical("AlarmTopic"),
                                                 AttributeName="KmsMasterKeyId",
                                                 AttributeValue=key_of(stack))
    return inject


def _trail_key_policy_replaced(stack) -> None:
    """The trail encrypts with a key CloudTrail was allowed to use (CloudTrail refuses any
    other), then the key policy was replaced by the default one, dropping CloudTrail."""
    kms, trail = stack.client("kms"), stack.client("cloudtrail")
    arn = trail.get_trail(Name=_trail(stack))["Trail"]["TrailARN"]
    root = {"Sid": "Enable IAM policies", "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"}
    cloudtrail = {"Sid": "Allow CloudTrail to encrypt logs", "Effect": "Allow",
                  "Principal": {"Service": "cloudtrail.amazonaws.com"},
                  "Action": ["kms:GenerateDataKey*", "kms:DescribeKey"], "Resource": "*",
                  "Condition": {"StringEquals": {"aws:SourceArn": arn},
                                "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn":
                                               f"arn:aws:cloudtrail:*:{ACCOUNT}:trail/*"}}}
    key = kms.create_key(Description="trail logs", Policy=json.dumps(
        {"Version": "2012-10-17", "Statement": [root, cloudtrail]}))["KeyMetadata"]["KeyId"]
    trail.update_trail(Name=_trail(stack), KmsKeyId=key)
    kms.put_key_policy(KeyId=key, PolicyName="default",
                       Policy=json.dumps({"Version": "2012-10-17", "Statement": [root]}))

FAULTS = [
    Fault("alarm-cpu-threshold-95", _repoint_alarm("AsgCpuHighAlarm", Threshold=95.0),
          ("observability.alarms_configured",), challenge=6, mentions=("threshold 95",)),
    Fault("alarm-cpu-period-changed", _repoint_alarm("AsgCpuHighAlarm", Period=300),
          ("observability.alarms_configured",), challenge=6, mentions=("1500 s",)),
    Fault("alarm-connections-threshold-max", _repoint_alarm("RdsConnectionsHighAlarm",
                                                            Threshold=80.0),
          ("observability.alarms_configured",), challenge=6, mentions=("80 % of 80",)),
    Fault("alarm-storage-wrong-comparison",
          _repoint_alarm("RdsFreeStorageAlarm", ComparisonOperator="GreaterThanThreshold"),
          ("observability.alarms_configured",), challenge=6, mentions=("LessThanThreshold",)),
    Fault("alarm-actions-disabled", _disable_actions, ("observability.alarm_actions_notify_topic",),
          challenge=6, mentions=("ActionsEnabled=false",)),
    Fault("alarm-actions-removed", any_.on_lab_stack(any_.alarm_actions_removed),
          ("observability.alarm_actions_notify_topic",), challenge=6,
          mentions=("do not include the topic",)),
    Fault("alarm-topic-unsubscribed", _unsubscribe, ("observability.alarm_topic_subscribed",),
          challenge=6, mentions=("no subscription that can deliver", "must click the link"),
          # the smoke probe sees the stack's AWS::SNS::Subscription gone (drift)
          also_breaks=("stack.resources_exist",)),
    Fault("alarm-subscription-pending", _subscription_pending,
          ("observability.alarm_topic_subscribed",), challenge=6, via="emulator-state",
          why="a subscription of a queue in another account stays PendingConfirmation until "
              "the queue's owner confirms it; the emulator has one account",
          mentions=("the endpoint must confirm with the token",)),
    Fault("trail-stopped", any_.on_lab_stack(any_.trail_stopped), ("observability.cloudtrail_logging",),
          mentions=("IsLogging=false",)),
    Fault("trail-validation-off", _update_trail(EnableLogFileValidation=False),
          ("observability.cloudtrail_log_file_validation",), mentions=("validation off",)),
    Fault("trail-single-region", _update_trail(IsMultiRegionTrail=False),
          ("observability.cloudtrail_multi_region",), mentions=("IsMultiRegionTrail=false",)),
    Fault("log-group-retention-removed", _drop_retention,
          ("observability.log_groups_have_retention",), challenge=10,
          mentions=("never expires",)),
    Fault("dashboard-database-widgets-removed", _dashboard_without("AWS/RDS"),
          ("observability.dashboard_covers_layers",), challenge=10, mentions=("database",)),

    Fault("obs-topic-policy-denies-cloudwatch", any_.on_lab_stack(any_.topic_policy_denies_cloudwatch),
          ("observability.alarm_topic_policy_allows_cloudwatch",), challenge=10,
          mentions=("denies sns:Publish",)),
    Fault("obs-trail-bucket-policy-removed", _trail_bucket_policy_removed,
          ("observability.trail_bucket_allows_delivery",), challenge=10,
          also_breaks=("edge.buckets_deny_insecure_transport",),  # its TLS-only Deny went with it
          mentions=("no bucket policy",)),
    Fault("obs-topic-cmk-denies-cloudwatch", _topic_key(_root_only_key),
          ("observability.alarm_topic_key_allows_cloudwatch",), challenge=6,
          mentions=("no statement allowing cloudwatch.amazonaws.com", "kms:GenerateDataKey*")),
    Fault("obs-topic-aws-managed-key", _topic_key(lambda stack: "alias/aws/sns"),
          ("observability.alarm_topic_key_allows_cloudwatch",), challenge=6,
          mentions=("AWS-managed key", "customer-managed key")),
    Fault("obs-trail-key-policy-drops-cloudtrail", _trail_key_policy_replaced,
          ("observability.trail_key_allows_cloudtrail",), challenge=10,
          mentions=("no statement allowing cloudtrail.amazonaws.com",)),
]
