"""Faults for the database layer: what an operator does to an RDS instance, its
credentials and its logs that the database probes must catch (Challenges 3 and 10)."""
import base64
import json

from probes import path as p
from tests.faults import anystack as any_
from tests.faults.catalog import Fault
from tests.faults.catalog import listed_physical as _physical

ACCOUNT, REGION = "123456789012", "us-east-1"


def _db_id(stack):
    return stack.outputs["DbInstanceIdentifier"]


def _modify(**params):
    def inject(stack):
        stack.client("rds").modify_db_instance(DBInstanceIdentifier=_db_id(stack),
                                               ApplyImmediately=True, **params)
    return inject


def _internet_route_on_db_subnets(stack):
    stack.client("ec2").create_route(RouteTableId=_physical(stack, "DbRouteTable"),
                                     DestinationCidrBlock="0.0.0.0/0",
                                     GatewayId=_physical(stack, "InternetGateway"))


def _unencrypted(stack):
    from moto.rds.models import rds_backends
    rds_backends[ACCOUNT][REGION].databases[_db_id(stack)].storage_encrypted = False


def _secret_arn(stack):
    db = stack.client("rds").describe_db_instances(DBInstanceIdentifier=_db_id(stack))
    return db["DBInstances"][0]["MasterUserSecret"]["SecretArn"]


def _delete_secret(force):
    def inject(stack):
        kwargs = ({"ForceDeleteWithoutRecovery": True} if force
                  else {"RecoveryWindowInDays": 7})
        stack.client("secretsmanager").delete_secret(SecretId=_secret_arn(stack), **kwargs)
    return inject


def _role_reads_other_secret(stack):
    # The app role's grant points at a secret that is not the DB's (e.g. after the secret
    # was recreated by hand and the policy kept the old ARN).
    arn = _secret_arn(stack).rsplit(":", 1)[0] + ":rds!db-old-secret-AbCdEf"
    stack.client("iam").put_role_policy(
        RoleName=stack.outputs["InstanceRoleName"], PolicyName="ReadDbSecret",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
            "Resource": arn}]}))


def _secret_denied_by_guardrail(stack):
    # A guardrail policy added to the role later denies the read; the role's Allow is
    # still there, so a check that looks only for an Allow would call the role fine.
    stack.client("iam").put_role_policy(
        RoleName=stack.outputs["InstanceRoleName"], PolicyName="DenySecretsGuardrail",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Deny", "Action": "secretsmanager:GetSecretValue",
            "Resource": _secret_arn(stack)}]}))


def _password_in_user_data(stack):
    sm, ec2 = stack.client("secretsmanager"), stack.client("ec2")
    password = json.loads(sm.get_secret_value(SecretId=_secret_arn(stack))["SecretString"])["password"]
    lt = stack.outputs["LaunchTemplateId"]
    current = ec2.describe_launch_template_versions(LaunchTemplateId=lt, Versions=["$Latest"])
    old = base64.b64decode(current["LaunchTemplateVersions"][0]["LaunchTemplateData"]
                           .get("UserData", "")).decode()
    lines = old.splitlines() or ["#!/bin/bash"]
    # "Quick fix" an operator makes when the app cannot reach Secrets Manager.
    lines.insert(1, f"export PGPASSWORD={password}")
    # The whole data, as the console's "modify template" does (moto ignores SourceVersion).
    data = dict(current["LaunchTemplateVersions"][0]["LaunchTemplateData"],
                UserData=base64.b64encode("\n".join(lines).encode()).decode())
    version = ec2.create_launch_template_version(
        LaunchTemplateId=lt, LaunchTemplateData=data)["LaunchTemplateVersion"]["VersionNumber"]
    stack.client("autoscaling").update_auto_scaling_group(
        AutoScalingGroupName=stack.outputs["AutoScalingGroupName"],
        LaunchTemplate={"LaunchTemplateId": lt, "Version": str(version)})


def _slow_query_log_off(stack):
    stack.client("rds").modify_db_parameter_group(
        DBParameterGroupName=_physical(stack, "DbParameterGroup"),
        Parameters=[{"ParameterName": "log_min_duration_statement", "ParameterValue": "-1",
                     "ApplyMethod": "immediate"}])


def _key_policy(*statements):
    """A key policy: the account root (which enables IAM policies for the key) plus ``statements``."""
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Enable IAM policies", "Effect": "Allow",
         "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"},
        *statements]})


def move_secret_to_key(stack, key_arn: str) -> None:
    """RDS re-creates its managed secret under ``key_arn`` (the key of a managed secret cannot
    be changed in place: ManageMasterUserPassword off, then on with MasterUserSecretKmsKeyId),
    and the app's grant follows the new secret."""
    rds = stack.client("rds")
    for params in ({"ManageMasterUserPassword": False, "MasterUserPassword": "Temp-0nly-for-switch"},
                   {"ManageMasterUserPassword": True, "MasterUserSecretKmsKeyId": key_arn}):
        rds.modify_db_instance(DBInstanceIdentifier=_db_id(stack), ApplyImmediately=True, **params)
    stack.client("iam").put_role_policy(
        RoleName=stack.outputs["InstanceRoleName"], PolicyName="ReadDbSecret",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
            "Resource": _secret_arn(stack)}]}))


