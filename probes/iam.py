"""One reading of a role's identity policies for every probe that asks "may this role call
this action on this resource" (compute, database and the e2e trace ask it of the instance
role), so two layers can never disagree about the same role.

An explicit Deny wins over any Allow, as IAM decides. ``NotAction`` / ``NotResource`` are
honoured. Conditions, permission boundaries, session policies, SCPs and resource policies
are not evaluated: a probe that passes here can still be refused by those, and says so in
its remediation where that matters.
"""
from __future__ import annotations

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


def decide_documents(docs: list[tuple[str, dict]], action: str, resource: str = "*") -> Decision:
    allow: list[str] = []
    deny: list[str] = []
    for label, doc in docs:
        for st in statements(doc):
            if covers(st, action, resource):
                (deny if st.get("Effect") == "Deny" else allow).append(label)
    return Decision(sorted(set(allow)), sorted(set(deny)))


def decide(inv: Inventory, role: str, action: str, resource: str = "*") -> Decision:
    """How the role's identity policies decide ``action`` on ``resource``."""
    return decide_documents(documents(inv, role)[1], action, resource)
