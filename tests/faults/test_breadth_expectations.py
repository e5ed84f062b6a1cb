"""The breadth probes judge what the environment asks: on the healthy bundled stack, each
stricter expectation below makes its probe fail with a message naming the expectation key,
and the defaults pass (test_catalog proves the defaults and the faults)."""
from __future__ import annotations

import pytest

from fixtures import environment as envmod
from probes import registry
from probes.expectations import build

CASES = [
    ("edge.buckets_encrypted_by_default", {"buckets": {"encryption": "kms"}},
     "expectations.buckets.encryption"),
    ("edge.buckets_versioned_as_expected", {"buckets": {"versioned_roles": ["flow_log_bucket"]}},
     "(the flow log bucket) has versioning never enabled"),
    ("auth.user_pool_password_policy", {"user_pool": {"min_password_length": 14}},
     "minimum length 12 < 14"),
    ("auth.user_pool_mfa", {"user_pool": {"mfa": "ON"}}, "MFA ON or stronger"),
    ("auth.user_pool_sign_up_and_deletion", {"user_pool": {"deletion_protection": True}},
     "deletion protection off"),
    ("auth.user_pool_sign_up_and_deletion", {"user_pool": {"self_sign_up": True}},
     "does not let users sign up"),
    ("database.db_operations_as_expected", {"db_hardening": {"iam_authentication": True}},
     "IAM authentication off"),
    ("database.db_operations_as_expected", {"db_hardening": {"enhanced_monitoring_seconds": 60}},
     "enhanced monitoring off"),
    ("observability.encryption_at_rest_as_expected", {"at_rest": {"sns": "kms"}},
     "(the alarm topic) is not encrypted at rest"),
    ("observability.encryption_at_rest_as_expected", {"at_rest": {"log_groups": "customer-kms"}},
     "expectations.at_rest.log_groups"),
    ("observability.encryption_at_rest_as_expected", {"at_rest": {"trail": "customer-kms"}},
     "expectations.at_rest.trail"),
    ("observability.encryption_at_rest_as_expected", {"at_rest": {"ebs": "customer-kms"}},
     "volume /dev/xvda is encrypted with the AWS-managed KMS key"),
    ("observability.troubleshooting_logs_as_expected",
     {"troubleshooting": {"trail_to_cloudwatch_logs": True}}, "does not deliver to CloudWatch Logs"),
    ("observability.troubleshooting_logs_as_expected",
     {"troubleshooting": {"load_balancer_access_logs": True}}, "(the nlb) writes no access logs"),
]


def _expectations(overrides: dict) -> object:
    raw = {k: dict(v or {}) for k, v in envmod.load("local").expectations.items()}
    for key, values in overrides.items():
        raw[key] = {**raw.get(key, {}), **values}
    return build(raw)


@pytest.mark.parametrize("probe_id,overrides,words", CASES,
                         ids=[f"{c[0]}-{next(iter(c[1].values()))}" for c in CASES])
def test_stricter_expectation_fails(healthy, probe_id, overrides, words):
    outcome = registry.run(probe_id, healthy.inventory(), _expectations(overrides))
    assert outcome.status == "failed", outcome.summary()
    text = outcome.summary()
    assert words in text, text
    for finding in outcome.failures:
        assert "; expected " in finding.message and " Fix: " in finding.message, finding.message
