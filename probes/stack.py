"""Smoke probes: the stack is complete (outputs) and every resource exists through its
own service API, not only in CloudFormation's bookkeeping."""
from __future__ import annotations

from typing import Any, Callable

from probes import graph, reads
from probes.expectations import Strict, layer_expectations
from probes.inventory import Inventory
from probes.registry import probe
from probes.result import Finding, failed, passed

# Outputs our bundled template declares; a foreign stack is only held to its own.
BUNDLED_OUTPUTS = (
    "VpcId", "PublicSubnetIds", "AppSubnetIds", "DbSubnetIds", "AppSecurityGroupId",
    "DbSecurityGroupId", "NlbArn", "TargetGroupArn", "AutoScalingGroupName", "LaunchTemplateId",
    "InstanceRoleName", "DbInstanceIdentifier", "DbSecretArn", "RestApiId", "ApiStageName",
    "VpcLinkId", "UserPoolId", "UserPoolClientId", "DistributionId", "DistributionDomainName",
    "SiteBucketName", "WebAclArn", "AlarmTopicArn", "TrailName", "DashboardName",
)


@layer_expectations("stack")
class StackExpect(Strict):
    # Outputs that must exist; empty means "those of the bundled template if it is ours".
    required_outputs: tuple[str, ...] = ()


@probe(layer="stack", component="outputs", title="Every stack output is present and non-empty",
       severity="critical", gate=True,
       remediation="Redeploy the stack; an empty output usually means a resource was skipped "
                   "or a condition is off (check the stack events)")
def outputs_present(inv: Inventory, exp: Any) -> list[Finding]:
    outputs = inv.outputs()
    declared = {o["OutputKey"] for o in inv.stack().get("Outputs", [])}
    required = set(exp.stack.required_outputs)
    if not required and declared & set(BUNDLED_OUTPUTS):
        required = set(BUNDLED_OUTPUTS)
    missing = sorted(k for k in required | declared if not outputs.get(k))
    name = f"stack {inv.stack_name}"
    if missing:
        return [failed(name, f"has missing or empty outputs: {', '.join(missing)}",
                       "every output a probe needs to be present and non-empty",
                       outputs=sorted(outputs))]
    return [passed(name, f"has all {len(outputs)} outputs", outputs=sorted(outputs))]


def _ec2(operation: str, key: str, param: str) -> Callable[[Inventory, str, dict], bool]:
    def exists(inv: Inventory, pid: str, _: dict) -> bool:
        resp = inv.call("ec2", operation, missing_ok=True, **{param: [pid]})
        return bool(resp and resp.get(key))
    return exists


def _by_id(check: Callable[[Inventory, str], Any]) -> Callable[[Inventory, str, dict], bool]:
    return lambda inv, pid, _: bool(check(inv, pid))


def _api_child(op: str, arg: str, result: str | None = None):
    def exists(inv: Inventory, pid: str, _: dict) -> bool:
        api = reads.rest_api_id(inv)
        return bool(api and inv.call("apigateway", op, missing_ok=True, restApiId=api, **{arg: pid}))
    return exists


def _web_acl(inv: Inventory, pid: str, _: dict) -> bool:
    return reads.web_acl(inv) is not None


def _asg_policy(inv: Inventory, pid: str, _: dict) -> bool:
    asg = graph.role(inv, "auto_scaling_group")
    policies = inv.paginate("autoscaling", "describe_policies", "ScalingPolicies",
                            AutoScalingGroupName=asg) if asg else []
    return any(pid in (p.get("PolicyARN"), p.get("PolicyName")) for p in policies)


def _subscription(inv: Inventory, pid: str, _: dict) -> bool:
    # A subscription's ARN is its topic's ARN plus an id: listed through that topic,
    # whichever topic it is (the alarm topic or any other of the stack's).
    topic = pid.rsplit(":", 1)[0] if pid.startswith("arn:") else graph.role(inv, "alarm_topic")
    return any(s.get("SubscriptionArn") == pid or pid.startswith(topic or "~")
               for s in reads.topic_subscriptions(inv, topic)) if topic else False


def _security_group(inv: Inventory, pid: str, props: dict) -> bool:
    """Among the VPC's groups (the network layer's read), else by id (a group elsewhere)."""
    if any(pid in (g["GroupId"], g.get("GroupName")) for g in reads.security_groups(inv)):
        return True
    return _ec2("describe_security_groups", "SecurityGroups", "GroupIds")(inv, pid, props)


def _log_group(inv: Inventory, pid: str, _: dict) -> bool:
    return reads.log_group(inv, pid) is not None


