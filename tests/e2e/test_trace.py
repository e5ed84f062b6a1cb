"""The request-path trace on the emulator: every hop connects on the healthy stack, and
each path-breaking fault (injected through AWS APIs on a fresh stack) is named as the
FIRST broken hop, with the resource ids, the fix and the layer suite to run next."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import pytest

from probes import path, registry
from tests.faults import f_api, f_database, f_edge, f_network, f_waf
from tests.faults.f_dns import update_distribution

PROBE = "e2e.request_path"


# ---- injections (what an operator does in the console or CLI) ---------------------------
def _site_origin(cfg: dict) -> dict:
    default = cfg["DefaultCacheBehavior"]["TargetOriginId"]
    return next(o for o in cfg["Origins"]["Items"] if o["Id"] == default)


def _api_origin(cfg: dict) -> dict:
    target = next(b for b in cfg["CacheBehaviors"]["Items"] if b["PathPattern"] == "/api/*")
    return next(o for o in cfg["Origins"]["Items"] if o["Id"] == target["TargetOriginId"])


def waf_disassociated(stack: Any) -> None:
    update_distribution(stack, lambda c: c.update(WebACLId=""))


def distribution_disabled(stack: Any) -> None:
    update_distribution(stack, lambda c: c.update(Enabled=False))


def oac_dropped(stack: Any) -> None:
    update_distribution(stack, lambda c: _site_origin(c).update(OriginAccessControlId=""))


def bucket_policy_deleted(stack: Any) -> None:
    stack.client("s3").delete_bucket_policy(Bucket=stack.outputs["SiteBucketName"])


def api_origin_wrong_stage(stack: Any) -> None:
    update_distribution(stack, lambda c: _api_origin(c).update(OriginPath="/staging"))


def stage_deleted(stack: Any) -> None:
    stack.client("apigateway").delete_stage(restApiId=stack.outputs["RestApiId"],
                                            stageName=stack.outputs["ApiStageName"])


def _method(stack: Any, path: str) -> tuple[Any, str, str, dict]:
    apigw, api = stack.client("apigateway"), stack.outputs["RestApiId"]
    rid = next(r["id"] for r in apigw.get_resources(restApiId=api)["items"] if r["path"] == path)
    return apigw, api, rid, apigw.get_integration(restApiId=api, resourceId=rid, httpMethod="GET")


def _integration(integ: dict, **overrides: Any) -> dict:
    keys = {"type": "type", "httpMethod": "integrationHttpMethod", "uri": "uri",
            "connectionType": "connectionType", "connectionId": "connectionId"}
    args = {arg: integ[k] for k, arg in keys.items() if integ.get(k)}
    args.update(overrides)
    return {k: v for k, v in args.items() if v is not None}


def _recreate_items_method(stack: Any, **method: Any) -> None:
    """Delete and put GET /api/items again (UpdateMethod is what a person would use; the
    emulator lacks it, and delete+put is what recreating it in the console does)."""
    apigw, api, rid, integ = _method(stack, "/api/items")
    apigw.delete_method(restApiId=api, resourceId=rid, httpMethod="GET")
    apigw.put_method(restApiId=api, resourceId=rid, httpMethod="GET", **method)
    apigw.put_integration(restApiId=api, resourceId=rid, httpMethod="GET", **_integration(integ))


def method_public(stack: Any) -> None:
    _recreate_items_method(stack, authorizationType="NONE")


def authorizer_other_pool(stack: Any) -> None:
    other = stack.client("cognito-idp").create_user_pool(PoolName=f"{stack.name}-other")
    auth = stack.client("apigateway").create_authorizer(
        restApiId=stack.outputs["RestApiId"], name="other", type="COGNITO_USER_POOLS",
        providerARNs=[other["UserPool"]["Arn"]], identitySource="method.request.header.Authorization")
    _recreate_items_method(stack, authorizationType="COGNITO_USER_POOLS", authorizerId=auth["id"])


def integration_over_internet(stack: Any) -> None:
    apigw, api, rid, integ = _method(stack, "/api/items")
    apigw.put_integration(restApiId=api, resourceId=rid, httpMethod="GET",
                          **_integration(integ, connectionType="INTERNET", connectionId=None))


def vpc_link_other_nlb(stack: Any) -> None:
    other = stack.client("elbv2").create_load_balancer(
        Name=f"other-{stack.name}"[-32:], Type="network", Scheme="internal",
        Subnets=stack.outputs["AppSubnetIds"].split(","))["LoadBalancers"][0]["LoadBalancerArn"]
    link = stack.client("apigateway").create_vpc_link(name=f"{stack.name}-other",
                                                      targetArns=[other])
    apigw, api, rid, integ = _method(stack, "/api/items")
    apigw.put_integration(restApiId=api, resourceId=rid, httpMethod="GET",
                          **_integration(integ, connectionId=link["id"]))


def listener_deleted(stack: Any) -> None:
    elbv2 = stack.client("elbv2")
    for x in elbv2.describe_listeners(LoadBalancerArn=stack.outputs["NlbArn"])["Listeners"]:
        elbv2.delete_listener(ListenerArn=x["ListenerArn"])


def target_group_detached(stack: Any) -> None:
    stack.client("autoscaling").detach_load_balancer_target_groups(
        AutoScalingGroupName=stack.outputs["AutoScalingGroupName"],
        TargetGroupARNs=[stack.outputs["TargetGroupArn"]])


def instances_unhealthy(stack: Any) -> None:
    asg = stack.client("autoscaling")
    group = asg.describe_auto_scaling_groups(
        AutoScalingGroupNames=[stack.outputs["AutoScalingGroupName"]])["AutoScalingGroups"][0]
    for i in group["Instances"]:
        asg.set_instance_health(InstanceId=i["InstanceId"], HealthStatus="Unhealthy",
                                ShouldRespectGracePeriod=False)


def targets_deregistered(stack: Any) -> None:
    elbv2, tg = stack.client("elbv2"), stack.outputs["TargetGroupArn"]
    targets = [t["Target"] for t in elbv2.describe_target_health(TargetGroupArn=tg)
               ["TargetHealthDescriptions"]]
    elbv2.deregister_targets(TargetGroupArn=tg, Targets=targets)


def _ingress_rules(stack: Any, group_id: str) -> list[dict]:
    return stack.client("ec2").describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0][
        "IpPermissions"]


def app_port_closed(stack: Any) -> None:
    sg = stack.outputs["AppSecurityGroupId"]
    rules = [r for r in _ingress_rules(stack, sg) if r.get("FromPort") == 8080]
    stack.client("ec2").revoke_security_group_ingress(GroupId=sg, IpPermissions=rules)


def db_ingress_removed(stack: Any) -> None:
    sg = stack.outputs["DbSecurityGroupId"]
    rules = [r for r in _ingress_rules(stack, sg) if r.get("FromPort") == 5432]
    stack.client("ec2").revoke_security_group_ingress(GroupId=sg, IpPermissions=rules)


def app_egress_to_db_removed(stack: Any) -> None:
    sg = stack.outputs["AppSecurityGroupId"]
    ec2 = stack.client("ec2")
    rules = [r for r in ec2.describe_security_groups(GroupIds=[sg])["SecurityGroups"][0]
             ["IpPermissionsEgress"] if r.get("FromPort") == 5432]
    ec2.revoke_security_group_egress(GroupId=sg, IpPermissions=rules)


def db_stopped(stack: Any) -> None:
    stack.client("rds").stop_db_instance(DBInstanceIdentifier=stack.outputs["DbInstanceIdentifier"])


def db_secret_deleted(stack: Any) -> None:
    stack.client("secretsmanager").delete_secret(SecretId=stack.outputs["DbSecretArn"],
                                                 ForceDeleteWithoutRecovery=True)


def db_secret_scheduled_for_deletion(stack: Any) -> None:
    stack.client("secretsmanager").delete_secret(SecretId=stack.outputs["DbSecretArn"],
                                                 RecoveryWindowInDays=7)


# ---- the table: fault -> the hop the trace must name first ------------------------------
@dataclass(frozen=True)
class PathFault:
    id: str
    inject: Callable[[Any], None]
    hop: str
    mentions: tuple[str, ...] = ()   # output keys whose values the message must contain

    def __str__(self) -> str:
        return self.id


FAULTS = [
    PathFault("distribution-disabled", distribution_disabled, path.VIEWER_DISTRIBUTION,
              ("DistributionId",)),
    PathFault("waf-disassociated", waf_disassociated, path.DISTRIBUTION_WAF, ("DistributionId",)),
    PathFault("oac-dropped", oac_dropped, path.DISTRIBUTION_SITE, ("DistributionId",)),
    PathFault("bucket-policy-deleted", bucket_policy_deleted, path.DISTRIBUTION_SITE,
              ("SiteBucketName",)),
    PathFault("waf-default-action-block", f_waf.default_block, path.DISTRIBUTION_WAF,
              ("DistributionId",)),
    PathFault("api-origin-wrong-stage", api_origin_wrong_stage, path.DISTRIBUTION_API),
    PathFault("api-authorization-not-forwarded", f_edge.authorization_dropped,
              path.DISTRIBUTION_API, ("DistributionId",)),
    PathFault("stage-deleted", stage_deleted, path.API_STAGE, ("RestApiId",)),
    PathFault("method-public", method_public, path.METHOD_AUTHORIZER, ("RestApiId",)),
    PathFault("identity-source-changed", f_api.identity_source_changed, path.METHOD_AUTHORIZER,
              ("RestApiId",)),
    PathFault("authorizer-other-pool", authorizer_other_pool, path.AUTHORIZER_POOL),
    PathFault("integration-over-internet", integration_over_internet, path.METHOD_VPC_LINK,
              ("RestApiId",)),
    PathFault("vpc-link-other-nlb", vpc_link_other_nlb, path.VPC_LINK_NLB, ("NlbArn",)),
    PathFault("listener-deleted", listener_deleted, path.NLB_LISTENER, ("NlbArn",)),
    PathFault("target-group-detached", target_group_detached, path.TG_ASG,
              ("AutoScalingGroupName", "TargetGroupArn")),
    PathFault("instances-unhealthy", instances_unhealthy, path.ASG_INSTANCES,
              ("AutoScalingGroupName",)),
    PathFault("targets-deregistered", targets_deregistered, path.ASG_INSTANCES,
              ("AutoScalingGroupName",)),
    PathFault("app-port-closed", app_port_closed, path.NLB_APP_PORT, ("AppSecurityGroupId",)),
    PathFault("nat-gateway-deleted", f_network._delete_nat, path.APP_SECRETS),
    PathFault("secret-not-readable-by-app", f_database._role_reads_other_secret, path.APP_SECRETS,
              ("InstanceRoleName", "DbSecretArn")),
    PathFault("db-ingress-removed", db_ingress_removed, path.APP_DB_PORT,
              ("DbSecurityGroupId", "AppSecurityGroupId")),
    PathFault("app-egress-to-db-removed", app_egress_to_db_removed, path.APP_DB_PORT,
              ("AppSecurityGroupId",)),
    PathFault("db-stopped", db_stopped, path.DB_INSTANCE, ("DbInstanceIdentifier",)),
    PathFault("db-secret-deleted", db_secret_deleted, path.DB_SECRET, ("DbSecretArn",)),
    PathFault("db-secret-scheduled-for-deletion", db_secret_scheduled_for_deletion,
              path.DB_SECRET, ("DbSecretArn",)),
]


def _layer_of(hop: str) -> str:
    return next(layer for name, layer, _ in path.CHECKS if name == hop)


# A broken hop names the layer that owns its cause when that is not the hop's own layer.
LAYER_OF_CAUSE = {"secret-not-readable-by-app": "compute"}


def test_every_hop_has_a_stable_name_and_a_layer():
    assert tuple(n for n, _, _ in path.CHECKS) == path.HOPS
    assert len(set(path.HOPS)) == len(path.HOPS)


def test_healthy_stack_connects_every_hop(lab, healthy):
    # the default stack serves a domain of its own (environments/local.yaml): every hop runs
    table = path.trace(healthy.inventory(), lab.expectations)
    bad = [h for h in table if h.status != path.OK]
    assert not bad, path.render_table(table)
    outcome = lab.run(healthy, [PROBE])[PROBE]
    assert outcome.status == "passed", outcome.summary()
    assert f"request path connects all {len(path.HOPS)} hops from domain www." in outcome.findings[0].message


def test_without_a_domain_the_dns_hops_are_skipped_and_the_rest_connect(lab):
    stack = lab.deploy(parameters={"DomainName": ""})
    table = path.trace(stack.inventory(), lab.expectations)
    bad = [h for h in table if h.status not in (path.OK, path.SKIPPED)]
    assert not bad, path.render_table(table)
    skipped = {h.name for h in table if h.status == path.SKIPPED}
    assert skipped == {path.DOMAIN_ALIAS, path.ALIAS_DISTRIBUTION, path.DISTRIBUTION_CERTIFICATE}
    assert all(h.evidence == path.NO_DOMAIN for h in table if h.status == path.SKIPPED)
    outcome = lab.run(stack, [PROBE])[PROBE]
    assert outcome.status == "passed", outcome.summary()
    assert f"request path connects all {len(path.HOPS) - 3} hops" in outcome.findings[0].message


@pytest.mark.parametrize("fault", FAULTS, ids=str)
def test_fault_names_the_first_broken_hop(lab, fault):
    stack = lab.deploy()
    fault.inject(stack)
    outcome = lab.run(stack, [PROBE])[PROBE]
    assert outcome.status == "failed", f"{fault.id}: {outcome.summary()}"
    finding = outcome.failures[0]
    table = finding.evidence["table"]
    assert finding.evidence["first_broken_hop"] == fault.hop, table
    text = finding.message
    assert f"'{fault.hop}'" in text and "; expected " in text and " Fix: " in text, text
    assert f"Next: pytest -m {LAYER_OF_CAUSE.get(fault.id) or _layer_of(fault.hop)}" in text, text
    for key in fault.mentions:
        assert stack.outputs[key] in text, f"{fault.id}: the message should name {key}: {text}"
    assert [h["name"] for h in finding.evidence["hops"]] == list(path.HOPS)


def test_domain_hops_connect_and_break_where_they_should(lab):
    """One domain stack (two deploys are slow): healthy, then two faults, in order."""
    from probes.expectations import build
    from tests.conftest import DeployedStack
    from tests.faults.f_dns import with_domain

    stack = DeployedStack("e2e-domain", {}, lab.emulator.endpoint)
    domain = with_domain(stack)  # deploys the bundled stack with DomainName + HostedZoneId
    table = path.trace(stack.inventory(), lab.expectations)
    assert all(h.status == path.OK for h in table), path.render_table(table)
    assert domain in table[0].evidence
    # The environment names a domain the zone has no record for: the first hop breaks.
    zone_name = domain.split(".", 1)[1]
    other = build({"dns": {"domain": f"shop.{zone_name}"}})
    f = registry.run(PROBE, stack.inventory(), other).failures[0]
    assert f.evidence["first_broken_hop"] == path.DOMAIN_ALIAS, f.evidence["table"]
    assert f"shop.{zone_name}" in f.message and "Next: pytest -m dns" in f.message
    # The alias is pointed at another distribution's name: the second hop breaks.
    r53, zone = stack.client("route53"), stack.outputs["HostedZoneIdOut"]
    records = [r for r in r53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
               if r["Name"].rstrip(".") == domain and r["Type"] in ("A", "AAAA")]
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [
        {"Action": "UPSERT", "ResourceRecordSet": {**r, "AliasTarget": {
            **r["AliasTarget"], "DNSName": "d0ther.cloudfront.net."}}} for r in records]})
    f = lab.run(stack, [PROBE])[PROBE].failures[0]
    assert f.evidence["first_broken_hop"] == path.ALIAS_DISTRIBUTION, f.evidence["table"]
    assert "d0ther.cloudfront.net" in f.message and "Next: pytest -m dns" in f.message


def test_table_renders_every_hop_and_the_verdict(lab, healthy):
    table = path.trace(healthy.inventory(), lab.expectations)
    text = path.render_table(table)
    for name in path.HOPS:
        assert name in text
    broken = table[:3] + [path.Hop(4, path.VIEWER_DISTRIBUTION, "viewer", "distribution E1",
                                   path.BROKEN, "distribution E1 is disabled", "edge",
                                   "Enable it", "Enabled: true")]
    assert "first broken hop: 4 viewer → distribution; expected Enabled: true. Fix: Enable it " \
           "Next: pytest -m edge" in path.render_table(broken)


def test_the_trace_reuses_the_layer_suites_reads(lab, healthy):
    """After the layer probes ran, the trace makes (almost) no AWS read of its own."""
    inv = healthy.inventory()
    others = [pid for pid, s in registry.load_all().items() if s.layer != "e2e" and not s.mutating]
    lab.run(healthy, others, inventory=inv)
    mark = len(inv.log)
    lab.run(healthy, [PROBE], inventory=inv)
    fresh = [c for c in inv.log[mark:] if not c.cached]
    assert len(fresh) <= 3, [f"{c.service}.{c.operation} {c.params}" for c in fresh]
