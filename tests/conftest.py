"""Fixtures for the project's own tests: an embedded AWS per test process and a lab that
deploys the bundled stack on it, so probes can be proven against injected faults."""
from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from typing import Any

import pytest

from fixtures import environment as envmod
from fixtures import stack as stackmod
from probes import registry
from probes.aws import AwsSession
from probes.inventory import Inventory

CREDS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


# pytest-httpserver's server, for the tests that serve a JWKS. Its plugin is off
# (pytest.ini: -p no:pytest_httpserver) and it is imported on first use: pytest also loads
# this file in an attach run (``--stack-name NAME``: NAME is taken for a path before the
# option is known, and the rootdir's test* folders' conftests are loaded then).
@pytest.fixture(scope="session")
def make_httpserver():
    from pytest_httpserver import HTTPServer
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


@pytest.fixture
def httpserver(make_httpserver):
    make_httpserver.clear()
    return make_httpserver
_names = itertools.count()


@pytest.fixture(scope="session")
def emulator():
    from fixtures.emulator.server import start
    emu = start(region="us-east-1")
    yield emu
    emu.stop()


@dataclass
class DeployedStack:
    name: str
    outputs: dict[str, str]
    endpoint: str
    region: str = "us-east-1"
    resources: dict[str, str] = field(default_factory=dict)

    def session(self, allow_mutations: bool = True) -> AwsSession:
        return AwsSession(self.region, self.endpoint, allow_mutations=allow_mutations,
                          credentials=CREDS)

    def client(self, service: str) -> Any:
        return self.session().client(service)

    def inventory(self, resources: dict[str, str] | None = None) -> Inventory:
        """A fresh, read-only inventory: nothing cached from before an injection."""
        return Inventory(self.session(allow_mutations=False), self.name, resources or self.resources)

    def physical(self, logical_id: str) -> str:
        # list_stack_resources, not describe_stack_resource: moto's single-resource read
        # fails for types our extension models.
        resources = self.client("cloudformation").list_stack_resources(
            StackName=self.name)["StackResourceSummaries"]
        return next(r["PhysicalResourceId"] for r in resources
                    if r["LogicalResourceId"] == logical_id)


class Lab:
    """Deploys fresh copies of the bundled stack and runs probes against them."""

    def __init__(self, emulator: Any):
        self.emulator = emulator
        self.expectations = envmod.load("local").expectations_obj
        self.parameters = envmod.load("local").stack.parameters

    def deploy(self, template: str = envmod.DEFAULT_TEMPLATE, parameters: dict[str, str] | None = None) -> DeployedStack:
        from fixtures.emulator.coverage import unmodelled_types
        name = f"lab-{os.getpid()}-{next(_names)}"
        session = AwsSession("us-east-1", self.emulator.endpoint, allow_mutations=True,
                             credentials=CREDS)
        # the main job's parameters, resolved the way the plugin resolves them (the domain's
        # hosted zone made on the emulator), so the lab stack is the stack `pytest` probes
        params = stackmod.embedded_hosted_zone(session.client("route53"), stackmod.resolve_parameters(
            {**self.parameters, **(parameters or {})}, name))
        outputs = stackmod.deploy(session, template, name, params,
                                  stackmod.run_tags("lab"), timeout=120, precheck=unmodelled_types,
                                  out=lambda _: None)
        return DeployedStack(name, outputs, self.emulator.endpoint)

    def expectations_with(self, overrides: dict[str, dict[str, Any]]) -> Any:
        """The main job's expectations with some layers' settings overridden."""
        if not overrides:
            return self.expectations
        env = envmod.load("local")
        raw = {k: dict(v or {}) for k, v in env.expectations.items()}
        for layer, values in overrides.items():
            raw.setdefault(layer, {}).update(values)
        return env.model_copy(update={"expectations": raw}).expectations_obj

    def run(self, stack: DeployedStack, probe_ids: list[str] | None = None,
            inventory: Inventory | None = None, expectations: Any = None) -> dict[str, registry.Outcome]:
        inv = inventory or stack.inventory()
        ids = probe_ids or sorted(registry.load_all())
        exp = expectations or self.expectations
        return {pid: registry.run(pid, inv, exp) for pid in ids
                if not registry.get(pid).mutating}


@pytest.fixture(scope="session")
def lab(emulator) -> Lab:
    return Lab(emulator)


@pytest.fixture(scope="session")
def healthy(lab) -> DeployedStack:
    """One healthy stack shared by read-only tests in this process. Never inject into it."""
    return lab.deploy()
