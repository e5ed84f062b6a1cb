"""Helpers behind the observability probes: metric-math alarms, dashboard widget layers,
drill notification parsing."""
from __future__ import annotations

import json

from probes.observability import _alarm_metric, _notification_for, _widget_namespaces


def test_metric_math_alarm_is_matched_by_its_returned_metric():
    alarm = {"Metrics": [
        {"Id": "e1", "Expression": "m1 * 100", "ReturnData": False},
        {"Id": "m1", "ReturnData": True, "MetricStat": {
            "Metric": {"Namespace": "AWS/RDS", "MetricName": "DatabaseConnections",
                       "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": "db-1"}]},
            "Period": 60, "Stat": "Average"}}]}
    assert _alarm_metric(alarm) == ("AWS/RDS", "DatabaseConnections", "Average", 60,
                                    [{"Name": "DBInstanceIdentifier", "Value": "db-1"}])


def test_widget_namespaces_follow_dot_shorthand():
    widget = {"properties": {"metrics": [
        ["AWS/ApiGateway", "Count", "ApiName", "x"], [".", "5XXError", ".", "."],
        [{"expression": "m1/m2"}], ["AWS/RDS", "DatabaseConnections"]]}}
    assert _widget_namespaces(widget) == {"AWS/ApiGateway", "AWS/RDS"}


def test_notification_is_recognised_inside_the_sns_envelope():
    inner = {"AlarmName": "cpu", "NewStateValue": "ALARM"}
    body = json.dumps({"Type": "Notification", "Message": json.dumps(inner)})
    assert _notification_for(body, "cpu") == inner
    assert _notification_for(body, "other") is None
    assert _notification_for(json.dumps(inner), "cpu") == inner  # raw delivery
    assert _notification_for("not json", "cpu") is None
