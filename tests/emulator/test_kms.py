# ruff: noqa: F811  (pytest fixtures imported from _support, so the tests also run with --noconftest)
"""KMS key policies, AWS-managed keys and a trail's key, as AWS checks them (patches/kms.py)."""
from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.emulator._support import ACCOUNT, aws, create, emu, template, unique  # noqa: F401

ROOT = {"Sid": "Enable IAM policies", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": "kms:*", "Resource": "*"}


def _policy(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _code(exc: pytest.ExceptionInfo) -> str:
    return exc.value.response["Error"]["Code"]


@pytest.mark.parametrize("policy, words", [
    ("{not json", "not a valid JSON"),
    (json.dumps({"Version": "2012-10-17"}), "no Statement"),
    (_policy({"Effect": "Allow", "Action": "kms:*", "Resource": "*"}), "Principal"),
    (_policy({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/no-such-role"},
              "Action": "kms:*", "Resource": "*"}, ROOT), "invalid principals"),
    (_policy({"Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
              "Action": "kms:Decrypt", "Resource": "*"}), "will not allow you to update the key policy"),
])
def test_create_key_and_put_key_policy_refuse_what_kms_refuses(aws, policy, words):
    with pytest.raises(ClientError) as exc:
        aws("kms").create_key(Policy=policy)
    assert _code(exc) == "MalformedPolicyDocumentException" and words in str(exc.value)
    key = aws("kms").create_key(Policy=_policy(ROOT))["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as exc:
        aws("kms").put_key_policy(KeyId=key, PolicyName="default", Policy=policy)
    assert _code(exc) == "MalformedPolicyDocumentException"
    assert json.loads(aws("kms").get_key_policy(KeyId=key, PolicyName="default")["Policy"]) == json.loads(_policy(ROOT))


def test_lockout_check_can_be_bypassed_and_a_valid_policy_round_trips(aws):
    only_cw = _policy({"Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
                       "Action": "kms:Decrypt", "Resource": "*"})
    key = aws("kms").create_key(Policy=only_cw, BypassPolicyLockoutSafetyCheck=True)["KeyMetadata"]
    assert key["KeyManager"] == "CUSTOMER"
    role = aws("iam").create_role(RoleName=unique("app"), AssumeRolePolicyDocument=_policy(
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}))["Role"]
    grant = {"Effect": "Allow", "Principal": {"AWS": role["Arn"]}, "Action": "kms:Decrypt", "Resource": "*"}
    aws("kms").put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=_policy(ROOT, grant))
    assert json.loads(aws("kms").get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"])[
        "Statement"] == [ROOT, grant]


def test_aws_managed_keys_are_aws_managed_with_their_service_only_policy(aws):
    meta = aws("kms").describe_key(KeyId="alias/aws/secretsmanager")["KeyMetadata"]
    assert meta["KeyManager"] == "AWS"
    policy = json.loads(aws("kms").get_key_policy(KeyId=meta["KeyId"], PolicyName="default")["Policy"])
    use = policy["Statement"][0]
    assert use["Principal"] == {"AWS": "*"} and use["Condition"]["StringEquals"] == {
        "kms:CallerAccount": ACCOUNT, "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}
    volume = aws("ec2").create_volume(AvailabilityZone="us-east-1a", Size=1, Encrypted=True)
    aws("ec2").delete_volume(VolumeId=volume["VolumeId"])
    ebs = volume["KmsKeyId"]  # the key EC2 made for default EBS encryption, not a DescribeKey
    assert aws("kms").describe_key(KeyId=ebs)["KeyMetadata"]["KeyManager"] == "AWS"
    ebs_policy = json.loads(aws("kms").get_key_policy(KeyId=ebs, PolicyName="default")["Policy"])
    assert ebs_policy["Statement"][0]["Condition"]["StringEquals"]["kms:ViaService"] == "ec2.us-east-1.amazonaws.com"


def test_trail_key_must_exist_and_let_cloudtrail_encrypt(aws):
    bucket = unique("trail-logs")
    aws("s3").create_bucket(Bucket=bucket)
    ct, name = aws("cloudtrail"), unique("trail")
    ct.create_trail(Name=name, S3BucketName=bucket)
    with pytest.raises(ClientError) as exc:
        ct.update_trail(Name=name, KmsKeyId="alias/no-such-key")
    assert _code(exc) == "KmsKeyNotFoundException"
    root_only = aws("kms").create_key(Policy=_policy(ROOT))["KeyMetadata"]["KeyId"]
    for key in (root_only, "alias/aws/s3"):  # no statement for CloudTrail; AWS-managed keys have none
        with pytest.raises(ClientError) as exc:
            ct.update_trail(Name=name, KmsKeyId=key)
        assert _code(exc) == "InsufficientEncryptionPolicyException"
    with pytest.raises(ClientError) as exc:
        ct.create_trail(Name=unique("trail"), S3BucketName=bucket, KmsKeyId=root_only)
    assert _code(exc) == "InsufficientEncryptionPolicyException"
    allowed = aws("kms").create_key(Policy=_policy(ROOT, {
        "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
        "Action": "kms:GenerateDataKey*", "Resource": "*"}))["KeyMetadata"]["KeyId"]
    ct.update_trail(Name=name, KmsKeyId=allowed)
    assert ct.get_trail(Name=name)["Trail"]["KmsKeyId"].endswith(allowed)
    aws("kms").disable_key(KeyId=root_only)
    with pytest.raises(ClientError) as exc:
        ct.update_trail(Name=name, KmsKeyId=root_only)
    assert _code(exc) == "KmsKeyDisabledException"


def test_a_templates_key_policy_reads_back_as_json_and_a_malformed_one_fails_the_stack(aws):
    stack = create(aws, template({"Key": {"Type": "AWS::KMS::Key", "Properties": {
        "KeyPolicy": {"Version": "2012-10-17", "Statement": [ROOT]}}}}, {"KeyId": {"Ref": "Key"}}))
    policy = aws("kms").get_key_policy(KeyId=stack.outputs["KeyId"], PolicyName="default")["Policy"]
    assert isinstance(policy, str) and json.loads(policy)["Statement"] == [ROOT]
    broken = create(aws, template({"Key": {"Type": "AWS::KMS::Key", "Properties": {
        "KeyPolicy": {"Version": "2012-10-17"}}}}), expect="ROLLBACK_COMPLETE")
    assert "MalformedPolicyDocumentException: The key policy has no Statement." in broken.failure()
