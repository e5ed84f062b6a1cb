# ruff: noqa: F811  (pytest fixtures imported from _support, so the tests also run with --noconftest)
"""Behaviour the probes depend on that moto 5.2.5 lacked, through the plain service APIs."""
from __future__ import annotations

import json
import time

from botocore.exceptions import ClientError

from tests.emulator._support import ACCOUNT, REGION, aws, create, emu, template, unique  # noqa: F401

AMI = "ami-0d27e0fb3bac4d724"


def _queue_on_topic(aws) -> tuple[str, str]:
    topic = aws("sns").create_topic(Name=unique("alarms"))["TopicArn"]
    queue_url = aws("sqs").create_queue(QueueName=unique("inbox"))["QueueUrl"]
    queue_arn = aws("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    aws("sns").subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    return topic, queue_url


def _messages(aws, queue_url: str) -> list[dict]:
    out = []
    while True:
        batch = aws("sqs").receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not batch:
            return out
        for m in batch:
            out.append(json.loads(m["Body"]))
            aws("sqs").delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])


def test_alarm_state_change_publishes_to_sns_and_reaches_sqs(aws):
    topic, queue_url = _queue_on_topic(aws)
    cw = aws("cloudwatch")
    name = unique("cpu-high")
    cw.put_metric_alarm(AlarmName=name, Namespace="AWS/EC2", MetricName="CPUUtilization", Statistic="Average",
                        Period=60, EvaluationPeriods=5, Threshold=80, ComparisonOperator="GreaterThanThreshold",
                        Dimensions=[{"Name": "AutoScalingGroupName", "Value": "asg"}],
                        AlarmActions=[topic], OKActions=[topic])
    cw.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="drill")
    [envelope] = _messages(aws, queue_url)
    assert envelope["Type"] == "Notification" and envelope["TopicArn"] == topic
    assert envelope["Subject"] == f'ALARM: "{name}" in US East (N. Virginia)'
    message = json.loads(envelope["Message"])
    assert message["AlarmName"] == name and message["NewStateValue"] == "ALARM"
    assert message["OldStateValue"] == "OK" and message["NewStateReason"] == "drill"
    assert message["AWSAccountId"] == ACCOUNT and message["AlarmArn"].endswith(f":alarm:{name}")
    assert message["Trigger"]["MetricName"] == "CPUUtilization" and message["Trigger"]["Threshold"] == 80.0
    assert message["Trigger"]["Dimensions"] == [{"value": "asg", "name": "AutoScalingGroupName"}]

    cw.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="still")  # no transition: no action
    assert _messages(aws, queue_url) == []
    cw.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="recovered")  # OKActions
    [ok] = _messages(aws, queue_url)
    assert json.loads(ok["Message"])["NewStateValue"] == "OK"

    cw.disable_alarm_actions(AlarmNames=[name])
    cw.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="muted")
    assert _messages(aws, queue_url) == []


def test_alarm_from_a_stack_notifies_its_topic(aws):
    topic, queue_url = _queue_on_topic(aws)
    stack = create(aws, template({"Alarm": {"Type": "AWS::CloudWatch::Alarm", "Properties": {
        "Namespace": "AWS/RDS", "MetricName": "FreeStorageSpace", "Statistic": "Minimum", "Period": 300,
        "EvaluationPeriods": 1, "Threshold": 2147483648, "ComparisonOperator": "LessThanThreshold",
        "AlarmActions": [topic]}}}, outputs={"Name": {"Ref": "Alarm"}}))
    aws("cloudwatch").set_alarm_state(AlarmName=stack.outputs["Name"], StateValue="ALARM", StateReason="drill")
    [envelope] = _messages(aws, queue_url)
    assert json.loads(envelope["Message"])["OldStateValue"] == "INSUFFICIENT_DATA"
    stack.delete()


