# ruff: noqa: F811  (pytest fixtures imported from _support, so the tests also run with --noconftest)
"""The fail-fast check: which types would moto skip silently?"""
from __future__ import annotations

import json

from fixtures.emulator.coverage import load_template, types_in, unmodelled_types

YAML = """
Parameters:
  Domain: {Type: String, Default: ''}
Conditions:
  HasDomain: !Not [!Equals [!Ref Domain, '']]
  Always: !Equals [a, a]
  Unknowable: !Equals [!Ref Thing, x]
Resources:
  Thing:
    Type: AWS::SNS::Topic
  Fancy:
    Type: AWS::Made::Up
    Properties:
      Name: !Sub '${AWS::StackName}-x'
      Arn: !GetAtt Thing.TopicArn
      Deep: !GetAtt Db.MasterUserSecret.SecretArn
      Listy: !GetAtt [Db, Endpoint.Address]
      Pick: !Select [0, !Split [',', !Join [',', [a, b]]]]
      Maybe: !If [HasDomain, !Ref Domain, !Ref AWS::NoValue]
      B64: !Base64 hello
  OnlyWithDomain:
    Type: AWS::Other::Unknown
    Condition: HasDomain
  AlsoAlways:
    Type: AWS::Third::Unknown
    Condition: Always
  InDoubt:
    Type: AWS::Fourth::Unknown
    Condition: Unknowable
  Custom:
    Type: Custom::Anything
  Wait:
    Type: AWS::CloudFormation::WaitConditionHandle
"""


def test_short_tags_are_understood():
    t = load_template(YAML)
    props = t["Resources"]["Fancy"]["Properties"]
    assert props["Name"] == {"Fn::Sub": "${AWS::StackName}-x"}
    assert props["Arn"] == {"Fn::GetAtt": ["Thing", "TopicArn"]}
    assert props["Deep"] == {"Fn::GetAtt": ["Db", "MasterUserSecret.SecretArn"]}  # split on the first dot only
    assert props["Listy"] == {"Fn::GetAtt": ["Db", "Endpoint.Address"]}
    assert props["Pick"] == {"Fn::Select": [0, {"Fn::Split": [",", {"Fn::Join": [",", ["a", "b"]]}]}]}
    assert props["Maybe"]["Fn::If"][0] == "HasDomain"
    assert t["Conditions"]["HasDomain"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "Domain"}, ""]}]}


def test_unknown_types_are_flagged_respecting_conditions_roughly():
    assert unmodelled_types(YAML) == ["AWS::Fourth::Unknown", "AWS::Made::Up", "AWS::Third::Unknown"]
    assert unmodelled_types(YAML, parameters={"Domain": "a.example"}) == [
        "AWS::Fourth::Unknown", "AWS::Made::Up", "AWS::Other::Unknown", "AWS::Third::Unknown"]


def test_json_and_dict_templates():
    body = {"Resources": {"A": {"Type": "AWS::SNS::Topic"}, "B": {"Type": "AWS::Nope::Nope"}}}
    assert unmodelled_types(json.dumps(body)) == ["AWS::Nope::Nope"]
    assert unmodelled_types(body) == ["AWS::Nope::Nope"]
    assert types_in(body) == ["AWS::Nope::Nope", "AWS::SNS::Topic"]


def test_types_the_extension_adds_are_not_flagged():
    body = {"Resources": {
        "D": {"Type": "AWS::CloudFront::Distribution"}, "P": {"Type": "AWS::CloudFront::CachePolicy"},
        "L": {"Type": "AWS::WAFv2::LoggingConfiguration"}, "A": {"Type": "AWS::ApiGateway::Account"},
        "E": {"Type": "AWS::EC2::SecurityGroupEgress"}, "C": {"Type": "AWS::CertificateManager::Certificate"}}}
    assert unmodelled_types(body) == []
