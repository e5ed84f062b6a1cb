"""Roles the resource graph finds by following references on foreign stacks (issue 11):
the target group of an ASG behind an ALB, no alarm topic for scaling-only alarms, the DB
secret of a dynamic reference, the certificate of a stack without a distribution."""
from __future__ import annotations

from typing import Any

from probes import graph

TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef"
TOPIC = "arn:aws:sns:us-east-1:123456789012:stack-Notify-ABC"
SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:stack-Creds-AbCdEf"
POLICY = "arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:1:autoScalingGroupName/web:policyName/up"


class FakeInv:
    """A stack's resources and canned answers keyed by operation."""

    def __init__(self, resources: list[tuple[str, str, str]], responses: dict[str, Any]):
        self.resources = [{"ResourceType": t, "LogicalResourceId": lid, "PhysicalResourceId": pid,
                           "StackName": "stack"} for t, lid, pid in resources]
        self.responses, self.explicit, self.stack_name = responses, {}, "stack"

    def of_type(self, rtype: str) -> list[dict]:
        return [r for r in self.resources if r["ResourceType"] == rtype]

    def ids(self, rtype: str) -> list[str]:
        return [r["PhysicalResourceId"] for r in self.of_type(rtype)]

    def call(self, service: str, operation: str, *, missing_ok: bool = False, **params: Any) -> Any:
        value = self.responses.get(operation)
        return value(**params) if callable(value) else value

    def paginate(self, service: str, operation: str, key: str, **params: Any) -> list:
        value = self.call(service, operation, **params)
        return (value or {}).get(key, []) if isinstance(value, dict) else (value or [])


def test_without_an_nlb_the_target_group_is_the_one_the_asg_registers_with():
    inv = FakeInv([("AWS::AutoScaling::AutoScalingGroup", "Web", "web"),
                   ("AWS::ElasticLoadBalancingV2::TargetGroup", "WebTargets", TG),
                   ("AWS::ElasticLoadBalancingV2::LoadBalancer", "Alb", "arn:alb")],
                  {"describe_auto_scaling_groups": {"AutoScalingGroups": [
                      {"AutoScalingGroupName": "web", "TargetGroupARNs": [TG]}]},
                   "describe_load_balancers": {"LoadBalancers": [{"Type": "application"}]}})
    g = graph.of(inv)
    assert g.role("nlb") is None
    assert g.role("target_group") == TG
    assert g.role("auto_scaling_group") == "web"


def _alarms(*actions: list[str]) -> FakeInv:
    return FakeInv([("AWS::SNS::Topic", "Notify", TOPIC)]
                   + [("AWS::CloudWatch::Alarm", f"A{i}", f"a{i}") for i in range(len(actions))],
                   {"describe_alarms": {"MetricAlarms": [{"AlarmName": f"a{i}", "AlarmActions": a}
                                                         for i, a in enumerate(actions)]}})


def test_alarms_that_only_drive_scaling_policies_have_no_alarm_topic():
    g = graph.of(_alarms([POLICY], [POLICY]))
    assert g.role("alarm_topic") is None
    assert "scaling policies" in g.followed("alarm_topic")


def test_alarms_whose_actions_were_cut_keep_the_stacks_topic():
    assert graph.of(_alarms([], [POLICY])).role("alarm_topic") == TOPIC
    assert graph.of(_alarms([TOPIC], [POLICY])).role("alarm_topic") == TOPIC


YAML_TEMPLATE = """
Resources:
  Creds:
    Type: AWS::SecretsManager::Secret
  Db:
    Type: AWS::RDS::DBInstance
    Properties:
      MasterUsername: admin
      MasterUserPassword: !Sub "{{resolve:secretsmanager:${Creds}:SecretString:password}}"
"""
JSON_TEMPLATE = {"Resources": {"Db": {"Type": "AWS::RDS::DBInstance", "Properties": {
    "MasterUserPassword": {"Fn::Join": ["", ["{{resolve:secretsmanager:", {"Ref": "Creds"},
                                             ":SecretString:password}}"]]}}}}}


def _db(template: Any) -> FakeInv:
    return FakeInv([("AWS::RDS::DBInstance", "Db", "db"),
                    ("AWS::SecretsManager::Secret", "Creds", SECRET),
                    ("AWS::SecretsManager::Secret", "Decoy", SECRET + "2")],
                   {"describe_db_instances": {"DBInstances": [{"DBInstanceIdentifier": "db"}]},
                    "get_template": {"TemplateBody": template}})


def test_the_db_secret_is_the_dynamic_reference_in_its_master_password():
    for template in (YAML_TEMPLATE, JSON_TEMPLATE):
        g = graph.of(_db(template))
        assert g.role("db_secret") == SECRET
        assert "dynamic reference" in g.followed("db_secret")


def test_a_hand_set_master_password_has_no_db_secret():
    plain = YAML_TEMPLATE.replace('!Sub "{{resolve:secretsmanager:${Creds}:SecretString:password}}"',
                                  "hunter22")
    assert graph.of(_db(plain)).role("db_secret") is None


def test_a_stack_without_a_distribution_keeps_its_only_certificate():
    cert = "arn:aws:acm:us-east-1:123456789012:certificate/1"
    inv = FakeInv([("AWS::CertificateManager::Certificate", "Cert", cert)], {})
    assert graph.of(inv).role("certificate") == cert


def test_scaling_alarms_are_not_paging_alarms_and_absent_resources_expect_no_alarm():
    from probes import expectations, observability
    inv = _alarms([TOPIC], [POLICY])
    inv.responses["describe_alarms"]["MetricAlarms"][0].update(
        Namespace="AWS/SNS", MetricName="NumberOfNotificationsFailed", ActionsEnabled=True)
    exp = expectations.build(None)
    verdicts = {f.resource: f.status for f in observability.alarm_actions_notify_topic(inv, exp)}
    assert verdicts == {"alarm a0": "passed", "alarm a1": "skipped"}
    # No ASG, DB, API or NLB in the stack: no expected alarm is missing, none fails.
    assert {f.status for f in observability.alarms_configured(inv, exp)} == {"skipped"}