def _ssm_fleet(aws, policy_arn: str) -> dict:
    return template({
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.9.0.0/16"}},
        "A": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.9.0.0/24",
                                                         "AvailabilityZone": f"{REGION}a"}},
        "B": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.9.1.0/24",
                                                         "AvailabilityZone": f"{REGION}b"}},
        "Role": {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
            "ManagedPolicyArns": [policy_arn]}},
        "Profile": {"Type": "AWS::IAM::InstanceProfile", "Properties": {"Roles": [{"Ref": "Role"}]}},
        "Lt": {"Type": "AWS::EC2::LaunchTemplate", "Properties": {"LaunchTemplateData": {
            "ImageId": AMI, "InstanceType": "t3.micro", "IamInstanceProfile": {"Arn": {"Fn::GetAtt": ["Profile", "Arn"]}}}}},
        "Asg": {"Type": "AWS::AutoScaling::AutoScalingGroup", "Properties": {
            "MinSize": "2", "MaxSize": "2", "DesiredCapacity": "2", "VPCZoneIdentifier": [{"Ref": "A"}, {"Ref": "B"}],
            "LaunchTemplate": {"LaunchTemplateId": {"Ref": "Lt"}, "Version": {"Fn::GetAtt": ["Lt", "LatestVersionNumber"]}}}},
    }, outputs={"Asg": {"Ref": "Asg"}, "A": {"Ref": "A"}})


def _all_instance_information(aws) -> list[dict]:
    """Every page: other tests' instances share the emulator (SSM pages as AWS does)."""
    return [i for page in aws("ssm").get_paginator("describe_instance_information").paginate()
            for i in page["InstanceInformationList"]]


def test_describe_instance_information_lists_managed_asg_instances(aws):
    managed = create(aws, _ssm_fleet(aws, "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"))
    unmanaged = create(aws, _ssm_fleet(aws, "arn:aws:iam::aws:policy/ReadOnlyAccess"))
    asg = aws("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[managed.outputs["Asg"]])["AutoScalingGroups"][0]
    ids = {i["InstanceId"] for i in asg["Instances"]}
    other = aws("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[unmanaged.outputs["Asg"]])["AutoScalingGroups"][0]
    other_ids = {i["InstanceId"] for i in other["Instances"]}
    bare = aws("ec2").run_instances(ImageId=AMI, MinCount=1, MaxCount=1, SubnetId=managed.outputs["A"])["Instances"][0]["InstanceId"]

    # the agent registers some seconds after launch (strict emulator), as on AWS
    deadline = time.monotonic() + 30  # seconds on the emulator; generous for a loaded box
    while True:
        listed = {i["InstanceId"]: i for i in _all_instance_information(aws)}
        if ids <= set(listed) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert ids <= set(listed) and not (other_ids & set(listed)) and bare not in listed
    one = listed[next(iter(ids))]
    assert one["PingStatus"] == "Online" and one["PlatformType"] == "Linux" and one["ResourceType"] == "EC2Instance"
    filtered = aws("ssm").describe_instance_information(
        Filters=[{"Key": "InstanceIds", "Values": sorted(ids)[:1]}])["InstanceInformationList"]
    assert [i["InstanceId"] for i in filtered] == sorted(ids)[:1]

    aws("ec2").terminate_instances(InstanceIds=[bare])
    managed.delete()
    unmanaged.delete()
    assert not ids & {i["InstanceId"] for i in _all_instance_information(aws)}


def test_distribution_api_keeps_origin_access_control_id(aws):
    cf = aws("cloudfront")
    oac = cf.create_origin_access_control(OriginAccessControlConfig={
        "Name": unique("oac"), "SigningProtocol": "sigv4", "SigningBehavior": "always",
        "OriginAccessControlOriginType": "s3"})["OriginAccessControl"]["Id"]
    dist = cf.create_distribution(DistributionConfig={
        "CallerReference": unique("ref"), "Comment": "", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "s3", "DomainName": "b.s3.us-east-1.amazonaws.com",
                                              "OriginAccessControlId": oac,
                                              "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "s3", "ViewerProtocolPolicy": "https-only",
                                 "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"}})["Distribution"]
    config = cf.get_distribution_config(Id=dist["Id"])
    assert config["DistributionConfig"]["Origins"]["Items"][0]["OriginAccessControlId"] == oac
    assert cf.get_distribution(Id=dist["Id"])["Distribution"]["DistributionConfig"]["Origins"]["Items"][0][
        "OriginAccessControlId"] == oac
    cf.delete_distribution(Id=dist["Id"], IfMatch=config["ETag"])


def _refused(call, code: str, status: int) -> None:
    try:
        call()
    except ClientError as exc:
        assert (exc.response["Error"]["Code"], exc.response["ResponseMetadata"]["HTTPStatusCode"]) == (code, status)
    else:
        raise AssertionError(f"accepted; AWS answers {code} ({status})")


def test_distribution_and_oac_updates_need_the_current_etag(aws):
    cf = aws("cloudfront")
    oac = cf.create_origin_access_control(OriginAccessControlConfig={
        "Name": unique("oac"), "SigningProtocol": "sigv4", "SigningBehavior": "always",
        "OriginAccessControlOriginType": "s3"})
    oac_id, oac_etag = oac["OriginAccessControl"]["Id"], oac["ETag"]
    oac_config = cf.get_origin_access_control(Id=oac_id)["OriginAccessControl"]["OriginAccessControlConfig"]
    _refused(lambda: cf.update_origin_access_control(Id=oac_id, IfMatch="stale", OriginAccessControlConfig=oac_config),
             "PreconditionFailed", 412)
    new_oac = cf.update_origin_access_control(Id=oac_id, IfMatch=oac_etag, OriginAccessControlConfig=oac_config)["ETag"]
    assert new_oac != oac_etag
    dist = cf.create_distribution(DistributionConfig={
        "CallerReference": unique("ref"), "Comment": "", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "s3", "DomainName": "b.s3.us-east-1.amazonaws.com",
                                              "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "s3", "ViewerProtocolPolicy": "https-only",
                                 "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"}})["Distribution"]
    current = cf.get_distribution_config(Id=dist["Id"])
    config = dict(current["DistributionConfig"], Comment="changed")
    _refused(lambda: cf.update_distribution(Id=dist["Id"], DistributionConfig=config, IfMatch="stale"),
             "PreconditionFailed", 412)
    _refused(lambda: cf.update_distribution(Id=dist["Id"], DistributionConfig=config, IfMatch=""),
             "InvalidIfMatchVersion", 400)
    etag = cf.update_distribution(Id=dist["Id"], DistributionConfig=config, IfMatch=current["ETag"])["ETag"]
    assert etag != current["ETag"] and cf.get_distribution(Id=dist["Id"])["ETag"] == etag
    _refused(lambda: cf.delete_distribution(Id=dist["Id"], IfMatch=current["ETag"]), "PreconditionFailed", 412)
    cf.delete_distribution(Id=dist["Id"], IfMatch=etag)
    cf.delete_origin_access_control(Id=oac_id, IfMatch=new_oac)


