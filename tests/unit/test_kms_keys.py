"""KMS key policies (probes.kms): who may use a key, as KMS decides it, on canned answers."""
from __future__ import annotations

import json

import pytest

from probes import kms
from tests.unit.fakes import FakeInventory

ACCT = "123456789012"
KEY = f"arn:aws:kms:us-east-1:{ACCT}:key/1111"
ROLE = f"arn:aws:iam::{ACCT}:role/app"
SECRET = f"arn:aws:secretsmanager:us-east-1:{ACCT}:secret:rds!db-x-AbCdEf"
TOPIC = f"arn:aws:sns:us-east-1:{ACCT}:alarms"
TRAIL = f"arn:aws:cloudtrail:us-east-1:{ACCT}:trail/audit"
ROOT = {"Sid": "Enable IAM policies", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:root"},
        "Action": "kms:*", "Resource": "*"}


def _inv(policy: list[dict], role_policy: list[dict] | None = None, state: str = "Enabled",
         manager: str = "CUSTOMER", grants: list[dict] | None = None) -> FakeInventory:
    inline = {"Statement": role_policy} if role_policy is not None else None
    return FakeInventory({
        "describe_key": {"KeyMetadata": {"Arn": KEY, "KeyState": state, "KeyManager": manager}},
        "get_key_policy": {"Policy": json.dumps({"Version": "2012-10-17", "Statement": policy})},
        "list_grants": {"Grants": grants or []},
        "get_role": {"Role": {"Arn": ROLE, "RoleName": "app"}},
        "list_attached_role_policies": {"AttachedPolicies": []},
        "list_role_policies": {"PolicyNames": ["inline"] if inline else []},
        "get_role_policy": {"PolicyDocument": inline},
        "describe_secret": {"ARN": SECRET, "KmsKeyId": KEY},
    })


def _secret(inv: FakeInventory) -> kms.KeyUse:
    return kms.secret_key_use(inv, "app", SECRET)


DECRYPT = {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": KEY}


def test_delegated_key_needs_the_roles_own_allow():
    assert _secret(_inv([ROOT], [DECRYPT])).usable
    use = _secret(_inv([ROOT], []))
    assert not use.usable and use.missing == ["kms:Decrypt"] and use.delegated == ["kms:Decrypt"]
    assert "leaves kms:Decrypt to IAM" in use.problem
    assert "put-role-policy --role-name app" in kms._fix_for(use, "kms:Decrypt", use.principal, "app")


def test_a_key_policy_without_the_root_statement_ignores_iam_policies():
    admin = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:role/admin"},
             "Action": "kms:*", "Resource": "*"}
    use = _secret(_inv([admin], [DECRYPT]))
    assert not use.usable and use.delegated == [] and "nor enables IAM policies" in use.problem


def test_direct_grant_with_via_service_condition_passes():
    grant = {"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": ["kms:Decrypt"], "Resource": "*",
             "Condition": {"StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com",
                                            "kms:CallerAccount": ACCT}}}
    assert _secret(_inv([grant])).usable
    other = json.loads(json.dumps(grant))
    other["Condition"]["StringEquals"]["kms:ViaService"] = "rds.us-east-1.amazonaws.com"
    assert not _secret(_inv([other])).usable


def test_deny_in_key_policy_or_identity_wins():
    deny = {"Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}
    use = _secret(_inv([ROOT, deny], [DECRYPT]))
    assert not use.usable and use.denied and "denies kms:Decrypt" in use.problem
    guard = {"Effect": "Deny", "Action": "kms:*", "Resource": "*"}
    assert not _secret(_inv([ROOT], [DECRYPT, guard])).usable


def test_a_grant_allows_what_it_lists():
    grants = [{"GranteePrincipal": ROLE, "Operations": ["Decrypt", "DescribeKey"]}]
    use = _secret(_inv([ROOT], [], grants=grants))
    assert use.usable and use.allowed_by == ["a KMS grant"]


def test_disabled_or_missing_key_serves_nobody():
    assert "state Disabled" in _secret(_inv([ROOT], [DECRYPT], state="Disabled")).problem
    inv = _inv([ROOT], [DECRYPT])
    inv.responses["describe_key"] = None
    assert _secret(inv).kind == "missing" and not _secret(inv).usable


def test_no_key_and_the_aws_managed_key_are_usable_by_their_own_service():
    inv = _inv([])
    inv.responses["describe_secret"] = {"ARN": SECRET}
    assert _secret(inv).usable and _secret(inv).kind == "none"
    assert kms.can_use_key(inv, ROLE, ("kms:Decrypt",), "alias/aws/secretsmanager", "secretsmanager").usable
    # AWS-managed keys never serve a service principal (CloudWatch under alias/aws/sns)
    use = kms.can_use_key(inv, "cloudwatch.amazonaws.com", ("kms:Decrypt",), "alias/aws/sns", "sns")
    assert not use.usable and "AWS-managed" in use.problem
    managed = _inv([ROOT], [], manager="AWS")
    assert _secret(managed).usable


CW = {"Sid": "Allow CloudWatch", "Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
      "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*"}


@pytest.mark.parametrize("policy, usable", [([ROOT, CW], True), ([ROOT], False),
                                            ([ROOT, {**CW, "Action": "kms:Decrypt"}], False)])
def test_cloudwatch_needs_decrypt_and_generate_data_key(policy, usable):
    use = kms.can_use_key(_inv(policy), "cloudwatch.amazonaws.com", ("kms:Decrypt", "kms:GenerateDataKey"),
                          KEY, "sns", {"aws:SourceAccount": ACCT})
    assert use.usable is usable
    if not usable:
        assert "kms:GenerateDataKey*" in use.problem and "no statement allowing" in use.problem


def test_cloudtrail_statement_with_documented_conditions():
    stmt = {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "kms:GenerateDataKey*", "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceArn": TRAIL},
                          "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn":
                                         f"arn:aws:cloudtrail:*:{ACCT}:trail/*"}}}
    ctx = {"aws:SourceArn": TRAIL, "aws:SourceAccount": ACCT, "kms:EncryptionContext:aws:cloudtrail:arn": TRAIL}
    assert kms.can_use_key(_inv([ROOT, stmt]), "cloudtrail.amazonaws.com", ("kms:GenerateDataKey",), KEY,
                           "cloudtrail", ctx).usable
    other = {**ctx, "aws:SourceArn": TRAIL + "-other"}
    assert not kms.can_use_key(_inv([ROOT, stmt]), "cloudtrail.amazonaws.com", ("kms:GenerateDataKey",),
                               KEY, "cloudtrail", other).usable


def test_secret_key_blocks_names_the_key_for_the_trace():
    assert kms.secret_key_blocks(_inv([ROOT], [DECRYPT]), "app", SECRET) is None
    text = kms.secret_key_blocks(_inv([ROOT], []), ROLE, SECRET)
    assert text.startswith(f"KMS key {KEY} of secret {SECRET} ") and "kms:Decrypt" in text
