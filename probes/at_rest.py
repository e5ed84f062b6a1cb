"""Encryption at rest with the key kind the environment asks for, for every resource of a
kind: the EBS volumes of each launch template, SNS topics, log groups and CloudTrail trails.
Buckets have their own probe (``probes.buckets``); RDS storage is ``database.storage_encrypted``.

Levels, weakest first: not encrypted by the resource's setting; encrypted with the service's
own keys (CloudWatch Logs, a trail's bucket SSE-S3); a KMS key (AWS-managed); a customer-managed
KMS key. The expectation of a kind is the weakest level accepted.
"""
from __future__ import annotations

from typing import Any, Literal

from probes import reads
from probes.expectations import Strict, layer_expectations
from probes.inventory import Inventory
from probes.nodes import label, nodes, role
from probes.registry import probe
from probes.result import Finding, failed, passed, skipped

LEVELS = ("none", "encrypted", "kms", "customer-kms")
Level = Literal["none", "encrypted", "kms", "customer-kms"]


@layer_expectations("at_rest")
class AtRestExpect(Strict):
    ebs: Level = "encrypted"
    # No KMS on the alarm topic by default: CloudWatch cannot publish to a topic under the
    # AWS-managed SNS key, and a customer key is the environment's choice.
    sns: Level = "none"
    log_groups: Level = "none"
    trail: Level = "none"


def _kms_level(inv: Inventory, key: str | None, aws_alias: str) -> tuple[int, str]:
    """(level, shown) of a KMS key reference: AWS-managed or customer-managed."""
    if not key or key.endswith(aws_alias):
        return 2, "the AWS-managed KMS key"
    meta = inv.call("kms", "describe_key", missing_ok=True, KeyId=key)
    manager = ((meta or {}).get("KeyMetadata") or {}).get("KeyManager")
    return (3 if manager == "CUSTOMER" else 2), f"KMS key {key}"


def _ebs(inv: Inventory, node: dict) -> list[tuple[str, int, str]]:
    """(what, level, shown) for each EBS mapping of the launch template's version in use."""
    if role(inv, node) == "launch_template":
        _, data = reads.launch_template_data(inv)
    else:
        resp = inv.call("ec2", "describe_launch_template_versions", missing_ok=True,
                        LaunchTemplateId=node["id"], Versions=["$Default"])
        versions = (resp or {}).get("LaunchTemplateVersions") or []
        data = versions[0]["LaunchTemplateData"] if versions else None
    out = []
    for m in (data or {}).get("BlockDeviceMappings") or []:
        ebs = m.get("Ebs")
        if ebs is None:
            continue
        what = f"{label(inv, node, 'launch template')} volume {m.get('DeviceName', '?')}"
        if ebs.get("Encrypted") in (True, "true"):
            level, shown = _kms_level(inv, ebs.get("KmsKeyId"), "alias/aws/ebs")
            out.append((what, level, f"encrypted with {shown}"))
            continue
        default = inv.call("ec2", "get_ebs_encryption_by_default")
        if default.get("EbsEncryptionByDefault"):
            out.append((what, 2, "encrypted by the account's EBS encryption by default"))
        else:
            out.append((what, 0, "not encrypted (Encrypted unset, account default off)"))
    return out


def _topic(inv: Inventory, node: dict) -> tuple[str, int, str]:
    attrs = (inv.call("sns", "get_topic_attributes", missing_ok=True, TopicArn=node["id"])
             or {}).get("Attributes") or {}
    key = attrs.get("KmsMasterKeyId")
    what = label(inv, node, "SNS topic")
    if not key:
        return what, 0, "not encrypted at rest (no KmsMasterKeyId)"
    level, shown = _kms_level(inv, key, "alias/aws/sns")
    return what, level, f"encrypted with {shown}"


def _own_key(what: str, key: str | None, on_key: str, without: str) -> tuple[str, int, str]:
    """A customer KMS key (level 3) or the service's own encryption (level 1)."""
    if key:
        return what, 3, f"encrypted with KMS key {key}{on_key}"
    return what, 1, without


def _log_group(inv: Inventory, node: dict) -> tuple[str, int, str]:
    return _own_key(label(inv, node, "log group"), (reads.log_group(inv, node["id"]) or {}).get("kmsKeyId"),
                    "", "encrypted with CloudWatch Logs' own keys (no KMS key)")


def _trail(inv: Inventory, node: dict) -> tuple[str, int, str]:
    return _own_key(label(inv, node, "CloudTrail trail"), (reads.trail(inv, node["id"]) or {}).get("KmsKeyId"),
                    " (log files)", "encrypted only by its bucket's default encryption (no KMS key)")


@probe(concern="security", layer="observability", component="encryption", needs=(),
       title="Launch-template volumes, SNS topics, log groups and trails are encrypted at rest "
             "with the expected key kind",
       severity="critical",
       remediation="Launch template: BlockDeviceMappings Ebs.Encrypted=true (KmsKeyId for a "
                   "customer key); SNS: KmsMasterKeyId; log group: aws logs associate-kms-key; "
                   "trail: aws cloudtrail update-trail --kms-key-id; the key kind each needs is "
                   "expectations.at_rest",
       see_also=("ec2_ebs_volume_encryption", "ec2_ebs_default_encryption",
                 "sns_topics_kms_encryption_at_rest_enabled",
                 "cloudwatch_log_group_kms_encryption_enabled", "cloudtrail_kms_encryption_enabled"))
def encryption_at_rest_as_expected(inv: Inventory, exp: Any) -> list[Finding]:
    want = exp.at_rest
    kinds = (("ebs", "AWS::EC2::LaunchTemplate", _ebs),
             ("sns", "AWS::SNS::Topic", lambda i, n: [_topic(i, n)]),
             ("log_groups", "AWS::Logs::LogGroup", lambda i, n: [_log_group(i, n)]),
             ("trail", "AWS::CloudTrail::Trail", lambda i, n: [_trail(i, n)]))
    work = [(key, fn, node) for key, rtype, fn in kinds for node in nodes(inv, rtype)]
    if not work:
        return [skipped("stack resources", "has no launch template, topic, log group or trail")]
    results = inv.parallel(lambda w: (w[0], w[1](inv, w[2])), work)
    out = []
    for key, judged in results:
        floor = getattr(want, key)
        for what, level, shown in judged:
            if level < LEVELS.index(floor):
                out.append(failed(what, f"is {shown}",
                                  f"at least {floor} (expectations.at_rest.{key})", level=LEVELS[level]))
            else:
                out.append(passed(what, f"is {shown}", level=LEVELS[level]))
    return out
