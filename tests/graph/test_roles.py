"""Roles come from references (probes.graph), never from "the only resource of its type";
a layer with nothing to judge is skipped, or fails when the environment requires it."""
from __future__ import annotations

import json
from typing import Any

import pytest

from probes import graph, registry
from probes.expectations import build
from probes.inventory import Ambiguous
from probes.result import Absent


class Inv:
    """Stack resources by type and canned answers keyed by (operation, first param value)."""

    def __init__(self, resources: list[tuple[str, str, str]], answers: dict[Any, Any],
                 explicit: dict[str, str] | None = None):
        self.stack_name = "their-stack"
        self.explicit = explicit or {}
        self._resources = [{"LogicalResourceId": lid, "ResourceType": t, "PhysicalResourceId": pid}
                           for lid, t, pid in resources]
        self.answers = answers
        self.threads = 1

    def of_type(self, rtype: str) -> list[dict]:
        return [r for r in self._resources if r["ResourceType"] == rtype]

    def _answer(self, operation: str, params: dict) -> Any:
        for v in params.values():
            key = (operation, json.dumps(v, sort_keys=True) if not isinstance(v, str) else v)
            if key in self.answers:
                return self.answers[key]
        return self.answers.get(operation)

    def call(self, service: str, operation: str, *, region=None, missing_ok=False, **params):
        return self._answer(operation, params)

    def paginate(self, service: str, operation: str, key: str, *, region=None, missing_ok=False, **params):
        value = self._answer(operation, params)
        return (value or {}).get(key, []) if isinstance(value, dict) else (value or [])

    def parallel(self, fn, items, threads=None):
        return [fn(x) for x in items]

    def stack(self) -> dict:
        return {"Parameters": []}


def _distribution(default_origin: str = "site") -> dict:
    return {"Distribution": {"DistributionConfig": {
        "Origins": {"Items": [
            {"Id": "site", "DomainName": "web-assets-123.s3.us-east-1.amazonaws.com"},
            {"Id": "api", "DomainName": "abc123.execute-api.us-east-1.amazonaws.com", "OriginPath": "/live"}]},
        "DefaultCacheBehavior": {"TargetOriginId": default_origin},
        "Logging": {"Enabled": True, "Bucket": "access-logs-9.s3.amazonaws.com"},
        "WebACLId": "arn:aws:wafv2:us-east-1:1:global/webacl/shield/acl-1"}}}


BUCKETS = [("TrailStore", "AWS::S3::Bucket", "trail-store-1"),
           ("WebAssets", "AWS::S3::Bucket", "web-assets-123"),
           ("AccessLogs", "AWS::S3::Bucket", "access-logs-9")]


def test_site_bucket_is_the_distributions_s3_origin_not_a_decoy():
    inv = Inv(BUCKETS + [("Front", "AWS::CloudFront::Distribution", "E1")],
              {("get_distribution", "E1"): _distribution()})
    g = graph.of(inv)
    assert g.role("site_bucket") == "web-assets-123"
    assert g.role("log_bucket") == "access-logs-9"
    assert g.role("rest_api") == "abc123" and g.role("api_stage") == "live"
    assert g.logical_of("AWS::S3::Bucket", g.role("site_bucket")) == "WebAssets"


def test_no_distribution_means_no_site_bucket_whatever_the_buckets():
    inv = Inv(BUCKETS[:1], {})
    assert graph.role(inv, "site_bucket") is None
    with pytest.raises(Absent, match="no site bucket .* in stack their-stack or referenced by it"):
        graph.need(inv, "site_bucket")


def test_alarm_topic_is_what_the_alarms_notify_not_the_trails_topic():
    inv = Inv([("CpuHigh", "AWS::CloudWatch::Alarm", "cpu-high"),
               ("AuditTopic", "AWS::SNS::Topic", "arn:aws:sns:us-east-1:1:audit"),
               ("Pager", "AWS::SNS::Topic", "arn:aws:sns:us-east-1:1:pager")],
              {"describe_alarms": {"MetricAlarms": [
                  {"AlarmName": "cpu-high", "AlarmActions": ["arn:aws:sns:us-east-1:1:pager"]}]}})
    assert graph.role(inv, "alarm_topic") == "arn:aws:sns:us-east-1:1:pager"


