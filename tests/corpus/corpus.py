"""The corpus of foreign stacks: loading its files, deploying a stack (and the stacks it
borrows from) on the emulator, and judging the probes' verdicts against a reviewed
expectation file.

Layout (tests/corpus/):
- ``public/<name>.yaml``: public templates kept verbatim (source, commit, licence in README.md);
- ``independent/<name>.yaml``: stacks of this architecture written apart from the bundled one;
- ``<dir>/<name>.params.yaml``: ``parameters:`` for the deploy. A value may name another
  corpus stack, deployed first: ``${physical:<name>:<LogicalId>}`` is that resource's
  physical id, ``${stack:<name>}`` that stack's name (for ``Fn::ImportValue`` prefixes).
  Its ``prerequisites:`` are what the user makes first; ``templates:`` (``<bucket>/<key>``)
  stages a nested stack's children, the file at ``<dir>/<key>``, where its root's
  TemplateURLs find them;
- ``expect/<name>.yaml``: the review. ``template`` (path under tests/corpus), ``layers``
  (the layers the stack has, in it or referenced by it), ``roles`` (role -> the logical
  id that plays it; ``<stack>:<LogicalId>`` for a resource of a stack it borrows from),
  ``failures`` (every genuine failed finding: ``probe``, ``resource`` logical id, ``why``),
  ``expectations`` (the values this stack's team chose, as in an environment file) and
  ``deploy_gap`` (``types`` the emulator does not model, or ``error`` text of a deploy the
  emulator refuses, and ``why`` in words: the stack's test is skipped naming the gap until
  the emulator deploys it).

:class:`Deployer` deploys a stack with fresh copies of the stacks it borrows from, and
:func:`index` names their resources for :func:`judge` (test_corpus.py and
test_independent_faults.py share them).
"""
from __future__ import annotations

import functools
import io
import itertools
import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from fixtures import stack as stackmod
from fixtures.emulator.coverage import load_template, unmodelled_types
from probes.aws import AwsSession
from probes.result import ERROR, FAIL, PASS, Finding
from tests.conftest import CREDS

HERE = Path(__file__).resolve().parent
EXPECT = HERE / "expect"
_PLACEHOLDER = re.compile(r"\$\{(physical|output|stack):([a-z0-9-]+)(?::([A-Za-z0-9]+))?\}")

