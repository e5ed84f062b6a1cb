"""Foreign stacks: each corpus stack deploys on the emulator, every read-only probe runs
against it attached (no ``resources:`` overrides, no Outputs used), and the verdicts must
match the stack's reviewed expectation file: no ERROR, no failure but the genuine ones
listed, none for a layer the stack lacks, and every role judged on the resource the
review names. See tests/corpus/README.md.

A stack the emulator cannot deploy is skipped, naming the gap its review records
(``deploy_gap``); any other deploy failure fails the test.
"""
from __future__ import annotations

import pytest
import yaml

from fixtures.emulator.coverage import load_template
from probes import expectations as expmod
from probes import registry
from probes.aws import AwsSession
from probes.inventory import Inventory
from tests.conftest import CREDS
from tests.corpus import corpus

pytestmark = pytest.mark.xdist_group("corpus")


@pytest.fixture
def deployer(emulator):
    d = corpus.Deployer(emulator)
    yield d
    d.delete_all()


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
    verdict = corpus.judge(outcomes, item.expect, corpus.index(deployer, name))
    assert not verdict.problems, (f"{name}: {len(verdict.problems)} difference(s) from "
                                  f"tests/corpus/expect/{name}.yaml:\n"
                                  + "\n".join(f"- {p}" for p in verdict.problems))


# ---- the corpus files themselves (no deploy) ----------------------------------------------
@pytest.mark.parametrize("name", corpus.names())
def test_review_names_real_resources_and_probes(name):
    item = corpus.entry(name)
    logical = set(corpus.template(name).get("Resources") or {})  # a nested stack's children too
    borrowed = {o: set(corpus.template(o).get("Resources") or {}) for o in item.borrowed}
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
        assert set(data.get("prerequisites") or {}) <= {"key_pairs", "objects", "templates",
                                                        "confirm_subscriptions"}, path
        for obj in (data.get("prerequisites") or {}).get("templates") or []:
            assert (path.parent / obj.partition("/")[2]).is_file(), f"{path}: no file for {obj}"
