"""The request path, traced hop by hop through the configuration.

A viewer's request travels domain -> alias record -> CloudFront (certificate, web ACL) ->
S3 through OAC for the site, or the API origin for ``/api/*`` -> API stage -> method ->
Cognito authorizer -> user pool, and the method's VPC_LINK integration -> VPC link -> NLB
(for an HTTP API, the same hops through its routes, JWT authorizer and VPC link v2 to an NLB
listener) -> listener -> target group -> Auto Scaling group -> healthy instances in private subnets
-> the app port through the security groups -> Secrets Manager (the app reads the DB
secret with its instance role, through the NAT gateway or an interface endpoint) -> the
database port -> RDS -> its secret.

This module names the hops, orders them and says which roles each starts from; the walk is
:mod:`probes.trace.engine` and the hop checks are in :mod:`probes.trace` by layer group,
each asking its question through the evaluators the layer probes use
(:mod:`probes.evaluators`, :mod:`probes.iam`, :mod:`probes.graph`, :mod:`probes.reads`).
:func:`trace` returns one :class:`Hop` per link; the e2e probe ``e2e.request_path`` fails
on the **first broken hop**, names the link, the resource ids, what was found, the fix,
and the layer suite to run next, with the whole table as evidence. Every read goes
through :mod:`probes.reads`, so after the layer suites ran the trace is nearly free (the
inventory memoizes).

One hop is a finding about the path rather than a break in it: "API stage → closed to
callers around the WAF" asks whether the API can be called without passing CloudFront and
its web ACL (the same question as ``waf.api_not_reachable_around_waf``, through
:func:`probes.bypass.api_bypass_closed`). An open bypass does not stop a legitimate request,
so the hop is ``exposed``, not ``broken``: it is never the first broken hop, marks no later
hop blocked, and fails the probe only when no hop cuts the path.
"""
from __future__ import annotations

from dataclasses import asdict
from typing import Any

from probes.inventory import Inventory
from probes.registry import probe
from probes.result import Finding, failed, passed, skipped
from probes.trace import api, compute, database, edge, engine, network, waf
from probes.trace.api import AUTH_IDENTITY_SOURCE
from probes.trace.edge import CLOUDFRONT_ZONE_ID, NO_DOMAIN
from probes.trace.engine import (
    BLOCKED,
    BROKEN,
    EXPOSED,
    OK,
    SKIPPED,
    Check,
    E2eExpect,
    Hop,
    first_broken,
    first_finding,
    hops_from_evidence,
    render_table,
)

__all__ = ["AUTH_IDENTITY_SOURCE", "BLOCKED", "BROKEN", "CHECKS", "CLOUDFRONT_ZONE_ID",
           "EXPOSED", "E2eExpect", "HOPS", "HOP_NEEDS", "Hop", "NO_DOMAIN", "OK", "SKIPPED",
           "first_broken", "first_finding", "hops_from_evidence", "render_table", "request_path",
           "trace"]

# Stable hop names: tests, faults (Fault.hop) and runbooks refer to these strings.
DOMAIN_ALIAS = "domain → alias record"
ALIAS_DISTRIBUTION = "alias record → distribution"
DISTRIBUTION_CERTIFICATE = "distribution → certificate"
VIEWER_DISTRIBUTION = "viewer → distribution"
DISTRIBUTION_WAF = "distribution → web ACL"
DISTRIBUTION_SITE = "distribution → site bucket (OAC)"
DISTRIBUTION_API = "distribution → API origin (/api/*)"
API_STAGE = "API origin → API stage"
API_BYPASS = "API stage → closed to callers around the WAF"
STAGE_METHOD = "API stage → method"
METHOD_AUTHORIZER = "method → authorizer"
AUTHORIZER_POOL = "authorizer → user pool"
METHOD_VPC_LINK = "method → VPC link integration"
VPC_LINK_NLB = "VPC link → NLB"
NLB_LISTENER = "NLB → listener"
LISTENER_TG = "listener → target group"
TG_ASG = "target group → Auto Scaling group"
ASG_INSTANCES = "Auto Scaling group → instances"
NLB_APP_PORT = "NLB → app port"
APP_SECRETS = "app tier → Secrets Manager"
APP_DB_PORT = "app tier → database port"
DB_INSTANCE = "database port → RDS instance"
DB_SECRET = "database → secret"

