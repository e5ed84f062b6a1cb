"""Roles in a nested stack: the root nests children (AWS::CloudFormation::Stack) and passes
them parameters, literal values or siblings' Outputs. The inventory lists the children's
resources with the root's (each with its ``StackName``, the child's stack id); what the
graph reads from the deployed templates and parameters must be the child's own."""
from __future__ import annotations

from typing import Any

from probes import graph
from tests.graph.test_roles import Inv

ROOT = "arn:aws:cloudformation:us-east-1:1:stack/their-stack/r"
APP = "arn:aws:cloudformation:us-east-1:1:stack/their-stack-App-1/a"
DATA = "arn:aws:cloudformation:us-east-1:1:stack/their-stack-Data-2/d"


class NestedInv(Inv):
    """A root nesting children: ``resources`` are (stack id, logical id, type, physical id);
    ``parameters`` each stack's parameter values, as DescribeStacks shows them."""

    def __init__(self, resources: list[tuple[str, str, str, str]], answers: dict[Any, Any],
                 parameters: dict[str, dict[str, str]], explicit: dict[str, str] | None = None):
        children = [(stack, "AWS::CloudFormation::Stack", stack) for stack in parameters if stack != ROOT]
        super().__init__([(lid, t, pid) for _, lid, t, pid in resources] + children, answers, explicit)
        homes = [stack for stack, *_ in resources] + [ROOT] * len(children)
        for r, home in zip(self._resources, homes, strict=True):
            r["StackName"] = home
        self.parameters = parameters
        self.stacks: list[str] = []

    def _described(self, stack: str) -> dict:
        return {"StackName": stack.split("/")[1], "StackId": stack,
                "Parameters": [{"ParameterKey": k, "ParameterValue": v}
                               for k, v in self.parameters.get(stack, {}).items()]}

    def stack(self) -> dict:
        return self._described(ROOT)

    def call(self, service: str, operation: str, *, region=None, missing_ok=False, **params):
        if operation == "describe_stacks":
            self.stacks.append(params["StackName"])
            return {"Stacks": [self._described(params["StackName"])]}
        return super().call(service, operation, region=region, missing_ok=missing_ok, **params)


def test_an_nlb_a_child_was_given_by_the_root_is_the_nlb_not_the_trees_own_decoy():
    """The root passes a shared NLB's ARN (a literal of its own, not one of its parameters)
    to the app child, whose VPC link targets it: the reference leaves the tree on purpose,
    as a root parameter's would, and the tree's spare NLB is not taken for it."""
    shared = "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/net/shared/1"
    spare = "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/net/spare/2"
    answers = {"get_vpc_link": {"targetArns": [shared]}}
    resources = [(DATA, "SpareNlb", "AWS::ElasticLoadBalancingV2::LoadBalancer", spare),
                 (APP, "Link", "AWS::ApiGateway::VpcLink", "link-1")]
    given = NestedInv(resources, answers, {ROOT: {}, APP: {"SharedNlbArn": shared}, DATA: {}},
                      explicit={"vpc_link": "link-1"})
    assert graph.of(given).role("nlb") == shared
    assert not graph.of(given).node("AWS::ElasticLoadBalancingV2::LoadBalancer", shared).in_stack
    # A reference no stack of the tree was given is drift: the tree's own NLB is kept.
    drifted = NestedInv(resources, answers, {ROOT: {}, APP: {"SharedNlbArn": "arn:other"}, DATA: {}},
                        explicit={"vpc_link": "link-1"})
    assert graph.of(drifted).role("nlb") == spare


DATA_TEMPLATE = """
Resources:
  MasterSecret: {Type: AWS::SecretsManager::Secret}
  Bookings:
    Type: AWS::RDS::DBInstance
    Properties:
      MasterUserPassword: !Sub "{{resolve:secretsmanager:${MasterSecret}:SecretString:password}}"
"""
APP_TEMPLATE = """
Parameters:
  DbSecretArn: {Type: String}
Resources:
  MasterSecret: {Type: AWS::SecretsManager::Secret}
  Orders:
    Type: AWS::RDS::DBInstance
    Properties:
      MasterUserPassword: !Sub "{{resolve:secretsmanager:${DbSecretArn}:SecretString:password}}"
"""
DATA_SECRET = "arn:aws:secretsmanager:us-east-1:1:secret:their-stack-Data-MasterSecret-aaa"
APP_SECRET = "arn:aws:secretsmanager:us-east-1:1:secret:their-stack-App-MasterSecret-bbb"


def _two_children(db: str, db_stack: str) -> NestedInv:
    """Data and app children both declare a ``MasterSecret`` (children are written apart:
    logical ids repeat across them); ``db`` of ``db_stack`` is the tree's database."""
    return NestedInv(
        [(DATA, "MasterSecret", "AWS::SecretsManager::Secret", DATA_SECRET),
         (APP, "MasterSecret", "AWS::SecretsManager::Secret", APP_SECRET),
         (db_stack, "Bookings" if db_stack == DATA else "Orders", "AWS::RDS::DBInstance", db)],
        {"describe_db_instances": {"DBInstances": [{"DBInstanceIdentifier": db}]},
         ("get_template", DATA): {"TemplateBody": DATA_TEMPLATE},
         ("get_template", APP): {"TemplateBody": APP_TEMPLATE}},
        {ROOT: {}, DATA: {}, APP: {"DbSecretArn": DATA_SECRET}})


def test_a_dynamic_reference_names_the_secret_of_the_dbs_own_child():
    """``${MasterSecret}`` in the data child's DB password is the data child's MasterSecret,
    not the app child's secret of the same logical id."""
    g = graph.of(_two_children("bookings", DATA))
    assert g.role("db_secret") == DATA_SECRET
    assert g.logical_of("AWS::SecretsManager::Secret", g.role("db_secret")) == "MasterSecret"


def test_a_dynamic_reference_through_a_childs_parameter_is_the_siblings_secret():
    """The app child's DB password resolves ``${DbSecretArn}``, a parameter the root filled
    with the data child's Output: the data child's secret, read from the app child's own
    parameters (not the root's, which has none)."""
    inv = _two_children("orders", APP)
    assert graph.of(inv).role("db_secret") == DATA_SECRET
    assert APP in inv.stacks


def test_a_hosted_zone_the_root_gives_its_edge_child_is_the_hosted_zone():
    """The root has no HostedZoneId parameter: it hands its edge child a zone id of its
    own. The role is read from the child's parameters, not left unfound in the root."""
    edge = "arn:aws:cloudformation:us-east-1:1:stack/their-stack-Edge-3/e"
    inv = NestedInv([], {}, {ROOT: {"Environment": "prod"}, edge: {"HostedZoneId": "Z0123EDGE"}, DATA: {}})
    assert graph.of(inv).role("hosted_zone") == "Z0123EDGE"
    assert edge in inv.stacks
    # The root's own parameter, when it has one, is the answer, with no child read.
    root_has = NestedInv([], {}, {ROOT: {"HostedZoneId": "Z0ROOT"}, edge: {"HostedZoneId": "Z0123EDGE"}})
    assert graph.of(root_has).role("hosted_zone") == "Z0ROOT" and not root_has.stacks
    # Children that disagree name no zone (the stack's own hosted zone, if any, is then taken).
    split = NestedInv([], {}, {ROOT: {}, edge: {"HostedZoneId": "Z0A"}, DATA: {"HostedZoneId": "Z0B"}})
    assert graph.of(split).role("hosted_zone") is None
