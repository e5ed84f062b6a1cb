"""WAF probes: the CLOUDFRONT-scope WAFv2 web ACL in front of the distribution: association,
managed rule groups, rate limiting, default action, visibility and logging (us-east-1).
"""
from __future__ import annotations

from typing import Any

from probes import evaluators, reads
from probes.expectations import Strict, layer_expectations
from probes.inventory import Inventory
from probes.registry import probe
from probes.result import Finding, Missing, absent, failed, passed

# Where WAF may deliver logs: the destination's name must start with aws-waf-logs-.
LOG_DESTINATIONS = {"logs": ":log-group:aws-waf-logs-", "s3": ":::aws-waf-logs-",
                    "firehose": ":deliverystream/aws-waf-logs-"}


@layer_expectations("waf")
class WafExpect(Strict):
    rate_limit_max: int = 2000          # requests per 5 minutes per IP, at most
    default_action: str = "allow"       # allow | block
    required_rule_groups: tuple[str, ...] = ("AWSManagedRulesCommonRuleSet",
                                             "AWSManagedRulesSQLiRuleSet")


def _acl(inv: Inventory) -> dict:
    """The stack's web ACL; :class:`Missing` when there is none."""
    ref = reads.web_acl_ref(inv)
    if not ref:
        raise Missing(absent("WAF web ACL", "a CLOUDFRONT-scope web ACL in the stack (output "
                             "WebAclArn or resources.web_acl)"))
    acl = reads.web_acl(inv)
    if not acl:
        raise Missing(absent(f"web ACL {ref[0]} ({ref[1]}, {ref[2]})", "the web ACL to exist"))
    return acl


def _name(acl: dict) -> str:
    return f"web ACL {acl.get('Name')}"


def _action(action: dict | None) -> str:
    return next(iter(action), "none").lower() if action else "none"


@probe(layer="waf", component="association",
       title="The web ACL is associated with the distribution", severity="blocker", gate=True,
       # a web ACL a stack exports for others to attach is not judged without a distribution
       needs=("web_acl", "distribution"),
       remediation="Set the distribution's WebACLId to the web ACL's ARN (aws cloudfront "
                   "update-distribution); a CLOUDFRONT-scope ACL is attached from the "
                   "distribution, not with associate-web-acl")
def web_acl_associated(inv: Inventory, exp: Any) -> Finding:
    acl = _acl(inv)
    dist = reads.distribution(inv)
    if not dist:
        return absent("CloudFront distribution", "the distribution the web ACL protects")
    arn = acl.get("ARN")
    attached = (dist.get("DistributionConfig") or {}).get("WebACLId") or ""
    name = f"distribution {dist['Id']}"
    ev = {"web_acl_arn": arn, "distribution_web_acl_id": attached}
    if ":global/webacl/" not in (arn or ""):
        return failed(_name(acl), f"has scope {arn}", "scope CLOUDFRONT (global)",
                      "Recreate the web ACL with Scope CLOUDFRONT in us-east-1", **ev)
    if attached != arn:
        return failed(name, "has no web ACL" if not attached else f"uses web ACL {attached}",
                      f"web ACL {arn}", f"aws cloudfront update-distribution --id {dist['Id']} "
                      f"with WebACLId={arn}", **ev)
    return passed(name, f"is protected by {_name(acl)}", **ev)


@probe(layer="waf", component="rules",
       title="The AWS managed common and SQL-injection rule groups are active",
       severity="critical", gate=True,
       remediation="Add the AWS managed rule group to the web ACL with OverrideAction None "
                   "(not Count)")
