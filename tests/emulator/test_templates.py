# ruff: noqa: F811  (pytest fixtures imported from _support, so the tests also run with --noconftest)
"""Ordinary valid templates deploy as on AWS; what the emulator cannot model fails through
CloudFormation's own channel (a CREATE_FAILED event naming the type), never an HTTP 500."""
from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.emulator._support import REGION, Aws, aws, create, emu, template, unique  # noqa: F401

YAML_PARAMS = """
Parameters:
  VpcId: {Type: 'AWS::EC2::VPC::Id'}
  SubnetId: {Type: 'AWS::EC2::Subnet::Id'}
  Subnets: {Type: 'List<AWS::EC2::Subnet::Id>'}
  Ami: {Type: 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>', Default: /stackprobe/test/ami}
  Names: {Type: CommaDelimitedList, Default: 'a, b,c'}
  Count: {Type: Number, Default: 2}
  Env: {Type: String, Default: prod, AllowedValues: [prod, dev]}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  CountIsTwo: !Equals [!Ref Count, '2']
  NotProd: !Not [!Condition IsProd]
  ProdAndTwo: !And [!Condition IsProd, !Condition CountIsTwo]
Resources:
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: !Sub
        - 'for ${Env} in ${Vpc}, ${Count} of them, second ${Second}'
        - {Vpc: !Ref VpcId, Second: !Select [1, !Ref Names]}
      VpcId: !Ref VpcId
  DevOnly:
    Type: AWS::SNS::Topic
    Condition: NotProd
  Nlb:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties:
      Type: network
      Scheme: internal
      Subnets: !Ref Subnets
  Extra:
    Type: AWS::EC2::Subnet
    Properties:
      VpcId: !Ref VpcId
      CidrBlock: !Select [3, !Cidr ['10.42.0.0/16', 6, 8]]
      AvailabilityZone: !Select [2, !GetAZs '']
Outputs:
  ProdAndTwo: {Value: !If [ProdAndTwo, 'yes', 'no']}
  Dev: {Value: !Ref DevOnly, Condition: NotProd}
  Ami: {Value: !Ref Ami}
  Names: {Value: !Join ['|', !Ref Names]}
  Subnets: {Value: !Join [',', !Ref Subnets]}
  Count: {Value: !Ref Count}
  Zones: {Value: !Join [',', !GetAZs {Ref: 'AWS::Region'}]}
  Cidr: {Value: !GetAtt Extra.CidrBlock}
  Zone: {Value: !GetAtt Extra.AvailabilityZone}
"""