def test_cloudfront_cache_policy_api(aws):
    cf = aws("cloudfront")
    config = {"Name": unique("cp"), "Comment": "", "MinTTL": 0, "DefaultTTL": 0, "MaxTTL": 1,
              "ParametersInCacheKeyAndForwardedToOrigin": {
                  "EnableAcceptEncodingGzip": False, "HeadersConfig": {"HeaderBehavior": "none"},
                  "CookiesConfig": {"CookieBehavior": "none"}, "QueryStringsConfig": {"QueryStringBehavior": "none"}}}
    created = cf.create_cache_policy(CachePolicyConfig=config)
    pid = created["CachePolicy"]["Id"]
    assert cf.get_cache_policy_config(Id=pid)["CachePolicyConfig"]["Name"] == config["Name"]
    updated = cf.update_cache_policy(Id=pid, IfMatch=created["ETag"], CachePolicyConfig={**config, "MaxTTL": 2})
    assert updated["ETag"] != created["ETag"]  # each update gives a new ETag
    assert cf.get_cache_policy(Id=pid)["CachePolicy"]["CachePolicyConfig"]["MaxTTL"] == 2
    assert pid in [p["CachePolicy"]["Id"] for p in cf.list_cache_policies(Type="custom")["CachePolicyList"]["Items"]]
    # AWS's optimistic locking: no IfMatch, or one that is not the current ETag, is refused
    _refused(lambda: cf.delete_cache_policy(Id=pid, IfMatch="x"), "PreconditionFailed", 412)
    _refused(lambda: cf.delete_cache_policy(Id=pid, IfMatch=created["ETag"]), "PreconditionFailed", 412)
    _refused(lambda: cf.delete_cache_policy(Id=pid), "InvalidIfMatchVersion", 400)
    cf.delete_cache_policy(Id=pid, IfMatch=cf.get_cache_policy(Id=pid)["ETag"])
    try:
        cf.get_cache_policy(Id=pid)
        raise AssertionError("deleted policy still readable")
    except cf.exceptions.ClientError as exc:
        assert exc.response["Error"]["Code"] == "NoSuchCachePolicy"
    assert pid not in [p["CachePolicy"]["Id"] for p in cf.list_cache_policies()["CachePolicyList"].get("Items", [])]