def managed_rule_groups(inv: Inventory, exp: Any) -> list[Finding]:
    acl = _acl(inv)
    found: dict[str, dict] = {}
    for rule in acl.get("Rules") or []:
        mrg = (rule.get("Statement") or {}).get("ManagedRuleGroupStatement")
        if mrg and mrg.get("VendorName") == "AWS":
            found[mrg.get("Name")] = rule
    out = []
    for group in exp.waf.required_rule_groups:
        name = f"{_name(acl)} rule group {group}"
        rule = found.get(group)
        if not rule:
            out.append(absent(name, f"AWS managed rule group {group} in the web ACL",
                              f"Add a rule with ManagedRuleGroupStatement VendorName AWS, Name "
                              f"{group}", present=sorted(found)))
            continue
        override = _action(rule.get("OverrideAction"))
        if override == "count":
            out.append(failed(name, f"is in rule {rule.get('Name')} with OverrideAction Count "
                              "(matches are only counted)", "OverrideAction None (enforced)",
                              rule=rule))
        else:
            out.append(passed(name, f"is enforced by rule {rule.get('Name')}", rule=rule))
    return out


@probe(layer="waf", component="rules", title="A rate-based rule blocks floods",
       severity="critical", gate=True,
       remediation="Add a rate-based rule (AggregateKeyType IP) with Limit at most the "
                   "expected requests per 5 minutes and Action Block")
def rate_limit_rule(inv: Inventory, exp: Any) -> Finding:
    acl = _acl(inv)
    limit_max = exp.waf.rate_limit_max
    rates = [r for r in acl.get("Rules") or []
             if (r.get("Statement") or {}).get("RateBasedStatement")]
    want = f"a rate-based rule with Limit <= {limit_max} and Action Block"
    if not rates:
        return absent(f"{_name(acl)} rate-based rule", want,
                      rules=[r.get("Name") for r in acl.get("Rules") or []])
    good = [r for r in rates if r["Statement"]["RateBasedStatement"].get("Limit", 0) <= limit_max
            and _action(r.get("Action")) == "block"]
    summary = [{"name": r.get("Name"), "limit": r["Statement"]["RateBasedStatement"].get("Limit"),
                "action": _action(r.get("Action"))} for r in rates]
    if not good:
        desc = "; ".join(f"rule {s['name']} has Limit {s['limit']} and action {s['action']}"
                         for s in summary)
        return failed(_name(acl), desc, want, rate_rules=summary)
    r = good[0]
    return passed(_name(acl), f"rate rule {r.get('Name')} blocks above "
                  f"{r['Statement']['RateBasedStatement'].get('Limit')} requests / 5 min per IP",
                  rate_rules=summary)


@probe(layer="waf", component="rules", title="The web ACL's default action is as expected",
       severity="critical",
       remediation="Set the web ACL's DefaultAction to the expected action (Allow for a public "
                   "site whose rules block the bad traffic)")
def default_action(inv: Inventory, exp: Any) -> Finding:
    acl = _acl(inv)
    have, want = _action(acl.get("DefaultAction")), exp.waf.default_action.lower()
    if have != want:
        return failed(_name(acl), f"has default action {have}", f"default action {want}",
                      default_action=acl.get("DefaultAction"))
    return passed(_name(acl), f"has default action {have}", default_action=acl.get("DefaultAction"))


@probe(layer="waf", component="visibility",
       title="Metrics and sampled requests are on for the web ACL and every rule",
       severity="normal",
       remediation="Set VisibilityConfig CloudWatchMetricsEnabled and SampledRequestsEnabled to "
                   "true on the web ACL and on each rule")
def visibility_metrics(inv: Inventory, exp: Any) -> Finding:
    acl = _acl(inv)
    off = []
    for label, vc in [("the web ACL", acl.get("VisibilityConfig"))] + [
            (f"rule {r.get('Name')}", r.get("VisibilityConfig")) for r in acl.get("Rules") or []]:
        flags = [f for f in ("CloudWatchMetricsEnabled", "SampledRequestsEnabled")
                 if not (vc or {}).get(f)]
        if flags:
            off.append(f"{label} ({', '.join(flags)} off)")
    if off:
        return failed(_name(acl), f"has visibility off for {'; '.join(off)}",
                      "CloudWatch metrics and sampled requests on everywhere", off=off)
    return passed(_name(acl), f"has metrics and sampled requests on for the ACL and its "
                  f"{len(acl.get('Rules') or [])} rules")


