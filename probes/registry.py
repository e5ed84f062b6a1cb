"""Probe metadata and the registry every suite, report and self-test reads.

A probe is a plain function ``fn(inventory, expectations) -> Finding | list[Finding]``
decorated with :func:`probe`. The decorator is the one place its metadata lives:
id, layer, component, title, severity, remediation, seed challenge, gate. The id is
forced to ``<layer>.<function name>`` so names cannot drift.
"""
from __future__ import annotations

import functools
import importlib
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from probes.inventory import Ambiguous
from probes.result import ERROR, FAIL, PASS, SKIP, Absent, Finding, Missing

LAYERS = (
    "stack", "network", "compute", "database", "observability",
    "dns", "edge", "waf", "api", "auth", "e2e",
)
SEVERITIES = ("blocker", "critical", "normal", "minor", "trivial")  # Allure's words
# Modules that hold probes, imported once so the registry is complete.
PROBE_MODULES = (
    "probes.stack", "probes.network", "probes.compute", "probes.database",
    "probes.observability", "probes.dns", "probes.edge", "probes.waf", "probes.api",
    "probes.auth", "probes.path",
    "probes.buckets", "probes.bypass", "probes.user_pools", "probes.db_hardening",
    "probes.user_data", "probes.at_rest", "probes.troubleshooting_logs",
    "probes.default_security_group", "probes.secrets_rotation", "probes.kms", "probes.nacl_admin",
    "probes.http_api",
)
RUNBOOK = "README.md#runbook"
# What a layer's probes judge: when nothing in or referenced by the stack plays these roles
# (or, for a CloudFormation type, the stack declares none), the layer is absent and its
# probes are skipped, unless the environment requires the layer (required_layers).
LAYER_NEEDS: dict[str, tuple[str, ...]] = {
    "network": ("vpc",), "compute": ("auto_scaling_group",), "database": ("db_instance",),
    "api": ("rest_api",), "auth": ("user_pool",), "edge": ("distribution",), "waf": ("web_acl",),
}
COMPONENT_NEEDS: dict[tuple[str, str], tuple[str, ...]] = {
    ("observability", "alarms"): ("AWS::CloudWatch::Alarm",),
    ("observability", "notifications"): ("AWS::CloudWatch::Alarm",),
    ("observability", "cloudtrail"): ("trail",),
    ("observability", "dashboard"): ("dashboard",),
    ("api", "nlb"): ("nlb",),
    # every bucket of the stack is judged, whether or not it has a distribution
    ("edge", "buckets"): (),
    # a REST API with other backends (Lambda) and no NLB has no private path to judge
    ("api", "vpc-link"): ("rest_api", "nlb"),
    ("api", "integration"): ("rest_api", "nlb"),
}


# Roles that stand in for each other: a stack's API is a REST API or an HTTP API. A probe of
# one kind on a stack that has the other is skipped even where the layer is required (the
# layer has its API, judged by the other kind's probes). A probe that judges either kind
# alike needs "rest_api|http_api".
ALTERNATIVES: dict[str, str] = {"rest_api": "http_api", "http_api": "rest_api"}


@dataclass(frozen=True)
class ProbeSpec:
    id: str
    layer: str
    component: str
    title: str
    severity: str
    remediation: str
    challenge: int | None
    gate: bool
    mutating: bool
    # Roles (or CloudFormation types) the probe judges; none played means "not applicable".
    needs: tuple[str, ...]
    fn: Callable[..., Any] = field(compare=False, repr=False)
    see_also: tuple[str, ...] = ()  # Prowler check ids that ask the same question
    # What a failure means for the reviewer: security, alerting or configuration (the
    # report's category); declared per probe, else from the layer and component.
    concern: str = "configuration"

    @property
    def runbook(self) -> str:
        return f"{RUNBOOK}-{self.layer}"


_REGISTRY: dict[str, ProbeSpec] = {}


CONCERNS = ("security", "alerting", "configuration")
# Components whose probes judge access control, exposure or TLS unless a probe says otherwise.
SECURITY_COMPONENTS = {"security-groups", "origin-access", "site-bucket", "tls", "instance-role",
                       "credentials", "authorizer", "certificate"}


