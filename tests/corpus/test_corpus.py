"""Foreign stacks: each corpus stack deploys on the emulator, every read-only probe runs
against it attached (no ``resources:`` overrides, no Outputs used), and the verdicts must
match the stack's reviewed expectation file: no ERROR, no failure but the genuine ones
listed, none for a layer the stack lacks, and every role judged on the resource the
review names. See tests/corpus/README.md.

A stack the emulator cannot deploy is skipped, naming the gap its review records
(``deploy_gap``); any other deploy failure fails the test.
"""
from __future__ import annotations

import io
import itertools
import os
import re
import zipfile
from typing import Any

import pytest
import yaml

from fixtures import stack as stackmod
from fixtures.emulator.coverage import load_template, unmodelled_types
from probes import expectations as expmod
from probes import registry
from probes.aws import AwsSession
from probes.inventory import Inventory
from tests.conftest import CREDS
from tests.corpus import corpus

pytestmark = pytest.mark.xdist_group("corpus")
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
        item = corpus.entry(name)
        for other in item.borrowed:
            self.deploy(other)
        params = corpus.resolve(item.params, self.physical, self.names, self.outputs)
        gap = (corpus.entry(name).expect or {}).get("deploy_gap") or {}
        missing = unmodelled_types(item.template.read_text(), params)
        why = f" ({gap['why']})" if gap.get("why") else ""
        if missing:
            unrecorded = sorted(set(missing) - set(gap.get("types") or []))
            assert not unrecorded, (f"{name}: the emulator does not model {', '.join(unrecorded)}; "
                                    "record it under deploy_gap.types in its expectation file")
            pytest.skip(f"emulator gap: {name} uses {', '.join(missing)}, not modelled by the "
                        f"emulator{why}")
        self.prepare(item.prerequisites)
        stack_name = f"corpus-{name}-{os.getpid()}-{next(_serial)}"[:128]
        self.order.append(stack_name)
        try:
            stackmod.deploy(self.session, item.template, stack_name, params,
                            stackmod.run_tags("corpus"), timeout=120, out=lambda _: None)
            cfn = self.session.client("cloudformation")
            resources = cfn.list_stack_resources(StackName=stack_name)["StackResourceSummaries"]
            outputs = cfn.describe_stacks(StackName=stack_name)["Stacks"][0].get("Outputs") or []
        except Exception as exc:  # a refused deploy, or the emulator's HTTP 500 (ResponseParserError)
            text = f"{type(exc).__name__}: {exc}"
            if gap.get("error") and re.search(gap["error"], text):
                pytest.skip(f"emulator gap: {name} does not deploy{why}: {text[:300]}")
            raise
        self.names[name] = stack_name
        self.confirm(item.prerequisites.get("confirm_subscriptions") or [])
        self.outputs[name] = {o["OutputKey"]: o["OutputValue"] for o in outputs}
        self.physical[name] = {r["LogicalResourceId"]: r.get("PhysicalResourceId", "")
                               for r in resources}
        return stack_name

    def prepare(self, prerequisites: dict[str, list[str]]) -> None:
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
        template = load_template(corpus.entry(name).template.read_text())
        groups = {logical: pid for logical, pid in self.physical[name].items()
                  if (template["Resources"].get(logical) or {}).get("Type")
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
                stackmod.delete(self.session, stack_name, timeout=120, out=lambda _: None)
            except Exception:  # noqa: BLE001 - best effort: the emulator goes away with the session
                pass


def _placeholder_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("bootstrap", "#!/bin/sh\n# placeholder for the packaged handler\n")
    return buf.getvalue()


@pytest.fixture
def deployer(emulator):
    d = Deployer(emulator)
    yield d
    d.delete_all()


def _index(deployer: Deployer, name: str) -> dict[str, set[str]]:
    """Logical id -> identifiers, for the stack and (prefixed) the stacks it borrows from."""
    index = {}
    for other in [name, *corpus.entry(name).borrowed]:
        template = load_template(corpus.entry(other).template.read_text())
        index.update(corpus.stack_index(deployer.physical[other], template,
                                        "" if other == name else f"{other}:",
                                        deployer.instances(other)))
    return index


@pytest.mark.parametrize("name", corpus.names())
def test_stack_verdicts_match_review(name, deployer):
    item = corpus.entry(name)
    stack_name = deployer.deploy(name)
    session = AwsSession("us-east-1", deployer.session.endpoint_url, allow_mutations=False,
                         credentials=CREDS)
    inv = Inventory(session, stack_name)
    exp = expmod.build(item.expect.get("expectations"))
    outcomes = {pid: registry.run(pid, inv, exp) for pid, spec in sorted(registry.load_all().items())
                if not spec.mutating}
    verdict = corpus.judge(outcomes, item.expect, _index(deployer, name))
    assert not verdict.problems, (f"{name}: {len(verdict.problems)} difference(s) from "
                                  f"tests/corpus/expect/{name}.yaml:\n"
                                  + "\n".join(f"- {p}" for p in verdict.problems))


# ---- the corpus files themselves (no deploy) ----------------------------------------------
@pytest.mark.parametrize("name", corpus.names())
def test_review_names_real_resources_and_probes(name):
    item = corpus.entry(name)
    template = load_template(item.template.read_text())
    logical = set(template.get("Resources") or {})
    borrowed = {o: set(load_template(corpus.entry(o).template.read_text()).get("Resources") or {})
                for o in item.borrowed}
    known_probes = set(registry.load_all())
    assert item.expect.get("template") == str(item.template.relative_to(corpus.HERE)), (
        f"expect/{name}.yaml: template must be {item.template.relative_to(corpus.HERE)}")
    for layer in item.expect.get("layers") or []:
        assert layer in registry.LAYERS, f"expect/{name}.yaml: unknown layer {layer!r}"
    for role, player in (item.expect.get("roles") or {}).items():
        assert role in set(corpus.PROBE_ROLES.values()) | {"target_group"}, (
            f"expect/{name}.yaml: unknown role {role!r}")
        other, _, lid = player.rpartition(":")
        assert (lid in borrowed.get(other, set())) if other else (lid in logical), (
            f"expect/{name}.yaml: role {role} names {player}, which is not a resource of "
            f"{other or name}")
    for f in item.expect.get("failures") or []:
        assert set(f) == {"probe", "resource", "why"}, f"expect/{name}.yaml: {f}"
        assert f["probe"] in known_probes, f"expect/{name}.yaml: no probe {f['probe']}"
        other, _, lid = f["resource"].rpartition(":")
        assert (lid in borrowed.get(other, set())) if other else (lid in logical), (
            f"expect/{name}.yaml: {f['probe']} names {f['resource']}, not a resource")
        assert f["probe"].split(".")[0] in set(item.expect.get("layers") or []) | corpus.ALWAYS
    expmod.build(item.expect.get("expectations"))  # the team's values are valid settings


@pytest.mark.parametrize("name", corpus.templates())
def test_every_template_is_reviewed_documented_and_parameterised(name):
    item = corpus.entry(name)
    assert item.expect, f"tests/corpus/expect/{name}.yaml is missing"
    readme = (corpus.HERE / "README.md").read_text()
    assert f"`{name}`" in readme, f"tests/corpus/README.md has no row for `{name}`"
    declared = load_template(item.template.read_text()).get("Parameters") or {}
    unknown = sorted(set(item.params) - set(declared))
    assert not unknown, f"{name}.params.yaml sets undeclared parameters {unknown}"
    required = sorted(k for k, v in declared.items() if "Default" not in (v or {}))
    assert not set(required) - set(item.params), (
        f"{name}.params.yaml lacks values for {sorted(set(required) - set(item.params))}")
    for other in item.borrowed:
        corpus.entry(other)


def test_params_files_are_mappings():
    for path in corpus.HERE.glob("*/*.params.yaml"):
        data = yaml.safe_load(path.read_text())
        assert isinstance(data, dict) and isinstance(data.get("parameters"), dict), path
        assert set(data.get("prerequisites") or {}) <= {"key_pairs", "objects", "confirm_subscriptions"}, path