def _asg_in_group(asg: str, group: str, vpc: str) -> dict[Any, Any]:
    """Reads of an ASG whose launch template (lt-1) puts its instances in ``group`` of ``vpc``."""
    spec = {"AutoScalingGroupName": asg, "LaunchTemplate": {"LaunchTemplateId": "lt-1", "Version": "3"}}
    return {"describe_auto_scaling_groups": {"AutoScalingGroups": [spec]},
            "describe_launch_template_versions": {"LaunchTemplateVersions": [
                {"LaunchTemplateData": {"SecurityGroupIds": [group]}}]},
            ("describe_security_groups", json.dumps([group])): {"SecurityGroups": [
                {"GroupId": group, "VpcId": vpc}]}}


def test_vpc_passed_as_a_parameter_is_found_through_the_app_security_group():
    inv = Inv([("Workers", "AWS::AutoScaling::AutoScalingGroup", "workers"),
               ("Blueprint", "AWS::EC2::LaunchTemplate", "lt-1"),
               ("Guard", "AWS::EC2::SecurityGroup", "sg-app")],
              _asg_in_group("workers", "sg-app", "vpc-from-parameter"))
    g = graph.of(inv)
    assert g.role("app_security_group") == "sg-app"
    assert g.role("vpc") == "vpc-from-parameter"
    assert not g.node("AWS::EC2::VPC", "vpc-from-parameter").in_stack


def test_an_alb_never_plays_the_nlb():
    inv = Inv([("PublicAlb", "AWS::ElasticLoadBalancingV2::LoadBalancer", "arn:alb")],
              {("describe_load_balancers", '["arn:alb"]'): {"LoadBalancers": [{"Type": "application"}]}})
    assert graph.role(inv, "nlb") is None


def test_two_candidates_the_references_cannot_tell_apart_stop_with_one_line():
    inv = Inv([("BlueFleet", "AWS::AutoScaling::AutoScalingGroup", "blue"),
               ("GreenFleet", "AWS::AutoScaling::AutoScalingGroup", "green")], {})
    with pytest.raises(Ambiguous) as err:
        graph.role(inv, "auto_scaling_group")
    text = str(err.value)
    assert "BlueFleet" in text and "GreenFleet" in text and "resources.auto_scaling_group" in text
    assert "\n" not in text


def test_explicit_resources_override_the_graph():
    inv = Inv([("BlueFleet", "AWS::AutoScaling::AutoScalingGroup", "blue"),
               ("GreenFleet", "AWS::AutoScaling::AutoScalingGroup", "green")], {},
              explicit={"auto_scaling_group": "green"})
    assert graph.role(inv, "auto_scaling_group") == "green"


def test_a_layer_with_nothing_to_judge_is_skipped_naming_what_was_followed():
    inv = Inv(BUCKETS, {})
    outcome = registry.run("edge.site_bucket_public_access_blocked", inv, build({}))
    assert outcome.status == "skipped", outcome.summary()
    assert "no CloudFront distribution in stack their-stack or referenced by it" in outcome.summary()


def test_a_required_layer_with_nothing_to_judge_fails():
    exp = build({})
    exp.required_layers = ("edge",)
    outcome = registry.run("edge.site_bucket_public_access_blocked", Inv(BUCKETS, {}), exp)
    assert outcome.status == "failed"
    assert "required_layers" in outcome.summary()


# ---- a stack on another stack's exports (Fn::ImportValue) -----------------------------------
APP_TEMPLATE = """
Parameters:
  NetworkStack: {Type: String}
  KeyStack: {Type: String, Default: ""}
Conditions:
  HasKeyStack: !Not [!Equals [!Ref KeyStack, ""]]
Resources:
  Fleet: {Type: AWS::AutoScaling::AutoScalingGroup, Properties: {VPCZoneIdentifier:
    !Split [",", {"Fn::ImportValue": !Sub "${NetworkStack}-FleetSubnets"}]}}
  Ledger:
    Type: AWS::RDS::DBInstance
    Properties:
      KmsKeyId: !If [HasKeyStack, {"Fn::ImportValue": !Sub "${KeyStack}-Key"}, !Ref "AWS::NoValue"]
      MasterUserPassword: !Sub
        - "{{resolve:secretsmanager:${Vault}:SecretString:password}}"
        - Vault: {"Fn::ImportValue": !Sub "${NetworkStack}-VaultSecret"}
      VPCSecurityGroups: [{"Fn::ImportValue": !Sub "${NetworkStack}-VaultGroup"}]
  KeyReader:
    Type: AWS::IAM::Role
    Condition: HasKeyStack
    Properties: {Description: {"Fn::ImportValue": !Sub "${KeyStack}-KeyReader"}}
  CarrierKey: {Type: AWS::SecretsManager::Secret}
"""
VAULT = "arn:aws:secretsmanager:us-east-1:1:secret:net-VaultCredentials-AbCdEf"


