"""Reads scale with the stack, not the account: the full attach run makes the same reads,
with answers of the same size, whether the account holds nothing else or ~150 unrelated log
groups, security groups (in another VPC and in the default VPC), buckets, alarms and
stacks. A probe that lists the whole account, or that pages through it, fails here.

Time is the benchmark's business (``python -m benchmarks.bench --cases fill``), not this
test's.
"""
from __future__ import annotations

from typing import Any

import pytest

from benchmarks import fill

SIZE = 150


def _row(keys: list[list[str]], shapes: dict[tuple[str, str, str], Any],
         sent: dict[str, int]) -> dict[str, Any]:
    return {"read_keys": keys, "answer_shapes": [[*k, v] for k, v in shapes.items()], "sent": sent,
            "reads": len(keys), "distinct_reads": len(keys), "sent_total": sum(sent.values()), "wall_s": 1.0}


def test_compare_tells_a_listing_that_grows_from_a_scoped_read() -> None:
    scoped = ["logs", "describe_log_groups", '{"logGroupNamePrefix": "my-stack-"}']
    listing = ["ec2", "describe_security_groups", "{}"]
    base = _row([scoped, listing], {tuple(scoped): 1, tuple(listing): {"SecurityGroups": 3}},
                {"logs:DescribeLogGroups": 1, "ec2:DescribeSecurityGroups": 1})

    same = fill.compare(base, base)
    assert same["reads_identical"] and same["verdict"] == "FLAT"

    one_page = fill.compare(base, _row([scoped, listing],
                                       {tuple(scoped): 1, tuple(listing): {"SecurityGroups": 153}},
                                       {"logs:DescribeLogGroups": 1, "ec2:DescribeSecurityGroups": 1}))
    assert not one_page["reads_identical"] and one_page["verdict"] == "MISS"
    assert one_page["answers_grew"] == [[*listing, {"SecurityGroups": 3}, {"SecurityGroups": 153}]]

    paged = fill.compare(base, _row([scoped, listing], {tuple(scoped): 1, tuple(listing): {"SecurityGroups": 3}},
                                    {"logs:DescribeLogGroups": 1, "ec2:DescribeSecurityGroups": 4}))
    assert not paged["reads_identical"]
    assert paged["sent_changed"] == {"ec2:DescribeSecurityGroups": [1, 4]}


@pytest.mark.xdist_group("bench")
def test_attach_run_reads_the_same_in_a_filled_account() -> None:
    doc = fill.case([0, SIZE], n=1, warm_up=False, paired=False)
    holds = doc["fill"][SIZE]["account_holds"]
    assert min(holds.values()) >= SIZE, f"the filler did not fill the account: {holds}"
    empty, full = doc["by_size"][0], doc["by_size"][SIZE]
    assert empty["exit"] == [0], empty.get("error")
    assert full["exit"] == [0], full.get("error")
    assert empty["answers_recorded"] >= empty["distinct_reads"] > 50, "benchmarks.phases recorded no reads"
    assert full["totals"] == empty["totals"], "unrelated resources changed the verdicts"
    assert full["reads_identical"], (
        f"the attach run's reads changed with {SIZE} unrelated resources of each kind in the account: "
        f"added {full['reads_added']}, removed {full['reads_removed']}, requests sent per operation "
        f"{full['sent_changed']}, answers grew {full['answers_grew']}. Fix: scope the read by the "
        "stack's name, id or prefix (probes/reads.py)")
