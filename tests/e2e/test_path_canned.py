"""The trace's logic on canned AWS responses (no emulator): a healthy world connects every
hop, and single changes to it break exactly the hop they should, first. The emulator
tests (test_trace.py) prove the same against a deployed stack."""
from __future__ import annotations

import copy
import json
from types import SimpleNamespace
from typing import Any

import pytest

from probes import path
from probes.expectations import build
from probes.inventory import Inventory

ACCT, REGION = "123456789012", "us-east-1"
NLB = f"arn:aws:elasticloadbalancing:{REGION}:{ACCT}:loadbalancer/net/app/abc"
TG = f"arn:aws:elasticloadbalancing:{REGION}:{ACCT}:targetgroup/app/def"
ACL = f"arn:aws:wafv2:{REGION}:{ACCT}:global/webacl/acl/1111"
POOL = f"arn:aws:cognito-idp:{REGION}:{ACCT}:userpool/{REGION}_pool"
DIST_ARN = f"arn:aws:cloudfront::{ACCT}:distribution/E1"
SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCT}:secret:rds!db-1"
# Only CloudFront's API origin sends this Referer: the resource policy closes the WAF bypass.
ORIGIN_SECRET = "origin-secret"
API_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"},
    {"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*",
     "Condition": {"StringNotEquals": {"aws:Referer": ORIGIN_SECRET}}}]}


def _method(path: str, auth: str) -> dict:
    m = {"httpMethod": "GET", "authorizationType": auth,
         "methodIntegration": {"type": "HTTP_PROXY", "connectionType": "VPC_LINK",
                               "connectionId": "vl1",
                               "uri": f"http://app-abc.elb.amazonaws.com:8080{path}"}}
    if auth == "COGNITO_USER_POOLS":
        m["authorizerId"] = "au1"
    return m


