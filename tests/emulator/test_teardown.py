# ruff: noqa: F811  (pytest fixtures imported from _support, so the tests also run with --noconftest)
"""Deleting the bundled stack leaves nothing behind in any service the template touches, and
a failed create reports the failing resource and rolls back, as CloudFormation does."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.emulator._support import Aws, aws, create, emu, template, unique  # noqa: F401

TEMPLATE = Path(__file__).resolve().parents[2] / "fixtures" / "cloudformation" / "stack.yaml"


def inventory(aws: Aws) -> dict[str, set]:
    """Everything the bundled template can create, per service (ids/names)."""
    ec2, rds, cf, ag, cw, iam = (aws(s) for s in ("ec2", "rds", "cloudfront", "apigateway", "cloudwatch", "iam"))
    waf, sns = aws("wafv2"), aws("sns")
    return {
        "vpcs": {v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if not v["IsDefault"]},
        "subnets": {s["SubnetId"] for s in ec2.describe_subnets()["Subnets"] if not s["DefaultForAz"]},
        "internet gateways": {g["InternetGatewayId"] for g in ec2.describe_internet_gateways()["InternetGateways"]},
        "live NAT gateways": {n["NatGatewayId"] for n in ec2.describe_nat_gateways()["NatGateways"] if n["State"] != "deleted"},
        "elastic IPs": {a.get("AllocationId") for a in ec2.describe_addresses()["Addresses"]},
        "route tables": {t["RouteTableId"] for t in ec2.describe_route_tables()["RouteTables"]},
        "security groups": {g["GroupId"] for g in _all(ec2, "describe_security_groups", "SecurityGroups") if g["GroupName"] != "default"},
        "launch templates": {t["LaunchTemplateId"] for t in _all(ec2, "describe_launch_templates", "LaunchTemplates")},
        "live instances": {i["InstanceId"] for r in _all(ec2, "describe_instances", "Reservations") for i in r["Instances"]
                           if i["State"]["Name"] != "terminated"},
        "volumes": {v["VolumeId"] for v in _all(ec2, "describe_volumes", "Volumes")},
        "network interfaces": {n["NetworkInterfaceId"] for n in _all(ec2, "describe_network_interfaces", "NetworkInterfaces")},
        "flow logs": {f["FlowLogId"] for f in _all(ec2, "describe_flow_logs", "FlowLogs")},
        "auto scaling groups": {g["AutoScalingGroupName"] for g in _all(aws("autoscaling"), "describe_auto_scaling_groups", "AutoScalingGroups")},
        "scaling policies": {p["PolicyARN"] for p in _all(aws("autoscaling"), "describe_policies", "ScalingPolicies")},
        "load balancers": {lb["LoadBalancerArn"] for lb in _all(aws("elbv2"), "describe_load_balancers", "LoadBalancers")},
        "target groups": {t["TargetGroupArn"] for t in _all(aws("elbv2"), "describe_target_groups", "TargetGroups")},
        "db instances": {d["DBInstanceIdentifier"] for d in _all(rds, "describe_db_instances", "DBInstances")},
        "db subnet groups": {g["DBSubnetGroupName"] for g in _all(rds, "describe_db_subnet_groups", "DBSubnetGroups")},
        "db parameter groups": {g["DBParameterGroupName"] for g in _all(rds, "describe_db_parameter_groups", "DBParameterGroups")
                                if not g["DBParameterGroupName"].startswith("default")},
        "manual db snapshots": {s["DBSnapshotIdentifier"] for s in _all(rds, "describe_db_snapshots", "DBSnapshots", SnapshotType="manual")},
        "secrets": {s["ARN"] for s in _all(aws("secretsmanager"), "list_secrets", "SecretList")},
        "buckets": {b["Name"] for b in _all(aws("s3"), "list_buckets", "Buckets")},
        "log groups": {g["logGroupName"] for g in _all_log_groups(aws("logs"))},
        "roles": {r["RoleName"] for r in _all(iam, "list_roles", "Roles")},
        "instance profiles": {p["InstanceProfileName"] for p in _all(iam, "list_instance_profiles", "InstanceProfiles")},
        "distributions": {d["Id"] for d in cf.list_distributions()["DistributionList"].get("Items") or []},
        "origin access controls": {o["Id"] for o in cf.list_origin_access_controls()["OriginAccessControlList"].get("Items") or []},
        "cache policies": {p["CachePolicy"]["Id"] for p in cf.list_cache_policies(Type="custom")["CachePolicyList"].get("Items") or []},
        "web ACLs": {a["ARN"] for a in _all(waf, "list_web_acls", "WebACLs", Scope="CLOUDFRONT")},
        "WAF logging": {c["ResourceArn"] for c in _all(waf, "list_logging_configurations", "LoggingConfigurations", Scope="CLOUDFRONT")},
        "rest APIs": {a["id"] for a in _all(ag, "get_rest_apis", "items")},
        "VPC links": {v["id"] for v in _all(ag, "get_vpc_links", "items")},
        "user pools": {p["Id"] for p in _all(aws("cognito-idp"), "list_user_pools", "UserPools", MaxResults=60)},
        "alarms": {a["AlarmName"] for a in _all(cw, "describe_alarms", "MetricAlarms")},
        "dashboards": {d["DashboardName"] for d in _all(cw, "list_dashboards", "DashboardEntries")},
        "trails": {t["Name"] for t in _all(aws("cloudtrail"), "describe_trails", "trailList")},
        "topics": {t["TopicArn"] for t in _all(sns, "list_topics", "Topics")},
        # pending ones have no ARN in a listing (AWS shows PendingConfirmation): by what they are
        "subscriptions": {(s["TopicArn"], s["Protocol"], s["Endpoint"])
                          for s in _all(sns, "list_subscriptions", "Subscriptions")},
    }


def test_delete_leaves_nothing_behind(aws):
    before = inventory(aws)
    stack = create(aws, TEMPLATE.read_text(), name=unique("teardown"))
    during = inventory(aws)
    created = {k: during[k] - before[k] for k in before}
    # every service the template touches got something (the inventory is not vacuous)
    assert all(created[k] for k in created if k != "manual db snapshots"), \
        [k for k in created if not created[k] and k != "manual db snapshots"]
    stack.delete()
    after = inventory(aws)
    left = {k: sorted(after[k] - before[k]) for k in before if after[k] - before[k]}
    # DeletionPolicy: Snapshot on the database keeps exactly one final snapshot, as in AWS
    snapshots = left.pop("manual db snapshots", [])
    assert len(snapshots) == 1 and snapshots[0].startswith(f"{stack.name}-database-".lower())
    assert left == {}


def test_failed_create_names_the_resource_and_rolls_back(aws):
    body = template({
        "Topic": {"Type": "AWS::SNS::Topic", "Properties": {}},
        "Broken": {"Type": "AWS::RDS::DBParameterGroup", "DependsOn": "Topic",
                   "Properties": {"Family": "postgres16", "Description": ""}},
    })
    stack = create(aws, body, expect="ROLLBACK_COMPLETE")
    assert "[Broken]" in stack.describe()["StackStatusReason"]
    events = aws("cloudformation").describe_stack_events(StackName=stack.stack_id)["StackEvents"]
    failed = [e for e in events if e["ResourceStatus"] == "CREATE_FAILED"]
    assert [e["LogicalResourceId"] for e in failed] == ["Broken"]
    assert "Description" in failed[0]["ResourceStatusReason"]
    done = [e["LogicalResourceId"] for e in events if e["ResourceStatus"] == "CREATE_COMPLETE"]
    assert "Topic" in done
    topics = [t["TopicArn"] for t in aws("sns").list_topics()["Topics"]]
    assert not any(stack.name in t for t in topics)  # rolled back


def test_failed_update_rolls_back_and_reports(aws):
    stack = create(aws, template({"Topic": {"Type": "AWS::SNS::Topic", "Properties": {}}}))
    body = template({"Topic": {"Type": "AWS::SNS::Topic", "Properties": {}},
                     "Broken": {"Type": "AWS::RDS::DBParameterGroup",
                                "Properties": {"Family": "postgres16", "Description": ""}}})
    aws("cloudformation").update_stack(StackName=stack.name, TemplateBody=body)
    assert stack.status == "UPDATE_ROLLBACK_COMPLETE"
    stack.delete()


def test_unmodelled_type_is_refused_before_create():
    from fixtures.emulator.coverage import unmodelled_types

    body = template({"Thing": {"Type": "AWS::Made::Up", "Properties": {}}})
    assert unmodelled_types(body) == ["AWS::Made::Up"]


def _resource_events(aws: Aws, stack: Any) -> list[tuple[str, str]]:
    events = aws("cloudformation").describe_stack_events(StackName=stack.stack_id)["StackEvents"]
    return [(e["LogicalResourceId"], e["ResourceStatus"]) for e in reversed(events)]


def test_resource_events_are_reported(aws):
    stack = create(aws, template({"Topic": {"Type": "AWS::SNS::Topic", "Properties": {}}}))
    events = _resource_events(aws, stack)
    assert ("Topic", "CREATE_IN_PROGRESS") in events and ("Topic", "CREATE_COMPLETE") in events
    assert events[-1] == (stack.name, "CREATE_COMPLETE")
    stack.delete()


def test_delete_reports_resource_events(aws):
    stack = create(aws, template({"Topic": {"Type": "AWS::SNS::Topic", "Properties": {}}}))
    stack.delete()
    events = _resource_events(aws, stack)
    assert ("Topic", "DELETE_IN_PROGRESS") in events and ("Topic", "DELETE_COMPLETE") in events
    assert events[-1] == (stack.name, "DELETE_COMPLETE")


def test_delete_of_a_non_empty_bucket_fails_as_in_aws(aws):
    stack = create(aws, template({"Bucket": {"Type": "AWS::S3::Bucket", "Properties": {}}},
                                 outputs={"Bucket": {"Ref": "Bucket"}}))
    bucket = stack.outputs["Bucket"]
    aws("s3").put_object(Bucket=bucket, Key="k", Body=b"x")
    aws("cloudformation").delete_stack(StackName=stack.name)
    assert stack.status == "DELETE_FAILED"
    assert "BucketNotEmpty" in stack.describe()["StackStatusReason"]
    aws("s3").delete_object(Bucket=bucket, Key="k")
    stack.delete()


def _all_log_groups(logs):
    """Every page: other tests' stacks share this emulator, and a page holds 50 groups."""
    return [g for page in logs.get_paginator("describe_log_groups").paginate() for g in page["logGroups"]]


