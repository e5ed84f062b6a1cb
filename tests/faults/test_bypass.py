"""api_bypass_closed names the control that closes the execute-api endpoint, and refuses a
resource policy that CloudFront itself cannot satisfy."""
from __future__ import annotations

from probes.bypass import api_bypass_closed
from tests.faults.anystack import lab_target
from tests.faults.f_dns import update_distribution


def test_the_bundled_stack_is_closed_by_its_resource_policy(healthy):
    closed, control, detail = api_bypass_closed(healthy.inventory())
    assert (closed, control) == (True, "resource policy"), detail


def test_a_private_endpoint_closes_it(lab):
    stack = lab.deploy()
    stack.client("apigateway").update_rest_api(
        restApiId=lab_target(stack).role("rest_api"),
        patchOperations=[{"op": "replace", "path": "/policy", "value": ""},
                         {"op": "replace", "path": "/endpointConfiguration/types/REGIONAL",
                          "value": "PRIVATE"}])
    closed, control, detail = api_bypass_closed(stack.inventory())
    assert (closed, control) == (True, "private endpoint"), detail


def test_a_policy_cloudfront_cannot_satisfy_does_not_count(lab):
    stack = lab.deploy()

    def drop_headers(config: dict) -> None:
        for origin in config["Origins"]["Items"]:
            origin["CustomHeaders"] = {"Quantity": 0, "Items": []}

    update_distribution(stack, drop_headers)
    closed, control, detail = api_bypass_closed(stack.inventory())
    assert (closed, control) == (False, "resource policy"), detail
    assert "CloudFront is refused too" in detail
