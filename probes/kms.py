"""KMS key policies: may a principal use a key for the actions a service needs on its behalf.

One question, asked by the database layer (can the app role decrypt its DB secret), the
observability layer (can CloudWatch publish to the encrypted alarm topic, can CloudTrail
encrypt its log files) and, through :func:`secret_key_blocks`, the request-path trace.

KMS decides as AWS documents it ("Determining access to a KMS key"):
- the key policy is the root of trust: an IAM policy counts only where a key policy
  statement allows the action to the key's account (``arn:aws:iam::<acct>:root``, "enable
  IAM policies"); such a statement alone grants nobody;
- a key policy statement naming the principal (its ARN, a service principal, ``*``) allows it
  directly; a grant for the principal allows the operations it lists;
- an explicit Deny in the key policy or in the identity's policies wins;
- a key that is not Enabled (disabled, pending deletion) serves nobody.
Conditions are judged with :func:`probes.iam.condition_holds` on the request's keys
(``kms:ViaService``, ``kms:CallerAccount``, the encryption context, ``aws:SourceArn`` ...):
an Allow whose condition cannot be judged does not count, a Deny does.

AWS-managed keys (``alias/aws/<service>``, KeyManager AWS) let every identity of the account
use them through their own service, and nothing else: no service principal such as
cloudwatch.amazonaws.com, so CloudWatch cannot publish to a topic under ``alias/aws/sns``
and CloudTrail cannot use one at all. No key means the service's own encryption: usable.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any, Callable

from probes import graph, iam, reads
from probes.inventory import Inventory
from probes.registry import probe
from probes.result import Finding, absent, failed, passed

AWS_MANAGED = "alias/aws/"


def short(action: str) -> str:
    """``kms:GenerateDataKey`` -> ``kms:GenerateDataKey*`` (the family a policy grants)."""
    return action + "*" if action == "kms:GenerateDataKey" else action


@dataclass
class KeyUse:
    """How a key decides a principal's actions; ``problem`` is None when all are allowed."""
    ref: str | None                     # the key as the resource names it
    principal: str
    kind: str = "none"                  # none | aws-managed | customer | missing
    arn: str | None = None
    state: str | None = None
    allowed_by: list[str] = field(default_factory=list)
    denied: dict[str, list[str]] = field(default_factory=dict)    # action -> deciding policies
    missing: list[str] = field(default_factory=list)              # neither allowed nor denied
    delegated: list[str] = field(default_factory=list)            # missing actions the key leaves to IAM
    policy: dict | None = None
    problem: str | None = None

    @property
    def usable(self) -> bool:
        return self.problem is None

    @property
    def shown(self) -> str:
        return self.arn or self.ref or "(none)"


