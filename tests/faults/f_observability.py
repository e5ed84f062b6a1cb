"""Faults for the observability layer: alarms that cannot fire or notify nobody (Challenge
6), a trail that stopped, logs that never expire and a dashboard missing a layer
(Challenge 10)."""
from tests.faults import anystack as any_
from tests.faults.catalog import Fault


def _trail(stack) -> str:
    """The trail's name (tests/faults/test_kms_grants.py)."""
    return any_.lab_target(stack).role("trail")


FAULTS = [
    Fault("alarm-cpu-threshold-95", any_.on_lab_stack(any_.alarm_cpu_threshold_95),
          ("observability.alarms_configured",), challenge=6, mentions=("threshold 95",)),
    Fault("alarm-cpu-period-changed", any_.on_lab_stack(any_.alarm_cpu_period_changed),
          ("observability.alarms_configured",), challenge=6, mentions=("1500 s",)),
    Fault("alarm-connections-threshold-max", any_.on_lab_stack(any_.alarm_connections_threshold_max),
          ("observability.alarms_configured",), challenge=6, mentions=("80 % of 80",)),
    Fault("alarm-storage-wrong-comparison",
          any_.on_lab_stack(any_.alarm_storage_wrong_comparison),
          ("observability.alarms_configured",), challenge=6, mentions=("LessThanThreshold",)),
    Fault("alarm-actions-disabled", any_.on_lab_stack(any_.alarm_actions_disabled), ("observability.alarm_actions_notify_topic",),
          challenge=6, mentions=("ActionsEnabled=false",)),
    Fault("alarm-actions-removed", any_.on_lab_stack(any_.alarm_actions_removed),
          ("observability.alarm_actions_notify_topic",), challenge=6,
          mentions=("do not include the topic",)),
    Fault("alarm-topic-unsubscribed", any_.on_lab_stack(any_.alarm_topic_unsubscribed), ("observability.alarm_topic_subscribed",),
          challenge=6, mentions=("no subscription that can deliver", "must click the link"),
          # the smoke probe sees the stack's AWS::SNS::Subscription gone (drift)
          also_breaks=("stack.resources_exist",)),
    Fault("alarm-subscription-pending", any_.on_lab_stack(any_.alarm_subscription_pending),
          ("observability.alarm_topic_subscribed",), challenge=6, via="emulator-state",
          why="a subscription of a queue in another account stays PendingConfirmation until "
              "the queue's owner confirms it; the emulator has one account",
          mentions=("the endpoint must confirm with the token",)),
    Fault("trail-stopped", any_.on_lab_stack(any_.trail_stopped), ("observability.cloudtrail_logging",),
          mentions=("IsLogging=false",)),
    Fault("trail-validation-off", any_.on_lab_stack(any_.trail_validation_off),
          ("observability.cloudtrail_log_file_validation",), mentions=("validation off",)),
    Fault("trail-single-region", any_.on_lab_stack(any_.trail_single_region),
          ("observability.cloudtrail_multi_region",), mentions=("IsMultiRegionTrail=false",)),
    Fault("log-group-retention-removed", any_.on_lab_stack(any_.db_log_group_retention_removed),
          ("observability.log_groups_have_retention",), challenge=10,
          mentions=("never expires",)),
    Fault("dashboard-database-widgets-removed", any_.on_lab_stack(any_.dashboard_database_widgets_removed),
          ("observability.dashboard_covers_layers",), challenge=10, mentions=("database",)),

    Fault("obs-topic-policy-denies-cloudwatch", any_.on_lab_stack(any_.topic_policy_denies_cloudwatch),
          ("observability.alarm_topic_policy_allows_cloudwatch",), challenge=10,
          mentions=("denies sns:Publish",)),
    Fault("obs-trail-bucket-policy-removed", any_.on_lab_stack(any_.trail_bucket_policy_removed),
          ("observability.trail_bucket_allows_delivery",), challenge=10,
          also_breaks=("edge.buckets_deny_insecure_transport",),  # its TLS-only Deny went with it
          mentions=("no bucket policy",)),
    Fault("obs-topic-cmk-denies-cloudwatch", any_.on_lab_stack(any_.topic_cmk_denies_cloudwatch),
          ("observability.alarm_topic_key_allows_cloudwatch",), challenge=6,
          mentions=("no statement allowing cloudwatch.amazonaws.com", "kms:GenerateDataKey*")),
    Fault("obs-topic-aws-managed-key", any_.on_lab_stack(any_.topic_aws_managed_key),
          ("observability.alarm_topic_key_allows_cloudwatch",), challenge=6,
          mentions=("AWS-managed key", "customer-managed key")),
    Fault("obs-trail-key-policy-drops-cloudtrail", any_.on_lab_stack(any_.trail_key_policy_drops_cloudtrail),
          ("observability.trail_key_allows_cloudtrail",), challenge=10,
          mentions=("no statement allowing cloudtrail.amazonaws.com",)),
]