# Probes that judge the resource playing one role: the finding must name that resource
# when the stack has the role, and must not pass or fail when it has none.
PROBE_ROLES = {
    "network.flow_logs_enabled": "vpc",
    "network.no_ssh_ingress": "vpc",
    "network.no_world_open_ingress": "vpc",
    "network.subnet_tiers_span_azs": "vpc",
    "network.app_port_only_from_vpc": "app_security_group",
    "network.db_port_only_from_app_sg": "db_security_group",
    "compute.asg_attached_to_target_group": "auto_scaling_group",
    "compute.asg_capacity_in_service": "auto_scaling_group",
    "compute.asg_spans_private_subnets": "auto_scaling_group",
    "compute.scaling_policy_present": "auto_scaling_group",
    "compute.launch_template_ami_available": "launch_template",
    "compute.launch_template_no_key_pair": "launch_template",
    "compute.launch_template_settings": "launch_template",
    "compute.instance_role_allows_ssm": "instance_role",
    "compute.instance_role_least_privilege": "instance_role",
    "compute.instance_role_reads_db_secret": "instance_role",
    "database.app_role_reads_master_secret": "instance_role",
    "database.backups_retained": "db_instance",
    "database.deletion_protection_as_expected": "db_instance",
    "database.instance_available": "db_instance",
    "database.log_exports_enabled": "db_instance",
    "database.master_secret_managed": "db_instance",
    "database.multi_az_as_expected": "db_instance",
    "database.not_publicly_accessible": "db_instance",
    "database.storage_encrypted": "db_instance",
    "database.slow_query_logging": "db_instance",
    "database.subnets_without_internet_route": "db_instance",
    "database.master_secret_exists": "db_secret",
    "api.authorizer_identity_source": "rest_api",
    "api.authorizer_trusts_stack_pool": "rest_api",
    "api.integrations_via_vpc_link": "rest_api",
    "api.methods_authorized": "rest_api",
    "api.stage_access_logging": "api_stage",
    "api.stage_deployed": "api_stage",
    "api.stage_metrics_enabled": "api_stage",
    "api.stage_throttling": "api_stage",
    "api.nlb_internal": "nlb",
    "api.nlb_listener_forwards": "nlb",
    "api.vpc_link_targets_nlb": "vpc_link",
    "auth.client_auth_flows": "user_pool_client",
    "auth.client_callback_urls_https": "user_pool_client",
    "auth.client_oauth_flows": "user_pool_client",
    "auth.client_secret": "user_pool_client",
    "auth.client_token_validity": "user_pool_client",
    "auth.pool_and_client_exist": "user_pool",
    "edge.access_logging": "distribution",
    "edge.api_forwards_authorization": "distribution",
    "edge.api_not_cached": "distribution",
    "edge.behaviours_route_to_origins": "distribution",
    "edge.certificate_matches_domain": "distribution",
    "edge.distribution_enabled": "distribution",
    "edge.minimum_tls_policy": "distribution",
    "edge.no_stuck_invalidations": "distribution",
    "edge.s3_origin_uses_oac": "distribution",
    "edge.viewer_https_only": "distribution",
    "edge.site_bucket_policy_cloudfront_only": "site_bucket",
    "edge.site_bucket_public_access_blocked": "site_bucket",
    "waf.default_action": "web_acl",
    "waf.logging_enabled": "web_acl",
    "waf.managed_rule_groups": "web_acl",
    "waf.rate_limit_rule": "web_acl",
    "waf.visibility_metrics": "web_acl",
    "waf.web_acl_associated": "web_acl",
    "observability.alarm_topic_subscribed": "alarm_topic",
    "observability.cloudtrail_log_file_validation": "trail",
    "observability.cloudtrail_logging": "trail",
    "observability.cloudtrail_multi_region": "trail",
    "observability.dashboard_covers_layers": "dashboard",
    "auth.user_pool_mfa": "user_pool",
    "auth.user_pool_password_policy": "user_pool",
    "auth.user_pool_sign_up_and_deletion": "user_pool",
    "waf.no_rule_blocks_everyone": "web_acl",
    "waf.api_not_reachable_around_waf": "rest_api",
    "api.resource_policy_admits_callers": "rest_api",
    "observability.alarm_topic_policy_allows_cloudwatch": "alarm_topic",
    "observability.alarm_topic_key_allows_cloudwatch": "alarm_topic",
    "observability.trail_key_allows_cloudtrail": "trail",
    "database.app_role_decrypts_secret_key": "db_secret",
    "network.default_security_group_admits_nothing": "vpc",
    "network.nacls_close_admin_ports": "vpc",
    "dns.hosted_zone_exists": "hosted_zone",
    "dns.certificate_valid": "certificate",
    "api.http_routes_authorized": "http_api",
    "api.http_jwt_issuer_is_stack_pool": "http_api",
    "auth.http_jwt_audience_has_stack_client": "http_api",
    "api.http_integrations_via_vpc_link": "http_api",
    "api.http_stage_throttling": "http_api_stage",
    "api.http_stage_access_logging": "http_api_stage",
}
# Layers every stack has: the stack itself, and the request path (which reports the first
# hop the stack lacks as a skip, not a failure).
ALWAYS = {"stack", "e2e"}


@dataclass
class Entry:
    name: str
    template: Path
    params: dict[str, Any]
    expect: dict[str, Any]
    prerequisites: dict[str, list[str]] = field(default_factory=dict)

    @property
    def children(self) -> dict[str, Path]:
        """The nested templates the stack's user stages before deploying: the
        ``templates:`` prerequisite's ``<bucket>/<key>`` objects, each the file at ``<key>``
        under the stack's folder."""
        out = {}
        for path in self.prerequisites.get("templates") or []:
            key = path.partition("/")[2]
            out[path] = self.template.parent / key
        return out

    @property
    def borrowed(self) -> list[str]:
        """Corpus stacks whose resources this one's parameters name (deployed first)."""
        found = []
        for value in self.params.values():
            for _, other, _ in _PLACEHOLDER.findall(str(value)):
                if other not in found:
                    found.append(other)
        return found


def _read_yaml(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text()) if path.exists() else None
    return data or {}


def entry(name: str) -> Entry:
    """The corpus stack ``name``: its template, deploy parameters and review."""
    for folder in ("independent", "public"):
        template = HERE / folder / f"{name}.yaml"
        if template.exists():
            data = _read_yaml(HERE / folder / f"{name}.params.yaml")
            params = data.get("parameters") or {}
            return Entry(name, template, {k: str(v) for k, v in params.items()},
                         _read_yaml(EXPECT / f"{name}.yaml"), data.get("prerequisites") or {})
    raise KeyError(f"no corpus stack {name!r} under {HERE}/independent or public")


