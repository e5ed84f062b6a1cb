"""The Finding: what one probe concluded about one resource.

A Finding renders as one sentence an on-call engineer can act on:
``<resource> <observed>; expected <expected>. Fix: <fix>`` followed by evidence.
Probes build Findings with :func:`passed`, :func:`failed`, :func:`absent` and
:func:`skipped`; the ``@probe`` decorator fills in the probe's metadata.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from probes.redact import redact

PASS, FAIL, SKIP, ERROR = "passed", "failed", "skipped", "error"


@dataclass
class Finding:
    status: str
    resource: str
    observed: str
    expected: str = ""
    fix: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)
    probe_id: str = ""
    layer: str = ""
    severity: str = ""
    # The layer suite to run next when this finding points elsewhere (e2e hops).
    next_step: str = ""

    @property
    def ok(self) -> bool:
        return self.status == PASS

    @property
    def message(self) -> str:
        text = f"{self.resource} {self.observed}"
        if self.expected and self.status != PASS:
            text += f"; expected {self.expected}"
        text += "."
        if self.fix and self.status in (FAIL, ERROR):
            text += f" Fix: {self.fix}"
        if self.next_step and self.status in (FAIL, ERROR):
            text += f" Next: {self.next_step}"
        return redact(text)

    def evidence_json(self) -> str:
        return json.dumps(redact(self.evidence), indent=2, default=str, sort_keys=True)

    def as_dict(self) -> dict[str, Any]:
        return {
            "probe_id": self.probe_id,
            "layer": self.layer,
            "status": self.status,
            "severity": self.severity,
            "resource": redact(self.resource),
            "message": self.message,
            "fix": redact(self.fix),
            "evidence": redact(self.evidence),
        }


def passed(resource: str, observed: str, **evidence: Any) -> Finding:
    return Finding(PASS, resource, observed, evidence=evidence)


def failed(resource: str, observed: str, expected: str, fix: str = "", **evidence: Any) -> Finding:
    """A broken expectation. ``fix`` defaults to the probe's remediation."""
    return Finding(FAIL, resource, observed, expected, fix, evidence=evidence)


def absent(what: str, expected: str = "", fix: str = "", **evidence: Any) -> Finding:
    """A resource the layer's own resources point at (or the stack declares) was not found:
    broken, a failure said plainly. A layer with nothing to judge is not this: a probe
    raises :class:`Absent` for that and the registry skips it (or fails it when required)."""
    return Finding(
        FAIL,
        what,
        "was not found",
        expected or "it to exist",
        fix,
        evidence=evidence,
    )


class Absent(LookupError):
    """Nothing in the stack, or referenced by it, plays ``role``: the probe does not apply.

    Raised by :mod:`probes.graph` (``need``); the registry turns it into a skip naming
    what was followed, or into a failure when the environment requires the layer."""

    def __init__(self, role: str, stack: str | None, followed: str, label: str = ""):
        self.role = role
        self.stack = stack
        self.followed = followed
        label = label or role.replace("_", " ")
        super().__init__(f"no {label} in stack {stack} or referenced by it ({followed})")


class Missing(LookupError):
    """What a probe must read is not there, and ``finding`` (usually an :func:`absent`
    failure) is the probe's verdict. A helper that fetches the resource raises it, so the
    probes that need the resource do not each repeat the check; the ``@probe`` decorator
    returns the finding (in a list for a probe that returns one finding per resource)."""

    def __init__(self, finding: Finding):
        super().__init__(finding.message)
        self.finding = finding


def skipped(resource: str, reason: str, **evidence: Any) -> Finding:
    """Not applicable here (e.g. no domain configured) or not observable on this target."""
    return Finding(SKIP, resource, reason, evidence=evidence)
