"""The breadth probes' evaluators on plain data: what counts as a TLS-only bucket policy, a
secret in user data, a CloudFront-only API policy and forced TLS on RDS."""
from __future__ import annotations

from pathlib import Path

import pytest

from probes.buckets import denies_insecure_transport
from probes.bypass import _header_deny
from probes.db_hardening import tls_setting
from probes.reads import parse_api_policy
from probes.user_data import secret_shapes

BACKEND = Path(__file__).resolve().parents[2] / "fixtures" / "cloudformation" / "backend" / "app.py"
TLS_DENY = {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::b"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


@pytest.mark.parametrize("statement,denies", [
    (TLS_DENY, True),
    ({**TLS_DENY, "Principal": {"AWS": "*"}, "Action": ["*"]}, True),
    ({**TLS_DENY, "Condition": {"Bool": {"aws:SecureTransport": False}}}, True),
    ({**TLS_DENY, "Effect": "Allow"}, False),
    ({**TLS_DENY, "Action": "s3:GetObject"}, False),           # other actions still over HTTP
    ({**TLS_DENY, "Principal": {"AWS": "arn:aws:iam::1:root"}}, False),
    ({**TLS_DENY, "Condition": {"Bool": {"aws:SecureTransport": "true"}}}, False),
])
def test_tls_only_bucket_policy(statement, denies):
    assert bool(denies_insecure_transport({"Statement": [statement]})) is denies


def test_code_that_reads_a_secret_is_never_flagged():
    assert secret_shapes(BACKEND.read_text()) == []
    reads = ('SECRET=$(aws secretsmanager get-secret-value --secret-id x --query SecretString)\n'
             'export DB_SECRET_ARN=arn:aws:secretsmanager:us-east-1:1:secret:db\n'
             'Environment=DB_SECRET_ARN=${DbSecretArn}\n'
             'token = client.get_secret_value(SecretId=secret_arn)["SecretString"]\n'
             'api_key = os.environ["API_KEY"]\n')
    assert secret_shapes(reads) == []


@pytest.mark.parametrize("line,label", [
    ("export PAYMENTS_API_TOKEN=tok_live_4f9a8b7c6d5e", "secret environment literal PAYMENTS_API_TOKEN"),
    ("Environment=CLIENT_SECRET=s3cr3tvalue99", "secret environment literal CLIENT_SECRET"),
    ('api_key = "0123456789abcdef"', "quoted secret literal api_key"),
    ("AKIAIOSFODNN7EXAMPLE", "AWS access key id"),
    ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "AWS secret access key"),
    ("-----BEGIN OPENSSH PRIVATE KEY-----", "private key block"),
])
def test_literal_secrets_are_named_never_shown(line, label):
    hits = secret_shapes(line)
    assert hits == [f"{label} (line 1)"]
    assert all(secret not in hits[0] for secret in ("tok_live", "s3cr3t", "0123456789", "wJalr"))


def test_api_policy_admitting_only_an_origin_header():
    # API Gateway returns the policy as JSON with escaped quotes
    raw = ('{\\"Version\\":\\"2012-10-17\\",\\"Statement\\":[{\\"Effect\\":\\"Allow\\",\\"Principal\\":\\"*\\",'
           '\\"Action\\":\\"execute-api:Invoke\\",\\"Resource\\":\\"*\\"},{\\"Effect\\":\\"Deny\\",'
           '\\"Principal\\":\\"*\\",\\"Action\\":\\"execute-api:Invoke\\",\\"Resource\\":\\"*\\",'
           '\\"Condition\\":{\\"StringNotEquals\\":{\\"aws:Referer\\":\\"k3y\\"}}}]}')
    assert _header_deny(parse_api_policy(raw)) == ("referer", ["k3y"])
    allow_only = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke"}]}
    assert _header_deny(allow_only) is None


@pytest.mark.parametrize("db,params,forced", [
    ({"Engine": "postgres", "EngineVersion": "16.10"}, {}, True),       # default on from 15
    ({"Engine": "postgres", "EngineVersion": "14.12"}, {}, False),
    ({"Engine": "postgres", "EngineVersion": "16.10"}, {"rds.force_ssl": "0"}, False),
    ({"Engine": "postgres", "EngineVersion": "13.4"}, {"rds.force_ssl": "1"}, True),
    ({"Engine": "mysql", "EngineVersion": "8.0"}, {}, False),
    ({"Engine": "mysql", "EngineVersion": "8.0"}, {"require_secure_transport": "ON"}, True),
])
def test_tls_forced_by_parameter_or_engine_default(db, params, forced):
    assert tls_setting(db, params)[2] is forced


def test_next_supported_version_prefers_a_minor_of_the_same_major():
    from probes.db_hardening import next_supported
    listed = {"EngineVersion": "16.1", "ValidUpgradeTarget": [
        {"EngineVersion": "17.4", "IsMajorVersionUpgrade": True},
        {"EngineVersion": "16.10", "IsMajorVersionUpgrade": False},
        {"EngineVersion": "16.3", "IsMajorVersionUpgrade": False}]}
    assert next_supported(None, "postgres", listed) == ("16.3", False)
    only_major = {"EngineVersion": "5.7.44", "ValidUpgradeTarget": [
        {"EngineVersion": "8.4.4", "IsMajorVersionUpgrade": True},
        {"EngineVersion": "8.0.41", "IsMajorVersionUpgrade": True}]}
    assert next_supported(None, "mysql", only_major) == ("8.0.41", True)
