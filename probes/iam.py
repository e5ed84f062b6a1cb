"""One reading of a role's identity policies for every probe that asks "may this role call
this action on this resource" (compute, database and the e2e trace ask it of the instance
role), so two layers can never disagree about the same role.

An explicit Deny wins over any Allow, as IAM decides. ``NotAction`` / ``NotResource`` are
honoured. A resource's own policy (a secret's, a topic's, a bucket's, a REST API's) is read with
:func:`decide_resource` for a given principal: in one account an Allow in either the
identity or the resource policy suffices and an explicit Deny in either wins
(:func:`combine`). Conditions, permission boundaries, session policies and SCPs are not
evaluated: a statement with a Condition counts as applying when it denies (the cautious
reading) and as not applying when it allows; a probe says so where that matters.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from probes import reads
from probes.inventory import Inventory


def as_list(value: Any) -> list:
    return [] if value is None else value if isinstance(value, list) else [value]


def documents(inv: Inventory, role: str) -> tuple[list[dict], list[tuple[str, dict]]]:
    """(attached managed policies, [(label, document)]) for the role, inline first."""
    attached, inline = reads.role_policies(inv, role)
    docs = [(f"inline policy {n}", d) for n, d in inline.items()]
    for pol in attached:
        doc = reads.policy_document(inv, pol["PolicyArn"])
        if doc:
            docs.append((f"managed policy {pol.get('PolicyName') or pol['PolicyArn']}", doc))
    return attached, docs


def statements(doc: dict | None) -> list[dict]:
    return [s for s in as_list((doc or {}).get("Statement")) if isinstance(s, dict)]


def covers(statement: dict, action: str, resource: str) -> bool:
    """Whether the statement applies to ``action`` on ``resource`` (actions match
    case-insensitively, resources case-sensitively, both with IAM's ``*``/``?``)."""
    if "Action" in statement:
        if not any(fnmatchcase(action.lower(), str(a).lower()) for a in as_list(statement["Action"])):
            return False
    elif "NotAction" in statement:
        if any(fnmatchcase(action.lower(), str(a).lower()) for a in as_list(statement["NotAction"])):
            return False
    else:
        return False
    if "Resource" in statement:
        return any(fnmatchcase(resource, str(r)) for r in as_list(statement["Resource"]))
    if "NotResource" in statement:
        return not any(fnmatchcase(resource, str(r)) for r in as_list(statement["NotResource"]))
    return False


@dataclass
class Decision:
    allowed_by: list[str] = field(default_factory=list)
    denied_by: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        """'deny' (an explicit Deny applies), 'allow', or 'none' (implicitly denied)."""
        return "deny" if self.denied_by else "allow" if self.allowed_by else "none"

    @property
    def allowed(self) -> bool:
        return self.verdict == "allow"


def decide_documents(docs: list[tuple[str, dict]], action: str, resource: str = "*",
                     context: dict[str, str] | None = None) -> Decision:
    """How identity policies decide ``action`` on ``resource``. Without ``context``,
    conditions are not read; with it, a Deny applies unless its condition is false and an
    Allow only when its condition holds (the cautious reading)."""
    return _decide((label, st, True if context is None else condition_holds(st.get("Condition"), context))
                   for label, doc in docs for st in statements(doc) if covers(st, action, resource))


def _decide(applicable: Iterable[tuple[str, dict, bool | None]]) -> Decision:
    """The decision of the statements that cover the request, each with its document's label
    and whether its condition holds (None: cannot be told): a Deny applies unless its
    condition is false, an Allow only when it holds."""
    allow: list[str] = []
    deny: list[str] = []
    for label, st, holds in applicable:
        if st.get("Effect") == "Deny":
            if holds is not False:
                deny.append(label)
        elif holds:
            allow.append(label)
    return Decision(sorted(set(allow)), sorted(set(deny)))


def principal_matches(statement: dict, principal: str) -> bool:
    """Whether a resource-policy statement names ``principal`` (an ARN, a service such as
    ``cloudwatch.amazonaws.com``, or ``*`` for anyone); ``NotPrincipal`` is honoured."""
    def named(block: Any) -> bool:
        if block == "*":
            return True
        values = [v for vals in (block or {}).values() for v in as_list(vals)] \
            if isinstance(block, dict) else as_list(block)
        for v in values:
            v = str(v)
            if v == "*" or v == principal or fnmatchcase(principal, v):
                return True
            # an account (root) principal covers every identity of that account
            account = v.split(":")[4] if v.startswith("arn:") and v.count(":") >= 5 else v
            if v.endswith(":root") or v.isdigit():
                if principal.startswith("arn:") and principal.split(":")[4] == account:
                    return True
        return False
    if "Principal" in statement:
        return named(statement["Principal"])
    if "NotPrincipal" in statement:
        return not named(statement["NotPrincipal"])
    return False


_STRING_OPS = {"StringEquals", "StringLike", "ArnEquals", "ArnLike", "StringEqualsIgnoreCase", "Bool"}


def condition_holds(condition: dict | None, context: dict[str, str]) -> bool | None:
    """Whether a statement's Condition holds for ``context`` (condition keys, any case):
    True, False, or None when it names an operator or key the context cannot answer."""
    if not condition:
        return True
    ctx = {k.lower(): str(v) for k, v in context.items()}
    for op, block in condition.items():
        base = op.split(":")[-1].removesuffix("IfExists")
        negate = base.startswith(("StringNot", "ArnNot"))
        base = base.replace("StringNot", "String").replace("ArnNot", "Arn")
        if base not in _STRING_OPS:
            return None
        for key, wanted in (block or {}).items():
            have = ctx.get(key.lower())
            if have is None:
                if op.endswith("IfExists"):
                    continue
                return None
            values = [str(v) for v in as_list(wanted)]
            if base in ("StringLike", "ArnLike"):
                hit = any(fnmatchcase(have, v) for v in values)
            elif base == "StringEqualsIgnoreCase" or base == "Bool":
                hit = any(have.lower() == v.lower() for v in values)
            else:
                hit = have in values
            if hit == negate:
                return False
    return True


def decide_resource(doc: dict | None, label: str, principal: str, action: str,
                    resource: str, context: dict[str, str] | None = None) -> Decision:
    """How a resource policy decides ``principal`` calling ``action`` on ``resource``, with
    the request's condition keys in ``context`` (a Deny whose condition cannot be evaluated
    counts as applying, an Allow as not applying: the cautious reading)."""
    ctx = {"aws:SecureTransport": "true", **(context or {})}
    return _decide((label, st, condition_holds(st.get("Condition"), ctx)) for st in statements(doc)
                   if covers(st, action, resource) and principal_matches(st, principal))


def combine(*decisions: Decision) -> Decision:
    """Identity and resource policies of one account: any Deny wins, else any Allow."""
    return Decision(sorted({x for d in decisions for x in d.allowed_by}),
                    sorted({x for d in decisions for x in d.denied_by}))


def secret_policy(inv: Inventory, secret_arn: str) -> dict | None:
    """The secret's resource policy (None when it has none)."""
    import json
    resp = inv.call("secretsmanager", "get_resource_policy", missing_ok=True, SecretId=secret_arn)
    text = (resp or {}).get("ResourcePolicy")
    return json.loads(text) if text else None


def decide_secret_read(inv: Inventory, role: str, secret_arn: str) -> Decision:
    """May ``role`` call GetSecretValue on the secret: its identity policies and the
    secret's own resource policy together (a Deny in the secret's policy wins)."""
    action = "secretsmanager:GetSecretValue"
    identity = decide(inv, role, action, secret_arn)
    role_desc = reads.role(inv, role) or {}
    arn = role_desc.get("Arn") or f"arn:aws:iam::{secret_arn.split(':')[4]}:role/{role}"
    policy = secret_policy(inv, secret_arn)
    if not policy:
        return identity
    return combine(identity, decide_resource(policy, "the secret's resource policy", arn, action,
                                             secret_arn))


def decide(inv: Inventory, role: str, action: str, resource: str = "*") -> Decision:
    """How the role's identity policies decide ``action`` on ``resource``."""
    return decide_documents(documents(inv, role)[1], action, resource)
