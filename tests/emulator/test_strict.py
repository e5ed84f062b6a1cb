# ruff: noqa: F811  (pytest fixtures imported from _support, so the tests also run with --noconftest)
"""The emulator is never kinder than AWS: new targets are initial before healthy and never
healthy behind a closed health-check port, SSM agents register after launch, e-mail
subscriptions wait for a person, and log delivery lands in a bucket after its source is
gone. Each behaviour is on by default, on the emulator's clock (fixtures/emulator/clock.py)."""
from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

from fixtures.emulator.clock import TIME_SCALE
from tests.emulator._support import ACCOUNT, REGION, aws, create, emu, template, unique  # noqa: F401

AMI = "ami-0d27e0fb3bac4d724"


def _until(read, done, seconds: float = 30.0):
    """``read()`` until ``done(value)``; returns every distinct value seen, in order."""
    seen = []
    deadline = time.monotonic() + seconds
    while True:
        value = read()
        if not seen or seen[-1] != value:
            seen.append(value)
        if done(value) or time.monotonic() > deadline:
            return seen
        time.sleep(0.05)


def _vpc_instance(aws) -> tuple[str, str]:
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.42.1.0/24")["Subnet"]["SubnetId"]
    iid = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, SubnetId=subnet)["Instances"][0]["InstanceId"]
    return vpc, iid


def _target_group(aws, vpc: str, **health) -> str:
    return aws("elbv2").create_target_group(
        Name=unique("tg")[:32], Protocol="TCP", Port=8080, VpcId=vpc, TargetType="instance",
        HealthCheckProtocol="HTTP", HealthCheckPath="/health", HealthCheckIntervalSeconds=10,
        HealthyThresholdCount=3, UnhealthyThresholdCount=3, **health)["TargetGroups"][0]["TargetGroupArn"]


def _health(aws, tg: str) -> tuple[str, str]:
    [t] = aws("elbv2").describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
    return t["TargetHealth"]["State"], t["TargetHealth"].get("Reason") or ""


def test_a_new_target_is_initial_then_healthy(aws):
    vpc, iid = _vpc_instance(aws)
    tg = _target_group(aws, vpc)
    aws("elbv2").register_targets(TargetGroupArn=tg, Targets=[{"Id": iid}])
    start = time.monotonic()
    seen = _until(lambda: _health(aws, tg), lambda h: h[0] == "healthy")
    assert seen[0] == ("initial", "Elb.InitialHealthChecking")
    assert seen[-1] == ("healthy", "")
    # three checks ten seconds apart, on the emulator's clock
    assert time.monotonic() - start >= 3 * 10 / TIME_SCALE * 0.9


def test_a_health_check_where_nothing_listens_makes_the_target_unhealthy(aws):
    vpc, iid = _vpc_instance(aws)
    tg = _target_group(aws, vpc, HealthCheckPort="9999")
    aws("elbv2").register_targets(TargetGroupArn=tg, Targets=[{"Id": iid}])
    seen = _until(lambda: _health(aws, tg), lambda h: h[0] == "unhealthy")
    assert seen[0][0] == "initial" and seen[-1] == ("unhealthy", "Target.FailedHealthChecks")
    # back on the traffic port, where the app listens: healthy
    aws("elbv2").modify_target_group(TargetGroupArn=tg, HealthCheckPort="traffic-port")
    assert _health(aws, tg)[0] == "healthy"


def test_the_ssm_agent_registers_after_launch(aws):
    iam = aws("iam")
    role = unique("ssm-role")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument='{"Version":"2012-10-17","Statement":[]}')
    iam.put_role_policy(RoleName=role, PolicyName="agent", PolicyDocument=(
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:UpdateInstanceInformation",'
        '"Resource":"*"}]}'))
    profile = iam.create_instance_profile(InstanceProfileName=role)["InstanceProfile"]["Arn"]
    iam.add_role_to_instance_profile(InstanceProfileName=role, RoleName=role)
    iid = aws("ec2").run_instances(ImageId=AMI, MinCount=1, MaxCount=1,
                                   IamInstanceProfile={"Arn": profile})["Instances"][0]["InstanceId"]

    def listed():
        return [i["PingStatus"] for i in aws("ssm").describe_instance_information(
            Filters=[{"Key": "InstanceIds", "Values": [iid]}])["InstanceInformationList"]]
    seen = _until(listed, lambda v: v == ["Online"])
    assert seen[0] == [] and seen[-1] == ["Online"]


def test_an_email_subscription_waits_for_a_person(aws):
    from fixtures.emulator.patches.sns import confirmation_token

    sns = aws("sns")
    topic = sns.create_topic(Name=unique("alarms"))["TopicArn"]
    assert sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="oncall@example.com")[
        "SubscriptionArn"] == "pending confirmation"
    arn = sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="oncall@example.com",
                        ReturnSubscriptionArn=True)["SubscriptionArn"]
    queue = aws("sqs").create_queue(QueueName=unique("q"))["QueueUrl"]
    queue_arn = aws("sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs_sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)["SubscriptionArn"]
    listed = {s["Protocol"]: s["SubscriptionArn"] for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]}
    assert listed == {"email": "PendingConfirmation", "sqs": sqs_sub}  # same-account SQS: confirmed at once
    assert sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]["PendingConfirmation"] == "true"
    with pytest.raises(ClientError):
        sns.confirm_subscription(TopicArn=topic, Token="not-the-token")
    token = confirmation_token(ACCOUNT, REGION, arn)  # what the e-mail's link carries
    assert sns.confirm_subscription(TopicArn=topic, Token=token)["SubscriptionArn"] == arn
    listed = {s["Protocol"]: s["SubscriptionArn"] for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]}
    assert listed["email"] == arn