def _all(client, operation, key, **kwargs):
    """Every page of a listing: other tests' stacks share this emulator, so one page can hide
    what this test created."""
    if client.can_paginate(operation):
        return [x for page in client.get_paginator(operation).paginate(**kwargs) for x in page[key]]
    return getattr(client, operation)(**kwargs)[key]


def test_a_deployed_stacks_final_snapshot_can_go_with_it(aws):
    """Nightly stacks would pile up one final DB snapshot each; the run deletes its own."""
    from fixtures import stack as stackmod
    from probes.aws import AwsSession

    stack = create(aws, TEMPLATE.read_text(), name=unique("snapfree"))
    resources = aws("cloudformation").list_stack_resources(StackName=stack.name)["StackResourceSummaries"]
    db_id = next(r["PhysicalResourceId"] for r in resources if r["ResourceType"] == "AWS::RDS::DBInstance")
    # someone else's database and snapshot in the same account stay untouched
    theirs = unique("theirs")
    aws("rds").create_db_instance(DBInstanceIdentifier=theirs, DBInstanceClass="db.t3.micro",
                                  Engine="postgres", MasterUsername="u", MasterUserPassword="p" * 12,
                                  AllocatedStorage=20)
    aws("rds").create_db_snapshot(DBInstanceIdentifier=theirs, DBSnapshotIdentifier=f"{theirs}-snap")
    said: list[str] = []
    session = AwsSession("us-east-1", aws.endpoint, allow_mutations=True,
                         credentials={"aws_access_key_id": "testing", "aws_secret_access_key": "testing"})
    stackmod.delete(session, stack.name, out=said.append, delete_final_snapshots=True)
    left = _all(aws("rds"), "describe_db_snapshots", "DBSnapshots", DBInstanceIdentifier=db_id)
    assert left == [], left
    assert any("deleted final snapshot" in line and stack.name in line for line in said), said
    kept = _all(aws("rds"), "describe_db_snapshots", "DBSnapshots", DBInstanceIdentifier=theirs,
                SnapshotType="manual")
    assert [k["DBSnapshotIdentifier"] for k in kept] == [f"{theirs}-snap"]
    aws("rds").delete_db_snapshot(DBSnapshotIdentifier=f"{theirs}-snap")
    aws("rds").delete_db_instance(DBInstanceIdentifier=theirs, SkipFinalSnapshot=True)
