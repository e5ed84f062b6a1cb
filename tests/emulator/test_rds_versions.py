# ruff: noqa: F811  (pytest fixtures imported from _support, so the tests also run with --noconftest)
"""RDS engine versions as RDS answers them (fixtures/emulator/patches/rds_versions.py):
DescribeDBEngineVersions hides deprecated versions unless IncludeAll, and the versions a new
or modified instance may run."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.emulator._support import aws, emu, unique  # noqa: F401


def _versions(aws, **params) -> list[tuple[str, str]]:
    pages = aws("rds").get_paginator("describe_db_engine_versions").paginate(**params)
    return [(v["EngineVersion"], v["Status"]) for p in pages for v in p["DBEngineVersions"]]


def test_deprecated_versions_only_with_include_all(aws):
    listed = _versions(aws, Engine="postgres", EngineVersion="16")
    assert listed and all(status == "available" for _, status in listed)
    assert "16.1" not in dict(listed)
    assert ("16.1", "deprecated") in _versions(aws, Engine="postgres", EngineVersion="16", IncludeAll=True)
    assert _versions(aws, Engine="postgres", EngineVersion="16.1") == []


def test_entry_fields_and_upgrade_targets(aws):
    (entry,) = aws("rds").describe_db_engine_versions(Engine="postgres", EngineVersion="16.1",
                                                      IncludeAll=True)["DBEngineVersions"]
    assert entry["DBParameterGroupFamily"] == "postgres16" and entry["Status"] == "deprecated"
    targets = {t["EngineVersion"]: t["IsMajorVersionUpgrade"] for t in entry["ValidUpgradeTarget"]}
    assert targets["16.3"] is False and targets["17.4"] is True and "16.2" not in targets  # never deprecated


def test_default_only_filters_and_limits(aws):
    rds = aws("rds")
    assert _versions(aws, Engine="postgres", DefaultOnly=True) == [("17.4", "available")]
    assert _versions(aws, Engine="postgres", EngineVersion="16", DefaultOnly=True) == [("16.8", "available")]
    assert {v for v, _ in _versions(aws, DBParameterGroupFamily="mysql8.0", IncludeAll=True)} == {
        "8.0.32", "8.0.39", "8.0.40", "8.0.41"}
    assert _versions(aws, Filters=[{"Name": "status", "Values": ["deprecated"]}], IncludeAll=True) == [
        ("16.1", "deprecated"), ("16.2", "deprecated"), ("5.7.44", "deprecated"), ("8.0.32", "deprecated")]
    assert _versions(aws, Engine="oracle-ee") == []
    for params, code in (({"MaxRecords": 5}, "InvalidParameterValue"),
                         ({"Filters": [{"Name": "colour", "Values": ["x"]}]}, "InvalidParameterValue")):
        with pytest.raises(ClientError) as err:
            rds.describe_db_engine_versions(**params)
        assert err.value.response["Error"]["Code"] == code


def _create(aws, **params):
    return aws("rds").create_db_instance(
        DBInstanceIdentifier=unique("db"), DBInstanceClass="db.t3.micro", MasterUsername="app",
        MasterUserPassword="a-long-password-1", AllocatedStorage=20, **params)["DBInstance"]


def test_new_instance_gets_the_default_version_and_never_a_deprecated_one(aws):
    assert _create(aws, Engine="postgres", EngineVersion="16")["EngineVersion"] == "16.8"
    assert _create(aws, Engine="postgres")["EngineVersion"] == "17.4"
    assert _create(aws, Engine="mysql")["EngineVersion"] == "8.0.41"
    assert _create(aws, Engine="postgres", EngineVersion="16.4")["EngineVersion"] == "16.4"
    with pytest.raises(ClientError) as err:
        _create(aws, Engine="postgres", EngineVersion="16.1")
    assert err.value.response["Error"]["Code"] == "InvalidParameterCombination"
    assert "Cannot find version 16.1 for postgres" in err.value.response["Error"]["Message"]


def test_an_instance_cannot_move_onto_a_deprecated_version(aws):
    db = _create(aws, Engine="postgres", EngineVersion="16.3")
    with pytest.raises(ClientError) as err:
        aws("rds").modify_db_instance(DBInstanceIdentifier=db["DBInstanceIdentifier"], EngineVersion="16.2",
                                      ApplyImmediately=True)
    assert "Cannot upgrade postgres from 16.3 to 16.2" in err.value.response["Error"]["Message"]