def test_vpc_link_integration_keeps_connection_id_through_the_api(aws):
    ag = aws("apigateway")
    api = ag.create_rest_api(name=unique("api"))["id"]
    root = ag.get_resources(restApiId=api)["items"][0]["id"]
    ag.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
    put = ag.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="HTTP_PROXY",
                             integrationHttpMethod="GET", uri="http://nlb.example:8080/", connectionType="VPC_LINK",
                             connectionId="abc123")
    assert put["connectionId"] == "abc123"
    got = ag.get_integration(restApiId=api, resourceId=root, httpMethod="GET")
    assert got["connectionType"] == "VPC_LINK" and got["connectionId"] == "abc123"
    ag.delete_rest_api(restApiId=api)


def test_network_load_balancer_arn_says_net(aws):
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.8.0.0/24", AvailabilityZone=f"{REGION}a")["Subnet"]["SubnetId"]
    elb = aws("elbv2")
    nlb = elb.create_load_balancer(Name=unique("nlb")[:32], Subnets=[subnet], Type="network", Scheme="internal")
    arn = nlb["LoadBalancers"][0]["LoadBalancerArn"]
    assert ":loadbalancer/net/" in arn and nlb["LoadBalancers"][0]["Type"] == "network"
    alb = elb.create_load_balancer(Name=unique("alb")[:32], Subnets=[subnet], Type="application")
    assert ":loadbalancer/app/" in alb["LoadBalancers"][0]["LoadBalancerArn"]
    for lb in (arn, alb["LoadBalancers"][0]["LoadBalancerArn"]):
        elb.delete_load_balancer(LoadBalancerArn=lb)
    ec2.delete_subnet(SubnetId=subnet)
    ec2.delete_vpc(VpcId=vpc)


