"""Deleting a deployed stack's final DB snapshot waits for a snapshot still being taken, and
a snapshot that cannot be deleted is one clear error naming it and the command to run."""
from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from fixtures import stack as stackmod


class _Session:
    endpoint_url = "http://127.0.0.1:1"

    def __init__(self) -> None:
        self.rds = boto3.client("rds", region_name="us-east-1", aws_access_key_id="x",
                                aws_secret_access_key="y", endpoint_url=self.endpoint_url)
        self.stub = Stubber(self.rds)

    def client(self, service: str):
        assert service == "rds"
        return self.rds


def _snap(status: str) -> dict:
    return {"DBSnapshots": [{"DBSnapshotIdentifier": "st-database-1", "DBInstanceIdentifier": "db-1",
                             "Status": status, "SnapshotType": "manual"}]}


def test_a_snapshot_being_taken_is_awaited_then_deleted():
    s = _Session()
    s.stub.add_response("describe_db_snapshots", _snap("creating"),
                        {"DBInstanceIdentifier": "db-1", "SnapshotType": "manual"})
    s.stub.add_response("describe_db_snapshots", _snap("creating"), {"DBSnapshotIdentifier": "st-database-1"})
    s.stub.add_response("describe_db_snapshots", _snap("available"), {"DBSnapshotIdentifier": "st-database-1"})
    s.stub.add_response("delete_db_snapshot", {}, {"DBSnapshotIdentifier": "st-database-1"})
    with s.stub:
        assert stackmod._delete_snapshots(s, ["db-1"]) == ["st-database-1"]
    s.stub.assert_no_pending_responses()


def test_a_snapshot_that_cannot_go_is_one_clear_error():
    s = _Session()
    s.stub.add_response("describe_db_snapshots", _snap("available"),
                        {"DBInstanceIdentifier": "db-1", "SnapshotType": "manual"})
    s.stub.add_client_error("delete_db_snapshot", "AccessDenied", "not allowed to rds:DeleteDBSnapshot")
    with s.stub, pytest.raises(stackmod.DeployError) as err:
        stackmod._delete_snapshots(s, ["db-1"])
    text = str(err.value)
    assert "the stack is deleted but its final snapshot st-database-1 of db-1 was not" in text
    assert "AccessDenied" in text and "aws rds delete-db-snapshot --db-snapshot-identifier st-database-1" in text