@functools.lru_cache(maxsize=None)
def template(name: str) -> dict[str, Any]:
    """The parsed template of corpus stack ``name`` (parsed once: callers must not change it).
    A nested stack's ``Resources`` are its root's and its children's together: a review
    names a child's resource by its logical id, which is unique across the tree."""
    item = entry(name)
    parsed = load_template(item.template.read_text())
    if not item.children:
        return parsed
    resources = dict(parsed.get("Resources") or {})
    for path in item.children.values():
        for logical, spec in (load_template(path.read_text()).get("Resources") or {}).items():
            assert logical not in resources, (
                f"{name}: logical id {logical} is declared twice in the nested tree; a review "
                "could not tell which one it names")
            resources[logical] = spec
    return dict(parsed, Resources=resources)


def names() -> list[str]:
    """Every stack with a review file (the ones the corpus test judges)."""
    return sorted(p.stem for p in EXPECT.glob("*.yaml"))


def templates() -> list[str]:
    return sorted(p.stem for folder in ("independent", "public")
                  for p in (HERE / folder).glob("*.yaml") if not p.stem.endswith(".params"))


def resolve(params: dict[str, str], physical: dict[str, dict[str, str]],
            stack_names: dict[str, str], outputs: dict[str, dict[str, str]] | None = None) -> dict[str, str]:
    """Parameters with the placeholders naming other corpus stacks filled in."""
    def fill(match: re.Match[str]) -> str:
        kind, other, logical = match.groups()
        if kind == "stack":
            return stack_names[other]
        if kind == "output":
            return (outputs or {})[other][logical]
        return physical[other][logical]
    return {k: _PLACEHOLDER.sub(fill, v) for k, v in params.items()}


# ---- which logical ids a finding names ----------------------------------------------------
def identifiers(physical_id: str) -> set[str]:
    """The forms a resource's physical id takes in a finding's text: whole, and for ARNs
    and composite ids (WAF's ``name|id|scope``) their distinctive parts."""
    out = {physical_id}
    for part in re.split(r"[|:/]", physical_id):
        if len(part) >= 8 and not part.isdigit() and part not in ("elasticloadbalancing", "secretsmanager", "targetgroup",
                                           "loadbalancer", "cloudtrail", "us-east-1"):
            out.add(part)
    return {i for i in out if i and len(i) >= 6}


def stack_index(physical: dict[str, str], template: dict[str, Any], prefix: str = "",
                members: dict[str, list[str]] | None = None) -> dict[str, set[str]]:
    """Logical id (with ``prefix``) -> the identifiers that name it in findings. A stage
    is named "stage <name>" (its physical id is only the name); a deployment that creates
    its stage through ``StageName`` is named by that stage too; an Auto Scaling group by
    its instances (``members``: logical id -> instance ids)."""
    out: dict[str, set[str]] = {}
    resources = template.get("Resources") or {}
    for logical, pid in physical.items():
        spec = resources.get(logical) or {}
        ids = identifiers(pid) if pid else set()
        if spec.get("Type") == "AWS::ApiGateway::Stage" and pid:
            ids.add(f"stage {pid}")
        stage = (spec.get("Properties") or {}).get("StageName")
        if spec.get("Type") == "AWS::ApiGateway::Deployment" and isinstance(stage, str):
            ids.add(f"stage {stage}")
        ids.update((members or {}).get(logical, []))
        if ids:
            out[prefix + logical] = ids
    return out


def named(text: str, index: dict[str, set[str]]) -> set[str]:
    """Logical ids (``<stack>:<id>`` for borrowed ones) whose identifiers occur in ``text``
    as whole tokens."""
    hits = set()
    for logical, ids in index.items():
        for ident in ids:
            if re.search(rf"(?<![A-Za-z0-9_-]){re.escape(ident)}(?![A-Za-z0-9_])", text):
                hits.add(logical)
                break
    return hits


def judged(finding: Finding, index: dict[str, set[str]]) -> set[str]:
    """The resources a finding names, in its resource or its message."""
    return named(finding.resource, index) | named(finding.message, index)


@dataclass
class Verdict:
    problems: list[str] = field(default_factory=list)

    def add(self, kind: str, text: str) -> None:
        self.problems.append(f"{kind}: {text}")


