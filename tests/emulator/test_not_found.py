# ruff: noqa: F811  (pytest fixtures imported from _support, so the tests also run with --noconftest)
"""Every read the probes make, of a resource that is not there, fails on the emulator as it
does on AWS: with the code of one of the operation's error shapes in botocore's model (or,
where the model lists none - EC2, S3, CloudFormation - the code AWS documents), and it reads
as "missing" to the inventory. A kinder answer (an empty list, another code) would make a
deleted resource look present, or an absent one an error, only on AWS."""
from __future__ import annotations

import botocore.session
import pytest
from botocore.exceptions import ClientError

from probes.inventory import is_missing
from tests.emulator._support import ACCOUNT, aws, emu  # noqa: F401

_ARN_TG = f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:targetgroup/x/0123456789abcdef"
_ARN_LB = f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:loadbalancer/net/x/0123456789abcdef"
_NO_BUCKET = "stackprobe-no-such-bucket-0"
# Documented codes of services whose botocore model lists no error shape for the operation.
DOCUMENTED = {
    "s3": {"NoSuchBucket"},
    "ec2": {"InvalidGroup.NotFound", "InvalidVpcID.NotFound", "InvalidSubnetID.NotFound",
            "InvalidInstanceID.NotFound", "InvalidLaunchTemplateId.NotFound", "InvalidAMIID.NotFound",
            "InvalidRouteTableID.NotFound", "InvalidNetworkAclID.NotFound"},
    "cloudformation": {"ValidationError"},  # "Stack with id X does not exist"
}
READS = [
("wafv2","get_web_acl",dict(Name="x",Scope="CLOUDFRONT",Id="a1b2c3d4-0000-0000-0000-000000000000")),
("wafv2","get_logging_configuration",dict(ResourceArn=f"arn:aws:wafv2:us-east-1:{ACCOUNT}:global/webacl/x/a1b2c3d4-0000-0000-0000-000000000000")),
("cloudfront","get_distribution",dict(Id="EDFDVBD632BHDS5")),
("cloudfront","get_distribution_config",dict(Id="EDFDVBD632BHDS5")),
("cloudfront","get_cache_policy",dict(Id="00000000-0000-0000-0000-000000000000")),
("cloudfront","get_origin_request_policy",dict(Id="00000000-0000-0000-0000-000000000000")),
("cloudfront","get_origin_access_control",dict(Id="E000000000")),
("cloudfront","get_invalidation",dict(DistributionId="EDFDVBD632BHDS5",Id="I123")),
("cloudfront","list_invalidations",dict(DistributionId="EDFDVBD632BHDS5")),
("acm","describe_certificate",dict(CertificateArn=f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/00000000-0000-0000-0000-000000000000")),
("apigateway","get_rest_api",dict(restApiId="abc123")),
("apigateway","get_stage",dict(restApiId="abc123",stageName="prod")),
("apigateway","get_vpc_link",dict(vpcLinkId="abc123")),
("apigateway","get_authorizers",dict(restApiId="abc123")),
("apigateway","get_resources",dict(restApiId="abc123")),
("cognito-idp","describe_user_pool",dict(UserPoolId="us-east-1_abcdefghi")),
("cognito-idp","describe_user_pool_client",dict(UserPoolId="us-east-1_abcdefghi",ClientId="abc")),
("elbv2","describe_target_health",dict(TargetGroupArn=_ARN_TG)),
("elbv2","describe_load_balancers",dict(LoadBalancerArns=[_ARN_LB])),
("elbv2","describe_target_groups",dict(TargetGroupArns=[_ARN_TG])),
("elbv2","describe_listeners",dict(LoadBalancerArn=_ARN_LB)),
("elbv2","describe_load_balancer_attributes",dict(LoadBalancerArn=_ARN_LB)),
("elbv2","describe_target_group_attributes",dict(TargetGroupArn=_ARN_TG)),
("rds","describe_db_instances",dict(DBInstanceIdentifier="nope")),
("rds","describe_db_parameters",dict(DBParameterGroupName="nope")),
("rds","describe_db_subnet_groups",dict(DBSubnetGroupName="nope")),
("secretsmanager","describe_secret",dict(SecretId="nope")),
("sns","get_topic_attributes",dict(TopicArn=f"arn:aws:sns:us-east-1:{ACCOUNT}:nope")),
("sns","list_subscriptions_by_topic",dict(TopicArn=f"arn:aws:sns:us-east-1:{ACCOUNT}:nope")),
("sns","get_subscription_attributes",dict(SubscriptionArn=f"arn:aws:sns:us-east-1:{ACCOUNT}:nope:00000000-0000-0000-0000-000000000000")),
("iam","get_role",dict(RoleName="nope")),
("iam","get_instance_profile",dict(InstanceProfileName="nope")),
("iam","list_attached_role_policies",dict(RoleName="nope")),
("iam","list_role_policies",dict(RoleName="nope")),
("iam","get_policy",dict(PolicyArn=f"arn:aws:iam::{ACCOUNT}:policy/nope")),
("cloudtrail","get_trail_status",dict(Name="nope")),
("cloudtrail","get_trail",dict(Name="nope")),
("cloudtrail","get_event_selectors",dict(TrailName="nope")),
("s3","get_bucket_policy",dict(Bucket=_NO_BUCKET)),
("s3","get_public_access_block",dict(Bucket=_NO_BUCKET)),
("s3","get_bucket_encryption",dict(Bucket=_NO_BUCKET)),
("s3","get_bucket_versioning",dict(Bucket=_NO_BUCKET)),
("s3","get_bucket_lifecycle_configuration",dict(Bucket=_NO_BUCKET)),
("s3","get_bucket_logging",dict(Bucket=_NO_BUCKET)),
("route53","get_hosted_zone",dict(Id="Z0000000000000")),
("route53","list_resource_record_sets",dict(HostedZoneId="Z0000000000000")),
("ec2","describe_security_groups",dict(GroupIds=["sg-0123456789abcdef0"])),
("ec2","describe_vpcs",dict(VpcIds=["vpc-0123456789abcdef0"])),
("ec2","describe_subnets",dict(SubnetIds=["subnet-0123456789abcdef0"])),
("ec2","describe_instances",dict(InstanceIds=["i-0123456789abcdef0"])),
("ec2","describe_launch_template_versions",dict(LaunchTemplateId="lt-0123456789abcdef0")),
("ec2","describe_images",dict(ImageIds=["ami-0123456789abcdef0"])),
("ec2","describe_route_tables",dict(RouteTableIds=["rtb-0123456789abcdef0"])),
("ec2","describe_network_acls",dict(NetworkAclIds=["acl-0123456789abcdef0"])),
("ssm","get_parameter",dict(Name="/nope")),
("cloudformation","describe_stacks",dict(StackName="nope")),
("cloudformation","list_stack_resources",dict(StackName="nope")),
("cloudformation","describe_stack_events",dict(StackName="nope")),
("cloudwatch","get_dashboard",dict(DashboardName="nope")),
]


@pytest.mark.parametrize("service,operation,params", READS, ids=lambda v: v if isinstance(v, str) else "")
def test_a_read_of_nothing_fails_with_aws_own_not_found_code(aws, service, operation, params):
    client = aws(service)
    with pytest.raises(ClientError) as err:
        getattr(client, operation)(**params)
    code = err.value.response["Error"]["Code"]
    model = botocore.session.get_session().get_service_model(service)
    shapes = model.operation_model(client.meta.method_to_api_mapping[operation]).error_shapes
    known = {s.metadata.get("error", {}).get("code", s.name) for s in shapes} or DOCUMENTED[service]
    assert code in known, f"{service}:{operation} answered {code}; AWS answers one of {sorted(known)}"
    assert is_missing(err.value), f"{service}:{operation} {code} does not read as missing"