class ImportingInv(Inv):
    """A stack deployed with NetworkStack=net whose reads are recorded."""

    def __init__(self, *args: Any, **kw: Any):
        super().__init__(*args, **kw)
        self.calls: list[tuple[str, dict]] = []

    def call(self, service: str, operation: str, *, region=None, missing_ok=False, **params):
        self.calls.append((operation, params))
        return super().call(service, operation, region=region, missing_ok=missing_ok, **params)

    def stack(self) -> dict:
        return {"StackName": "their-stack", "StackId": "arn:aws:cloudformation:us-east-1:1:stack/their-stack/x",
                "Parameters": [{"ParameterKey": "NetworkStack", "ParameterValue": "net"},
                               {"ParameterKey": "KeyStack", "ParameterValue": ""}]}


def _importing_stack() -> ImportingInv:
    db = {"DBInstanceIdentifier": "ledger", "VpcSecurityGroups": [{"VpcSecurityGroupId": "sg-vault"}],
          "DBSubnetGroup": {"VpcId": "vpc-net"}}
    return ImportingInv(
        [("Fleet", "AWS::AutoScaling::AutoScalingGroup", "fleet"),
         ("FleetLaunch", "AWS::EC2::LaunchTemplate", "lt-1"),
         ("Ledger", "AWS::RDS::DBInstance", "ledger"),
         ("CarrierKey", "AWS::SecretsManager::Secret", "arn:aws:secretsmanager:us-east-1:1:secret:carrier-1"),
         ("ScrapeGuard", "AWS::EC2::SecurityGroup", "sg-decoy")],
        {**_asg_in_group("fleet", "sg-fleet", "vpc-net"),
         "describe_db_instances": {"DBInstances": [db]},
         "get_template": {"TemplateBody": APP_TEMPLATE},
         # The region's exports, 2 a page here (100 on AWS): ours end on the second page.
         "list_exports": {"Exports": [{"Name": "other-Vpc", "Value": "vpc-other"},
                                      {"Name": "net-FleetSubnets", "Value": "subnet-a,subnet-b"}],
                          "NextToken": "p2"},
         ("list_exports", "p2"): {"Exports": [{"Name": "net-VaultSecret", "Value": VAULT},
                                              {"Name": "net-VaultGroup", "Value": "sg-vault"}],
                                  "NextToken": "p3"},
         ("list_exports", "p3"): {"Exports": [{"Name": "net-Unrelated", "Value": "x"}]}})


def test_roles_on_imported_resources_resolve_outside_the_stack():
    inv = _importing_stack()
    g = graph.of(inv)
    # Followed through the live resources' own attributes: the launch template's SG, its VPC,
    # the DB's security group; all three are the network stack's, not the decoy SG.
    assert g.role("app_security_group") == "sg-fleet"
    assert g.role("vpc") == "vpc-net"
    assert g.role("db_security_group") == "sg-vault"
    # The DB password's dynamic reference names the imported secret, not the stack's only one.
    assert g.role("db_secret") == VAULT
    assert "imported: net-VaultSecret" in g.followed("db_secret")
    for rtype, pid in (("AWS::EC2::SecurityGroup", "sg-fleet"), ("AWS::EC2::VPC", "vpc-net"),
                       ("AWS::EC2::SecurityGroup", "sg-vault"), ("AWS::SecretsManager::Secret", VAULT)):
        node = g.node(rtype, pid)
        assert not node.in_stack and node.label == f"{pid} (outside the stack)"
    assert VAULT in {n.id for n in g.nodes("AWS::SecretsManager::Secret")}


def test_export_values_are_paged_only_until_every_imported_name_is_found():
    inv = _importing_stack()
    g = graph.of(inv)
    assert g.imported_values() == {"net-FleetSubnets": "subnet-a,subnet-b", "net-VaultSecret": VAULT,
                                   "net-VaultGroup": "sg-vault"}
    pages = [p for op, p in inv.calls if op == "list_exports"]
    assert pages == [{}, {"NextToken": "p2"}], pages


