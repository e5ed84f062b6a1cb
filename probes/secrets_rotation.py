"""Every secret of the stack, and each DB instance's master secret, is managed by the
service that owns it (RDS rotates its managed master secret) or rotated automatically.

Whether the DB's password is in Secrets Manager at all is ``database.master_secret_managed``;
this probe asks the next question of every secret: will a leaked value stop working?
"""
from __future__ import annotations

from typing import Any

from probes import reads
from probes.db_hardening import describe_instance
from probes.inventory import Inventory
from probes.nodes import label, nodes
from probes.registry import probe
from probes.result import Finding, failed, passed, skipped


def owning_service(desc: dict) -> str | None:
    """The AWS service that manages a secret (``rds``), from the field or its reserved tag."""
    if desc.get("OwningService"):
        return desc["OwningService"]
    tags = {t.get("Key"): t.get("Value") for t in desc.get("Tags") or []}
    return tags.get("aws:secretsmanager:owningService")


def _secrets(inv: Inventory) -> list[tuple[str, str]]:
    """(secret id, how it is named in a finding), the stack's secrets and DB master secrets."""
    out = [(n["id"], label(inv, n, "secret")) for n in nodes(inv, "AWS::SecretsManager::Secret")]
    seen = {sid for sid, _ in out}
    for node in nodes(inv, "AWS::RDS::DBInstance"):
        arn = ((describe_instance(inv, node["id"]) or {}).get("MasterUserSecret") or {}).get("SecretArn")
        if arn and arn not in seen:
            seen.add(arn)
            out.append((arn, f"secret {arn} (master password of RDS instance {node['id']})"))
    return out


@probe(layer="database", component="credentials",
       title="Every secret of the stack is service-managed (RDS) or rotated automatically",
       severity="critical", challenge=3,
       remediation="aws secretsmanager rotate-secret --secret-id <secret> --rotation-lambda-arn "
                   "<function> --rotation-rules AutomaticallyAfterDays=30 (for a DB master "
                   "password: ManageMasterUserPassword=true and RDS rotates it)",
       see_also=("secretsmanager_automatic_rotation_enabled",))
def secrets_managed_or_rotated(inv: Inventory, exp: Any) -> list[Finding]:
    secrets = _secrets(inv)
    if not secrets:
        return [skipped("stack secrets", "the stack has no Secrets Manager secret")]
    descs = inv.parallel(lambda s: reads.secret(inv, s[0]), secrets)
    out = []
    for (sid, name), desc in zip(secrets, descs, strict=True):
        if desc is None:
            out.append(failed(name, "does not exist", "the secret to exist",
                              "Check the stack events and drift: it was deleted outside "
                              "CloudFormation", secret=sid))
            continue
        owner = owning_service(desc)
        if owner:
            out.append(passed(name, f"is managed and rotated by {owner}", owning_service=owner))
        elif desc.get("RotationEnabled"):
            days = (desc.get("RotationRules") or {}).get("AutomaticallyAfterDays")
            out.append(passed(name, "rotates automatically" + (f" every {days} days" if days else ""),
                              rotation_rules=desc.get("RotationRules")))
        else:
            out.append(failed(name, "is neither service-managed nor rotated (a leaked value works "
                                    "until someone changes it by hand)",
                              "automatic rotation or a service-managed secret",
                              rotation_enabled=desc.get("RotationEnabled")))
    return out
