"""Breadth faults: hygiene every resource of the stack owes whatever its role (issue 15):
every bucket's public access block, TLS-only policy, encryption, ACLs and versioning; the
API reachable around the WAF; user pool policies; RDS TLS, upgrades and engine version; secrets in user data;
encryption at rest; troubleshooting log deliveries that cannot deliver; the default security
group; the network ACLs' admin ports; secrets that never rotate."""
from __future__ import annotations

import json

from tests.faults import anystack as any_
from tests.faults.catalog import Fault

B = "edge."  # every bucket's hygiene lives in the edge layer, beside the site bucket's


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
          inject=any_.on_lab_stack(any_.flow_log_bucket_public_access_block_removed),
          breaks=(B + "buckets_block_public_access",),
          mentions=("(the flow log bucket) has no public access block",)),
    Fault(id="bucket-trail-admits-plain-http", inject=any_.on_lab_stack(any_.trail_bucket_admits_plain_http),
          breaks=(B + "buckets_deny_insecure_transport",),
          mentions=("does not deny requests without TLS",)),
    Fault(id="bucket-log-encryption-removed", inject=any_.on_lab_stack(any_.log_bucket_encryption_removed),
          breaks=(B + "buckets_encrypted_by_default",),
          mentions=("(the log bucket) has no default encryption",)),
    Fault(id="bucket-flow-log-acls-enabled", inject=any_.on_lab_stack(any_.flow_log_bucket_acls_enabled),
          breaks=(B + "buckets_acls_disabled",), mentions=("object ownership ObjectWriter",)),
    Fault(id="bucket-site-versioning-suspended", inject=any_.on_lab_stack(any_.site_bucket_versioning_suspended),
          breaks=(B + "buckets_versioned_as_expected",),
          mentions=("(the site bucket) has versioning Suspended",)),
    Fault(id="waf-api-resource-policy-removed", inject=any_.on_lab_stack(any_.api_resource_policy_removed),
          breaks=("waf.api_not_reachable_around_waf",),
          mentions=("can be called around CloudFront's web ACL", "execute-api")),
    Fault(id="auth-pool-password-policy-weakened",
          inject=any_.on_lab_stack(any_.pool_password_policy_weakened),
          breaks=("auth.user_pool_password_policy",), challenge=7,
          mentions=("minimum length 8 < 12", "does not require uppercase, symbols")),
    Fault(id="auth-pool-mfa-off", inject=any_.on_lab_stack(any_.pool_mfa_off), breaks=("auth.user_pool_mfa",), challenge=7,
          mentions=("has MFA OFF",)),
    Fault(id="auth-pool-self-sign-up-opened",
          inject=any_.on_lab_stack(any_.pool_self_sign_up_opened),
          breaks=("auth.user_pool_sign_up_and_deletion",), challenge=7,
          mentions=("lets anyone sign up",)),
    Fault(id="db-tls-not-forced", inject=any_.on_lab_stack(any_.db_tls_not_forced), breaks=("database.db_tls_forced",),
          challenge=3, mentions=("accepts connections without TLS (rds.force_ssl=0",)),
    Fault(id="db-minor-upgrades-off", inject=any_.on_lab_stack(any_.db_minor_upgrades_off),
          breaks=("database.db_operations_as_expected",),
          mentions=("automatic minor-version upgrades off",)),
    Fault(id="cmp-token-in-user-data", inject=any_.on_lab_stack(any_.token_in_user_data),
          breaks=("compute.user_data_has_no_secrets",),
          mentions=("secret environment literal PAYMENTS_API_TOKEN",)),
    Fault(id="stack-launch-template-volume-unencrypted", inject=any_.on_lab_stack(any_.launch_template_volume_unencrypted),
          breaks=("observability.encryption_at_rest_as_expected",), challenge=8,
          mentions=("volume /dev/xvda is not encrypted",)),
    Fault(id="obs-trail-delivers-to-deleted-log-group", inject=any_.on_lab_stack(any_.trail_to_deleted_log_group),
          breaks=("observability.troubleshooting_logs_as_expected",), challenge=10,
          mentions=("does not exist: nothing arrives",)),
    Fault(id="net-default-sg-admits-vpc-https", inject=any_.on_lab_stack(any_.default_sg_admits_vpc_https),
          breaks=("network.default_security_group_admits_nothing",), challenge=10,
          mentions=("admits tcp 443 from 10.0.0.0/16",)),
    Fault(id="db-engine-version-deprecated", inject=any_.on_lab_stack(any_.db_engine_version_deprecated),
          breaks=("database.db_engine_version_supported",), challenge=3, via="emulator-state",
          why="RDS refuses to create or modify an instance onto a deprecated version: an instance "
              "gets there when RDS deprecates the version it runs. The emulator's version table "
              "is fixed (16.1 is deprecated in it), so the fault puts the instance on 16.1",
          mentions=("runs postgres 16.1, which RDS has deprecated; the next supported version is 16.3",)),
    Fault(id="net-nacl-admits-ssh-from-anywhere", inject=any_.on_lab_stack(any_.nacl_ssh_deny_deleted),
          breaks=("network.nacls_close_admin_ports",), challenge=5,
          mentions=("admits TCP 22 (SSH) from 0.0.0.0/0 by rule 100 ALLOW all traffic in from 0.0.0.0/0",)),
    Fault(id="db-unrotated-secret-added", inject=_unrotated_secret_added,
          breaks=("database.secrets_managed_or_rotated",), challenge=3,
          mentions=("(a leaked value works until someone changes it by hand)",)),
]
