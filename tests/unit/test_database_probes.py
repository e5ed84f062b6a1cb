"""The password scanner and the IAM statement matcher behind the credential probes."""
from __future__ import annotations

from pathlib import Path

import pytest

from probes.database import _scan
from probes.iam import Decision, covers, decide_documents

ROOT = Path(__file__).resolve().parents[2]
ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1234-AbCdEf"


def test_the_bundled_backend_and_template_hold_no_password_shape():
    for path in ("fixtures/cloudformation/backend/app.py", "fixtures/cloudformation/stack.yaml"):
        assert _scan((ROOT / path).read_text(), None) == [], path


@pytest.mark.parametrize("line", [
    "export PGPASSWORD=hunter2hunter2",
    "PGPASSWORD='s3cr3t!' psql -h db",
    "aws rds create-db-instance --master-user-password Sup3rSecret",
    '"MasterUserPassword": "Sup3rSecret"',
    "DB_PASSWORD=Sup3rSecret",
    'password = "Sup3rSecret"',
    "DATABASE_URL=postgresql://app:Sup3rSecret@db.internal:5432/app",
])
def test_password_shapes_are_found(line):
    assert _scan(line, None), line


@pytest.mark.parametrize("line", [
    "export PGPASSWORD=$(aws secretsmanager get-secret-value --query SecretString)",
    "PGPASSWORD=\"$DB_PASS\" psql",
    "conn = connect(password=password, host=host)",
    "ManageMasterUserPassword: true",
    "aws rds modify-db-instance --manage-master-user-password",
    'password = "${DB_PASSWORD}"',
    "DATABASE_URL=postgresql://app:${DB_PASSWORD}@db:5432/app",
])
def test_references_to_a_password_are_not_findings(line):
    assert _scan(line, None) == [], line


def test_the_literal_secret_value_is_found_and_not_echoed():
    hits = _scan("#!/bin/bash\necho start\nconnect xyzzy-plugh-42 now", "xyzzy-plugh-42")
    assert hits == ["the secret's literal value (line 3)"]


@pytest.mark.parametrize("stmt,covered", [
    ({"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": ARN}, True),
    ({"Effect": "Allow", "Action": ["secretsmanager:Get*"], "Resource": "*"}, True),
    ({"Effect": "Allow", "Action": "SecretsManager:getsecretvalue",
      "Resource": "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1234-*"}, True),
    ({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}, True),
    ({"Effect": "Allow", "Action": "secretsmanager:DescribeSecret", "Resource": ARN}, False),
    ({"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
      "Resource": ARN.replace("AbCdEf", "XyZ123")}, False),
    ({"Effect": "Allow", "Action": "secretsmanager:*", "NotResource": ARN}, False),
])
def test_statement_matching(stmt, covered):
    assert covers(stmt, "secretsmanager:GetSecretValue", ARN) is covered


def test_an_explicit_deny_wins_whichever_policy_holds_it():
    docs = [("inline policy App", {"Statement": [{"Effect": "Allow", "Action": "secretsmanager:*",
                                                   "Resource": "*"}]}),
            ("managed policy Guardrail", {"Statement": {"Effect": "Deny",
                                                        "Action": "secretsmanager:GetSecretValue",
                                                        "Resource": ARN}})]
    decision = decide_documents(docs, "secretsmanager:GetSecretValue", ARN)
    assert decision == Decision(["inline policy App"], ["managed policy Guardrail"])
    assert decision.verdict == "deny" and not decision.allowed
    assert decide_documents(docs[:1], "secretsmanager:GetSecretValue", ARN).verdict == "allow"
    assert decide_documents([], "secretsmanager:GetSecretValue", ARN).verdict == "none"


def test_a_password_handed_to_a_nested_stack_in_clear_is_found():
    """DescribeStacks shows a child's parameters as the root's: without NoEcho, a password
    the root hands its data child is readable there."""
    from probes import database
    from probes.expectations import build
    from tests.unit.fakes import FakeInventory

    child = "arn:aws:cloudformation:us-east-1:123456789012:stack/root-Data-1/x"
    inv = FakeInventory({("describe_stacks", child): {"Stacks": [{"StackName": "root-Data-1", "Parameters": [
        {"ParameterKey": "MasterPassword", "ParameterValue": "plain-text-pw"}]}]}},
        declared={"AWS::CloudFormation::Stack": [child]})
    findings = database.no_password_in_plaintext(inv, build({}))
    bad = [f for f in findings if not f.ok]
    assert bad and f"{child}/MasterPassword (a password parameter without NoEcho)" in bad[0].message, findings