def _network(aws: Aws, cidr: str = "10.42.0.0/16") -> tuple[str, str, str]:
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    base = cidr.rsplit(".", 2)[0]
    a = ec2.create_subnet(VpcId=vpc, CidrBlock=f"{base}.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    b = ec2.create_subnet(VpcId=vpc, CidrBlock=f"{base}.2.0/24", AvailabilityZone="us-east-1b")["Subnet"]["SubnetId"]
    return vpc, a, b


def _events(aws: Aws, stack_id: str) -> list[dict[str, Any]]:
    pages = aws("cloudformation").get_paginator("describe_stack_events").paginate(StackName=stack_id)
    return [e for page in pages for e in page["StackEvents"]][::-1]  # oldest first


def _failed(aws: Aws, stack_id: str) -> list[tuple[str, str, str]]:
    return [(e["LogicalResourceId"], e["ResourceType"], e.get("ResourceStatusReason", ""))
            for e in _events(aws, stack_id) if e["ResourceStatus"] == "CREATE_FAILED"]


def _stacks_named(aws: Aws, prefix: str) -> dict[str, str]:
    pages = aws("cloudformation").get_paginator("list_stacks").paginate()
    return {s["StackId"]: s["StackStatus"] for page in pages for s in page["StackSummaries"]
            if s["StackName"].startswith(prefix)}


def _put_template(aws: Aws, body: dict[str, Any]) -> str:
    bucket = unique("tpl")
    aws("s3").create_bucket(Bucket=bucket)
    aws("s3").put_object(Bucket=bucket, Key="child.json", Body=json.dumps(body).encode())
    return f"https://{bucket}.s3.amazonaws.com/child.json"


def test_non_string_outputs_render_as_strings(aws):
    stack = create(aws, json.dumps({
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {"Two": {"Value": 2}, "Yes": {"Value": True}, "Half": {"Value": 0.5},
                    "Exported": {"Value": 7, "Export": {"Name": unique("seven")}}}}))
    assert stack.outputs == {"Two": "2", "Yes": "true", "Half": "0.5", "Exported": "7"}
    stack.delete()


def test_parameter_types_and_conditions(aws):
    vpc, a, b = _network(aws)
    aws("ssm").put_parameter(Name="/stackprobe/test/ami", Value="ami-12c6146b", Type="String", Overwrite=True)
    stack = create(aws, YAML_PARAMS, {"VpcId": vpc, "SubnetId": a, "Subnets": f"{a}, {b}"})
    out = stack.outputs
    assert out["ProdAndTwo"] == "yes"  # Number 2 equals '2': CloudFormation compares strings
    assert "Dev" not in out  # its Condition is false
    assert out["Ami"] == "ami-12c6146b" and out["Count"] == "2"
    assert out["Names"] == "a|b|c"  # a CommaDelimitedList default is a list, members trimmed
    assert out["Subnets"] == f"{a},{b}"
    group = aws("ec2").describe_security_groups(GroupIds=[stack.physical("Sg")])["SecurityGroups"][0]
    assert group["Description"] == f"for prod in {vpc}, 2 of them, second b"
    assert out["Zones"] == ",".join(f"us-east-1{z}" for z in "abcdef")
    assert out["Cidr"] == "10.42.3.0/24" and out["Zone"] == "us-east-1c"
    nlb = aws("cloudformation").describe_stack_resource(StackName=stack.name, LogicalResourceId="Nlb")
    arn = nlb["StackResourceDetail"]["PhysicalResourceId"]
    zones = aws("elbv2").describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"][0]["AvailabilityZones"]
    assert sorted(z["SubnetId"] for z in zones) == sorted([a, b])
    stack.delete()


@pytest.mark.parametrize("bad", ["VpcId", "Subnets"])
def test_aws_specific_parameter_that_does_not_exist_fails_the_stack(aws, bad):
    vpc, a, _ = _network(aws, "10.43.0.0/16")
    aws("ssm").put_parameter(Name="/stackprobe/test/ami", Value="ami-12c6146b", Type="String", Overwrite=True)
    params = {"VpcId": vpc, "SubnetId": a, "Subnets": a, bad: "vpc-0000000" if bad == "VpcId" else f"{a},subnet-0000"}
    stack = create(aws, YAML_PARAMS, params, expect="ROLLBACK_COMPLETE")
    reason = stack.describe()["StackStatusReason"]
    assert "Parameter validation failed" in reason and bad in reason and "does not exist" in reason


def test_parameter_errors_are_validation_errors(aws):
    cfn = aws("cloudformation")
    body = template({"T": {"Type": "AWS::SNS::Topic"}}, parameters={"P": {"Type": "String", "Default": "x"}})
    with pytest.raises(ClientError) as undeclared:
        cfn.create_stack(StackName=unique(), TemplateBody=body,
                         Parameters=[{"ParameterKey": "Nope", "ParameterValue": "1"}])
    assert "Parameters: [Nope] do not exist in the template" in str(undeclared.value)
    ssm_body = template({"T": {"Type": "AWS::SNS::Topic"}}, parameters={
        "P": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/stackprobe/test/missing"}})
    with pytest.raises(ClientError) as missing:
        cfn.create_stack(StackName=unique(), TemplateBody=ssm_body)
    assert "Unable to fetch parameters [/stackprobe/test/missing]" in str(missing.value)
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_template_errors_are_400_not_500(aws):
    cfn = aws("cloudformation")
    topic = {"Type": "AWS::SNS::Topic"}
    cases = {
        "Resources:\n  T:\n    Type: AWS::SNS::Topic\n    Properties: {DisplayName: !GetAZs !Ref AWS::Region}\n":
            "YAML not well-formed",
        "Conditions:\nResources:\n  T: {Type: 'AWS::SNS::Topic'}\n":
            "[/Conditions] 'null' values are not allowed in templates",
        template({"T": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": {"Ref": "Nope"}}}}):
            "Unresolved resource dependencies [Nope]",
        template({"T": {**topic, "DependsOn": ["Missing"]}}): "Unresolved resource dependencies [Missing]",
        template({"A": {**topic, "Properties": {"DisplayName": {"Fn::GetAtt": ["B", "TopicName"]}}},
                  "B": {**topic, "Properties": {"DisplayName": {"Fn::Sub": "${A.TopicName}"}}}}):
            "Circular dependency between resources: [A, B]",
        template({"A": topic, "B": {**topic, "Properties": {"DisplayName": {"Fn::GetAtt": ["A", "Nope"]}}}}):
            "Template error: resource A does not support attribute type Nope in Fn::GetAtt",
    }
    for body, message in cases.items():
        with pytest.raises(ClientError) as err:
            cfn.create_stack(StackName=unique(), TemplateBody=body)
        assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert message in str(err.value)


def test_target_group_targets_are_registered(aws):
    vpc, a, _ = _network(aws, "10.44.0.0/16")
    stack = create(aws, template({
        "Inst": {"Type": "AWS::EC2::Instance", "Properties": {"ImageId": "ami-12c6146b", "SubnetId": a}},
        "Tg": {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Properties": {
            "VpcId": vpc, "Port": 80, "Protocol": "TCP",
            "Targets": [{"Id": {"Ref": "Inst"}, "Port": 8080}]}}}))
    tg = stack.physical("Tg")
    health = aws("elbv2").describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
    assert [(h["Target"]["Id"], h["Target"]["Port"]) for h in health] == [(stack.physical("Inst"), 8080)]
    stack.delete()


def test_nested_stack_outputs_in_getatt_and_reexport(aws):
    url = _put_template(aws, {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
                              "Outputs": {"TopicArn": {"Value": {"Ref": "Topic"}}, "Port": {"Value": 8080}}})
    export = unique("reexport")
    name = unique("nest")
    stack = create(aws, json.dumps({
        "Resources": {
            "Child": {"Type": "AWS::CloudFormation::Stack", "Properties": {"TemplateURL": url}},
            "User": {"Type": "AWS::SNS::Topic", "Properties": {
                "DisplayName": {"Fn::Sub": "port-${Child.Outputs.Port}"}}}},
        "Outputs": {"Topic": {"Value": {"Fn::GetAtt": ["Child", "Outputs.TopicArn"]}, "Export": {"Name": export}},
                    "Port": {"Value": {"Fn::GetAtt": "Child.Outputs.Port"}}}}), name=name)
    child_id = stack.physical("Child")
    assert child_id.startswith("arn:aws:cloudformation:") and f"stack/{name}-Child-" in child_id  # Ref is the id
    child = aws("cloudformation").describe_stacks(StackName=child_id)["Stacks"][0]
    topic = {o["OutputKey"]: o["OutputValue"] for o in child["Outputs"]}["TopicArn"]
    assert stack.outputs == {"Topic": topic, "Port": "8080"}
    exports = {e["Name"]: e["Value"] for e in aws("cloudformation").list_exports()["Exports"]}
    assert exports[export] == topic
    user = aws("sns").get_topic_attributes(TopicArn=stack.physical("User"))["Attributes"]
    assert user["DisplayName"] == "port-8080"
    assert _stacks_named(aws, name) == {stack.stack_id: "CREATE_COMPLETE", child_id: "CREATE_COMPLETE"}
    stack.delete()
    assert _stacks_named(aws, name) == {stack.stack_id: "DELETE_COMPLETE", child_id: "DELETE_COMPLETE"}
    assert export not in {e["Name"] for e in aws("cloudformation").list_exports()["Exports"]}


def test_a_nested_stack_names_its_parent_and_its_root(aws):
    """DescribeStacks of a nested stack shows ParentId (the stack that nests it) and RootId
    (the top of the tree); a root shows neither."""
    leaf = _put_template(aws, {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}})
    middle = _put_template(aws, {"Resources": {"Leaf": {"Type": "AWS::CloudFormation::Stack",
                                                        "Properties": {"TemplateURL": leaf}}}})
    root = create(aws, json.dumps({"Resources": {"Middle": {"Type": "AWS::CloudFormation::Stack",
                                                            "Properties": {"TemplateURL": middle}}}}))
    cfn = aws("cloudformation")
    mid_id = root.physical("Middle")
    leaf_id = cfn.list_stack_resources(StackName=mid_id)["StackResourceSummaries"][0]["PhysicalResourceId"]
    described = {sid: cfn.describe_stacks(StackName=sid)["Stacks"][0] for sid in (mid_id, leaf_id)}
    assert (described[mid_id]["ParentId"], described[mid_id]["RootId"]) == (root.stack_id, root.stack_id)
    assert (described[leaf_id]["ParentId"], described[leaf_id]["RootId"]) == (mid_id, root.stack_id)
    assert "ParentId" not in root.describe() and "RootId" not in root.describe()
    root.delete()


def test_generated_names_fit_their_types_limits_in_a_nested_stack(aws):
    """A nested stack's name is already ``<root>-<Child>-<SUFFIX>``: the DB identifier and
    role name CloudFormation generates in it are cut to 63 and 64 characters (RDS and IAM
    refuse longer ones), keeping the unique suffix, with no trailing or doubled hyphen."""
    url = _put_template(aws, {"Resources": {
        "BookingsDatabase": {"Type": "AWS::RDS::DBInstance", "Properties": {
            "Engine": "postgres", "DBInstanceClass": "db.t3.micro", "AllocatedStorage": "20",
            "MasterUsername": "harbor", "MasterUserPassword": "not-a-secret-123"}},
        "FleetInstanceRole": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                    "Principal": {"Service": "ec2.amazonaws.com"}}]}}}}})
    root = create(aws, json.dumps({"Resources": {"DataTier": {"Type": "AWS::CloudFormation::Stack",
                                                              "Properties": {"TemplateURL": url}}}}),
                  name=unique("a-long-root-stack-name-of-a-team"))
    child = aws("cloudformation").list_stack_resources(StackName=root.physical("DataTier"))
    names = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in child["StackResourceSummaries"]}
    for logical, limit in (("BookingsDatabase", 63), ("FleetInstanceRole", 64)):
        name = names[logical]
        assert len(name) <= limit and "--" not in name and not name.endswith("-"), name
    aws("rds").describe_db_instances(DBInstanceIdentifier=names["BookingsDatabase"])
    root.delete()