def default_concern(layer: str, component: str) -> str:
    if layer in ("waf", "auth") or component in SECURITY_COMPONENTS:
        return "security"
    if layer == "observability" and component in ("alarms", "notifications"):
        return "alerting"
    return "configuration"


def probe(*, layer: str, component: str, title: str, severity: str, remediation: str,
          challenge: int | None = None, gate: bool = False, mutating: bool = False,
          needs: tuple[str, ...] | None = None, see_also: tuple[str, ...] = (),
          concern: str | None = None):
    """Register a probe. ``remediation`` is the default ``Fix:`` of its failures;
    ``concern`` files its failures in the report (default from layer and component)."""
    if layer not in LAYERS:
        raise ValueError(f"unknown layer {layer!r}; one of {LAYERS}")
    if severity not in SEVERITIES:
        raise ValueError(f"unknown severity {severity!r}; one of {SEVERITIES}")
    if concern is not None and concern not in CONCERNS:
        raise ValueError(f"unknown concern {concern!r}; one of {CONCERNS}")

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        wanted = needs if needs is not None else COMPONENT_NEEDS.get(
            (layer, component), LAYER_NEEDS.get(layer, ()))
        run = _answering_missing(fn)
        spec = ProbeSpec(f"{layer}.{fn.__name__}", layer, component, title, severity,
                         remediation, challenge, gate, mutating, tuple(wanted), run, tuple(see_also),
                         concern or default_concern(layer, component))
        if spec.id in _REGISTRY and _REGISTRY[spec.id].fn.__module__ != fn.__module__:
            raise ValueError(f"probe id {spec.id} registered twice")
        _REGISTRY[spec.id] = spec
        run.spec = spec  # type: ignore[attr-defined]
        return run

    return decorate


