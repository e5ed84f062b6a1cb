# ruff: noqa: F811  (pytest fixtures imported from _support, so the tests also run with --noconftest)
"""CloudFormation pages at 100 as AWS does: a reader that ignores NextToken loses the root cause."""
from __future__ import annotations

import json

from tests.emulator._support import aws, create, emu, unique  # noqa: F401


def _topics(n: int) -> dict:
    return {f"Topic{i:03d}": {"Type": "AWS::SNS::Topic"} for i in range(n)}


def test_events_and_resources_page_at_100(aws):
    cfn = aws("cloudformation")
    stack = create(aws, json.dumps({"Resources": _topics(105)}))
    first = cfn.describe_stack_events(StackName=stack.stack_id)
    assert len(first["StackEvents"]) == 100 and first["NextToken"]
    events = [e for p in cfn.get_paginator("describe_stack_events").paginate(StackName=stack.stack_id)
              for e in p["StackEvents"]]
    assert len(events) == 1 + 2 * 105 + 1  # stack CREATE_IN_PROGRESS, 2 per topic, CREATE_COMPLETE
    assert len({e["EventId"] for e in events}) == len(events)  # no event twice across pages
    assert (events[-1]["LogicalResourceId"], events[-1]["ResourceStatus"]) == (stack.name, "CREATE_IN_PROGRESS")
    assert (events[0]["LogicalResourceId"], events[0]["ResourceStatus"]) == (stack.name, "CREATE_COMPLETE")
    page = cfn.list_stack_resources(StackName=stack.stack_id)
    assert len(page["StackResourceSummaries"]) == 100 and page["NextToken"]
    resources = [r["LogicalResourceId"] for p in cfn.get_paginator("list_stack_resources").paginate(
        StackName=stack.stack_id) for r in p["StackResourceSummaries"]]
    assert sorted(resources) == sorted(_topics(105))
    stack.delete()


def test_root_cause_of_a_big_rollback_is_past_page_one(aws):
    cfn = aws("cloudformation")
    topics = _topics(60)
    body = {"Resources": {**topics, "Broken": {"Type": "AWS::GameLift::Fleet", "DependsOn": sorted(topics)}}}
    stack = create(aws, json.dumps(body), expect="ROLLBACK_COMPLETE")
    first = cfn.describe_stack_events(StackName=stack.stack_id)["StackEvents"]
    assert not [e for e in first if e["ResourceStatus"] == "CREATE_FAILED"]
    events = [e for p in cfn.get_paginator("describe_stack_events").paginate(StackName=stack.stack_id)
              for e in p["StackEvents"]]
    failed = [e["LogicalResourceId"] for e in events if e["ResourceStatus"] == "CREATE_FAILED"]
    assert failed == ["Broken"]
    from fixtures import stack as stackmod

    # the suite's own reader pages too, so the deploy error names the root cause
    assert stackmod.first_failure(cfn, stack.stack_id).startswith("resource Broken (AWS::GameLift::Fleet) CREATE_FAILED")


def test_list_stacks_pages_at_100(aws):
    cfn = aws("cloudformation")
    prefix = unique("many")
    for i in range(101):
        cfn.create_stack(StackName=f"{prefix}-{i}", TemplateBody=json.dumps({"Resources": _topics(1)}))
    first = cfn.list_stacks()
    assert len(first["StackSummaries"]) == 100 and first["NextToken"]
    summaries = [s for p in cfn.get_paginator("list_stacks").paginate() for s in p["StackSummaries"]]
    assert len({s["StackId"] for s in summaries}) == len(summaries)  # no stack twice across pages
    assert {s["StackName"] for s in summaries if s["StackName"].startswith(prefix)} == {
        f"{prefix}-{i}" for i in range(101)}
    for i in range(101):
        cfn.delete_stack(StackName=f"{prefix}-{i}")