UNMODELLED = "AWS::GameLift::Fleet"  # a type AWS has (cfn-lint's registry copy) and the emulator does not


def test_the_unmodelled_type_of_these_tests_is_a_real_aws_type():
    from fixtures.emulator.coverage import modelled_types
    from fixtures.emulator.patches.cfn_template import aws_types

    assert UNMODELLED in aws_types(REGION) and UNMODELLED not in modelled_types()


def test_a_type_aws_does_not_know_is_refused_at_create(aws):
    """AWS refuses the whole template ("Template format error: Unrecognized resource types"),
    also when the resource's Condition is false."""
    cfn = aws("cloudformation")
    body = template({"Topic": {"Type": "AWS::SNS::Topic"}, "Thing": {"Type": "AWS::Made::Up", "Condition": "Never"}},
                    conditions={"Never": {"Fn::Equals": ["a", "b"]}})
    with pytest.raises(ClientError) as err:
        cfn.create_stack(StackName=unique(), TemplateBody=body)
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "Template format error: Unrecognized resource types: [AWS::Made::Up]" in str(err.value)


def test_unmodelled_type_fails_its_resource_and_rolls_back(aws):
    stack = create(aws, template({
        "Topic": {"Type": "AWS::SNS::Topic"},
        "Thing": {"Type": "AWS::GameLift::Fleet", "Properties": {"Topic": {"Ref": "Topic"}}}},
        outputs={"Thing": {"Ref": "Thing"}}), expect="ROLLBACK_COMPLETE")
    failed = _failed(aws, stack.stack_id)
    assert [(logical, rtype) for logical, rtype, _ in failed] == [("Thing", "AWS::GameLift::Fleet")]
    assert "AWS::GameLift::Fleet" in failed[0][2] and "not supported by the stackprobe emulator" in failed[0][2]
    assert "Outputs" not in stack.describe()  # a stack that rolled back has no outputs
    resources = aws("cloudformation").list_stack_resources(StackName=stack.stack_id)["StackResourceSummaries"]
    assert resources == []  # listing it must not build the rolled-back resources again


