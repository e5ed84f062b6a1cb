"""API layer faults: stage settings, the Cognito authorizer, and the private integration
(VPC link -> internal NLB -> app port). Each is something an operator can do in the
console or CLI; method changes go through delete_method/put_method/put_integration, the
calls a person recreating a method in the console makes."""
from __future__ import annotations

from probes import path as p
from tests.faults import anystack as any_
from tests.faults.catalog import Fault

# tests/e2e/test_trace.py injects it in the catalog's form
identity_source_changed = any_.on_lab_stack(any_.identity_source_changed)


FAULTS = [
    Fault("api-stage-deleted", any_.on_lab_stack(any_.stage_deleted),
          ("api.stage_deployed", "api.stage_access_logging", "api.stage_metrics_enabled",
           "api.stage_throttling"), mentions=("was not found",),
          also_breaks=("stack.resources_exist", "e2e.request_path")),
    Fault("api-access-logging-removed",
          any_.on_lab_stack(any_.access_logging_removed),
          ("api.stage_access_logging",), challenge=10, mentions=("no access logging",)),
    Fault("api-metrics-disabled",
          any_.on_lab_stack(any_.metrics_disabled),
          ("api.stage_metrics_enabled",), challenge=10, mentions=("metrics disabled",)),
    Fault("api-throttling-loosened",
          any_.on_lab_stack(any_.throttling_loosened),
          ("api.stage_throttling",), mentions=("burst 5000",)),
    Fault("api-items-method-public", any_.on_lab_stack(any_.method_public), ("api.methods_authorized",), challenge=7,
          mentions=("GET /api/items", "authorization NONE"), also_breaks=("e2e.request_path",)),
    Fault("api-authorizer-other-pool", any_.on_lab_stack(any_.authorizer_other_pool),
          ("api.authorizer_trusts_stack_pool", "auth.jwt_flow"), challenge=7,
          mentions=("cognito-staging",), also_breaks=("e2e.request_path",)),
    Fault("api-identity-source-changed", identity_source_changed,
          ("api.authorizer_identity_source",), challenge=7, mentions=("X-Id-Token",)),
    Fault("api-integration-over-internet", any_.on_lab_stack(any_.integration_over_internet),
          ("api.integrations_via_vpc_link",), challenge=2, mentions=("over INTERNET",), also_breaks=("e2e.request_path",)),
    Fault("api-integration-not-proxy", any_.on_lab_stack(any_.integration_not_proxy),
          ("api.integrations_via_vpc_link",), challenge=2, mentions=("is HTTP over VPC_LINK",)),
    Fault("api-vpc-link-other-nlb", any_.on_lab_stack(any_.vpc_link_other_nlb), ("api.vpc_link_targets_nlb",), challenge=2,
          mentions=("targets arn:",), also_breaks=("e2e.request_path",)),
    Fault("api-vpc-link-failed", any_.on_lab_stack(any_.vpc_link_failed), ("api.vpc_link_targets_nlb",), challenge=2,
          mentions=("is FAILED",), also_breaks=("e2e.request_path",), via="emulator-state",
          why="API Gateway sets a VPC link's status itself (FAILED when it cannot attach to the "
              "NLB); no API sets it and moto makes every link AVAILABLE at once"),
    Fault("api-nlb-internet-facing", any_.on_lab_stack(any_.nlb_internet_facing), ("api.nlb_internal",), challenge=2,
          mentions=("internet-facing",), via="emulator-state",
          why="an NLB's scheme is fixed at creation; the real-world fault is an NLB created "
              "internet-facing, which in place of the stack's would change its ARN and every "
              "reference to it"),
    Fault("api-listener-wrong-port", any_.on_lab_stack(any_.listener_wrong_port), ("api.nlb_listener_forwards",),
          challenge=2, mentions=("TCP:9090",), also_breaks=("e2e.request_path",)),

    Fault("api-throttled-to-zero",
          any_.on_lab_stack(any_.throttled_to_zero),
          ("api.stage_throttling",), mentions=("rate 0",), hop=p.API_STAGE),
    Fault("api-origin-secret-rotated-in-policy-only",
          any_.on_lab_stack(any_.origin_secret_rotated_in_policy_only),
          ("api.resource_policy_admits_callers",), challenge=7, mentions=("denies execute-api:Invoke",),
          # the WAF-bypass probe sees the same mismatch: CloudFront is refused too
          also_breaks=("waf.api_not_reachable_around_waf",), hop=p.API_STAGE),
]