def _acl_region(arn: str) -> str:
    """The region a web ACL lives in, from its ARN: us-east-1 for CLOUDFRONT scope, its own
    region for a REGIONAL ACL (arn:aws:wafv2:REGION:ACCOUNT:regional/webacl/NAME/ID)."""
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 and parts[3] else reads.CLOUDFRONT_REGION


def _logging_configuration(inv: Inventory, arn: str) -> dict | None:
    # WAF says "no logging" with WAFNonexistentItemException, which reads as missing.
    resp = inv.call("wafv2", "get_logging_configuration", missing_ok=True, ResourceArn=arn,
                    region=_acl_region(arn))
    return (resp or {}).get("LoggingConfiguration")


@probe(layer="waf", component="logging", title="WAF logging is on", severity="normal",
       challenge=10,
       remediation="Put a logging configuration on the web ACL with a destination named "
                   "aws-waf-logs-* (CloudWatch log group, S3 bucket or Firehose stream)")
def logging_enabled(inv: Inventory, exp: Any) -> Finding:
    acl = _acl(inv)
    cfg = _logging_configuration(inv, acl["ARN"])
    if not cfg or not cfg.get("LogDestinationConfigs"):
        return failed(_name(acl), "has no logging configuration",
                      "logs delivered to an aws-waf-logs-* destination",
                      f"aws wafv2 put-logging-configuration --region {_acl_region(acl['ARN'])} "
                      f"for {acl['ARN']}")
    dests = cfg["LogDestinationConfigs"]
    bad = [d for d in dests if not any(m in d for m in LOG_DESTINATIONS.values())]
    if bad:
        return failed(_name(acl), f"logs to {bad}", "a destination named aws-waf-logs-*",
                      logging=cfg)
    missing_groups = []
    for d in dests:
        if ":log-group:" in d and d.split(":")[3] == inv.session.region:
            group = d.split(":log-group:", 1)[1].removesuffix(":*")
            if not reads.log_group(inv, group):
                missing_groups.append(group)
    if missing_groups:
        return failed(_name(acl), f"logs to log group(s) {missing_groups} that do not exist",
                      "an existing aws-waf-logs-* log group", logging=cfg)
    return passed(_name(acl), f"logs to {', '.join(dests)}", logging=cfg)


def ip_sets(inv: Inventory, acl: dict) -> dict[str, dict]:
    """{ARN: IP set} for the IP sets the web ACL's rules reference, read in the ACL's scope."""
    out = {}
    for arn in evaluators.ip_set_arns(acl):
        parts = arn.split(":", 5)
        region, path = parts[3], parts[5].split("/")
        scope = "CLOUDFRONT" if path[0] == "global" else "REGIONAL"
        resp = inv.call("wafv2", "get_ip_set", missing_ok=True, Name=path[2], Id=path[3], Scope=scope,
                        region=reads.CLOUDFRONT_REGION if scope == "CLOUDFRONT" else region)
        if resp:
            out[arn] = resp.get("IPSet") or {}
    return out


@probe(layer="waf", component="rules", title="No rule blocks every ordinary request",
       severity="blocker", gate=True, challenge=6,
       remediation="Remove the rule, narrow its match (an IP set of real offenders, not "
                   "0.0.0.0/0), or set its action to Count while you investigate")
def no_rule_blocks_everyone(inv: Inventory, exp: Any) -> Finding:
    acl = _acl(inv)
    blocking = evaluators.waf_rules_blocking_everyone(acl, ip_sets(inv, acl))
    if blocking:
        name, priority, why = blocking[0]
        return failed(_name(acl), f"has rule {name} (priority {priority}) that blocks every request: "
                      f"{why}", "no Block rule matching every request (viewers get 403 from CloudFront)",
                      f"aws wafv2 get-web-acl ... then update-web-acl without rule {name} (or with "
                      "its IP set narrowed / action Count)",
                      rules=[{"name": n, "priority": p, "why": w} for n, p, w in blocking])
    return passed(_name(acl), f"has no Block rule matching every request ({len(acl.get('Rules') or [])} "
                  "rule(s) read)")