def world() -> dict[tuple[str, str], Any]:
    app_sg = {"GroupId": "sg-app", "IpPermissions": [
        {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "IpRanges": [{"CidrIp": "10.0.0.0/16"}],
         "UserIdGroupPairs": []}],
        "IpPermissionsEgress": [
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [],
         "UserIdGroupPairs": [{"GroupId": "sg-db"}]}]}
    db_sg = {"GroupId": "sg-db", "IpPermissions": [
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [],
         "UserIdGroupPairs": [{"GroupId": "sg-app"}]}], "IpPermissionsEgress": []}
    return {
        ("cloudformation", "describe_stacks"): {"Stacks": [{"Parameters": [], "Outputs": []}]},
        ("cloudfront", "get_distribution"): {"Distribution": {
            "Id": "E1", "ARN": DIST_ARN, "DomainName": "d1.cloudfront.net", "Status": "Deployed",
            "DistributionConfig": {
                "Enabled": True, "WebACLId": ACL, "Aliases": {"Quantity": 0},
                "Origins": {"Items": [
                    {"Id": "Site", "DomainName": "site.s3.us-east-1.amazonaws.com",
                     "OriginAccessControlId": "OAC1", "S3OriginConfig": {"OriginAccessIdentity": ""}},
                    {"Id": "Api", "DomainName": f"api1.execute-api.{REGION}.amazonaws.com",
                     "OriginPath": "/prod", "CustomHeaders": {"Quantity": 1, "Items": [
                         {"HeaderName": "Referer", "HeaderValue": ORIGIN_SECRET}]}}]},
                "DefaultCacheBehavior": {"TargetOriginId": "Site"},
                "CacheBehaviors": {"Items": [{"PathPattern": "/api/*", "TargetOriginId": "Api",
                                              "CachePolicyId": "cp-api"}]}}}},
        ("cloudfront", "get_cache_policy"): {"CachePolicy": {"Id": "cp-api", "CachePolicyConfig": {
            "ParametersInCacheKeyAndForwardedToOrigin": {"HeadersConfig": {
                "HeaderBehavior": "whitelist", "Headers": {"Quantity": 1, "Items": ["Authorization"]}}}}}},
        ("cloudfront", "get_origin_access_control"): {"OriginAccessControl": {
            "Id": "OAC1", "OriginAccessControlConfig": {"SigningBehavior": "always"}}},
        ("s3", "get_bucket_policy"): {"Policy": json.dumps({"Statement": [{
            "Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "s3:GetObject", "Resource": "arn:aws:s3:::site/*",
            "Condition": {"StringEquals": {"AWS:SourceArn": DIST_ARN}}}]})},
        ("wafv2", "get_web_acl"): {"WebACL": {
            "ARN": ACL, "Name": "acl", "Id": "1111", "DefaultAction": {"Allow": {}}, "Rules": [
                {"Name": "RateLimit", "Action": {"Block": {}},
                 "Statement": {"RateBasedStatement": {"Limit": 2000}}},
                {"Name": "AWSManagedRulesCommonRuleSet", "OverrideAction": {"None": {}},
                 "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS"}}}]}},
        ("apigateway", "get_rest_api"): {"id": "api1", "policy": json.dumps(API_POLICY)},
        ("apigateway", "get_stage"): {"stageName": "prod", "deploymentId": "dep1"},
        ("apigateway", "get_resources"): [
            {"id": "r1", "path": "/api/health", "resourceMethods": {"GET": _method("/api/health", "NONE")}},
            {"id": "r2", "path": "/api/items",
             "resourceMethods": {"GET": _method("/api/items", "COGNITO_USER_POOLS")}}],
        ("apigateway", "get_authorizers"): [{"id": "au1", "name": "cognito",
                                             "type": "COGNITO_USER_POOLS", "providerARNs": [POOL],
                                             "identitySource": "method.request.header.Authorization"}],
        ("apigateway", "get_vpc_link"): {"id": "vl1", "targetArns": [NLB], "status": "AVAILABLE"},
        ("cognito-idp", "describe_user_pool"): {"UserPool": {"Id": f"{REGION}_pool", "Arn": POOL}},
        ("elbv2", "describe_load_balancers"): {"LoadBalancers": [{
            "LoadBalancerArn": NLB, "LoadBalancerName": "app", "DNSName": "app-abc.elb.amazonaws.com",
            "State": {"Code": "active"},
            "AvailabilityZones": [{"SubnetId": "subnet-a1"}, {"SubnetId": "subnet-a2"}]}]},
        ("elbv2", "describe_listeners"): [{"ListenerArn": "l1", "Port": 8080, "DefaultActions": [
            {"Type": "forward", "TargetGroupArn": TG}]}],
        ("elbv2", "describe_target_groups"): {"TargetGroups": [{
            "TargetGroupArn": TG, "TargetGroupName": "app", "Port": 8080, "Protocol": "TCP"}]},
        ("elbv2", "describe_target_health"): {"TargetHealthDescriptions": [
            {"Target": {"Id": "i-1", "Port": 8080}, "TargetHealth": {"State": "healthy"}}]},
        ("autoscaling", "describe_auto_scaling_groups"): [{
            "AutoScalingGroupName": "asg", "TargetGroupARNs": [TG],
            "VPCZoneIdentifier": "subnet-a1,subnet-a2",
            "Instances": [{"InstanceId": "i-1", "LifecycleState": "InService",
                           "HealthStatus": "Healthy"}]}],
        ("ec2", "describe_instances"): {"Reservations": [{"Instances": [{
            "InstanceId": "i-1", "SubnetId": "subnet-a1", "PrivateIpAddress": "10.0.10.5",
            "SecurityGroups": [{"GroupId": "sg-app"}]}]}]},
        ("ec2", "describe_security_groups"): [app_sg, db_sg],
        ("ec2", "describe_subnets"): [
            {"SubnetId": "subnet-p1", "CidrBlock": "10.0.0.0/24"},
            {"SubnetId": "subnet-a1", "CidrBlock": "10.0.10.0/24"},
            {"SubnetId": "subnet-a2", "CidrBlock": "10.0.11.0/24"},
            {"SubnetId": "subnet-d1", "CidrBlock": "10.0.20.0/24"}],
        ("ec2", "describe_route_tables"): [
            {"Associations": [{"SubnetId": "subnet-p1"}],
             "Routes": [{"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1"}]},
            {"Associations": [{"SubnetId": "subnet-a1"}, {"SubnetId": "subnet-a2"}],
             "Routes": [{"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-1"}]}],
        ("ec2", "describe_vpcs"): {"Vpcs": [{"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/16"}]},
        ("ec2", "describe_nat_gateways"): [
            {"NatGatewayId": "nat-1", "State": "available", "SubnetId": "subnet-p1"}],
        ("iam", "list_role_policies"): ["ReadDbSecret"],
        ("iam", "get_role_policy"): {"PolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": SECRET}]}},
        ("rds", "describe_db_instances"): {"DBInstances": [{
            "DBInstanceIdentifier": "db-1", "DBInstanceStatus": "available",
            "Endpoint": {"Address": "db-1.rds", "Port": 5432},
            "VpcSecurityGroups": [{"VpcSecurityGroupId": "sg-db", "Status": "active"}],
            "DBSubnetGroup": {"Subnets": [{"SubnetIdentifier": "subnet-d1"}]},
            "MasterUserSecret": {"SecretArn": SECRET}}]},
        ("secretsmanager", "describe_secret"): {"ARN": SECRET, "Name": "rds!db-1"},
    }


ROLES = {"vpc": "vpc-1", "nlb": NLB, "target_group": TG, "auto_scaling_group": "asg",
         "db_instance": "db-1", "rest_api": "api1", "api_stage": "prod", "vpc_link": "vl1",
         "user_pool": f"{REGION}_pool", "distribution": "E1", "site_bucket": "site",
         "web_acl": ACL, "app_security_group": "sg-app", "db_security_group": "sg-db",
         "launch_template": "lt-1", "instance_role": "app-role"}


class Canned(Inventory):
    def __init__(self, responses: dict):
        super().__init__(SimpleNamespace(region=REGION), "canned", ROLES)
        self.responses = responses

        self.asked: list[tuple[str, str]] = []

    def call(self, service, operation, *, region=None, missing_ok=False, **params):
        self.asked.append((service, operation))
        value = self.responses.get((service, operation))
        if value is None and not missing_ok:
            raise AssertionError(f"unexpected read {service}.{operation}")
        return copy.deepcopy(value)

    def paginate(self, service, operation, result_key, *, region=None, missing_ok=False, **params):
        self.asked.append((service, operation))
        return copy.deepcopy(self.responses.get((service, operation)) or [])


EXP = build({})


def run(change=None) -> list[path.Hop]:
    w = world()
    if change:
        change(w)
    return path.trace(Canned(w), EXP)


def _dist(w):
    return w[("cloudfront", "get_distribution")]["Distribution"]["DistributionConfig"]


def _methods(w):
    return w[("apigateway", "get_resources")][1]["resourceMethods"]["GET"]


def _sg(w, gid):
    return next(g for g in w[("ec2", "describe_security_groups")] if g["GroupId"] == gid)


def _cache_headers(w):
    return w[("cloudfront", "get_cache_policy")]["CachePolicy"]["CachePolicyConfig"][
        "ParametersInCacheKeyAndForwardedToOrigin"]["HeadersConfig"]


def _acl(w):
    return w[("wafv2", "get_web_acl")]["WebACL"]


def _app_policy(w):
    return w[("iam", "get_role_policy")]["PolicyDocument"]["Statement"]


def _app_routes(w):
    return w[("ec2", "describe_route_tables")][1]["Routes"]


def _endpoint(**overrides):
    ep = {"VpcEndpointId": "vpce-1", "VpcEndpointType": "Interface", "State": "available",
          "ServiceName": f"com.amazonaws.{REGION}.secretsmanager", "PrivateDnsEnabled": True,
          "Groups": [{"GroupId": "sg-vpce"}]}
    ep.update(overrides)
    return ep


def test_healthy_world_connects():
    table = run()
    assert [h.status for h in table].count(path.OK) == 20, path.render_table(table)
    assert "closed by resource policy" in next(h for h in table if h.name == path.API_BYPASS).evidence
    assert {h.status for h in table[:3]} == {path.SKIPPED}


CHANGES = {
    "waf-off": (lambda w: _dist(w).update(WebACLId=""), path.DISTRIBUTION_WAF, "WebACLId is empty"),
    "oac-off": (lambda w: _dist(w)["Origins"]["Items"][0].update(OriginAccessControlId=""),
                path.DISTRIBUTION_SITE, "no origin access control"),
    "policy-other-dist": (lambda w: w.update({("s3", "get_bucket_policy"): {"Policy": json.dumps(
        {"Statement": [{"Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"},
                        "Action": "s3:GetObject", "Resource": "arn:aws:s3:::site/*",
                        "Condition": {"StringEquals": {"AWS:SourceArn": DIST_ARN + "X"}}}]})}}),
        path.DISTRIBUTION_SITE, "policy does not let"),
    "api-authorization-not-forwarded": (
        lambda w: _cache_headers(w).update(HeaderBehavior="none", Headers={"Quantity": 0}),
        path.DISTRIBUTION_API, "but not Authorization"),
    "api-cache-policy-missing": (lambda w: w.pop(("cloudfront", "get_cache_policy")),
                                 path.DISTRIBUTION_API, "cache policy cp-api, which does not exist"),
    "waf-default-block": (lambda w: _acl(w).update(DefaultAction={"Block": {}}),
                          path.DISTRIBUTION_WAF, "blocks every request"),
    "identity-source-other-header": (lambda w: w[("apigateway", "get_authorizers")][0].update(
        identitySource="method.request.header.X-Id-Token"), path.METHOD_AUTHORIZER,
        "reads the token from method.request.header.X-Id-Token"),
    "secret-policy-other-arn": (lambda w: _app_policy(w)[0].update(Resource=SECRET + "-old"),
                                path.APP_SECRETS, "has no policy allowing"),
    "secret-denied": (lambda w: _app_policy(w).append(
        {"Effect": "Deny", "Action": "secretsmanager:*", "Resource": "*"}),
        path.APP_SECRETS, "is denied secretsmanager:GetSecretValue"),
    "nat-deleted": (lambda w: w[("ec2", "describe_nat_gateways")][0].update(State="deleted"),
                    path.APP_SECRETS, "nat-1 (deleted)"),
    "nat-route-gone": (lambda w: _app_routes(w).clear(), path.APP_SECRETS,
                       "no 0.0.0.0/0 route"),
    "nat-in-private-subnet": (lambda w: w[("ec2", "describe_nat_gateways")][0].update(
        SubnetId="subnet-a2"), path.APP_SECRETS, "no path to Secrets Manager"),
    "endpoint-without-private-dns": (lambda w: (
        w[("ec2", "describe_nat_gateways")].clear(),
        w.update({("ec2", "describe_vpc_endpoints"): [_endpoint(PrivateDnsEnabled=False)]})),
        path.APP_SECRETS, "no path to Secrets Manager"),
    "https-egress-gone": (lambda w: _sg(w, "sg-app")["IpPermissionsEgress"].pop(0),
                          path.APP_SECRETS, "do not allow egress tcp 443"),
    "method-none": (lambda w: _methods(w).update(authorizationType="NONE"), path.METHOD_AUTHORIZER,
                    "has authorization NONE"),
    "other-pool": (lambda w: w[("apigateway", "get_authorizers")][0].update(
        providerARNs=[POOL + "X"]), path.AUTHORIZER_POOL, "trusts"),
    "internet-integration": (lambda w: _methods(w)["methodIntegration"].update(
        connectionType="INTERNET"), path.METHOD_VPC_LINK, "over INTERNET"),
    "link-other-nlb": (lambda w: w[("apigateway", "get_vpc_link")].update(targetArns=[NLB + "X"]),
                       path.VPC_LINK_NLB, "targets"),
    "listener-other-port": (lambda w: w[("elbv2", "describe_listeners")][0].update(Port=9090),
                            path.METHOD_VPC_LINK, "sends to port 8080"),
    "tg-detached": (lambda w: w[("autoscaling", "describe_auto_scaling_groups")][0].update(
        TargetGroupARNs=[]), path.TG_ASG, "registers with no target group"),
    "unhealthy": (lambda w: w[("elbv2", "describe_target_health")]["TargetHealthDescriptions"][0][
        "TargetHealth"].update(State="unhealthy"), path.ASG_INSTANCES, "0 in-service"),
    "still-starting": (lambda w: w[("elbv2", "describe_target_health")]["TargetHealthDescriptions"][0][
        "TargetHealth"].update(State="initial"), path.ASG_INSTANCES, "initial: health checks still running"),
    "public-subnet": (lambda w: w[("ec2", "describe_instances")]["Reservations"][0]["Instances"][0]
                      .update(SubnetId="subnet-p1"), path.ASG_INSTANCES, "routed to an internet"),
    "app-port-closed": (lambda w: _sg(w, "sg-app").update(IpPermissions=[]), path.NLB_APP_PORT,
                        "do not allow tcp 8080"),
    "app-port-narrow": (lambda w: _sg(w, "sg-app")["IpPermissions"][0].update(
        IpRanges=[{"CidrIp": "10.0.10.0/24"}]), path.NLB_APP_PORT, "do not allow tcp 8080"),
    "db-ingress-gone": (lambda w: _sg(w, "sg-db").update(IpPermissions=[]), path.APP_DB_PORT,
                        "do not allow tcp 5432"),
    "app-egress-gone": (lambda w: _sg(w, "sg-app")["IpPermissionsEgress"].pop(), path.APP_DB_PORT,
                        "do not allow egress tcp 5432"),
    "db-stopped": (lambda w: w[("rds", "describe_db_instances")]["DBInstances"][0].update(
        DBInstanceStatus="stopped"), path.DB_INSTANCE, "is stopped"),
    "secret-scheduled": (lambda w: w[("secretsmanager", "describe_secret")].update(
        DeletedDate="2026-01-01"), path.DB_SECRET, "scheduled for deletion"),
    "secret-gone": (lambda w: w.pop(("secretsmanager", "describe_secret")), path.DB_SECRET,
                    "does not exist"),
}


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_change_breaks_its_hop_first(name):
    change, hop, words = CHANGES[name]
    table = run(change)
    first = path.first_broken(table)
    assert first is not None and first.name == hop, path.render_table(table)
    assert words in first.evidence, first.evidence
    assert first.fix and first.expected


def test_default_block_with_allow_rules_is_a_design_not_a_break():
    """Allow-list WAFs (default Block, explicit Allow rules, or a rule group of the
    account's own that may allow) pass; managed groups and Block rules alone do not."""
    def allow_rule(w):
        _acl(w).update(DefaultAction={"Block": {}})
        _acl(w)["Rules"].append({"Name": "AllowOffices", "Action": {"Allow": {}},
                                 "Statement": {"IPSetReferenceStatement": {"ARN": "ipset"}}})

    def own_group(w):
        _acl(w).update(DefaultAction={"Block": {}})
        _acl(w)["Rules"].append({"Name": "Ours", "OverrideAction": {"None": {}},
                                 "Statement": {"RuleGroupReferenceStatement": {"ARN": "rg"}}})
    for change in (allow_rule, own_group):
        table = run(change)
        assert path.first_broken(table) is None, path.render_table(table)
        assert "default Block; allowed by" in table[4].evidence


def test_authorization_forwarded_by_legacy_settings_or_origin_request_policy():
    def legacy(w):
        b = _dist(w)["CacheBehaviors"]["Items"][0]
        b.pop("CachePolicyId")
        b["ForwardedValues"] = {"Headers": {"Quantity": 1, "Items": ["Authorization"]}}

    def all_viewer_headers_with_caching_off(w):
        # AWS: an origin request policy sending every viewer header forwards Authorization
        # while caching is off (an origin request policy cannot whitelist it)
        _cache_headers(w).update(HeaderBehavior="none", Headers={"Quantity": 0})
        w[("cloudfront", "get_cache_policy")]["CachePolicy"]["CachePolicyConfig"].update(
            MinTTL=0, DefaultTTL=0, MaxTTL=0)
        _dist(w)["CacheBehaviors"]["Items"][0]["OriginRequestPolicyId"] = "orp-1"
        w[("cloudfront", "get_origin_request_policy")] = {"OriginRequestPolicy": {
            "OriginRequestPolicyConfig": {"Name": "all", "HeadersConfig": {"HeaderBehavior": "allViewer"}}}}
    for change in (legacy, all_viewer_headers_with_caching_off):
        table = run(change)
        assert path.first_broken(table) is None, path.render_table(table)


def test_secret_reached_through_an_interface_endpoint_without_nat():
    def change(w):
        w[("ec2", "describe_nat_gateways")].clear()
        _app_routes(w).clear()
        w[("ec2", "describe_vpc_endpoints")] = [_endpoint()]
        _sg(w, "sg-app")["IpPermissionsEgress"][0]["IpRanges"] = [{"CidrIp": "10.0.0.0/16"}]
    table = run(change)
    assert path.first_broken(table) is None, path.render_table(table)
    assert "endpoint vpce-1" in next(h for h in table if h.name == path.APP_SECRETS).evidence


def test_secrets_hop_names_the_owning_layer_and_makes_no_extra_read_when_healthy():
    w = world()
    _app_policy(w)[0].update(Resource=SECRET + "-old")
    first = path.first_broken(run(lambda x: x.update(w)))
    assert first.layer == "compute" and "pytest -m compute" in first.next_step
    assert first.name == path.APP_SECRETS and path.HOPS.index(path.APP_SECRETS) < path.HOPS.index(
        path.APP_DB_PORT)
    inv = Canned(world())
    path.trace(inv, EXP)
    assert ("ec2", "describe_vpc_endpoints") not in inv.asked  # only read when NAT is missing


def test_egress_to_any_address_counts_as_open():
    def change(w):
        _sg(w, "sg-app")["IpPermissionsEgress"] = [{"IpProtocol": "-1", "IpRanges": [
            {"CidrIp": "0.0.0.0/0"}]}]
    assert path.first_broken(run(change)) is None


def test_probe_finding_names_the_first_hop_and_keeps_the_table():
    w = world()
    _dist(w).update(WebACLId="")
    _methods(w).update(authorizationType="NONE")
    f = path.request_path(Canned(w), EXP)
    assert f.status == "failed"
    assert f.resource.startswith(f"request path hop 5 '{path.DISTRIBUTION_WAF}'")
    assert "Next: pytest -m waf" in f.message and path.METHOD_AUTHORIZER in f.next_step
    assert len(f.evidence["hops"]) == len(path.HOPS) and "first broken hop" in f.evidence["table"]


def test_an_open_waf_bypass_is_exposed_not_broken():
    """Without the resource policy the API answers anyone at its execute-api endpoint: the
    path still connects (no hop is broken or blocked), and the probe fails on the exposed
    hop, naming the stage and the ways to close it."""
    w = world()
    w[("apigateway", "get_rest_api")].pop("policy")
    table = path.trace(Canned(w), EXP)
    assert path.first_broken(table) is None, path.render_table(table)
    bypass = next(h for h in table if h.name == path.API_BYPASS)
    assert bypass.status == path.EXPOSED and bypass.layer == "waf", path.render_table(table)
    assert all(h.status in (path.OK, path.SKIPPED) for h in table if h is not bypass)
    f = path.request_path(Canned(w), EXP)
    assert f.status == "failed" and f.evidence["first_broken_hop"] == path.API_BYPASS
    assert "stage prod can be called around distribution E1" in f.message
    for way in ("REGIONAL web ACL", "resource-policy Deny", "PRIVATE", "Next: pytest -m waf"):
        assert way in f.message, f.message


def test_a_broken_hop_is_named_before_an_exposed_one():
    w = world()
    w[("apigateway", "get_rest_api")].pop("policy")
    _methods(w).update(authorizationType="NONE")
    f = path.request_path(Canned(w), EXP)
    assert f.evidence["first_broken_hop"] == path.METHOD_AUTHORIZER, f.evidence["table"]
    assert f.evidence["exposed_hops"] == [path.API_BYPASS]
    assert path.API_BYPASS in f.next_step