def _secret_under_cmk_without_role_grant(stack) -> None:
    """The DB secret moved to a customer-managed key, but nobody let the app role use the key:
    its policy enables IAM policies and the role's policies lack kms:Decrypt."""
    key = stack.client("kms").create_key(Description="DB credentials", Policy=_key_policy())
    move_secret_to_key(stack, key["KeyMetadata"]["Arn"])

FAULTS = [
    Fault("db-stopped", any_.on_lab_stack(any_.db_stopped), ("database.instance_available",), challenge=3,
          mentions=("stopped",), also_breaks=("e2e.request_path",)),
    Fault("db-publicly-accessible", any_.on_lab_stack(any_.db_public),
          ("database.not_publicly_accessible",), challenge=3, mentions=("publicly accessible",)),
    Fault("db-subnet-internet-route", _internet_route_on_db_subnets,
          ("database.subnets_without_internet_route",), challenge=3,
          mentions=("0.0.0.0/0 -> igw-",),
          also_breaks=("network.db_subnets_have_no_internet_route",
                       "network.private_subnets_egress_via_nat")),
    Fault("db-storage-unencrypted", _unencrypted, ("database.storage_encrypted",),
          via="emulator-state",
          why="RDS has no API to turn storage encryption off (or on) for an existing instance; "
              "a real stack gets here when the instance was created or restored unencrypted",
          mentions=("StorageEncrypted=false",)),
    Fault("db-backups-off", _modify(BackupRetentionPeriod=0), ("database.backups_retained",),
          mentions=("BackupRetentionPeriod=0",)),
    Fault("db-backups-one-day", _modify(BackupRetentionPeriod=1), ("database.backups_retained",),
          mentions=("1 day",)),
    # Multi-AZ and deletion protection are floors: the safer setting never fails, so the
    # fault is a production-like environment that requires them and a stack that lost them.
    Fault("db-multi-az-required-but-off", _modify(MultiAZ=False), ("database.multi_az_as_expected",),
          mentions=("MultiAZ=false",), expect=(("database", {"multi_az": True}),)),
    Fault("db-deletion-protection-required-but-off", _modify(DeletionProtection=False),
          ("database.deletion_protection_as_expected",), mentions=("DeletionProtection=false",),
          expect=(("database", {"deletion_protection": True}),)),
    Fault("db-password-unmanaged",
          _modify(ManageMasterUserPassword=False, MasterUserPassword="Chang3-me-now-pls"),
          ("database.master_secret_managed",), challenge=3, mentions=("MasterUserSecret",),
          also_breaks=("e2e.request_path",)),
    Fault("db-secret-force-deleted", _delete_secret(force=True), ("database.master_secret_exists",),
          challenge=3, mentions=("does not exist",), also_breaks=("e2e.request_path",)),
    Fault("db-secret-scheduled-deletion", _delete_secret(force=False),
          ("database.master_secret_exists",), challenge=3,
          mentions=("scheduled for deletion",), also_breaks=("e2e.request_path",)),
    Fault("db-secret-not-readable-by-app", _role_reads_other_secret,
          ("database.app_role_reads_master_secret",), challenge=3,
          mentions=("GetSecretValue",),
          # the compute layer judges the same role: it no longer reads the DB secret
          also_breaks=("compute.instance_role_reads_db_secret",
                       "compute.instance_role_least_privilege")),
    Fault("db-secret-denied-by-guardrail", _secret_denied_by_guardrail,
          # both layers judge the same role through probes.iam: neither may call it fine
          ("database.app_role_reads_master_secret", "compute.instance_role_reads_db_secret"),
          challenge=3, mentions=("explicitly denied", "DenySecretsGuardrail")),
    Fault("db-password-in-user-data", _password_in_user_data,
          ("database.no_password_in_plaintext",), challenge=3,
          mentions=("PGPASSWORD", "secret's literal value")),
    Fault("db-log-exports-removed",
          _modify(CloudwatchLogsExportConfiguration={"DisableLogTypes": ["postgresql"]}),
          ("database.log_exports_enabled",), challenge=10, mentions=("postgresql",)),
    Fault("db-slow-query-log-off", _slow_query_log_off, ("database.slow_query_logging",),
          challenge=10, mentions=("log_min_duration_statement=-1",)),

    Fault("db-secret-policy-denies-app-role", any_.on_lab_stack(any_.secret_policy_denies_app),
          ("database.app_role_reads_master_secret",), challenge=3,
          also_breaks=("compute.instance_role_reads_db_secret",),
          mentions=("the secret's resource policy",), hop=p.APP_SECRETS),
    Fault("db-secret-cmk-denies-app-role", _secret_under_cmk_without_role_grant,
          ("database.app_role_decrypts_secret_key",), challenge=3,
          mentions=("leaves kms:Decrypt to IAM", "put-role-policy")),
]
