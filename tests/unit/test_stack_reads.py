"""The lifecycle's own CloudFormation reads follow every page: AWS pages stack events and
resources at 100, and a rollback of ~80 resources makes ~400 events, so the root cause of
a failed deploy is pages away from the newest events."""
from __future__ import annotations

from datetime import datetime, timezone

import boto3
from botocore.stub import Stubber

from fixtures import stack as stackmod

STACK = "sp-paged"
WHEN = datetime(2030, 1, 1, tzinfo=timezone.utc)


def _cfn():
    client = boto3.client("cloudformation", region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="y", endpoint_url="http://127.0.0.1:1")
    return client, Stubber(client)


def _event(n: int, logical: str, status: str, reason: str = "") -> dict:
    e = {"StackId": f"arn:aws:cloudformation:us-east-1:123456789012:stack/{STACK}/x",
         "EventId": f"e{n}", "StackName": STACK, "LogicalResourceId": logical,
         "ResourceType": "AWS::EC2::Instance", "Timestamp": WHEN, "ResourceStatus": status}
    if reason:
        e["ResourceStatusReason"] = reason
    return e


def _rollback_events() -> list[dict]:
    """Newest first, as CloudFormation returns them: 250 rollback events, then (oldest) the
    resource that failed and the ones cancelled with it."""
    newest = [_event(1000 - i, f"R{i}", "DELETE_COMPLETE") for i in range(250)]
    oldest = [_event(3, "Other", "CREATE_FAILED", "Resource creation cancelled"),
              _event(2, "Database", "CREATE_FAILED", "DBInstance quota exceeded"),
              _event(1, "Database", "CREATE_IN_PROGRESS")]
    return newest + oldest


def _pages(events: list[dict], size: int = 100) -> list[dict]:
    pages = []
    for i in range(0, len(events), size):
        page = {"StackEvents": events[i:i + size]}
        if i + size < len(events):
            page["NextToken"] = f"t{i + size}"
        pages.append(page)
    return pages


def _expect_event_pages(stub: Stubber, pages: list[dict]) -> None:
    for i, page in enumerate(pages):
        params = {"StackName": STACK}
        if i:
            params["NextToken"] = pages[i - 1]["NextToken"]
        stub.add_response("describe_stack_events", page, params)


def test_first_failure_is_found_pages_away_from_the_newest_events():
    cfn, stub = _cfn()
    _expect_event_pages(stub, _pages(_rollback_events()))
    with stub:
        text = stackmod.first_failure(cfn, STACK)
    stub.assert_no_pending_responses()
    assert text == ("resource Database (AWS::EC2::Instance) CREATE_FAILED: DBInstance quota "
                    "exceeded")


def test_progress_reads_only_the_pages_with_new_events():
    """A poll stops at the first page that holds an event it has seen: progress costs one
    page per poll however long the stack's history is."""
    cfn, stub = _cfn()
    events = _rollback_events()
    _expect_event_pages(stub, _pages(events))
    progress = stackmod._Progress(cfn, STACK, 10, "deploying", lambda _: None)
    with stub:
        assert len(progress.poll()) == len(events)
    stub.assert_no_pending_responses()
    newer = [_event(2000, "Late", "DELETE_COMPLETE")] + events[:99]
    stub.add_response("describe_stack_events", {"StackEvents": newer, "NextToken": "t100"},
                      {"StackName": STACK})
    with stub:
        fresh = progress.poll()
    stub.assert_no_pending_responses()
    assert [e["EventId"] for e in fresh] == ["e2000"]


def test_stack_resources_follow_every_page():
    cfn, stub = _cfn()
    rows = [{"LogicalResourceId": f"R{i}", "PhysicalResourceId": f"p{i}",
             "ResourceType": "AWS::S3::Bucket" if i == 150 else "AWS::SNS::Topic",
             "LastUpdatedTimestamp": WHEN, "ResourceStatus": "CREATE_COMPLETE"} for i in range(160)]
    stub.add_response("list_stack_resources", {"StackResourceSummaries": rows[:100], "NextToken": "n"},
                      {"StackName": STACK})
    stub.add_response("list_stack_resources", {"StackResourceSummaries": rows[100:]},
                      {"StackName": STACK, "NextToken": "n"})
    with stub:
        got = stackmod.stack_resources(cfn, STACK)
    stub.assert_no_pending_responses()
    assert len(got) == 160 and got[150]["PhysicalResourceId"] == "p150"
