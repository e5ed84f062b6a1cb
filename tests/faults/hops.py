"""Fault → the hop the request-path trace must name first (issue: end to end).

A catalog fault that breaks the user's request path must make ``e2e.request_path`` fail
and name exactly this hop; a fault not listed here (and without ``Fault.hop``) must leave
the trace passing."""
from probes import path

FAULT_HOPS = {
    "net-app-port-closed": path.NLB_APP_PORT,
    "net-private-default-route-to-igw": path.ASG_INSTANCES,
    "cmp-target-group-detached": path.TG_ASG,
    "cmp-scaled-to-zero": path.ASG_INSTANCES,
    "db-stopped": path.DB_INSTANCE,
    "db-password-unmanaged": path.DB_SECRET,
    "db-secret-force-deleted": path.DB_SECRET,
    "db-secret-scheduled-deletion": path.DB_SECRET,
    "dns-hosted-zone-deleted": path.DOMAIN_ALIAS,
    "dns-alias-points-elsewhere": path.ALIAS_DISTRIBUTION,
    "edge-distribution-disabled": path.VIEWER_DISTRIBUTION,
    "edge-domain-alias-removed": path.DISTRIBUTION_CERTIFICATE,
    "edge-oac-removed": path.DISTRIBUTION_SITE,
    "edge-origin-uses-oai": path.DISTRIBUTION_SITE,
    "edge-oac-signing-never": path.DISTRIBUTION_SITE,
    "edge-api-behaviour-to-site": path.DISTRIBUTION_API,
    "waf-web-acl-disassociated": path.DISTRIBUTION_WAF,
    "api-stage-deleted": path.API_STAGE,
    "api-items-method-public": path.METHOD_AUTHORIZER,
    "api-authorizer-other-pool": path.AUTHORIZER_POOL,
    "api-integration-over-internet": path.METHOD_VPC_LINK,
    "api-listener-wrong-port": path.METHOD_VPC_LINK,
    "api-vpc-link-other-nlb": path.VPC_LINK_NLB,
    "api-vpc-link-failed": path.VPC_LINK_NLB,
    # The edge strips the token, the WAF blocks everyone, the authorizer looks elsewhere:
    # every API call is 403/401.
    "edge-api-authorization-not-forwarded": path.DISTRIBUTION_API,
    "waf-default-action-block": path.DISTRIBUTION_WAF,
    "api-identity-source-changed": path.METHOD_AUTHORIZER,
    # The app cannot fetch its DB secret (no egress / no permission): /health reports the
    # database unreachable.
    "net-nat-gateway-deleted": path.APP_SECRETS,
    "db-secret-not-readable-by-app": path.APP_SECRETS,
    "db-secret-denied-by-guardrail": path.APP_SECRETS,
    "cmp-db-secret-policy-removed": path.APP_SECRETS,
    # The API answers anyone at its execute-api endpoint: the path still connects, but the
    # trace names the exposed hop (probes.path: exposed, not broken).
    "waf-api-resource-policy-removed": path.API_BYPASS,
}