def judge(outcomes: dict[str, Any], expect: dict[str, Any],
          index: dict[str, set[str]]) -> Verdict:
    """Compare the probes' outcomes with the review; every difference is one line."""
    verdict = Verdict()
    layers = set(expect.get("layers") or []) | ALWAYS
    roles = expect.get("roles") or {}
    listed = [(f["probe"], f["resource"]) for f in expect.get("failures") or []]
    seen: set[tuple[str, str]] = set()
    for pid, outcome in sorted(outcomes.items()):
        layer = pid.split(".", 1)[0]
        for f in outcome.findings:
            names_ = judged(f, index)
            short = f.message.split(". Fix:", 1)[0][:220]
            if f.status == ERROR:
                verdict.add("ERROR", f"{pid}: {short}")
                continue
            match = [(p, r) for p, r in listed if p == pid and r in names_]
            if f.status == FAIL and match:
                seen.update(match)
                continue
            role = PROBE_ROLES.get(pid)
            if role and f.status in (PASS, FAIL):
                player = roles.get(role)
                if player is None and names_:
                    verdict.add("wrong resource", f"{pid} {f.status} on {sorted(names_)} as {role}, "
                                "a role the stack does not have: " + short)
                    continue
                if player is None and f.status == PASS:
                    verdict.add("false pass", f"{pid} passed for {role}, a role the stack does not "
                                "have: " + short)
                    continue
                if player is not None and player not in names_:
                    verdict.add("wrong resource", f"{pid} {f.status} on {sorted(names_) or f.resource!r}"
                                f"; the {role} is {player}: " + short)
                    continue
            if f.status != FAIL:
                continue
            if layer not in layers:
                verdict.add("absent-layer failure", f"{pid} (layer {layer} is not in the stack): {short}")
            elif role and role not in roles:
                verdict.add("absent-role failure", f"{pid} ({role} is not in the stack): {short}")
            else:
                verdict.add("new failure", f"{pid} on {sorted(names_) or f.resource!r}: {short}")
    for pid, resource in listed:
        if (pid, resource) not in seen:
            verdict.add("genuine failure missed", f"{pid} on {resource} did not fail")
    return verdict


# ---- deploying a corpus stack on the emulator ---------------------------------------------
_serial = itertools.count()
_ACCOUNT = "123456789012"  # the emulator's account (moto's default)