def _answering_missing(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` whose :class:`Missing` is its verdict: the finding, in a list when ``fn``
    returns one finding per resource (its return annotation is a list)."""
    as_list = str(fn.__annotations__.get("return", "")).startswith("list")

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Missing as exc:
            return [exc.finding] if as_list else exc.finding

    return run


_LOADED: list[bool] = []  # set once every probe module is imported (get() asks per test)


def load_all() -> dict[str, ProbeSpec]:
    if not _LOADED:
        for name in PROBE_MODULES:
            try:
                importlib.import_module(name)
            except ModuleNotFoundError as exc:
                if exc.name != name:  # a real import error inside the module
                    raise
        _LOADED.append(True)
    return dict(_REGISTRY)


def get(probe_id: str) -> ProbeSpec:
    load_all()
    try:
        return _REGISTRY[probe_id]
    except KeyError:
        raise KeyError(f"no probe {probe_id!r}; known: {', '.join(sorted(_REGISTRY))}") from None


def for_layer(layer: str) -> list[ProbeSpec]:
    return sorted((s for s in load_all().values() if s.layer == layer), key=lambda s: s.id)


@dataclass
class Outcome:
    spec: ProbeSpec
    findings: list[Finding]
    duration: float
    calls: list[str]

    @property
    def status(self) -> str:
        statuses = {f.status for f in self.findings}
        for status in (ERROR, FAIL, PASS):
            if status in statuses:
                return status
        return SKIP

    @property
    def failures(self) -> list[Finding]:
        return [f for f in self.findings if f.status in (FAIL, ERROR)]

    def summary(self) -> str:
        bad = self.failures
        if bad:
            head = f"{self.spec.id}: {len(bad)} of {len(self.findings)} finding(s) failed"
            return head + "\n" + "\n".join(f"- {f.message}" for f in bad)
        return "\n".join(f.message for f in self.findings)


def roles_judged(probe_ids: list[str]) -> list[str]:
    """The graph roles these probes judge (their needs, their layers' needs), to resolve
    before probing; every role when the end-to-end trace is among them (it walks them all)."""
    from probes.graph import ROLES
    specs = [get(pid) for pid in probe_ids]
    if any(s.layer == "e2e" for s in specs):
        return list(ROLES)
    roles: dict[str, None] = {}
    for s in specs:
        for need in (*s.needs, *LAYER_NEEDS.get(s.layer, ())):
            for role in need.split("|"):
                if role in ROLES:
                    roles[role] = None
    return list(roles)


def _check_needs(spec: ProbeSpec, inventory: Any) -> None:
    """Raise :class:`Absent` when nothing in or referenced by the stack is what the probe judges."""
    from probes import graph
    for need in spec.needs:
        if need.startswith("AWS::"):
            if not inventory.of_type(need):
                raise Absent(need, inventory.stack_name, f"the stack declares no {need}")
        elif "|" in need:  # any one of these roles (a REST or an HTTP API)
            options = need.split("|")
            if not any(graph.role(inventory, role) for role in options):
                graph.need(inventory, options[0])  # raises Absent naming what was followed
        else:
            try:
                graph.need(inventory, need)
            except Absent as exc:
                other = ALTERNATIVES.get(need)
                if other and graph.role(inventory, other):
                    exc.alternative = other  # type: ignore[attr-defined]
                raise


def _not_applicable(spec: ProbeSpec, exc: Absent, expectations: Any) -> Finding:
    """Absent: a skip naming what was followed, or a failure when the layer is required."""
    alternative = getattr(exc, "alternative", None)
    required = spec.layer in (getattr(expectations, "required_layers", None) or ()) and not alternative
    what = str(exc)
    if alternative:
        from probes.graph import ROLES
        what += f"; the stack's API is its {ROLES[alternative][1]}, judged by that kind's probes"
    if required:
        return Finding(FAIL, f"layer {spec.layer} of stack {exc.stack}", f"has nothing to judge: {what}",
                       f"the {spec.layer} layer, which this environment requires (required_layers)",
                       "Redeploy the stack (a resource deleted out of band leaves its layer empty), "
                       "or set resources.<role> in the environment file to the resource's id",
                       evidence={"followed": exc.followed, "role": exc.role})
    return Finding(SKIP, f"layer {spec.layer}", f"not applicable: {what}",
                   evidence={"followed": exc.followed, "role": exc.role})


def run(probe_id: str, inventory: Any, expectations: Any) -> Outcome:
    """Run one probe; fill metadata into its findings. Never raises for AWS errors."""
    spec = get(probe_id)
    start = time.perf_counter()
    tracking = hasattr(inventory, "start_tracking")
    if tracking:
        inventory.start_tracking()
    try:
        _check_needs(spec, inventory)
        result = spec.fn(inventory, expectations)
        findings = [result] if isinstance(result, Finding) else list(result or [])
        if not findings:
            raise RuntimeError(f"probe {spec.id} returned no finding")
    except Absent as exc:
        findings = [_not_applicable(spec, exc, expectations)]
    except Ambiguous as exc:  # a role the run did not resolve before probing (a layer selection)
        findings = [Finding(ERROR, spec.id, f"could not tell which resource to judge: {exc}",
                            "one resource in each role the probe judges",
                            "Set the resources.<role> key the message names, or run every layer "
                            "once to see each role stackprobe could not decide")]
    except Exception as exc:  # an AWS error or a bug: reported with its traceback, never swallowed
        from probes.inventory import describe_error
        where = traceback.extract_tb(exc.__traceback__)[-1]
        findings = [Finding(ERROR, spec.id,
                            f"could not complete: {describe_error(exc)} (at {Path(where.filename).name}"
                            f":{where.lineno})",
                            "the probe's AWS reads to succeed",
                            "An AWS error names the permission or resource to check; anything else "
                            "is a stackprobe bug: the traceback is in the evidence, please report it.",
                            evidence={"exception": type(exc).__name__,
                                      "traceback": traceback.format_exception(exc)[-6:]})]
    for f in findings:
        f.probe_id = spec.id
        f.layer = spec.layer
        f.severity = spec.severity
        if f.status in (FAIL, ERROR) and not f.fix:
            f.fix = spec.remediation
    calls = inventory.stop_tracking() if tracking else []
    return Outcome(spec, findings, time.perf_counter() - start, calls)