def test_unmodelled_type_behind_a_true_condition_fails(aws):
    stack = create(aws, template({"Thing": {"Type": "AWS::GameLift::Fleet", "Condition": "On"},
                                  "Topic": {"Type": "AWS::SNS::Topic"}},
                                 parameters={"Flag": {"Type": "String", "Default": "off"}},
                                 conditions={"On": {"Fn::Equals": [{"Ref": "Flag"}, "on"]}}),
                   {"Flag": "on"}, expect="ROLLBACK_COMPLETE")
    assert [r[:2] for r in _failed(aws, stack.stack_id)] == [("Thing", "AWS::GameLift::Fleet")]


def test_unmodelled_type_in_a_nested_stack_fails_the_parent(aws):
    url = _put_template(aws, {"Resources": {"Thing": {"Type": "AWS::GameLift::Fleet"}}})
    name = unique("nestbad")
    stack = create(aws, template({"Child": {"Type": "AWS::CloudFormation::Stack",
                                            "Properties": {"TemplateURL": url}}}),
                   name=name, expect="ROLLBACK_COMPLETE")
    (logical, rtype, reason), = _failed(aws, stack.stack_id)
    assert (logical, rtype) == ("Child", "AWS::CloudFormation::Stack")
    assert "was not successfully created" in reason and "[Thing]" in reason
    children = {k: v for k, v in _stacks_named(aws, name).items() if k != stack.stack_id}
    assert list(children.values()) == ["DELETE_COMPLETE"]  # no orphaned child
    child_failures = _failed(aws, next(iter(children)))
    assert child_failures[0][:2] == ("Thing", "AWS::GameLift::Fleet")