class Deployer:
    """Deploys one corpus stack with fresh copies of the stacks it borrows from, and deletes
    them all, borrowers first. One per test: a stack's verdict never depends on which other
    corpus stacks happen to share its VPC at that moment."""

    def __init__(self, emulator: Any):
        self.session = AwsSession("us-east-1", emulator.endpoint, allow_mutations=True,
                                  credentials=CREDS)
        self.names: dict[str, str] = {}
        self.physical: dict[str, dict[str, str]] = {}
        self.outputs: dict[str, dict[str, str]] = {}
        self.order: list[str] = []

    def deploy(self, name: str) -> str:
        if name in self.names:
            return self.names[name]
        item = entry(name)
        for other in item.borrowed:
            self.deploy(other)
        params = resolve(item.params, self.physical, self.names, self.outputs)
        gap = (entry(name).expect or {}).get("deploy_gap") or {}
        missing = unmodelled_types(item.template.read_text(), params)
        why = f" ({gap['why']})" if gap.get("why") else ""
        if missing:
            unrecorded = sorted(set(missing) - set(gap.get("types") or []))
            assert not unrecorded, (f"{name}: the emulator does not model {', '.join(unrecorded)}; "
                                    "record it under deploy_gap.types in its expectation file")
            pytest.skip(f"emulator gap: {name} uses {', '.join(missing)}, not modelled by the "
                        f"emulator{why}")
        self.prepare(item.prerequisites, item.children)
        stack_name = f"corpus-{name}-{os.getpid()}-{next(_serial)}"[:128]
        self.order.append(stack_name)
        try:
            stackmod.deploy(self.session, item.template, stack_name, params,
                            stackmod.run_tags("corpus"), timeout=120, out=lambda _: None)
            cfn = self.session.client("cloudformation")
            resources = self.resources(stack_name)
            outputs = cfn.describe_stacks(StackName=stack_name)["Stacks"][0].get("Outputs") or []
        except Exception as exc:  # a refused deploy, or the emulator's HTTP 500 (ResponseParserError)
            text = f"{type(exc).__name__}: {exc}"
            if gap.get("error") and re.search(gap["error"], text):
                pytest.skip(f"emulator gap: {name} does not deploy{why}: {text[:300]}")
            raise
        # stackmod.deploy waits for the root's targets and instances only: a nested stack's
        # fleet sits in a child, whose readiness is waited for the same way.
        for r in resources:
            if r["ResourceType"] == "AWS::CloudFormation::Stack" and r.get("PhysicalResourceId"):
                stackmod.wait_ready(self.session, r["PhysicalResourceId"], timeout=120, out=lambda _: None)
        self.names[name] = stack_name
        self.confirm(item.prerequisites.get("confirm_subscriptions") or [])
        self.outputs[name] = {o["OutputKey"]: o["OutputValue"] for o in outputs}
        self.physical[name] = {r["LogicalResourceId"]: r.get("PhysicalResourceId", "")
                               for r in resources}
        return stack_name

    def resources(self, stack_name: str) -> list[dict[str, Any]]:
        """The stack's resources and, nested stacks followed, its children's."""
        cfn = self.session.client("cloudformation")
        out, pending = [], [stack_name]
        while pending:
            for page in cfn.get_paginator("list_stack_resources").paginate(StackName=pending.pop(0)):
                for r in page["StackResourceSummaries"]:
                    out.append(r)
                    if r["ResourceType"] == "AWS::CloudFormation::Stack" and r.get("PhysicalResourceId"):
                        pending.append(r["PhysicalResourceId"])
        return out

    def prepare(self, prerequisites: dict[str, list[str]], children: dict[str, Path] | None = None) -> None:
        """What the template's user makes before deploying (a key pair, a packaged code object)."""
        ec2 = self.session.client("ec2")
        existing = {k["KeyName"] for k in ec2.describe_key_pairs().get("KeyPairs", [])}
        for key in prerequisites.get("key_pairs") or []:
            if key not in existing:
                ec2.create_key_pair(KeyName=key)
        s3 = self.session.client("s3")
        for path in prerequisites.get("objects") or []:
            bucket, _, key = path.partition("/")
            if bucket not in {b["Name"] for b in s3.list_buckets().get("Buckets", [])}:
                s3.create_bucket(Bucket=bucket)
            s3.put_object(Bucket=bucket, Key=key, Body=_placeholder_zip())
        for path, source in (children or {}).items():
            bucket, _, key = path.partition("/")
            if bucket not in {b["Name"] for b in s3.list_buckets().get("Buckets", [])}:
                s3.create_bucket(Bucket=bucket)
            s3.put_object(Bucket=bucket, Key=key, Body=source.read_bytes())

    def confirm(self, endpoints: list[str]) -> None:
        """The subscribers click the link SNS mailed them: their pending subscriptions are
        confirmed with the token the emulator "sent" (as after a real deploy, by a person)."""
        if not endpoints:
            return
        from moto.sns.models import sns_backends

        from fixtures.emulator.patches.sns import confirmation_token

        sns = self.session.client("sns")
        backend = sns_backends[_ACCOUNT]["us-east-1"]
        for arn, sub in list(backend.subscriptions.items()):
            if sub.endpoint in endpoints and str(sub.attributes.get("PendingConfirmation")).lower() == "true":
                sns.confirm_subscription(TopicArn=sub.topic.arn,
                                         Token=confirmation_token(_ACCOUNT, "us-east-1", arn))

    def instances(self, name: str) -> dict[str, list[str]]:
        """The instances of each of the stack's Auto Scaling groups (findings name them)."""
        resources = template(name)["Resources"]
        groups = {logical: pid for logical, pid in self.physical[name].items()
                  if (resources.get(logical) or {}).get("Type")
                  == "AWS::AutoScaling::AutoScalingGroup"}
        if not groups:
            return {}
        found = self.session.client("autoscaling").describe_auto_scaling_groups(
            AutoScalingGroupNames=list(groups.values()))["AutoScalingGroups"]
        by_name = {g["AutoScalingGroupName"]: [i["InstanceId"] for i in g.get("Instances", [])]
                   for g in found}
        return {logical: by_name.get(pid, []) for logical, pid in groups.items()}

    def delete_all(self) -> None:
        for stack_name in reversed(self.order):
            try:
                # stackmod.delete empties the root's buckets only; a child's hold log deliveries.
                for r in self.resources(stack_name):
                    if r["ResourceType"] == "AWS::CloudFormation::Stack" and r.get("PhysicalResourceId"):
                        stackmod.empty_buckets(self.session, r["PhysicalResourceId"])
                stackmod.delete(self.session, stack_name, timeout=120, out=lambda _: None)
            except Exception:  # noqa: BLE001 - best effort: the emulator goes away with the session
                pass


def _placeholder_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("bootstrap", "#!/bin/sh\n# placeholder for the packaged handler\n")
    return buf.getvalue()


def index(deployer: Deployer, name: str) -> dict[str, set[str]]:
    """Logical id -> identifiers, for the stack and (prefixed) the stacks it borrows from."""
    out = {}
    for other in [name, *entry(name).borrowed]:
        out.update(stack_index(deployer.physical[other], template(other),
                               "" if other == name else f"{other}:", deployer.instances(other)))
    return out