def test_describe_trails_honours_the_name_list():
    import boto3

    from fixtures.emulator.server import start
    emu = start()
    try:
        ct = boto3.client("cloudtrail", endpoint_url=emu.endpoint, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
        s3 = boto3.client("s3", endpoint_url=emu.endpoint, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
        for name in ("trail-one-xyz", "trail-two-xyz"):
            s3.create_bucket(Bucket=f"{name}-bucket")
            ct.create_trail(Name=name, S3BucketName=f"{name}-bucket")
        got = ct.describe_trails(trailNameList=["trail-two-xyz"])["trailList"]
        assert [t["Name"] for t in got] == ["trail-two-xyz"]
    finally:
        emu.stop()


def test_launch_template_listing_pages_past_the_first_fifteen(aws):
    """moto cut DescribeLaunchTemplates at 15 with no NextToken: a shared emulator with more
    templates hid the newest ones from any listing."""
    ec2 = aws("ec2")
    made = {ec2.create_launch_template(LaunchTemplateName=unique("lt"),
                                       LaunchTemplateData={"ImageId": AMI})["LaunchTemplate"]["LaunchTemplateId"]
            for _ in range(17)}
    first = ec2.describe_launch_templates(MaxResults=5)
    assert len(first["LaunchTemplates"]) == 5 and first.get("NextToken")
    listed = {t["LaunchTemplateId"] for page in ec2.get_paginator("describe_launch_templates").paginate()
              for t in page["LaunchTemplates"]}
    assert made <= listed
    for lt_id in made:
        ec2.delete_launch_template(LaunchTemplateId=lt_id)


def test_a_service_model_is_parsed_once_however_many_requests_arrive_first():
    """moto's functools.cache let every concurrent first request parse the model again."""
    import threading
    import time

    from fixtures.emulator.patches.core import _single_flight

    parsed: list[str] = []

    def slow_parse(name: str) -> dict:
        parsed.append(name)
        time.sleep(0.05)
        return {"service": name}

    load = _single_flight(slow_parse)
    start = threading.Barrier(8, timeout=10)

    def request(name: str) -> None:
        start.wait()
        assert load(name) == {"service": name}

    threads = [threading.Thread(target=request, args=(n,)) for n in ["ec2"] * 6 + ["rds"] * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(parsed) == ["ec2", "rds"]


def test_the_server_uses_the_single_flight_model_loader():
    import moto.core.responses
    import moto.core.utils

    from fixtures.emulator import install

    install()
    assert getattr(moto.core.utils.get_service_model, "single_flight", False)
    assert moto.core.responses.get_service_model is moto.core.utils.get_service_model


def test_a_rest_service_router_is_built_once_however_many_requests_arrive_first():
    """moto built a werkzeug Map of every operation URI in each concurrent first request."""
    import threading

    import moto.core.responses
    import moto.core.routing as routing

    from fixtures.emulator import install

    install()
    assert getattr(moto.core.responses.get_service_router, "single_flight", False)
    built: list[str] = []
    original = routing.RestRouter.__init__

    def counting(self, model):  # type: ignore[no-untyped-def]
        built.append(model.service_name)
        original(self, model)

    routing.RestRouter.__init__ = counting
    try:
        router = routing.ServiceOperationRouter(routing.get_service_model("apigateway"))
        start = threading.Barrier(6, timeout=10)
        got: list[object] = []

        def first_request() -> None:
            start.wait()
            got.append(router._get_router("rest-json"))

        threads = [threading.Thread(target=first_request) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        routing.RestRouter.__init__ = original
    assert built == ["apigateway"] and len({id(r) for r in got}) == 1


def test_managed_policies_answer_by_their_fixed_ids_with_their_documented_contents(aws):
    """GetCachePolicy / GetOriginRequestPolicy answer for AWS's managed ids, with the
    contents the probes judge forwarding by (probes.edge's tables of the documented ones)."""
    from probes import edge

    cf = aws("cloudfront")
    for pid, want in edge.MANAGED_CACHE_POLICIES.items():
        got = cf.get_cache_policy(Id=pid)["CachePolicy"]["CachePolicyConfig"]
        assert {k: got[k] for k in ("Name", "MinTTL", "DefaultTTL", "MaxTTL")} == \
            {k: want[k] for k in ("Name", "MinTTL", "DefaultTTL", "MaxTTL")}, pid
        key, want_key = got["ParametersInCacheKeyAndForwardedToOrigin"], want["ParametersInCacheKeyAndForwardedToOrigin"]
        for part in ("HeadersConfig", "CookiesConfig", "QueryStringsConfig"):
            assert key[part] == want_key[part], (pid, part)
    for pid, want in edge.MANAGED_ORIGIN_REQUEST_POLICIES.items():
        got = cf.get_origin_request_policy(Id=pid)["OriginRequestPolicy"]["OriginRequestPolicyConfig"]
        for part in ("Name", "HeadersConfig", "CookiesConfig", "QueryStringsConfig"):
            assert got[part] == want[part], (pid, part)


def test_the_front_door_builds_a_services_app_once_and_lists_moto_once():
    """moto's dispatcher listed its package directory for every request under one global
    lock; now once, and only a service's first app is built under the lock."""
    import threading

    from moto import backends
    from moto.moto_server import werkzeug_app

    from fixtures.emulator import install

    install()
    assert isinstance(backends.list_of_moto_modules(), frozenset)
    assert "sts" in backends.list_of_moto_modules()
    dispatcher = werkzeug_app.DomainDispatcherApplication(werkzeug_app.create_backend_app)
    built: list[str] = []

    def create_app(backend):  # type: ignore[no-untyped-def]
        built.append(backend)
        return f"app of {backend}"

    dispatcher.create_app = create_app
    environ = {"PATH_INFO": "/", "HTTP_HOST": "sts.us-east-1.amazonaws.com",
               "HTTP_AUTHORIZATION": "AWS4-HMAC-SHA256 Credential=testing/20261129/us-east-1/sts/aws4_request"}
    start = threading.Barrier(8, timeout=10)
    got: list[str] = []

    def request() -> None:
        start.wait()
        got.append(dispatcher.get_application(dict(environ)))

    threads = [threading.Thread(target=request) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(built) == 1 and set(got) == {f"app of {built[0]}"}


def test_an_emulator_model_without_its_hooks_is_refused_when_its_class_is_made():
    """A model that could not create or delete its resource fails at import, naming what it
    lacks, not when a stack first deploys it."""
    import pytest

    from fixtures.emulator.models._base import Model
    from fixtures.emulator.models.cloudfront import _Policy

    with pytest.raises(TypeError, match=r"Half \(AWS::Test::Half\) must define _delete, _create or _put"):
        type("Half", (Model,), {"TYPE": "AWS::Test::Half"})
    with pytest.raises(TypeError, match=r"must define _config"):
        type("NoConfig", (_Policy,), {"TYPE": "AWS::Test::NoConfig", "_delete": lambda self: None})