def _account(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[4] if arn.startswith("arn:") and len(parts) > 5 and parts[4] else None


def is_iam(principal: str) -> bool:
    return principal.startswith("arn:") and principal.split(":")[2] in ("iam", "sts")


def _names(statement: dict, principal: str) -> str | None:
    """'direct' when a key-policy statement names ``principal`` itself (or anyone), 'account'
    when it names only the principal's account (which enables IAM policies, granting nobody)."""
    if "NotPrincipal" in statement:
        return "direct" if iam.principal_matches(statement, principal) else None
    block = statement.get("Principal")
    values = ["*"] if block == "*" else [
        str(v) for vals in (block.values() if isinstance(block, dict) else [block])
        for v in iam.as_list(vals)]
    account = _account(principal) if is_iam(principal) else None
    how = None
    for v in values:
        if v == "*" or v == principal or fnmatchcase(principal, v):
            return "direct"
        if account and (v == account or (v.endswith(":root") and _account(v) == account)):
            how = "account"
    return how


def _label(statement: dict) -> str:
    return f"key policy statement {statement['Sid']!r}" if statement.get("Sid") else "the key policy"


def decide_key_policy(policy: dict | None, principal: str, action: str, key_arn: str,
                      context: dict[str, str]) -> tuple[iam.Decision, list[str]]:
    """(the key policy's own decision for ``principal``, the statements that leave
    ``action`` to the account's IAM policies)."""
    allow: list[str] = []
    deny: list[str] = []
    delegate: list[str] = []
    for st in iam.statements(policy):
        if not iam.covers(st, action, key_arn):
            continue
        how = _names(st, principal)
        if not how:
            continue
        holds = iam.condition_holds(st.get("Condition"), context)
        if st.get("Effect") == "Deny":
            if holds is not False:
                deny.append(_label(st))
        elif holds:
            (allow if how == "direct" else delegate).append(_label(st))
    return iam.Decision(sorted(set(allow)), sorted(set(deny))), sorted(set(delegate))


def key_policy(inv: Inventory, key_arn: str) -> dict | None:
    resp = inv.call("kms", "get_key_policy", missing_ok=True, KeyId=key_arn, PolicyName="default",
                    region=_region(key_arn))
    text = (resp or {}).get("Policy")
    return json.loads(text) if text else None


def _region(ref: str) -> str | None:
    return ref.split(":")[3] if ref.startswith("arn:") else None


def _grants(inv: Inventory, key_arn: str, principal: str) -> set[str]:
    """Operations the key's grants give ``principal`` (grants only ever allow)."""
    grants = inv.paginate("kms", "list_grants", "Grants", missing_ok=True, KeyId=key_arn,
                          region=_region(key_arn))
    return {f"kms:{op}" for g in grants if g.get("GranteePrincipal") == principal
            for op in g.get("Operations") or []}


def can_use_key(inv: Inventory, principal: str, actions: tuple[str, ...], key: str | None,
                service: str, context: dict[str, str] | None = None) -> KeyUse:
    """May ``principal`` (an IAM role ARN or a service principal) call ``actions`` on ``key``
    (an id, ARN, alias name or alias ARN, as a resource's KmsKeyId names it) when
    ``service`` (``secretsmanager``, ``sns``, ``cloudtrail``) uses the key on its behalf."""
    use = KeyUse(key, principal)
    if not key:
        return use
    iam_principal = is_iam(principal)
    meta = None
    if AWS_MANAGED not in key:
        resp = inv.call("kms", "describe_key", missing_ok=True, KeyId=key, region=_region(key))
        meta = (resp or {}).get("KeyMetadata")
        if meta is None:
            use.kind, use.problem = "missing", "does not exist (KMS NotFound: every use of it fails)"
            return use
        use.arn, use.state = meta.get("Arn"), meta.get("KeyState")
    if meta is None or meta.get("KeyManager") == "AWS":
        use.kind = "aws-managed"
        alias_service = key.split(AWS_MANAGED, 1)[1] if AWS_MANAGED in key else service
        if not iam_principal:
            use.problem = (f"is an AWS-managed key, whose key policy (which nobody can edit) lets no "
                           f"service principal such as {principal} use it")
        elif alias_service != service:
            use.problem = f"is the AWS-managed key of {alias_service}, usable only through {alias_service}"
        if use.state not in (None, "Enabled"):
            use.problem = f"is in state {use.state}"
        return use
    use.kind = "customer"
    if use.state != "Enabled":
        use.problem = (f"is in state {use.state} (a key that is not Enabled serves nobody)")
        return use
    region = use.arn.split(":")[3]
    ctx = {"aws:SecureTransport": "true", **(context or {})}
    if principal != f"{service}.amazonaws.com":  # a service calling for itself sends no ViaService
        ctx.setdefault("kms:ViaService", f"{service}.{region}.amazonaws.com")
    if iam_principal:
        ctx.setdefault("kms:CallerAccount", _account(principal) or "")
        ctx.setdefault("aws:PrincipalArn", principal)
        ctx.setdefault("aws:PrincipalAccount", _account(principal) or "")
    use.policy = key_policy(inv, use.arn)
    # The role's own policies count for a key of another account too, where its key policy
    # enables IAM policies for the role's account.
    docs = iam.documents(inv, principal.rsplit("/", 1)[-1])[1] \
        if iam_principal and principal.split(":")[5].startswith("role/") else []
    granted: set[str] | None = None
    for action in actions:
        own, delegate = decide_key_policy(use.policy, principal, action, use.arn, ctx)
        identity = iam.decide_documents(docs, action, use.arn, ctx) if docs else iam.Decision()
        denied = own.denied_by + identity.denied_by
        if denied:
            use.denied[action] = denied
            continue
        if own.allowed:
            use.allowed_by += own.allowed_by
            continue
        if delegate and identity.allowed:
            use.allowed_by += [f"{d} (IAM enabled)" for d in delegate] + identity.allowed_by
            continue
        if granted is None:
            granted = _grants(inv, use.arn, principal)
        if action in granted:
            use.allowed_by.append("a KMS grant")
            continue
        use.missing.append(action)
        if delegate:
            use.delegated.append(action)
    use.allowed_by = sorted(set(use.allowed_by))
    if use.denied:
        use.problem = "; ".join(f"denies {short(a)} to {principal} ({', '.join(by)})"
                                for a, by in use.denied.items())
    elif use.missing:
        wanted = " and ".join(short(a) for a in use.missing)
        if not iam_principal:
            use.problem = f"has a key policy with no statement allowing {principal} {wanted}"
        elif use.delegated == use.missing:
            use.problem = (f"has a key policy that leaves {wanted} to IAM (account root) but no policy "
                           f"of {principal} allows it on the key")
        else:
            use.problem = (f"has a key policy that neither grants {principal} {wanted} nor enables "
                           "IAM policies for it (no statement for the account root)")
    return use


# ---- what each service needs --------------------------------------------------------------
def _role_arn(inv: Inventory, role: str, account: str) -> str:
    if role.startswith("arn:"):
        return role
    return (reads.role(inv, role) or {}).get("Arn") or f"arn:aws:iam::{account}:role/{role}"


def secret_key_use(inv: Inventory, role: str, secret_arn: str) -> KeyUse:
    """May ``role`` (name or ARN) decrypt the secret through Secrets Manager (GetSecretValue
    needs kms:Decrypt on the secret's key)."""
    desc = reads.secret(inv, secret_arn) or {}
    arn = desc.get("ARN") or secret_arn
    principal = _role_arn(inv, role, _account(arn) or "")
    return can_use_key(inv, principal, ("kms:Decrypt",), desc.get("KmsKeyId"), "secretsmanager",
                       {"kms:EncryptionContext:SecretARN": arn})


def secret_key_blocks(inv: Inventory, role: str, secret_arn: str) -> str | None:
    """For the request-path trace: why ``role`` cannot decrypt the DB secret's KMS key, in
    one sentence naming the key, or None when it can (no key, the AWS-managed key, or a
    customer key that allows it)."""
    use = secret_key_use(inv, role, secret_arn)
    if use.usable:
        return None
    return f"KMS key {use.shown} of secret {secret_arn} {use.problem}"


def _fix_for(use: KeyUse, actions: str, principal: str, iam_role: str | None = None,
             condition: dict | None = None) -> str:
    if use.kind == "missing":
        return "Point the resource at an existing customer-managed key (or remove its KMS key id)"
    if use.kind == "aws-managed":
        return ("Use a customer-managed key whose key policy grants "
                f"{principal} {actions}")
    if use.state != "Enabled":
        return (f"aws kms enable-key --key-id {use.arn} (or aws kms cancel-key-deletion --key-id "
                f"{use.arn} first)")
    if use.denied:
        return f"Remove the Deny for {principal} from {', '.join(sorted({p for v in use.denied.values() for p in v}))}"
    if use.delegated and iam_role:
        doc = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": [short(a) for a in use.missing], "Resource": use.arn,
             **({"Condition": condition} if condition else {})}]}
        return (f"aws iam put-role-policy --role-name {iam_role} --policy-name UseKey "
                f"--policy-document '{json.dumps(doc, separators=(',', ':'))}'")
    who = {"AWS": principal} if is_iam(principal) else {"Service": principal}
    stmt = {"Effect": "Allow", "Principal": who, "Action": [short(a) for a in use.missing],
            "Resource": "*", **({"Condition": condition} if condition else {})}
    return (f"Add this statement to the key policy of {use.arn} (aws kms get-key-policy, edit, "
            f"aws kms put-key-policy --policy-name default): {json.dumps(stmt, separators=(',', ':'))}")


