"""Fault → the hop the request-path trace must name first (issue: end to end).

A catalog fault that breaks the user's request path must make ``e2e.request_path`` fail
and name exactly this hop; a fault not listed here (and without ``Fault.hop``) must leave
the trace passing."""
from probes import path as p

FAULT_HOPS = {
    "net-app-port-closed": p.NLB_APP_PORT,
    "net-private-default-route-to-igw": p.ASG_INSTANCES,
    "cmp-target-group-detached": p.TG_ASG,
    "cmp-scaled-to-zero": p.ASG_INSTANCES,
    "db-stopped": p.DB_INSTANCE,
    "db-password-unmanaged": p.DB_SECRET,
    "db-secret-force-deleted": p.DB_SECRET,
    "db-secret-scheduled-deletion": p.DB_SECRET,
    "dns-hosted-zone-deleted": p.DOMAIN_ALIAS,
    "dns-alias-points-elsewhere": p.ALIAS_DISTRIBUTION,
    "edge-distribution-disabled": p.VIEWER_DISTRIBUTION,
    "edge-domain-alias-removed": p.DISTRIBUTION_CERTIFICATE,
    "edge-oac-removed": p.DISTRIBUTION_SITE,
    "edge-origin-uses-oai": p.DISTRIBUTION_SITE,
    "edge-oac-signing-never": p.DISTRIBUTION_SITE,
    "edge-api-behaviour-to-site": p.DISTRIBUTION_API,
    "waf-web-acl-disassociated": p.DISTRIBUTION_WAF,
    "api-stage-deleted": p.API_STAGE,
    "api-items-method-public": p.METHOD_AUTHORIZER,
    "api-authorizer-other-pool": p.AUTHORIZER_POOL,
    "api-integration-over-internet": p.METHOD_VPC_LINK,
    "api-listener-wrong-port": p.METHOD_VPC_LINK,
    "api-vpc-link-other-nlb": p.VPC_LINK_NLB,
    "api-vpc-link-failed": p.VPC_LINK_NLB,
    # The edge strips the token, the WAF blocks everyone, the authorizer looks elsewhere:
    # every API call is 403/401.
    "edge-api-authorization-not-forwarded": p.DISTRIBUTION_API,
    "waf-default-action-block": p.DISTRIBUTION_WAF,
    "api-identity-source-changed": p.METHOD_AUTHORIZER,
    # The app cannot fetch its DB secret (no egress / no permission): /health reports the
    # database unreachable.
    "net-nat-gateway-deleted": p.APP_SECRETS,
    "db-secret-not-readable-by-app": p.APP_SECRETS,
    "db-secret-denied-by-guardrail": p.APP_SECRETS,
    "cmp-db-secret-policy-removed": p.APP_SECRETS,
}
