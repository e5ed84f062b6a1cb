"""Breadth faults: hygiene every resource of the stack owes whatever its role (issue 15):
every bucket's public access block, TLS-only policy, encryption, ACLs and versioning; the
API reachable around the WAF; user pool policies; RDS TLS, upgrades and engine version; secrets in user data;
encryption at rest; troubleshooting log deliveries that cannot deliver; the default security
group; the network ACLs' admin ports; secrets that never rotate."""
from __future__ import annotations

import base64
import json

from tests.faults.anystack import ACCOUNT, REGION
from tests.faults.catalog import Fault
from tests.faults.f_compute import _roll_out_version

B = "edge."  # every bucket's hygiene lives in the edge layer, beside the site bucket's


def _delete_public_access_block(logical: str):
    def inject(stack) -> None:
        stack.client("s3").delete_public_access_block(Bucket=stack.physical(logical))
    return inject


def _trail_policy_without_tls_deny(stack) -> None:
    s3 = stack.client("s3")
    bucket = stack.physical("TrailBucket")
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    policy["Statement"] = [st for st in policy["Statement"] if st.get("Effect") != "Deny"]
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))


def _delete_encryption(logical: str):
    def inject(stack) -> None:
        stack.client("s3").delete_bucket_encryption(Bucket=stack.physical(logical))
    return inject


def _acls_enabled(logical: str):
    def inject(stack) -> None:
        stack.client("s3").put_bucket_ownership_controls(
            Bucket=stack.physical(logical),
            OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
    return inject


def _suspend_versioning(logical: str):
    def inject(stack) -> None:
        stack.client("s3").put_bucket_versioning(
            Bucket=stack.physical(logical), VersioningConfiguration={"Status": "Suspended"})
    return inject


def _drop_api_resource_policy(stack) -> None:
    stack.client("apigateway").update_rest_api(
        restApiId=stack.physical("RestApi"),
        patchOperations=[{"op": "replace", "path": "/policy", "value": ""}])


def _update_pool(**changes):
    """UpdateUserPool with the pool's current settings and ``changes`` (AWS resets what an
    update does not carry)."""
    def inject(stack) -> None:
        idp = stack.client("cognito-idp")
        pool_id = stack.physical("UserPool")
        pool = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]
        keep = {k: pool[k] for k in ("Policies", "AutoVerifiedAttributes", "MfaConfiguration",
                                     "AdminCreateUserConfig", "AccountRecoverySetting") if k in pool}
        idp.update_user_pool(UserPoolId=pool_id, **{**keep, **changes})
    return inject


def _mfa_off(stack) -> None:
    stack.client("cognito-idp").set_user_pool_mfa_config(UserPoolId=stack.physical("UserPool"),
                                                         MfaConfiguration="OFF")


def _force_ssl_off(stack) -> None:
    stack.client("rds").modify_db_parameter_group(
        DBParameterGroupName=stack.physical("DbParameterGroup"),
        Parameters=[{"ParameterName": "rds.force_ssl", "ParameterValue": "0",
                     "ApplyMethod": "pending-reboot"}])


def _minor_upgrades_off(stack) -> None:
    stack.client("rds").modify_db_instance(DBInstanceIdentifier=stack.physical("Database"),
                                           AutoMinorVersionUpgrade=False, ApplyImmediately=True)


def _token_in_user_data(stack) -> None:
    ec2 = stack.client("ec2")
    lt = stack.physical("LaunchTemplate")
    data = ec2.describe_launch_template_versions(LaunchTemplateId=lt, Versions=["$Default"])[
        "LaunchTemplateVersions"][0]["LaunchTemplateData"]
    text = base64.b64decode(data["UserData"]).decode()
    text = text.replace("set -euo pipefail\n",
                        "set -euo pipefail\nexport PAYMENTS_API_TOKEN=tok_live_4f9a8b7c6d5e\n", 1)
    _roll_out_version(stack, UserData=base64.b64encode(text.encode()).decode())