# Resource type -> how to see it through its own API. Types that have no API of their own
# (routes, associations, attachments, policies) are checked through their parent.
EXISTS: dict[str, Callable[[Inventory, str, dict], bool] | str] = {
    "AWS::EC2::VPC": _ec2("describe_vpcs", "Vpcs", "VpcIds"),
    "AWS::EC2::Subnet": _ec2("describe_subnets", "Subnets", "SubnetIds"),
    "AWS::EC2::InternetGateway": _ec2("describe_internet_gateways", "InternetGateways",
                                      "InternetGatewayIds"),
    "AWS::EC2::NatGateway": _ec2("describe_nat_gateways", "NatGateways", "NatGatewayIds"),
    "AWS::EC2::RouteTable": _ec2("describe_route_tables", "RouteTables", "RouteTableIds"),
    "AWS::EC2::SecurityGroup": _security_group,
    "AWS::EC2::FlowLog": _ec2("describe_flow_logs", "FlowLogs", "FlowLogIds"),
    "AWS::EC2::LaunchTemplate": _ec2("describe_launch_templates", "LaunchTemplates",
                                     "LaunchTemplateIds"),
    "AWS::EC2::EIP": lambda inv, pid, _: bool(
        (inv.call("ec2", "describe_addresses", missing_ok=True, PublicIps=[pid])
         or inv.call("ec2", "describe_addresses", missing_ok=True, AllocationIds=[pid]) or {})
        .get("Addresses")),
    "AWS::Logs::LogGroup": _log_group,
    "AWS::IAM::Role": _by_id(reads.role),
    "AWS::IAM::InstanceProfile": lambda inv, pid, _: bool(
        inv.call("iam", "get_instance_profile", missing_ok=True, InstanceProfileName=pid)),
    "AWS::S3::Bucket": lambda inv, pid, _: bool(
        inv.call("s3", "get_bucket_location", missing_ok=True, Bucket=pid)),
    "AWS::AutoScaling::AutoScalingGroup": lambda inv, pid, _: reads.auto_scaling_group(inv) is not None
    if pid == graph.role(inv, "auto_scaling_group") else bool(inv.paginate(
        "autoscaling", "describe_auto_scaling_groups", "AutoScalingGroups", AutoScalingGroupNames=[pid])),
    "AWS::AutoScaling::ScalingPolicy": _asg_policy,
    "AWS::ElasticLoadBalancingV2::LoadBalancer": lambda inv, pid, _: bool(
        (inv.call("elbv2", "describe_load_balancers", missing_ok=True, LoadBalancerArns=[pid]) or {})
        .get("LoadBalancers")),
    "AWS::ElasticLoadBalancingV2::TargetGroup": lambda inv, pid, _: bool(
        (inv.call("elbv2", "describe_target_groups", missing_ok=True, TargetGroupArns=[pid]) or {})
        .get("TargetGroups")),
    "AWS::ElasticLoadBalancingV2::Listener": lambda inv, pid, _: any(
        x["ListenerArn"] == pid for x in reads.listeners(inv)) or bool(
        (inv.call("elbv2", "describe_listeners", missing_ok=True, ListenerArns=[pid]) or {})
        .get("Listeners")),
    "AWS::RDS::DBInstance": lambda inv, pid, _: bool(
        (inv.call("rds", "describe_db_instances", missing_ok=True, DBInstanceIdentifier=pid) or {})
        .get("DBInstances")),
    "AWS::RDS::DBSubnetGroup": lambda inv, pid, _: bool(
        inv.call("rds", "describe_db_subnet_groups", missing_ok=True, DBSubnetGroupName=pid)),
    "AWS::RDS::DBParameterGroup": lambda inv, pid, _: bool(
        inv.call("rds", "describe_db_parameter_groups", missing_ok=True, DBParameterGroupName=pid)),
    "AWS::SecretsManager::Secret": _by_id(reads.secret),
    "AWS::ApiGateway::RestApi": lambda inv, pid, _: bool(
        inv.call("apigateway", "get_rest_api", missing_ok=True, restApiId=pid)),
    "AWS::ApiGateway::Resource": _api_child("get_resource", "resourceId"),
    "AWS::ApiGateway::Deployment": _api_child("get_deployment", "deploymentId"),
    "AWS::ApiGateway::Stage": _api_child("get_stage", "stageName"),
    "AWS::ApiGateway::Authorizer": _api_child("get_authorizer", "authorizerId"),
    "AWS::ApiGateway::VpcLink": _by_id(reads.vpc_link),
    "AWS::Cognito::UserPool": lambda inv, pid, _: bool(
        inv.call("cognito-idp", "describe_user_pool", missing_ok=True, UserPoolId=pid)),
    "AWS::Cognito::UserPoolClient": lambda inv, pid, _: bool(
        graph.role(inv, "user_pool") and inv.call("cognito-idp", "describe_user_pool_client", missing_ok=True,
                                          UserPoolId=graph.role(inv, "user_pool"), ClientId=pid)),
    "AWS::CloudFront::Distribution": lambda inv, pid, _: bool(
        inv.call("cloudfront", "get_distribution", missing_ok=True, Id=pid)),
    "AWS::CloudFront::OriginAccessControl": lambda inv, pid, _: bool(
        inv.call("cloudfront", "get_origin_access_control", missing_ok=True, Id=pid)),
    "AWS::WAFv2::WebACL": _web_acl,
    "AWS::SNS::Topic": lambda inv, pid, _: bool(
        inv.call("sns", "get_topic_attributes", missing_ok=True, TopicArn=pid)),
    "AWS::SNS::Subscription": _subscription,
    "AWS::CloudWatch::Alarm": lambda inv, pid, _: any(a["AlarmName"] == pid for a in reads.alarms(inv)),
    "AWS::CloudWatch::Dashboard": lambda inv, pid, _: reads.dashboard(inv, pid) is not None,
    "AWS::CloudTrail::Trail": lambda inv, pid, _: reads.trail(inv, pid) is not None,
    # In the region its ARN names (a regional API's certificate is not in us-east-1).
    "AWS::CertificateManager::Certificate": lambda inv, pid, _: reads.certificate(inv, pid) is not None,
    "AWS::Route53::HostedZone": lambda inv, pid, _: bool(
        inv.call("route53", "get_hosted_zone", missing_ok=True, Id=pid)),
    # Checked through their parent resource (no API of their own, or the parent's read covers it).
    "AWS::EC2::VPCGatewayAttachment": "parent",
    "AWS::EC2::Route": "parent",
    "AWS::EC2::SubnetRouteTableAssociation": "parent",
    "AWS::EC2::SecurityGroupIngress": "parent",
    "AWS::EC2::SecurityGroupEgress": "parent",
    "AWS::S3::BucketPolicy": "parent",
    "AWS::ApiGateway::Method": "parent",
    "AWS::ApiGateway::Account": "parent",
    "AWS::IAM::Policy": "parent",
    "AWS::WAFv2::WebACLAssociation": "parent",
    "AWS::WAFv2::LoggingConfiguration": "parent",
    "AWS::Route53::RecordSet": "parent",
    "AWS::CloudFront::CachePolicy": "parent",
    "AWS::CloudFront::OriginRequestPolicy": "parent",
    "AWS::CloudFormation::Stack": "parent",
}