# The hops in the order a request travels them: (name, layer, check).
CHECKS: tuple[Check, ...] = (
    Check(DOMAIN_ALIAS, "dns", edge.domain_alias),
    Check(ALIAS_DISTRIBUTION, "dns", edge.alias_distribution),
    Check(DISTRIBUTION_CERTIFICATE, "dns", edge.certificate),
    Check(VIEWER_DISTRIBUTION, "edge", edge.viewer),
    Check(DISTRIBUTION_WAF, "waf", waf.web_acl),
    Check(DISTRIBUTION_SITE, "edge", edge.site_bucket),
    Check(DISTRIBUTION_API, "edge", edge.api_origin),
    Check(API_STAGE, "api", api.stage),
    Check(API_BYPASS, "waf", waf.api_bypass),
    Check(STAGE_METHOD, "api", api.method),
    Check(METHOD_AUTHORIZER, "api", api.authorizer),
    Check(AUTHORIZER_POOL, "auth", api.user_pool),
    Check(METHOD_VPC_LINK, "api", api.integration),
    Check(VPC_LINK_NLB, "api", api.vpc_link),
    Check(NLB_LISTENER, "compute", compute.listener),
    Check(LISTENER_TG, "compute", compute.target_group),
    Check(TG_ASG, "compute", compute.asg),
    Check(ASG_INSTANCES, "compute", compute.instances),
    Check(NLB_APP_PORT, "network", network.app_port),
    Check(APP_SECRETS, "network", network.secrets_manager),
    Check(APP_DB_PORT, "network", network.db_port),
    Check(DB_INSTANCE, "database", database.db_instance),
    Check(DB_SECRET, "database", database.db_secret),
)
HOPS = tuple(c.name for c in CHECKS)

# The roles a hop starts from: a stack where none plays them does not have that part of the
# path (a static site has no API, an API may have no CloudFront in front): the hop is
# skipped, naming what was followed, unless the environment requires the hop's layer. The
# API hops name a REST API; an HTTP API (its registry.ALTERNATIVES) meets the need, and
# each API hop then judges that kind.
_EDGE, _API = ("distribution",), ("rest_api",)
HOP_NEEDS: dict[str, tuple[str, ...]] = {
    DOMAIN_ALIAS: _EDGE, ALIAS_DISTRIBUTION: _EDGE, DISTRIBUTION_CERTIFICATE: _EDGE,
    VIEWER_DISTRIBUTION: _EDGE, DISTRIBUTION_WAF: _EDGE, DISTRIBUTION_SITE: _EDGE,
    DISTRIBUTION_API: _EDGE + _API, API_STAGE: _API, API_BYPASS: _EDGE + _API, STAGE_METHOD: _API,
    METHOD_AUTHORIZER: _API, AUTHORIZER_POOL: _API, METHOD_VPC_LINK: _API, VPC_LINK_NLB: _API,
    NLB_LISTENER: ("nlb",), LISTENER_TG: ("nlb",), TG_ASG: ("nlb", "auto_scaling_group"),
    ASG_INSTANCES: ("auto_scaling_group",), NLB_APP_PORT: ("nlb", "auto_scaling_group"),
    APP_SECRETS: ("auto_scaling_group", "db_instance"),
    APP_DB_PORT: ("auto_scaling_group", "db_instance"), DB_INSTANCE: ("db_instance",),
    DB_SECRET: ("db_instance",),
}


def trace(inv: Inventory, exp: Any) -> list[Hop]:
    """Every hop of the request path, in the order a request travels them."""
    return engine.trace(inv, exp, CHECKS, HOP_NEEDS)


@probe(layer="e2e", component="request-path",
       title="The request path is connected hop by hop, domain to database",
       severity="blocker", gate=True, challenge=10,
       remediation="Repair the first broken hop named above, then rerun its layer suite")
def request_path(inv: Inventory, exp: Any) -> Finding:
    hops = trace(inv, exp)
    evidence = {"hops": [asdict(h) for h in hops], "table": render_table(hops)}
    named = first_finding(hops)
    if named:
        # first_broken_hop names the hop this finding is about: the first that cuts the
        # path, else the first that could not be followed, else the first exposed one.
        others = [h.name for h in hops if h.status == BROKEN and h is not named]
        exposed = [h.name for h in hops if h.status == EXPOSED and h is not named]
        ends = f"{named.source} → {named.target}"
        where = f" ({ends})" if ends != named.name else ""
        observed = named.evidence + ("; the path itself is connected, this lets requests go "
                                     "around it" if named.status == EXPOSED else "")
        finding = failed(f"request path hop {named.index} '{named.name}'{where}", observed,
                         named.expected, named.fix, **evidence,
                         first_broken_hop=named.name,
                         other_broken_hops=others, exposed_hops=exposed)
        finding.next_step = f"{named.next_step} (layer {named.layer})" + (
            f"; {len(others)} later hop(s) also broken: {', '.join(others)}" if others else "") + (
            f"; exposed (not cutting the path): {', '.join(exposed)}" if exposed else "")
        return finding
    skipped_hops = [h.name for h in hops if h.status == SKIPPED]
    ok = sum(h.status == OK for h in hops)
    if not ok:
        return skipped("request path", f"has no hop in stack {inv.stack_name} to follow "
                       f"({hops[0].evidence if hops else 'no hops'})", **evidence)
    if any(h.evidence.startswith("not in this stack") for h in hops):
        parts = [h.name for h in hops if h.status == OK]
        return passed("request path", f"connects the {ok} hops this stack has ({parts[0]} … "
                      f"{parts[-1]}); {len(skipped_hops)} hop(s) not in this stack are skipped",
                      **evidence)
    note = f"; {len(skipped_hops)} skipped ({hops[0].evidence})" if skipped_hops else ""
    domain = engine.domain(inv, exp)
    return passed("request path", f"connects all {ok} hops from "
                  f"{'domain ' + domain if domain else 'the distribution'} "
                  f"to the database secret{note}", **evidence)