def _keys(aws, bucket: str) -> list[str]:
    return [o["Key"] for o in aws("s3").list_objects_v2(Bucket=bucket).get("Contents", [])]


def test_log_delivery_lands_after_its_source_is_gone(aws):
    """A trail's, a flow log's and a distribution's last batch lands after they are deleted:
    a bucket emptied before that is not empty when it is deleted."""
    s3, name = aws("s3"), unique("logs")
    buckets = {k: f"{name}-{k}" for k in ("trail", "flow", "cdn")}
    for b in buckets.values():
        s3.create_bucket(Bucket=b)
    trail = aws("cloudtrail").create_trail(Name=name, S3BucketName=buckets["trail"])["Name"]
    aws("cloudtrail").start_logging(Name=trail)
    vpc = aws("ec2").create_vpc(CidrBlock="10.43.0.0/16")["Vpc"]["VpcId"]
    flow = aws("ec2").create_flow_logs(ResourceIds=[vpc], ResourceType="VPC", TrafficType="ALL",
                                       LogDestinationType="s3",
                                       LogDestination=f"arn:aws:s3:::{buckets['flow']}")["FlowLogIds"][0]
    cf = aws("cloudfront")
    dist = cf.create_distribution(DistributionConfig={
        "CallerReference": name, "Comment": "", "Enabled": True,
        "Logging": {"Enabled": True, "IncludeCookies": False, "Bucket": f"{buckets['cdn']}.s3.amazonaws.com",
                    "Prefix": "cloudfront/"},
        "Origins": {"Quantity": 1, "Items": [{"Id": "s3", "DomainName": "b.s3.us-east-1.amazonaws.com",
                                              "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "s3", "ViewerProtocolPolicy": "https-only",
                                 "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"}})
    assert all(_keys(aws, b) == [] for b in buckets.values())

    aws("cloudtrail").delete_trail(Name=trail)
    aws("ec2").delete_flow_logs(FlowLogIds=[flow])
    cf.delete_distribution(Id=dist["Distribution"]["Id"], IfMatch=dist["ETag"])

    assert _keys(aws, buckets["trail"])[0].startswith(f"AWSLogs/{ACCOUNT}/CloudTrail/{REGION}/")
    assert _keys(aws, buckets["flow"])[0].startswith(f"AWSLogs/{ACCOUNT}/vpcflowlogs/{REGION}/")
    assert _keys(aws, buckets["cdn"])[0].startswith(f"cloudfront/{dist['Distribution']['Id']}.")
    with pytest.raises(ClientError) as err:
        s3.delete_bucket(Bucket=buckets["trail"])
    assert err.value.response["Error"]["Code"] == "BucketNotEmpty"


def test_a_delete_that_failed_part_way_is_read_and_retried(aws):
    """After DELETE_FAILED (BucketNotEmpty) the stack's deleted resources stay deleted when
    the stack is read, and a retry after emptying the bucket ends DELETE_COMPLETE."""
    stack = create(aws, template({"Topic": {"Type": "AWS::SNS::Topic"},
                                  "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {}}},
                                 outputs={"Bucket": {"Ref": "Bucket"}, "Topic": {"Ref": "Topic"}}))
    bucket, topic = stack.outputs["Bucket"], stack.outputs["Topic"]
    aws("s3").put_object(Bucket=bucket, Key="late.gz", Body=b"x")
    aws("cloudformation").delete_stack(StackName=stack.name)
    assert stack.status == "DELETE_FAILED"
    listed = aws("cloudformation").list_stack_resources(StackName=stack.stack_id)["StackResourceSummaries"]
    assert [r["LogicalResourceId"] for r in listed] == ["Bucket"]
    topics = [t["TopicArn"] for t in aws("sns").list_topics()["Topics"]]
    assert topic not in topics  # reading the stack did not build the deleted topic again
    aws("s3").delete_object(Bucket=bucket, Key="late.gz")
    stack.delete()


def test_a_queue_policy_is_the_queues_policy_attribute(aws):
    stack = create(aws, template({
        "Queue": {"Type": "AWS::SQS::Queue"},
        "Policy": {"Type": "AWS::SQS::QueuePolicy", "Properties": {
            "Queues": [{"Ref": "Queue"}],
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sqs:SendMessage", "Resource": {"Fn::GetAtt": ["Queue", "Arn"]}}]}}}},
        outputs={"Queue": {"Ref": "Queue"}}))
    url = stack.outputs["Queue"]
    policy = aws("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"]
    assert "sns.amazonaws.com" in policy
    stack.delete()
