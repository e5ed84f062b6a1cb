"""WAF faults: the CLOUDFRONT-scope web ACL loses its association, rules, visibility or
logging, each through the WAFv2 / CloudFront APIs in us-east-1."""
from __future__ import annotations

from typing import Any, Callable

from probes import path as p
from tests.faults import anystack as any_
from tests.faults.catalog import Fault


def _update_acl(stack: Any, change: Callable[[dict], None]) -> None:
    """Read-modify-write the web ACL (its lock token guards the write)."""
    waf = stack.client("wafv2")
    arn = stack.outputs["WebAclArn"]
    name, acl_id = arn.split("/")[-2:]
    resp = waf.get_web_acl(Name=name, Id=acl_id, Scope="CLOUDFRONT")
    acl = resp["WebACL"]
    change(acl)
    waf.update_web_acl(Name=name, Id=acl_id, Scope="CLOUDFRONT", LockToken=resp["LockToken"],
                       DefaultAction=acl["DefaultAction"], Rules=acl["Rules"],
                       VisibilityConfig=acl["VisibilityConfig"])


def _rate_rule(acl: dict) -> dict:
    return next(r for r in acl["Rules"] if "RateBasedStatement" in r["Statement"])


def _group_rule(acl: dict, group: str) -> dict:
    return next(r for r in acl["Rules"]
                if r["Statement"].get("ManagedRuleGroupStatement", {}).get("Name") == group)


def rate_rule_deleted(stack: Any) -> None:
    _update_acl(stack, lambda acl: acl["Rules"].remove(_rate_rule(acl)))


def rate_limit_raised(stack: Any) -> None:
    _update_acl(stack, lambda acl: _rate_rule(acl)["Statement"]["RateBasedStatement"]
                .__setitem__("Limit", 100000))


def rate_rule_count(stack: Any) -> None:
    _update_acl(stack, lambda acl: _rate_rule(acl).__setitem__("Action", {"Count": {}}))


def sqli_dropped(stack: Any) -> None:
    _update_acl(stack, lambda acl: acl["Rules"].remove(
        _group_rule(acl, "AWSManagedRulesSQLiRuleSet")))


def common_count(stack: Any) -> None:
    _update_acl(stack, lambda acl: _group_rule(acl, "AWSManagedRulesCommonRuleSet")
                .__setitem__("OverrideAction", {"Count": {}}))


def default_block(stack: Any) -> None:
    _update_acl(stack, lambda acl: acl.__setitem__("DefaultAction", {"Block": {}}))


def metrics_off(stack: Any) -> None:
    def change(acl: dict) -> None:
        _group_rule(acl, "AWSManagedRulesSQLiRuleSet")["VisibilityConfig"][
            "CloudWatchMetricsEnabled"] = False
        acl["VisibilityConfig"]["SampledRequestsEnabled"] = False
    _update_acl(stack, change)


def logging_deleted(stack: Any) -> None:
    stack.client("wafv2").delete_logging_configuration(ResourceArn=stack.outputs["WebAclArn"])

FAULTS = [
    Fault(id="waf-web-acl-disassociated", inject=any_.on_lab_stack(any_.web_acl_disassociated),
          also_breaks=("e2e.request_path",),
          breaks=("waf.web_acl_associated",), mentions=("has no web ACL",)),
    Fault(id="waf-rate-rule-deleted", inject=rate_rule_deleted, breaks=("waf.rate_limit_rule",),
          mentions=("rate-based rule",)),
    Fault(id="waf-rate-limit-100000", inject=rate_limit_raised, breaks=("waf.rate_limit_rule",),
          mentions=("100000",)),
    Fault(id="waf-rate-rule-count-only", inject=rate_rule_count, breaks=("waf.rate_limit_rule",),
          mentions=("action count",)),
    Fault(id="waf-sqli-group-dropped", inject=sqli_dropped, breaks=("waf.managed_rule_groups",),
          mentions=("AWSManagedRulesSQLiRuleSet",)),
    Fault(id="waf-common-group-count-only", inject=common_count,
          breaks=("waf.managed_rule_groups",), mentions=("OverrideAction Count",)),
    Fault(id="waf-default-action-block", inject=default_block, breaks=("waf.default_action",),
          mentions=("default action block",)),
    Fault(id="waf-metrics-off", inject=metrics_off, breaks=("waf.visibility_metrics",),
          mentions=("AWSManagedRulesSQLiRuleSet", "the web ACL")),
    Fault(id="waf-logging-deleted", inject=logging_deleted, breaks=("waf.logging_enabled",),
          challenge=10, mentions=("no logging configuration",)),

    Fault(id="waf-rule-blocks-everyone", inject=any_.on_lab_stack(any_.rule_blocks_everyone), breaks=("waf.no_rule_blocks_everyone",),
          challenge=6, mentions=("EmergencyBlock", "0.0.0.0/0"), hop=p.DISTRIBUTION_WAF),
]
