"""The inventory's reads: each distinct read made once per run, also when probes ask for it
side by side; "missing" is an answer, a failure is not remembered; and the verdicts handed
to xdist workers carry no secret (nothing is written to disk)."""
from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

import pytest
from botocore.exceptions import ClientError

from probes.inventory import Inventory, InventoryError


class _Client:
    def __init__(self, sent: Counter, service: str, delay: float):
        self.sent, self.service, self.delay = sent, service, delay

    def can_paginate(self, operation: str) -> bool:
        return False

    def __getattr__(self, operation: str) -> Any:
        def call(**params: Any) -> Any:
            self.sent[f"{self.service}:{operation}"] += 1
            time.sleep(self.delay)
            if params.get("Missing"):
                raise ClientError({"Error": {"Code": "ResourceNotFoundException", "Message": "gone"}},
                                  operation)
            if params.get("Throttle"):
                raise ClientError({"Error": {"Code": "Throttling", "Message": "slow down"}}, operation)
            if operation == "get_secret_value":
                return {"SecretString": "hunter2-very-secret"}
            return {"Items": [params], "Answer": f"{operation}:{sorted(params.items())}"}
        return call


class _Session:
    """Stands in for an AwsSession: counts what it sends."""
    region = "us-east-1"

    def __init__(self, sent: Counter, delay: float = 0.0):
        self.sent, self.delay = sent, delay
        self.api_calls = sent

    def client(self, service: str, region: str | None = None) -> _Client:
        return _Client(self.sent, service, self.delay)


def _inventory(delay: float = 0.0) -> tuple[Counter, Inventory]:
    sent: Counter = Counter()
    return sent, Inventory(_Session(sent, delay), "stack")


def test_each_distinct_read_is_made_once():
    sent, inv = _inventory()
    for _ in range(3):
        assert inv.call("ec2", "describe_vpcs", VpcIds=["vpc-1"])["Answer"].startswith("describe_vpcs")
        assert inv.paginate("ec2", "describe_subnets", "Items", VpcId="vpc-1") == [{"VpcId": "vpc-1"}]
    assert sent == Counter({"ec2:describe_vpcs": 1, "ec2:describe_subnets": 1})
    assert inv.stats()["aws_reads_made"] == 2 and inv.stats()["shared_reads"] == 4


def test_concurrent_probes_wait_for_the_read_in_flight():
    sent, inv = _inventory(delay=0.2)
    answers: list[Any] = []
    threads = [threading.Thread(target=lambda: answers.append(
        inv.call("rds", "describe_db_instances", DBInstanceIdentifier="db"))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sent == Counter({"rds:describe_db_instances": 1})
    assert len(answers) == 4 and all(a == answers[0] for a in answers)


def test_a_missing_resource_is_remembered_as_missing():
    sent, inv = _inventory()
    assert inv.call("rds", "describe_db_instances", missing_ok=True, Missing=True) is None
    with pytest.raises(InventoryError, match="was not found"):
        inv.call("rds", "describe_db_instances", Missing=True)
    assert sent["rds:describe_db_instances"] == 1


def test_a_failed_read_is_not_remembered():
    sent, inv = _inventory()
    for _ in range(2):
        with pytest.raises(ClientError, match="Throttling"):
            inv.call("ec2", "describe_vpcs", Throttle=True)
    assert sent["ec2:describe_vpcs"] == 2  # tried again: a throttle is not an answer


def test_verdicts_for_xdist_workers_carry_no_registered_secret():
    """The controller's verdicts travel to the workers in memory (workerinput), redacted
    with the secrets the controller registered, which the workers do not know."""
    from fixtures import verdicts
    from probes import registry
    from probes.redact import register_secret
    from probes.result import failed

    register_secret("hunter2-very-secret")
    spec = registry.get("stack.outputs_present")
    finding = failed("secret s", "holds hunter2-very-secret", "rotation", password="x")
    wire = verdicts.to_wire({spec.id: registry.Outcome(spec, [finding], 0.1, ["ec2:x"])})
    assert "hunter2" not in repr(wire)
    back = verdicts.from_wire(wire)[spec.id]
    assert back.status == "failed" and back.calls == ["ec2:x"] and back.spec is spec
    assert back.findings[0].resource == "secret s"


def test_without_a_store_each_inventory_reads_for_itself():
    sent: Counter = Counter()
    a, b = Inventory(_Session(sent), "stack"), Inventory(_Session(sent), "stack")
    a.call("ec2", "describe_vpcs")
    b.call("ec2", "describe_vpcs")
    a.call("ec2", "describe_vpcs")
    assert sent["ec2:describe_vpcs"] == 2


def test_parallel_reads_count_for_the_calling_probe():
    sent: Counter = Counter()
    inv = Inventory(_Session(sent), "stack")
    all_in_flight = threading.Barrier(8, timeout=10)  # broken unless 8 reads overlap

    def read(i: int) -> Any:
        all_in_flight.wait()
        return inv.call("ec2", "describe_subnets", SubnetIds=[f"s-{i}"])["Items"][0]

    inv.start_tracking()
    got = inv.parallel(read, range(8))
    calls = inv.stop_tracking()
    assert got == [{"SubnetIds": [f"s-{i}"]} for i in range(8)]  # order kept
    assert calls == ["ec2:describe_subnets"] * 8


def test_parallel_raises_the_first_error():
    inv = Inventory(_Session(Counter()), "stack")
    with pytest.raises(InventoryError):
        inv.parallel(lambda i: inv.call("ec2", "describe_vpcs", Missing=bool(i)), range(3))