def test_imports_of_an_untaken_branch_or_a_resource_not_created_are_not_looked_up():
    g = graph.of(_importing_stack())
    # KeyStack is "": HasKeyStack is false, so KeyReader is not created and the KmsKeyId
    # branch importing "-Key" is not taken (CloudFormation resolves neither).
    assert g.deployed("their-stack").import_names() == {"net-FleetSubnets", "net-VaultSecret",
                                                        "net-VaultGroup"}


def _one_import(logical: str, rtype: str, prop: str, export: str, value: str) -> dict[Any, Any]:
    """Reads of a template whose resource ``logical`` lists ``net-<export>`` (= ``value``) in ``prop``."""
    body = {"Parameters": {"NetworkStack": {"Type": "String"}}, "Resources": {logical: {
        "Type": rtype, "Properties": {prop: [{"Fn::ImportValue": {"Fn::Sub": "${NetworkStack}-" + export}}]}}}}
    return {"get_template": {"TemplateBody": body},
            "list_exports": {"Exports": [{"Name": f"net-{export}", "Value": value}]}}


def test_an_imported_alarm_topic_is_not_replaced_by_the_stacks_own_decoy_topic():
    pager = "arn:aws:sns:us-east-1:1:net-pager"
    inv = ImportingInv(
        [("CpuHigh", "AWS::CloudWatch::Alarm", "cpu-high"),
         ("ParcelEvents", "AWS::SNS::Topic", "arn:aws:sns:us-east-1:1:parcel-events")],
        {"describe_alarms": {"MetricAlarms": [{"AlarmName": "cpu-high", "AlarmActions": [pager]}]},
         **_one_import("CpuHigh", "AWS::CloudWatch::Alarm", "AlarmActions", "Pager", pager)})
    g = graph.of(inv)
    assert g.role("alarm_topic") == pager
    assert not g.node("AWS::SNS::Topic", pager).in_stack


def test_an_imported_nlb_named_by_the_vpc_link_is_the_nlb_not_the_stacks_own_alb():
    nlb = "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/net/shared/1"
    alb = "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/public/2"
    inv = ImportingInv(
        [("PublicAlb", "AWS::ElasticLoadBalancingV2::LoadBalancer", alb),
         ("Link", "AWS::ApiGateway::VpcLink", "link-1")],
        {"get_vpc_link": {"targetArns": [nlb]},
         **_one_import("Link", "AWS::ApiGateway::VpcLink", "TargetArns", "SharedNlb", nlb)},
        explicit={"vpc_link": "link-1"})
    g = graph.of(inv)
    assert g.role("nlb") == nlb and not g.node("AWS::ElasticLoadBalancingV2::LoadBalancer", nlb).in_stack


class ParameterInv(Inv):
    """A stack given the shared NLB's ARN as a parameter."""

    def __init__(self, *args: Any, nlb: str, **kw: Any):
        super().__init__(*args, **kw)
        self.nlb = nlb

    def stack(self) -> dict:
        return {"Parameters": [{"ParameterKey": "SharedNlbArn", "ParameterValue": self.nlb}]}


def test_a_parameter_passed_nlb_is_the_nlb_not_the_stacks_own_nlb_decoy():
    """A reference the stack was given (a parameter's value) leaves it on purpose, as an
    import does; one that matches nothing given keeps the stack's own (drift, a finding)."""
    shared = "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/net/shared/1"
    own = "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/net/spare/2"
    answers = {"get_vpc_link": {"targetArns": [shared]},
               ("describe_load_balancers", f'["{own}"]'): {"LoadBalancers": [{"Type": "network"}]},
               ("describe_load_balancers", f'["{shared}"]'): {"LoadBalancers": [{"Type": "network"}]}}
    resources = [("SpareNlb", "AWS::ElasticLoadBalancingV2::LoadBalancer", own),
                 ("Link", "AWS::ApiGateway::VpcLink", "link-1")]
    given = ParameterInv(resources, answers, explicit={"vpc_link": "link-1"}, nlb=shared)
    assert graph.of(given).role("nlb") == shared
    drifted = ParameterInv(resources, answers, explicit={"vpc_link": "link-1"}, nlb="arn:other")
    assert graph.of(drifted).role("nlb") == own