def test_unmodelled_type_through_the_suites_deploy(emu, tmp_path):
    """fixtures/stack.py deploy with the embedded precheck: a type the precheck cannot see (its
    Condition is false with the defaults the precheck reads, true with the deploy's
    parameters) still fails the stack through its events, and the DeployError names it."""
    from fixtures import stack as stackmod
    from fixtures.emulator.coverage import unmodelled_types
    from probes.aws import AwsSession
    from tests.emulator._support import CREDS

    path = tmp_path / "root.json"
    path.write_text(template({"Thing": {"Type": "AWS::GameLift::Fleet", "Condition": "On"},
                              "Topic": {"Type": "AWS::SNS::Topic"}},
                             parameters={"Flag": {"Type": "String", "Default": "off"}},
                             conditions={"On": {"Fn::Equals": [{"Ref": "Flag"}, "on"]}}))
    assert unmodelled_types(path.read_text()) == []
    session = AwsSession(REGION, emu.endpoint, allow_mutations=True, credentials=CREDS)
    name = unique("suite")
    with pytest.raises(stackmod.DeployError) as err:
        stackmod.deploy(session, path, name, {"Flag": "on"}, timeout=60, precheck=unmodelled_types,
                        out=lambda _: None)
    assert "resource Thing (AWS::GameLift::Fleet) CREATE_FAILED" in str(err.value)
    assert "not supported by the stackprobe emulator" in str(err.value)
    cfn = Aws(emu.endpoint)("cloudformation")
    assert cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"] == "ROLLBACK_COMPLETE"