def _unencrypted_volume(stack) -> None:
    _roll_out_version(stack, BlockDeviceMappings=[
        {"DeviceName": "/dev/xvda", "Ebs": {"Encrypted": False, "VolumeType": "gp3"}}])


def _trail_to_deleted_log_group(stack) -> None:
    logs, iam = stack.client("logs"), stack.client("iam")
    group = f"{stack.name}-trail-events"
    logs.create_log_group(logGroupName=group)
    arn = next(g["arn"] for g in logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"])
    role = iam.create_role(RoleName=f"{stack.name}-trail-cwl", AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                 "Principal": {"Service": "cloudtrail.amazonaws.com"}}]}))
    stack.client("cloudtrail").update_trail(Name=stack.physical("Trail"), CloudWatchLogsLogGroupArn=arn,
                                            CloudWatchLogsRoleArn=role["Role"]["Arn"])
    logs.delete_log_group(logGroupName=group)


def _default_sg_admits_vpc_https(stack) -> None:
    ec2 = stack.client("ec2")
    group = ec2.describe_security_groups(Filters=[
        {"Name": "vpc-id", "Values": [stack.physical("Vpc")]},
        {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"][0]
    ec2.authorize_security_group_ingress(GroupId=group["GroupId"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}])


def _engine_version_deprecated(stack) -> None:
    from moto.rds.models import rds_backends
    db = stack.outputs["DbInstanceIdentifier"]
    rds_backends[ACCOUNT][REGION].databases[db].engine_version = "16.1"


def _nacl_ssh_deny_deleted(stack) -> None:
    """Someone deletes the default ACL's DENY for port 22 "to debug": its rule 100 admits it."""
    ec2 = stack.client("ec2")
    acl = ec2.describe_network_acls(Filters=[
        {"Name": "vpc-id", "Values": [stack.physical("Vpc")]},
        {"Name": "default", "Values": ["true"]}])["NetworkAcls"][0]["NetworkAclId"]
    ec2.delete_network_acl_entry(NetworkAclId=acl, RuleNumber=10, Egress=False)


def _unrotated_secret_added(stack) -> None:
    """An operator adds an API key secret to the stack and never sets up rotation."""
    from fixtures.emulator.coverage import load_template
    cfn = stack.client("cloudformation")
    template = load_template(cfn.get_template(StackName=stack.name)["TemplateBody"])
    template["Resources"]["PartnerApiKey"] = {
        "Type": "AWS::SecretsManager::Secret",
        "Properties": {"GenerateSecretString": {"PasswordLength": 32}}}
    # SSM-typed parameters resolve again from their default path.
    params = [p for p in cfn.describe_stacks(StackName=stack.name)["Stacks"][0]["Parameters"]
              if not template["Parameters"][p["ParameterKey"]]["Type"].startswith("AWS::SSM::")]
    # Compact JSON keeps the body under CloudFormation's 51,200-byte TemplateBody limit.
    cfn.update_stack(StackName=stack.name, TemplateBody=json.dumps(template, separators=(",", ":")),
                     Parameters=[{"ParameterKey": p["ParameterKey"], "ParameterValue": p["ParameterValue"]}
                                 for p in params],
                     Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"])
    cfn.get_waiter("stack_update_complete").wait(StackName=stack.name,
                                                 WaiterConfig={"Delay": 1, "MaxAttempts": 120})


FAULTS = [
    Fault(id="bucket-flow-log-public-access-block-removed",
          inject=_delete_public_access_block("FlowLogBucket"),
          breaks=(B + "buckets_block_public_access",),
          mentions=("(the flow log bucket) has no public access block",)),
    Fault(id="bucket-trail-admits-plain-http", inject=_trail_policy_without_tls_deny,
          breaks=(B + "buckets_deny_insecure_transport",),
          mentions=("does not deny requests without TLS",)),
    Fault(id="bucket-log-encryption-removed", inject=_delete_encryption("LogBucket"),
          breaks=(B + "buckets_encrypted_by_default",),
          mentions=("(the log bucket) has no default encryption",)),
    Fault(id="bucket-flow-log-acls-enabled", inject=_acls_enabled("FlowLogBucket"),
          breaks=(B + "buckets_acls_disabled",), mentions=("object ownership ObjectWriter",)),
    Fault(id="bucket-site-versioning-suspended", inject=_suspend_versioning("SiteBucket"),
          breaks=(B + "buckets_versioned_as_expected",),
          mentions=("(the site bucket) has versioning Suspended",)),
    Fault(id="waf-api-resource-policy-removed", inject=_drop_api_resource_policy,
          breaks=("waf.api_not_reachable_around_waf",),
          mentions=("can be called around CloudFront's web ACL", "execute-api")),
    Fault(id="auth-pool-password-policy-weakened",
          inject=_update_pool(Policies={"PasswordPolicy": {
              "MinimumLength": 8, "RequireLowercase": True, "RequireUppercase": False,
              "RequireNumbers": True, "RequireSymbols": False, "TemporaryPasswordValidityDays": 3}}),
          breaks=("auth.user_pool_password_policy",), challenge=7,
          mentions=("minimum length 8 < 12", "does not require uppercase, symbols")),
    Fault(id="auth-pool-mfa-off", inject=_mfa_off, breaks=("auth.user_pool_mfa",), challenge=7,
          mentions=("has MFA OFF",)),
    Fault(id="auth-pool-self-sign-up-opened",
          inject=_update_pool(AdminCreateUserConfig={"AllowAdminCreateUserOnly": False}),
          breaks=("auth.user_pool_sign_up_and_deletion",), challenge=7,
          mentions=("lets anyone sign up",)),
    Fault(id="db-tls-not-forced", inject=_force_ssl_off, breaks=("database.db_tls_forced",),
          challenge=3, mentions=("accepts connections without TLS (rds.force_ssl=0",)),
    Fault(id="db-minor-upgrades-off", inject=_minor_upgrades_off,
          breaks=("database.db_operations_as_expected",),
          mentions=("automatic minor-version upgrades off",)),
    Fault(id="cmp-token-in-user-data", inject=_token_in_user_data,
          breaks=("compute.user_data_has_no_secrets",),
          mentions=("secret environment literal PAYMENTS_API_TOKEN",)),
    Fault(id="stack-launch-template-volume-unencrypted", inject=_unencrypted_volume,
          breaks=("observability.encryption_at_rest_as_expected",), challenge=8,
          mentions=("volume /dev/xvda is not encrypted",)),
    Fault(id="obs-trail-delivers-to-deleted-log-group", inject=_trail_to_deleted_log_group,
          breaks=("observability.troubleshooting_logs_as_expected",), challenge=10,
          mentions=("does not exist: nothing arrives",)),
    Fault(id="net-default-sg-admits-vpc-https", inject=_default_sg_admits_vpc_https,
          breaks=("network.default_security_group_admits_nothing",), challenge=10,
          mentions=("admits tcp 443 from 10.0.0.0/16",)),
    Fault(id="db-engine-version-deprecated", inject=_engine_version_deprecated,
          breaks=("database.db_engine_version_supported",), challenge=3, via="emulator-state",
          why="RDS refuses to create or modify an instance onto a deprecated version: an instance "
              "gets there when RDS deprecates the version it runs. The emulator's version table "
              "is fixed (16.1 is deprecated in it), so the fault puts the instance on 16.1",
          mentions=("runs postgres 16.1, which RDS has deprecated; the next supported version is 16.3",)),
    Fault(id="net-nacl-admits-ssh-from-anywhere", inject=_nacl_ssh_deny_deleted,
          breaks=("network.nacls_close_admin_ports",), challenge=5,
          mentions=("admits TCP 22 (SSH) from 0.0.0.0/0 by rule 100 ALLOW all traffic in from 0.0.0.0/0",)),
    Fault(id="db-unrotated-secret-added", inject=_unrotated_secret_added,
          breaks=("database.secrets_managed_or_rotated",), challenge=3,
          mentions=("(a leaked value works until someone changes it by hand)",)),
]
