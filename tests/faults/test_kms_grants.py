"""The KMS probes pass where the key lets the principal in, on the deployed stack: a key
policy naming the service, an IAM policy where the key policy enables IAM policies, the
AWS-managed key named by its ARN; and the trace's helper agrees with the layer probe."""
from __future__ import annotations

import json

from probes import graph, kms
from tests.faults.anystack import ACCOUNT
from tests.faults.f_database import (
    _key_policy,
    _secret_arn,
    _secret_under_cmk_without_role_grant,
    move_secret_to_key,
)
from tests.faults.f_observability import _trail

PROBES = ("database.app_role_decrypts_secret_key", "observability.alarm_topic_key_allows_cloudwatch",
          "observability.trail_key_allows_cloudtrail")


def _passed(lab, stack) -> dict[str, str]:
    outcomes = lab.run(stack, list(PROBES))
    return {pid: o.summary() for pid, o in outcomes.items() if o.status != "passed"}


def test_keys_that_let_their_principal_in_pass(lab):
    stack = lab.deploy()
    # DB secret under a customer key; the app role gets kms:Decrypt through IAM (the key
    # policy enables IAM policies), limited to Secrets Manager as AWS recommends.
    _secret_under_cmk_without_role_grant(stack)
    inv = stack.inventory()
    role, secret = graph.role(inv, "instance_role"), _secret_arn(stack)
    blocked = kms.secret_key_blocks(inv, role, secret)
    assert blocked and "leaves kms:Decrypt to IAM" in blocked
    key = stack.client("secretsmanager").describe_secret(SecretId=secret)["KmsKeyId"]
    stack.client("iam").put_role_policy(
        RoleName=role, PolicyName="DecryptDbSecret",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "kms:Decrypt", "Resource": key,
            "Condition": {"StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}}}]}))
    assert kms.secret_key_blocks(stack.inventory(), role, secret) is None
    # Alarm topic under a key whose policy names CloudWatch.
    cloudwatch = {"Sid": "Allow CloudWatch alarms", "Effect": "Allow",
                  "Principal": {"Service": "cloudwatch.amazonaws.com"},
                  "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*"}
    topic_key = stack.client("kms").create_key(Policy=_key_policy(cloudwatch))["KeyMetadata"]["Arn"]
    stack.client("sns").set_topic_attributes(TopicArn=graph.role(inv, "alarm_topic"),
                                             AttributeName="KmsMasterKeyId", AttributeValue=topic_key)
    # Trail under a key with AWS's documented CloudTrail statement.
    trail = stack.client("cloudtrail")
    arn = trail.get_trail(Name=_trail(stack))["Trail"]["TrailARN"]
    cloudtrail = {"Sid": "Allow CloudTrail to encrypt logs", "Effect": "Allow",
                  "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "kms:GenerateDataKey*",
                  "Resource": "*",
                  "Condition": {"StringEquals": {"aws:SourceArn": arn},
                                "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn":
                                               f"arn:aws:cloudtrail:*:{ACCOUNT}:trail/*"}}}
    trail_key = stack.client("kms").create_key(Policy=_key_policy(cloudtrail))["KeyMetadata"]["Arn"]
    trail.update_trail(Name=_trail(stack), KmsKeyId=trail_key)
    assert not _passed(lab, stack)


def test_the_aws_managed_secrets_key_by_its_arn_passes(lab):
    stack = lab.deploy()
    managed = stack.client("kms").describe_key(KeyId="alias/aws/secretsmanager")["KeyMetadata"]
    assert managed["KeyManager"] == "AWS"
    move_secret_to_key(stack, managed["Arn"])
    assert stack.client("secretsmanager").describe_secret(SecretId=_secret_arn(stack))["KmsKeyId"] == managed["Arn"]
    assert not _passed(lab, stack)