def test_intrinsics_of_ordinary_templates(aws):
    vpc, a, _ = _network(aws, "10.45.0.0/16")
    export = unique("vpc")
    producer = create(aws, json.dumps({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
                                       "Outputs": {"Vpc": {"Value": vpc, "Export": {"Name": export}}}}))
    consumer = create(aws, json.dumps({
        "Conditions": {"Never": {"Fn::Equals": ["a", "b"]}},
        "Resources": {
            "Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
                "GroupDescription": {"Fn::Join": ["-", {"Fn::Split": [",", "x,y,z"]}]},
                "VpcId": {"Fn::ImportValue": export}}},
            "Other": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
                "GroupDescription": "other", "VpcId": {"Fn::ImportValue": export}}},
            },
        "Outputs": {"Literal": {"Value": {"Fn::Sub": "${!Literal}-${AWS::Region}"}},
                    "Kept": {"Value": {"Fn::Join": [",", [{"Ref": "Sg"}, {"Fn::If": [
                        "Never", {"Ref": "Other"}, {"Ref": "AWS::NoValue"}]}, "end"]]}}}}))
    assert consumer.outputs == {"Literal": "${Literal}-us-east-1", "Kept": f"{consumer.physical('Sg')},end"}
    group = aws("ec2").describe_security_groups(GroupIds=[consumer.physical("Sg")])["SecurityGroups"][0]
    assert (group["Description"], group["VpcId"]) == ("x-y-z", vpc)
    # an export name another stack already exports fails the second stack, as in AWS
    dup = create(aws, json.dumps({"Resources": {"T": {"Type": "AWS::SNS::Topic"}},
                                  "Outputs": {"V": {"Value": "x", "Export": {"Name": export}}}}),
                 expect="ROLLBACK_COMPLETE")
    assert f"Export with name {export} is already exported" in dup.describe()["StackStatusReason"]
    consumer.delete()
    producer.delete()


def test_nested_update_in_place_and_exports_follow_updates(aws):
    url = _put_template(aws, {"Parameters": {"Label": {"Type": "String"}},
                              "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
                              "Outputs": {"Label": {"Value": {"Ref": "Label"}}}})
    first, second = unique("exp"), unique("exp")

    def root(label: str, export: str) -> str:
        return json.dumps({
            "Resources": {"Child": {"Type": "AWS::CloudFormation::Stack",
                                    "Properties": {"TemplateURL": url, "Parameters": {"Label": label}}}},
            "Outputs": {"Label": {"Value": {"Fn::GetAtt": ["Child", "Outputs.Label"]}, "Export": {"Name": export}}}})

    stack = create(aws, root("a", first))
    child = stack.physical("Child")
    stack.update(root("b", second))
    assert stack.physical("Child") == child  # the child is updated, not replaced
    assert stack.outputs == {"Label": "b"}
    exports = {e["Name"]: e["Value"] for e in aws("cloudformation").list_exports()["Exports"]}
    assert exports.get(second) == "b" and first not in exports
    stack.delete()


def test_imports_are_checked_at_create_and_block_the_exporters_delete(aws):
    cfn = aws("cloudformation")
    export = unique("shared")
    with pytest.raises(ClientError) as err:
        cfn.create_stack(StackName=unique(), TemplateBody=json.dumps({"Resources": {"T": {
            "Type": "AWS::SNS::Topic", "Properties": {"DisplayName": {"Fn::ImportValue": export}}}}}))
    assert f"No export named {export} found." in str(err.value)
    producer = create(aws, json.dumps({"Resources": {"T": {"Type": "AWS::SNS::Topic"}},
                                       "Outputs": {"O": {"Value": "v", "Export": {"Name": export}}}}))
    consumer = create(aws, json.dumps({"Resources": {"T": {
        "Type": "AWS::SNS::Topic", "Properties": {"DisplayName": {"Fn::ImportValue": export}}}}}))
    cfn.delete_stack(StackName=producer.name)
    described = producer.describe()
    assert described["StackStatus"] == "DELETE_FAILED"
    assert described["StackStatusReason"] == f"Export {export} cannot be deleted as it is in use by {consumer.name}"
    consumer.delete()
    producer.delete()


@pytest.mark.parametrize(("on_failure", "status"), [("DO_NOTHING", "CREATE_FAILED"), ("DELETE", "DELETE_COMPLETE"),
                                                    ("ROLLBACK", "ROLLBACK_COMPLETE")])
