"""WAF faults: the CLOUDFRONT-scope web ACL loses its association, rules, visibility or
logging, each through the WAFv2 / CloudFront APIs in us-east-1."""
from __future__ import annotations

from probes import path as p
from tests.faults import anystack as any_
from tests.faults.catalog import Fault

# tests/e2e/test_trace.py injects it in the catalog's form
default_block = any_.on_lab_stack(any_.waf_default_block)


FAULTS = [
    Fault(id="waf-web-acl-disassociated", inject=any_.on_lab_stack(any_.web_acl_disassociated),
          also_breaks=("e2e.request_path",),
          breaks=("waf.web_acl_associated",), mentions=("has no web ACL",)),
    Fault(id="waf-rate-rule-deleted", inject=any_.on_lab_stack(any_.waf_rate_rule_deleted), breaks=("waf.rate_limit_rule",),
          mentions=("rate-based rule",)),
    Fault(id="waf-rate-limit-100000", inject=any_.on_lab_stack(any_.waf_rate_limit_raised), breaks=("waf.rate_limit_rule",),
          mentions=("100000",)),
    Fault(id="waf-rate-rule-count-only", inject=any_.on_lab_stack(any_.waf_rate_rule_count), breaks=("waf.rate_limit_rule",),
          mentions=("action count",)),
    Fault(id="waf-sqli-group-dropped", inject=any_.on_lab_stack(any_.waf_sqli_dropped), breaks=("waf.managed_rule_groups",),
          mentions=("AWSManagedRulesSQLiRuleSet",)),
    Fault(id="waf-common-group-count-only", inject=any_.on_lab_stack(any_.waf_common_count),
          breaks=("waf.managed_rule_groups",), mentions=("OverrideAction Count",)),
    Fault(id="waf-default-action-block", inject=default_block, breaks=("waf.default_action",),
          mentions=("default action block",)),
    Fault(id="waf-metrics-off", inject=any_.on_lab_stack(any_.waf_metrics_off), breaks=("waf.visibility_metrics",),
          mentions=("AWSManagedRulesSQLiRuleSet", "the web ACL")),
    Fault(id="waf-logging-deleted", inject=any_.on_lab_stack(any_.waf_logging_deleted), breaks=("waf.logging_enabled",),
          challenge=10, mentions=("no logging configuration",)),

    Fault(id="waf-rule-blocks-everyone", inject=any_.on_lab_stack(any_.rule_blocks_everyone),
          breaks=("waf.no_rule_blocks_everyone",),
          challenge=6, mentions=("EmergencyBlock", "0.0.0.0/0"), hop=p.DISTRIBUTION_WAF),
]
