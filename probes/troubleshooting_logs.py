"""Logging breadth for troubleshooting (seed Challenge 10): CloudTrail delivered to CloudWatch
Logs, and load balancer access logs, each where the environment asks for it. A delivery that
is configured but cannot work (its log group or bucket gone, no role) fails whatever the
environment asks: it looks on and records nothing. RDS enhanced monitoring is judged with the
instance (``database.db_operations_as_expected``).
"""
from __future__ import annotations

from typing import Any

from probes import reads
from probes.expectations import Strict, layer_expectations
from probes.inventory import Inventory
from probes.nodes import label, nodes
from probes.registry import probe
from probes.result import Finding, failed, passed, skipped


@layer_expectations("troubleshooting")
class TroubleshootingExpect(Strict):
    trail_to_cloudwatch_logs: bool = False
    # NLBs write access logs only for TLS listeners; ALBs for every request.
    load_balancer_access_logs: bool = False


def _log_group_name(arn: str) -> str:
    # arn:aws:logs:region:account:log-group:NAME:*
    return arn.split(":log-group:", 1)[1].removesuffix(":*") if ":log-group:" in arn else arn


def _trail_finding(inv: Inventory, node: dict, want: bool) -> Finding:
    trail = reads.trail(inv, node["id"])
    what = label(inv, node, "CloudTrail trail")
    if trail is None:
        return failed(what, "does not exist", "the stack's trail to exist",
                      "Check the stack events and drift: the trail was deleted outside CloudFormation")
    arn = trail.get("CloudWatchLogsLogGroupArn")
    if arn:
        group = _log_group_name(arn)
        problems = []
        if reads.log_group(inv, group) is None:
            problems.append(f"its log group {group} does not exist")
        if not trail.get("CloudWatchLogsRoleArn"):
            problems.append("it has no CloudWatchLogsRoleArn")
        if problems:
            return failed(what, f"delivers to CloudWatch Logs but {' and '.join(problems)}: "
                                "nothing arrives", "a delivery that works",
                          f"Recreate log group {group} (with retention) or point the trail at an "
                          f"existing one with a role CloudTrail can assume: aws cloudtrail "
                          f"update-trail --name {trail['Name']} --cloud-watch-logs-log-group-arn "
                          "<arn> --cloud-watch-logs-role-arn <role>", log_group_arn=arn)
        return passed(what, f"delivers to CloudWatch Logs log group {group}", log_group_arn=arn)
    if want:
        return failed(what, "does not deliver to CloudWatch Logs (events are searchable only "
                            "in S3, hours later)",
                      "CloudTrail -> CloudWatch Logs (expectations.troubleshooting."
                      "trail_to_cloudwatch_logs)",
                      f"Create a log group with retention and a role for CloudTrail, then aws "
                      f"cloudtrail update-trail --name {trail['Name']} "
                      "--cloud-watch-logs-log-group-arn <arn> --cloud-watch-logs-role-arn <role>")
    return passed(what, "does not deliver to CloudWatch Logs (not asked by the environment)")


def _lb_finding(inv: Inventory, node: dict, want: bool) -> Finding:
    resp = inv.call("elbv2", "describe_load_balancer_attributes", missing_ok=True,
                    LoadBalancerArn=node["id"])
    what = label(inv, node, "load balancer")
    if resp is None:
        return failed(what, "does not exist", "the stack's load balancer to exist",
                      "Check the stack events and drift: it was deleted outside CloudFormation")
    attrs = {a["Key"]: a.get("Value") for a in resp.get("Attributes", [])}
    bucket = attrs.get("access_logs.s3.bucket") or ""
    if attrs.get("access_logs.s3.enabled") == "true":
        if not bucket or inv.call("s3", "head_bucket", missing_ok=True, Bucket=bucket) is None:
            return failed(what, f"writes access logs to bucket {bucket or '(none)'}, which does "
                                "not exist: nothing arrives", "an existing log bucket",
                          f"Recreate bucket {bucket} with a policy for log delivery, or aws elbv2 "
                          f"modify-load-balancer-attributes --load-balancer-arn {node['id']} "
                          "--attributes Key=access_logs.s3.bucket,Value=<bucket>", attributes=attrs)
        return passed(what, f"writes access logs to s3://{bucket}/{attrs.get('access_logs.s3.prefix') or ''}",
                      attributes=attrs)
    if want:
        return failed(what, "writes no access logs",
                      "access logs on (expectations.troubleshooting.load_balancer_access_logs)",
                      f"aws elbv2 modify-load-balancer-attributes --load-balancer-arn {node['id']} "
                      "--attributes Key=access_logs.s3.enabled,Value=true "
                      "Key=access_logs.s3.bucket,Value=<bucket with a log-delivery policy> (an NLB "
                      "logs only its TLS listeners)", attributes=attrs)
    return passed(what, "writes no access logs (not asked by the environment)", attributes=attrs)


@probe(layer="observability", component="troubleshooting-logs",
       title="CloudTrail reaches CloudWatch Logs and load balancers write access logs where the "
             "environment asks, and every configured delivery works",
       severity="normal", challenge=10,
       remediation="Turn on the delivery the environment asks for (trail -> CloudWatch Logs, "
                   "load balancer access logs) and make sure its log group or bucket exists",
       see_also=("cloudtrail_cloudwatch_logging_enabled", "elbv2_logging_enabled"))
def troubleshooting_logs_as_expected(inv: Inventory, exp: Any) -> list[Finding]:
    want = exp.troubleshooting
    work = ([(_trail_finding, n, want.trail_to_cloudwatch_logs)
             for n in nodes(inv, "AWS::CloudTrail::Trail")]
            + [(_lb_finding, n, want.load_balancer_access_logs)
               for n in nodes(inv, "AWS::ElasticLoadBalancingV2::LoadBalancer")])
    if not work:
        return [skipped("stack trails and load balancers", "the stack has neither")]
    return inv.parallel(lambda w: w[0](inv, w[1], w[2]), work)