def test_on_failure(aws, on_failure, status):
    cfn = aws("cloudformation")
    body = template({"Topic": {"Type": "AWS::SNS::Topic"}, "Thing": {"Type": "AWS::GameLift::Fleet", "DependsOn": "Topic"}})
    stack_id = cfn.create_stack(StackName=unique(), TemplateBody=body, OnFailure=on_failure)["StackId"]
    assert cfn.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"] == status
    resources_failed = [r[:2] for r in _failed(aws, stack_id) if r[1] != "AWS::CloudFormation::Stack"]
    assert resources_failed == [("Thing", "AWS::GameLift::Fleet")]
    topics = cfn.list_stack_resources(StackName=stack_id)["StackResourceSummaries"]
    assert [t["LogicalResourceId"] for t in topics] == (["Topic"] if on_failure == "DO_NOTHING" else [])
    if on_failure == "DO_NOTHING":
        cfn.delete_stack(StackName=stack_id)


def test_an_attribute_aws_has_and_the_emulator_lacks_fails_the_reading_resource(aws):
    stack = create(aws, template({
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.46.0.0/16"}},
        "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": {"Fn::GetAtt": ["Vpc", "Ipv6CidrBlocks"]}}}}),
        expect="ROLLBACK_COMPLETE")
    (logical, rtype, reason), = _failed(aws, stack.stack_id)
    assert (logical, rtype) == ("Topic", "AWS::SNS::Topic")
    assert "does not model attribute Ipv6CidrBlocks of AWS::EC2::VPC" in reason  # never a silently missing value


def test_vpc_default_network_acl_takes_entries(aws):
    """GetAtt Vpc.DefaultNetworkAcl is the ACL AWS made with the VPC; entries land on it and
    leave with the stack, the ACL's own rule 100 staying."""
    stack = create(aws, template({
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.47.0.0/16"}},
        "DenySsh": {"Type": "AWS::EC2::NetworkAclEntry", "Properties": {
            "NetworkAclId": {"Fn::GetAtt": ["Vpc", "DefaultNetworkAcl"]}, "RuleNumber": 10, "Protocol": 6,
            "RuleAction": "deny", "CidrBlock": "0.0.0.0/0", "PortRange": {"From": 22, "To": 22}}}},
        outputs={"Acl": {"Fn::GetAtt": ["Vpc", "DefaultNetworkAcl"]}, "Vpc": {"Ref": "Vpc"}}))
    ec2 = aws("ec2")
    acl, = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [stack.outputs["Vpc"]]},
                                              {"Name": "default", "Values": ["true"]}])["NetworkAcls"]
    assert acl["NetworkAclId"] == stack.outputs["Acl"]
    assert {(e["RuleNumber"], e["RuleAction"]) for e in acl["Entries"] if not e["Egress"]} == {
        (10, "deny"), (100, "allow"), (32767, "deny")}
    stack.delete()


def test_wait_condition_handle_is_a_url_and_a_wait_condition_is_refused(aws):
    handle_only = create(aws, template({"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
                                       outputs={"Url": {"Ref": "Handle"}}))
    assert handle_only.outputs["Url"].startswith("https://cloudformation-waitcondition-us-east-1.s3.amazonaws.com/")
    handle_only.delete()
    waiting = create(aws, template({"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"},
                                    "Wait": {"Type": "AWS::CloudFormation::WaitCondition",
                                             "Properties": {"Handle": {"Ref": "Handle"}, "Timeout": "300"}}}),
                     expect="ROLLBACK_COMPLETE")
    (logical, _, reason), = _failed(aws, waiting.stack_id)
    assert logical == "Wait" and "cfn-signal" in reason


