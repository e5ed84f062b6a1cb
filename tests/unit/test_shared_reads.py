"""The run's shared read store: under xdist each distinct read is made once per run, not once
per worker; secrets never reach the disk; failures are not remembered."""
from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

import pytest
from botocore.exceptions import ClientError

from probes.inventory import Inventory, InventoryError
from probes.shared_reads import SharedReads


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
    """Stands in for one worker's AwsSession: counts what it sends."""
    region = "us-east-1"

    def __init__(self, sent: Counter, delay: float = 0.0):
        self.sent, self.delay = sent, delay
        self.api_calls = sent

    def client(self, service: str, region: str | None = None) -> _Client:
        return _Client(self.sent, service, self.delay)


def _workers(tmp_path, n: int, delay: float = 0.0) -> tuple[Counter, list[Inventory]]:
    sent: Counter = Counter()
    shared = SharedReads(tmp_path)
    return sent, [Inventory(_Session(sent, delay), "stack", shared=shared) for _ in range(n)]


def test_each_distinct_read_is_made_once_across_workers(tmp_path):
    sent, (gw0, gw1, gw2) = _workers(tmp_path, 3)
    for inv in (gw0, gw1, gw2):
        assert inv.call("ec2", "describe_vpcs", VpcIds=["vpc-1"])["Answer"].startswith("describe_vpcs")
        assert inv.paginate("ec2", "describe_subnets", "Items", VpcId="vpc-1") == [{"VpcId": "vpc-1"}]
    assert sent == Counter({"ec2:describe_vpcs": 1, "ec2:describe_subnets": 1})
    assert gw0.stats()["aws_reads_made"] == 2
    assert gw1.stats()["aws_reads_made"] == 0 and gw1.stats()["shared_reads"] == 2


def test_concurrent_workers_wait_for_the_read_in_flight(tmp_path):
    sent, workers = _workers(tmp_path, 4, delay=0.2)
    answers: list[Any] = []
    threads = [threading.Thread(target=lambda inv=inv: answers.append(
        inv.call("rds", "describe_db_instances", DBInstanceIdentifier="db"))) for inv in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sent == Counter({"rds:describe_db_instances": 1})
    assert len(answers) == 4 and all(a == answers[0] for a in answers)


def test_a_missing_resource_is_shared_as_missing(tmp_path):
    sent, (gw0, gw1) = _workers(tmp_path, 2)
    assert gw0.call("rds", "describe_db_instances", missing_ok=True, Missing=True) is None
    assert gw1.call("rds", "describe_db_instances", missing_ok=True, Missing=True) is None
    with pytest.raises(InventoryError, match="was not found"):
        gw1.call("rds", "describe_db_instances", Missing=True)
    assert sent["rds:describe_db_instances"] == 1


def test_a_failed_read_is_not_remembered(tmp_path):
    sent, (gw0, gw1) = _workers(tmp_path, 2)
    for inv in (gw0, gw1):
        with pytest.raises(ClientError, match="Throttling"):
            inv.call("ec2", "describe_vpcs", Throttle=True)
    assert sent["ec2:describe_vpcs"] == 2  # each tried: a throttle is not an answer
    assert not list(tmp_path.glob("*.pickle"))


def test_secret_values_never_reach_the_disk(tmp_path):
    sent, (gw0, gw1) = _workers(tmp_path, 2)
    for inv in (gw0, gw1):
        assert inv.call("secretsmanager", "get_secret_value", SecretId="s")["SecretString"]
    assert sent["secretsmanager:get_secret_value"] == 2  # each worker reads it itself
    gw0.call("ec2", "describe_vpcs")
    files = list(tmp_path.iterdir())
    assert files and not any(b"hunter2" in f.read_bytes() for f in files if f.is_file())


def test_without_a_store_each_inventory_reads_for_itself(tmp_path):
    sent: Counter = Counter()
    a, b = Inventory(_Session(sent), "stack"), Inventory(_Session(sent), "stack")
    a.call("ec2", "describe_vpcs")
    b.call("ec2", "describe_vpcs")
    a.call("ec2", "describe_vpcs")
    assert sent["ec2:describe_vpcs"] == 2


def test_parallel_reads_count_for_the_calling_probe(tmp_path):
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