# ---- probes -------------------------------------------------------------------------------
@probe(concern="configuration", layer="database", component="credentials",
       title="The app role may decrypt the DB secret's KMS key", severity="blocker", gate=True,
       challenge=3, needs=("db_secret", "instance_role"),
       remediation="Grant the instance role kms:Decrypt on the secret's customer-managed key "
                   "(key policy statement, or an IAM policy where the key policy enables IAM "
                   "policies), with kms:ViaService secretsmanager.<region>.amazonaws.com")
def app_role_decrypts_secret_key(inv: Inventory, exp: Any) -> Finding:
    secret = graph.need(inv, "db_secret")
    role = graph.need(inv, "instance_role")
    label = _secret_label(inv, secret)
    if not reads.secret(inv, secret):
        return absent(label,
                      fix="database.master_secret_exists reports it: restore or recreate the secret")
    use = secret_key_use(inv, role, secret)
    what = f"KMS key {use.shown} of {label}"
    if use.kind == "none":
        return passed(label,
                      "is encrypted with the AWS-managed key aws/secretsmanager, which the app role "
                      "may use through Secrets Manager")
    if not use.usable:
        region = (use.arn or secret).split(":")[3]
        return failed(what, f"{use.problem} (the app cannot decrypt its DB credentials)",
                      f"IAM role {role} (app instance role) allowed kms:Decrypt on the key",
                      _fix_for(use, "kms:Decrypt", use.principal, role,
                               {"StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}}),
                      key=use.arn or use.ref, key_state=use.state, policy=use.policy or {},
                      denied=use.denied, missing=use.missing)
    return passed(what, f"lets IAM role {role} decrypt ({', '.join(use.allowed_by) or use.kind})",
                  key=use.arn or use.ref, kind=use.kind)


def _secret_label(inv: Inventory, secret: str) -> str:
    """The secret as the on-call engineer knows it: RDS-managed ones by their DB instance."""
    db = reads.db_instance(inv) or {}
    if (db.get("MasterUserSecret") or {}).get("SecretArn") == secret:
        return f"secret {secret} (the DB secret, managed by RDS for DB instance " \
               f"{db.get('DBInstanceIdentifier')})"
    return f"secret {secret} (the DB secret)"


def _service_may_use(inv: Inventory, role: str, kind: str, read: Callable[[Inventory, str], dict | None],
                     key_attr: str, service: str, actions: tuple[str, ...], via: str,
                     context_of: Callable[[str, dict], tuple[dict[str, str], dict | None]],
                     impact: str, ok: str, no_key: str, owner: str = "") -> Finding:
    """The finding on whether ``service`` may call ``actions`` on the KMS key (``key_attr``)
    of the resource playing ``role``, read with ``read``. ``context_of(id, resource)`` gives
    the request's condition keys and the condition the fix should add (or None)."""
    ident = graph.need(inv, role)
    what = f"{kind} {ident}"
    resource = read(inv, ident)
    if not resource:
        return absent(what, f"the {role.replace('_', ' ')} to exist")
    key = resource.get(key_attr)
    if not key:
        return passed(what, f"has no KMS key ({no_key})")
    context, condition = context_of(ident, resource)
    use = can_use_key(inv, service, actions, key, via, context)
    what = f"KMS key {use.shown} of {what}{owner}"
    wanted = " and ".join(short(a) for a in actions)
    if not use.usable:
        return failed(what, f"{use.problem} ({impact})", f"{service} allowed {wanted} on the key",
                      _fix_for(use, wanted, service, condition=condition),
                      key=use.arn or key, key_state=use.state, policy=use.policy or {},
                      denied=use.denied, missing=[short(a) for a in use.missing])
    return passed(what, f"{ok} ({', '.join(use.allowed_by)})", key=use.arn or key)


def _alarm_arns(inv: Inventory, topic: str) -> list[str]:
    return sorted(a["AlarmArn"] for a in reads.alarms(inv)
                  if a.get("AlarmArn") and topic in (a.get("AlarmActions") or []))


@probe(layer="observability", component="notifications",
       title="CloudWatch may use the alarm topic's KMS key", severity="critical", gate=True,
       challenge=6, needs=("alarm_topic",),
       remediation="Encrypt the alarm topic with a customer-managed key whose key policy allows "
                   "cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey* (the AWS-managed "
                   "alias/aws/sns key does not), or remove its KmsMasterKeyId")
def alarm_topic_key_allows_cloudwatch(inv: Inventory, exp: Any) -> Finding:
    def context_of(topic: str, attrs: dict) -> tuple[dict[str, str], None]:
        context = {"aws:SourceAccount": _account(topic) or "",
                   "kms:EncryptionContext:aws:sns:topicArn": topic}
        alarms = _alarm_arns(inv, topic)
        if alarms:
            context["aws:SourceArn"] = alarms[0]
        return context, None

    return _service_may_use(inv, "alarm_topic", "SNS topic", reads.topic_attributes, "KmsMasterKeyId",
                            "cloudwatch.amazonaws.com", ("kms:Decrypt", "kms:GenerateDataKey"), "sns",
                            context_of, "alarms fire and no notification is delivered",
                            "lets CloudWatch publish", "CloudWatch publishes without one",
                            owner=" (the alarm topic)")


@probe(concern="security", layer="observability", component="cloudtrail",
       title="CloudTrail may use the trail's KMS key", severity="critical", gate=True,
       challenge=10, needs=("trail",),
       remediation="Let cloudtrail.amazonaws.com call kms:GenerateDataKey* on the trail's key "
                   "(key policy, with aws:SourceArn the trail and "
                   "kms:EncryptionContext:aws:cloudtrail:arn arn:aws:cloudtrail:*:<account>:trail/*)")
def trail_key_allows_cloudtrail(inv: Inventory, exp: Any) -> Finding:
    def context_of(name: str, trail: dict) -> tuple[dict[str, str], dict]:
        arn = trail.get("TrailARN") or ""
        return ({"aws:SourceArn": arn, "aws:SourceAccount": _account(arn) or "",
                 "kms:EncryptionContext:aws:cloudtrail:arn": arn},
                {"StringEquals": {"aws:SourceArn": arn}})

    return _service_may_use(inv, "trail", "CloudTrail trail", reads.trail, "KmsKeyId",
                            "cloudtrail.amazonaws.com", ("kms:GenerateDataKey",), "cloudtrail", context_of,
                            "CloudTrail cannot write log files: the account's API activity goes unrecorded",
                            "lets CloudTrail encrypt log files", "log files use the bucket's encryption")