def test_update_validation_errors_leave_the_stack_alone(aws):
    body = template({"T": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": {"Ref": "P"}}}},
                    parameters={"P": {"Type": "String"}})
    stack = create(aws, body, {"P": "a"})
    cfn = aws("cloudformation")
    cases = [
        ([{"ParameterKey": "P", "ParameterValue": "b"}, {"ParameterKey": "Q", "ParameterValue": "x"}],
         body, "Parameters: [Q] do not exist in the template"),
        ([], body, "Parameters: [P] must have values"),
        ([{"ParameterKey": "Z", "UsePreviousValue": True}], body, "parameter Z"),
        ([{"ParameterKey": "P", "UsePreviousValue": True}],
         template({"T": {"Type": "AWS::Made::Up"}}, parameters={"P": {"Type": "String"}}),
         "Unrecognized resource types: [AWS::Made::Up]"),
    ]
    for params, new_body, message in cases:
        with pytest.raises(ClientError) as err:
            cfn.update_stack(StackName=stack.name, TemplateBody=new_body, Parameters=params)
        assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400 and message in str(err.value)
        assert stack.status == "CREATE_COMPLETE"
    stack.update(body, {"P": "c"})
    assert aws("sns").get_topic_attributes(TopicArn=stack.physical("T"))["Attributes"]["DisplayName"] == "c"
    stack.delete()


def test_change_sets_create_and_update_like_create_stack(aws):
    """`aws cloudformation deploy` creates and executes change sets: the same create (outputs,
    events, rollback) and update as CreateStack / UpdateStack."""
    cfn = aws("cloudformation")
    body = template({"Topic": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": {"Ref": "Label"}}}},
                    outputs={"Arn": {"Ref": "Topic"}}, parameters={"Label": {"Type": "String", "Default": "a"}})
    name = unique("cs")
    first = cfn.create_change_set(StackName=name, ChangeSetName="first", ChangeSetType="CREATE", TemplateBody=body)
    cfn.execute_change_set(ChangeSetName=first["Id"])
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    topic = stack["Outputs"][0]["OutputValue"]
    assert topic.startswith("arn:aws:sns:")
    second = cfn.create_change_set(StackName=name, ChangeSetName="second", ChangeSetType="UPDATE", TemplateBody=body,
                                   Parameters=[{"ParameterKey": "Label", "ParameterValue": "b"}])
    cfn.execute_change_set(ChangeSetName=second["Id"])
    assert cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"] == "UPDATE_COMPLETE"
    updated = cfn.describe_stack_resource(StackName=name, LogicalResourceId="Topic")["StackResourceDetail"]
    assert aws("sns").get_topic_attributes(TopicArn=updated["PhysicalResourceId"])["Attributes"]["DisplayName"] == "b"
    cfn.delete_stack(StackName=name)

    failing = unique("cs")
    change_set = cfn.create_change_set(StackName=failing, ChangeSetName="c", ChangeSetType="CREATE",
                                       TemplateBody=template({"Thing": {"Type": UNMODELLED}}))
    cfn.execute_change_set(ChangeSetName=change_set["Id"])
    assert cfn.describe_stacks(StackName=change_set["StackId"])["Stacks"][0]["StackStatus"] == "ROLLBACK_COMPLETE"
    assert [r[:2] for r in _failed(aws, change_set["StackId"])] == [("Thing", UNMODELLED)]
    with pytest.raises(ClientError) as err:
        cfn.create_change_set(StackName=unique("cs"), ChangeSetName="c", ChangeSetType="CREATE",
                              TemplateBody=template({"Thing": {"Type": "AWS::Made::Up"}}))
    assert "Unrecognized resource types: [AWS::Made::Up]" in str(err.value)


def test_first_failure_follows_a_failed_nested_stack_to_its_resource(aws):
    """The root's event only says the embedded stack was not created: the deploy's one-line
    reason names the child's failed resource and why."""
    from fixtures.stack import first_failure

    url = _put_template(aws, {"Resources": {
        "Net": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.90.0.0/16"}},
        "BadSubnet": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Net"},
                                                                "CidrBlock": "10.91.0.0/24"}}}})
    stack = create(aws, json.dumps({"Resources": {
        "Network": {"Type": "AWS::CloudFormation::Stack", "Properties": {"TemplateURL": url}}}}),
        expect="ROLLBACK_COMPLETE")
    said = first_failure(aws("cloudformation"), stack.stack_id)
    assert said.startswith("resource Network (AWS::CloudFormation::Stack) CREATE_FAILED, in it: "), said
    assert "BadSubnet (AWS::EC2::Subnet) CREATE_FAILED" in said, said