@probe(layer="stack", component="resources",
       title="Every stack resource exists through its own service API", severity="critical",
       gate=True,
       remediation="The resource was deleted or changed outside CloudFormation (drift): run "
                   "aws cloudformation detect-stack-drift and redeploy")
def resources_exist(inv: Inventory, exp: Any) -> list[Finding]:
    resources = inv.resources()
    unchecked = [f"{r['LogicalResourceId']} ({r['ResourceType']})"
                 for r in resources if r["ResourceType"] not in EXISTS]
    todo = [r for r in resources if callable(EXISTS.get(r["ResourceType"]))]
    checked = len(todo)

    def present(r: dict[str, Any]) -> bool:
        pid = r.get("PhysicalResourceId") or ""
        return bool(pid) and bool(EXISTS[r["ResourceType"]](inv, pid, r))  # type: ignore[operator]

    # one read per resource: side by side, not a chain of ~80 round trips
    missing = [f"{r['LogicalResourceId']} ({r['ResourceType']} {r.get('PhysicalResourceId') or 'no id'})"
               for r, ok in zip(todo, inv.parallel(present, todo), strict=True) if not ok]
    name = f"stack {inv.stack_name}"
    evidence = {"checked": checked, "total": len(resources), "not_checkable": unchecked}
    if missing:
        return [failed(name, f"lists {len(missing)} resource(s) that their service does not "
                             f"return: {'; '.join(missing)}",
                       "every resource to exist in its service", **evidence)]
    return [passed(name, f"has all {checked} checked resources present in their services"
                   + (f" ({len(unchecked)} of unknown type not checked)" if unchecked else ""),
                   **evidence)]
