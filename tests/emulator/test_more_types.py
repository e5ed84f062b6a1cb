"""Types the extension models for foreign stacks (tests/corpus): NetworkAcl, NetworkAclEntry,
SubnetNetworkAclAssociation, IAM RolePolicy and Policy, SNS TopicPolicy, SecretTargetAttachment,
Cognito UserPoolDomain, Logs MetricFilter (and what those stacks needed besides: inline policies
without Version, RDS engine names in any case). Each: create through CloudFormation, read back
through the service API, update in place where AWS does, delete the stack and check it is gone;
deletes tolerate "already gone"."""
from __future__ import annotations

import json

import pytest

from tests.emulator._support import ACCOUNT, REGION, Aws, Stack, create, gone, template, unique
from tests.emulator.test_models import _network as _vpc


@pytest.fixture(scope="module")
def aws(emulator) -> Aws:
    return Aws(emulator.endpoint)


def _created(aws: Aws, body: str, **generated: str) -> tuple[Stack, dict[str, str]]:
    """Create the stack and return it with its outputs; each output named in ``generated`` is
    the name CloudFormation generates for that logical id (<stack>-<logical>-<suffix>)."""
    stack = create(aws, body)
    for output, logical in generated.items():
        assert stack.outputs[output].startswith(f"{stack.name}-{logical}-")
    return stack, stack.outputs


# --- network ACLs ---------------------------------------------------------------------------
def _nacl(action: str, cidr: str, tier: str) -> str:
    res = _vpc(1)
    res.update({
        "Acl": {"Type": "AWS::EC2::NetworkAcl", "Properties": {
            "VpcId": {"Ref": "Vpc"}, "Tags": [{"Key": "Tier", "Value": tier}]}},
        "InHttps": {"Type": "AWS::EC2::NetworkAclEntry", "Properties": {
            "NetworkAclId": {"Ref": "Acl"}, "RuleNumber": "100", "Protocol": "6", "RuleAction": action,
            "Egress": "false", "CidrBlock": cidr, "PortRange": {"From": "443", "To": "443"}}},
        "OutAll": {"Type": "AWS::EC2::NetworkAclEntry", "Properties": {
            "NetworkAclId": {"Ref": "Acl"}, "RuleNumber": 100, "Protocol": -1, "RuleAction": "allow",
            "Egress": True, "CidrBlock": "0.0.0.0/0", "PortRange": {"From": 0, "To": 65535}}},
        "Assoc": {"Type": "AWS::EC2::SubnetNetworkAclAssociation", "Properties": {
            "SubnetId": {"Ref": "Subnet0"}, "NetworkAclId": {"Ref": "Acl"}}},
    })
    return template(res, outputs={
        "Vpc": {"Ref": "Vpc"}, "Subnet": {"Ref": "Subnet0"}, "Acl": {"Ref": "Acl"},
        "AclId": {"Fn::GetAtt": ["Acl", "Id"]}, "Entry": {"Ref": "InHttps"},
        "EntryId": {"Fn::GetAtt": ["InHttps", "Id"]}, "Assoc": {"Ref": "Assoc"},
        "AssocId": {"Fn::GetAtt": ["Assoc", "AssociationId"]},
        "SubnetAssoc": {"Fn::GetAtt": ["Subnet0", "NetworkAclAssociationId"]}})


def _acl_of(ec2, subnet_id: str) -> dict:
    acls = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}])["NetworkAcls"]
    assert len(acls) == 1, acls
    return acls[0]


def test_network_acl_entries_and_subnet_association(aws):
    stack = create(aws, _nacl("allow", "10.0.0.0/8", "public"))
    out = stack.outputs
    ec2 = aws("ec2")
    assert out["Acl"].startswith("acl-") and out["AclId"] == out["Acl"]
    assert out["Entry"] == out["EntryId"] and out["Entry"].startswith(f"{stack.name}-InHttps-")
    assert out["Assoc"].startswith("aclassoc-") and out["AssocId"] == out["Assoc"]

    acl = ec2.describe_network_acls(NetworkAclIds=[out["Acl"]])["NetworkAcls"][0]
    assert acl["VpcId"] == out["Vpc"] and acl["IsDefault"] is False
    tags = {t["Key"]: t["Value"] for t in acl["Tags"]}
    assert tags["Tier"] == "public" and tags["aws:cloudformation:logical-id"] == "Acl"
    assert tags["aws:cloudformation:stack-name"] == stack.name
    entries = {(e["Egress"], e["RuleNumber"]): e for e in acl["Entries"]}
    https = entries[(False, 100)]
    assert (https["Protocol"], https["RuleAction"], https["CidrBlock"], https["PortRange"]) == (
        "6", "allow", "10.0.0.0/8", {"From": 443, "To": 443})
    out_all = entries[(True, 100)]
    assert (out_all["Protocol"], out_all["RuleAction"], out_all["CidrBlock"]) == ("-1", "allow", "0.0.0.0/0")
    assert "PortRange" not in out_all  # AWS ignores ports for protocol -1
    assert [a["SubnetId"] for a in acl["Associations"]] == [out["Subnet"]]
    assert _acl_of(ec2, out["Subnet"])["NetworkAclId"] == out["Acl"]
    assert acl["Associations"][0]["NetworkAclAssociationId"] == out["Assoc"] == out["SubnetAssoc"]

    # RuleAction, CidrBlock and Tags change in place: same ACL, same entry id
    stack.update(_nacl("deny", "192.168.0.0/16", "edge"))
    after = stack.outputs
    assert (after["Acl"], after["Entry"], after["Assoc"]) == (out["Acl"], out["Entry"], out["Assoc"])
    acl = ec2.describe_network_acls(NetworkAclIds=[out["Acl"]])["NetworkAcls"][0]
    https = next(e for e in acl["Entries"] if not e["Egress"] and e["RuleNumber"] == 100)
    assert (https["RuleAction"], https["CidrBlock"]) == ("deny", "192.168.0.0/16")
    assert {t["Key"]: t["Value"] for t in acl["Tags"]}["Tier"] == "edge"

    stack.delete()
    assert gone(lambda: ec2.describe_network_acls(NetworkAclIds=[out["Acl"]]))


def test_removing_the_association_returns_the_subnet_to_the_default_acl(aws):
    body = json.loads(_nacl("allow", "10.0.0.0/8", "public"))
    stack = create(aws, json.dumps(body))
    out = stack.outputs
    ec2 = aws("ec2")
    del body["Resources"]["Assoc"]
    for key in ("Assoc", "AssocId"):
        del body["Outputs"][key]
    stack.update(json.dumps(body))
    now = _acl_of(ec2, out["Subnet"])
    assert now["IsDefault"] is True and now["VpcId"] == out["Vpc"]
    assert ec2.describe_network_acls(NetworkAclIds=[out["Acl"]])["NetworkAcls"][0]["Associations"] == []
    stack.delete()


def test_network_acl_deletes_tolerate_already_gone(aws):
    stack = create(aws, _nacl("allow", "10.0.0.0/8", "public"))
    out = stack.outputs
    ec2 = aws("ec2")
    ec2.delete_network_acl_entry(NetworkAclId=out["Acl"], RuleNumber=100, Egress=False)
    default = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [out["Vpc"]]},
                                                 {"Name": "default", "Values": ["true"]}])["NetworkAcls"][0]
    ec2.replace_network_acl_association(AssociationId=out["Assoc"], NetworkAclId=default["NetworkAclId"])
    stack.delete()
    assert gone(lambda: ec2.describe_network_acls(NetworkAclIds=[out["Acl"]]))


# --- IAM inline policies --------------------------------------------------------------------
_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def _doc(action: str) -> dict:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]}


def _role_policies(action: str) -> str:
    return template({
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": _TRUST}},
        "Inline": {"Type": "AWS::IAM::RolePolicy", "Properties": {
            "RoleName": {"Ref": "Role"}, "PolicyName": "reads", "PolicyDocument": _doc(action)}},
        "Shared": {"Type": "AWS::IAM::Policy", "Properties": {
            "Roles": [{"Ref": "Role"}], "PolicyName": "shared", "PolicyDocument": _doc(action)}},
    }, outputs={"Role": {"Ref": "Role"}, "Inline": {"Ref": "Inline"}, "Shared": {"Ref": "Shared"}})


def test_role_policy_and_policy(aws):
    stack, out = _created(aws, _role_policies("s3:GetObject"), Inline="Inline")
    iam = aws("iam")
    assert sorted(iam.list_role_policies(RoleName=out["Role"])["PolicyNames"]) == ["reads", "shared"]
    for name in ("reads", "shared"):
        doc = iam.get_role_policy(RoleName=out["Role"], PolicyName=name)["PolicyDocument"]
        assert doc == _doc("s3:GetObject")

    stack.update(_role_policies("s3:PutObject"))  # the document changes in place
    assert stack.outputs["Inline"] == out["Inline"]
    for name in ("reads", "shared"):
        assert iam.get_role_policy(RoleName=out["Role"], PolicyName=name)["PolicyDocument"] == _doc("s3:PutObject")

    stack.delete()
    assert gone(lambda: iam.get_role(RoleName=out["Role"]))


def test_role_policy_removed_from_the_template_is_deleted(aws):
    body = json.loads(_role_policies("s3:GetObject"))
    stack = create(aws, json.dumps(body))
    role = stack.outputs["Role"]
    del body["Resources"]["Inline"], body["Outputs"]["Inline"]
    stack.update(json.dumps(body))
    iam = aws("iam")
    assert iam.list_role_policies(RoleName=role)["PolicyNames"] == ["shared"]
    iam.delete_role_policy(RoleName=role, PolicyName="shared")  # out of band: tolerated by the delete
    stack.delete()


# --- SNS topic policy -----------------------------------------------------------------------
def _publish_from(service: str, topics: list[str]) -> dict:
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "publish", "Effect": "Allow", "Principal": {"Service": service}, "Action": "sns:Publish",
        "Resource": [{"Ref": t} for t in topics]}]}


def _topic_policy(service: str, topics: list[str]) -> str:
    return template({
        "Alerts": {"Type": "AWS::SNS::Topic", "Properties": {}},
        "Trail": {"Type": "AWS::SNS::Topic", "Properties": {}},
        "Policy": {"Type": "AWS::SNS::TopicPolicy", "Properties": {
            "Topics": [{"Ref": t} for t in topics], "PolicyDocument": _publish_from(service, topics)}},
    }, outputs={"Alerts": {"Ref": "Alerts"}, "Trail": {"Ref": "Trail"},
                "PolicyId": {"Fn::GetAtt": ["Policy", "Id"]}})


def _policy(sns, arn: str) -> dict:
    return json.loads(sns.get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"])


def test_topic_policy(aws):
    stack, out = _created(aws, _topic_policy("cloudwatch.amazonaws.com", ["Alerts"]), PolicyId="Policy")
    sns = aws("sns")
    policy = _policy(sns, out["Alerts"])
    assert policy["Statement"][0]["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert policy["Statement"][0]["Resource"] == [out["Alerts"]]
    assert _policy(sns, out["Trail"])["Id"] == "__default_policy_ID"

    # in place: the policy moves to the other topic; the topic it left gets the default back
    stack.update(_topic_policy("cloudtrail.amazonaws.com", ["Trail"]))
    assert stack.outputs["PolicyId"] == out["PolicyId"]
    assert _policy(sns, out["Trail"])["Statement"][0]["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert _policy(sns, out["Alerts"])["Id"] == "__default_policy_ID"

    body = json.loads(_topic_policy("cloudtrail.amazonaws.com", ["Trail"]))
    del body["Resources"]["Policy"], body["Outputs"]["PolicyId"]
    stack.update(json.dumps(body))  # removing the policy restores SNS's default policy
    default = _policy(sns, out["Trail"])
    assert default["Id"] == "__default_policy_ID"
    assert default["Statement"][0]["Condition"] == {"StringEquals": {"AWS:SourceOwner": ACCOUNT}}

    stack.delete()
    assert gone(lambda: sns.get_topic_attributes(TopicArn=out["Trail"]))


def test_topic_policy_delete_tolerates_a_deleted_topic(aws):
    stack = create(aws, _topic_policy("cloudwatch.amazonaws.com", ["Alerts", "Trail"]))
    aws("sns").delete_topic(TopicArn=stack.outputs["Trail"])
    stack.delete()


# --- Secrets Manager target attachment ------------------------------------------------------
def _attached(with_attachment: bool = True) -> str:
    res = {
        "Secret": {"Type": "AWS::SecretsManager::Secret", "Properties": {"GenerateSecretString": {
            "SecretStringTemplate": '{"username": "ledger"}', "GenerateStringKey": "password",
            "PasswordLength": 20, "ExcludePunctuation": True}}},
        "Db": {"Type": "AWS::RDS::DBInstance", "Properties": {
            "Engine": "mysql", "DBInstanceClass": "db.t3.micro", "AllocatedStorage": "20",
            "MasterUsername": "{{resolve:secretsmanager:" + "${Secret}:SecretString:username}}",
            "MasterUserPassword": "{{resolve:secretsmanager:" + "${Secret}:SecretString:password}}"}},
    }
    for prop in ("MasterUsername", "MasterUserPassword"):
        res["Db"]["Properties"][prop] = {"Fn::Sub": res["Db"]["Properties"][prop]}
    outputs = {"Secret": {"Ref": "Secret"}, "Db": {"Ref": "Db"},
               "Address": {"Fn::GetAtt": ["Db", "Endpoint.Address"]}}
    if with_attachment:
        res["Attach"] = {"Type": "AWS::SecretsManager::SecretTargetAttachment", "Properties": {
            "SecretId": {"Ref": "Secret"}, "TargetId": {"Ref": "Db"}, "TargetType": "AWS::RDS::DBInstance"}}
        outputs.update({"Attach": {"Ref": "Attach"}, "AttachId": {"Fn::GetAtt": ["Attach", "Id"]}})
    return template(res, outputs=outputs)


def test_secret_target_attachment(aws):
    stack = create(aws, _attached())
    out = stack.outputs
    sm = aws("secretsmanager")
    assert out["Attach"] == out["AttachId"] == out["Secret"]
    assert out["Secret"].startswith(f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:")
    value = json.loads(sm.get_secret_value(SecretId=out["Secret"])["SecretString"])
    assert value["username"] == "ledger" and len(value["password"]) == 20
    db = aws("rds").describe_db_instances(DBInstanceIdentifier=out["Db"])["DBInstances"][0]
    assert {k: value[k] for k in ("engine", "host", "port", "dbInstanceIdentifier")} == {
        "engine": "mysql", "host": db["Endpoint"]["Address"], "port": db["Endpoint"]["Port"],
        "dbInstanceIdentifier": out["Db"]}
    assert value["host"] == out["Address"]

    stack.update(_attached(with_attachment=False))  # detaching removes the connection information
    assert json.loads(sm.get_secret_value(SecretId=out["Secret"])["SecretString"]) == {
        "username": "ledger", "password": value["password"]}

    stack.delete()
    assert gone(lambda: sm.describe_secret(SecretId=out["Secret"]))


# --- Cognito user pool domain ---------------------------------------------------------------
def _domain(domain: str) -> str:
    return template({
        "Pool": {"Type": "AWS::Cognito::UserPool", "Properties": {}},
        "Domain": {"Type": "AWS::Cognito::UserPoolDomain", "Properties": {
            "Domain": domain, "UserPoolId": {"Ref": "Pool"}}},
    }, outputs={"Pool": {"Ref": "Pool"}, "Domain": {"Ref": "Domain"},
                "Distribution": {"Fn::GetAtt": ["Domain", "CloudFrontDistribution"]}})


def test_user_pool_domain(aws):
    name = unique("auth").lower()
    stack = create(aws, _domain(name))
    out = stack.outputs
    idp = aws("cognito-idp")
    assert out["Domain"] == name
    found = idp.describe_user_pool_domain(Domain=name)["DomainDescription"]
    assert found["UserPoolId"] == out["Pool"] and found["Status"] == "ACTIVE"
    assert out["Distribution"] == found["CloudFrontDistribution"]
    assert idp.describe_user_pool(UserPoolId=out["Pool"])["UserPool"]["Domain"] == name

    other = create(aws, _domain(name), expect="ROLLBACK_COMPLETE")  # a domain belongs to one pool
    assert "already associated" in other.failure()

    renamed = unique("login").lower()
    stack.update(_domain(renamed))  # a new Domain replaces it
    assert stack.outputs["Domain"] == renamed
    assert idp.describe_user_pool_domain(Domain=name)["DomainDescription"] == {}

    stack.delete()
    assert idp.describe_user_pool_domain(Domain=renamed)["DomainDescription"] == {}


def test_user_pool_domain_delete_tolerates_already_gone(aws):
    name = unique("auth").lower()
    stack = create(aws, _domain(name))
    aws("cognito-idp").delete_user_pool_domain(Domain=name, UserPoolId=stack.outputs["Pool"])
    stack.delete()


def test_role_update_keeps_policies_other_resources_put(aws):
    """AWS::IAM::Role manages its own ``Policies`` only: updating the role leaves the inline
    policies that RolePolicy / Policy resources put on it."""
    body = json.loads(_role_policies("s3:GetObject"))
    body["Resources"]["Role"]["Properties"]["Policies"] = [{"PolicyName": "own", "PolicyDocument": _doc("sqs:*")}]
    stack = create(aws, json.dumps(body))
    role = stack.outputs["Role"]
    body["Resources"]["Role"]["Properties"].update({"Description": "changed", "Policies": []})
    stack.update(json.dumps(body))
    iam = aws("iam")
    assert sorted(iam.list_role_policies(RoleName=role)["PolicyNames"]) == ["reads", "shared"]
    assert iam.get_role(RoleName=role)["Role"]["Description"] == "changed"
    stack.delete()


def test_inline_policies_without_version_are_accepted_managed_ones_are_not(aws):
    """AWS reads an inline policy without Version with the 2008-10-17 grammar; a managed
    policy must say 2012-10-17."""
    unversioned = {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
    stack = create(aws, template({
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": _TRUST}},
        "Inline": {"Type": "AWS::IAM::RolePolicy", "Properties": {
            "RoleName": {"Ref": "Role"}, "PolicyName": "old-style", "PolicyDocument": unversioned}},
    }, outputs={"Role": {"Ref": "Role"}}))
    iam = aws("iam")
    role = stack.outputs["Role"]
    assert iam.get_role_policy(RoleName=role, PolicyName="old-style")["PolicyDocument"] == unversioned
    iam.put_role_policy(RoleName=role, PolicyName="direct", PolicyDocument=json.dumps(unversioned))
    with pytest.raises(iam.exceptions.MalformedPolicyDocumentException, match="2012-10-17 or greater"):
        iam.create_policy(PolicyName=unique("managed"), PolicyDocument=json.dumps(unversioned))
    iam.delete_role_policy(RoleName=role, PolicyName="direct")
    stack.delete()


def test_the_new_types_are_not_flagged_as_unmodelled():
    from fixtures.emulator.coverage import unmodelled_types

    types = ["AWS::EC2::NetworkAcl", "AWS::EC2::NetworkAclEntry", "AWS::EC2::SubnetNetworkAclAssociation",
             "AWS::IAM::RolePolicy", "AWS::IAM::Policy", "AWS::SNS::TopicPolicy",
             "AWS::SecretsManager::SecretTargetAttachment", "AWS::Cognito::UserPoolDomain"]
    assert unmodelled_types({"Resources": {f"R{i}": {"Type": t} for i, t in enumerate(types)}}) == []


# --- CloudWatch Logs metric filter ----------------------------------------------------------
def _metric_filter(pattern: str, group: str = "Trail") -> str:
    return template({
        "Trail": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 7}},
        "Other": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 7}},
        "Unauthorized": {"Type": "AWS::Logs::MetricFilter", "Properties": {
            "LogGroupName": {"Ref": group}, "FilterPattern": pattern,
            "MetricTransformations": [{"MetricValue": "1", "MetricNamespace": "Corpus",
                                       "MetricName": "UnauthorizedCount", "DefaultValue": 0}]}},
    }, outputs={"Trail": {"Ref": "Trail"}, "Other": {"Ref": "Other"}, "Filter": {"Ref": "Unauthorized"}})


def test_metric_filter(aws):
    stack, out = _created(aws, _metric_filter('{ $.errorCode = "AccessDenied*" }'), Filter="Unauthorized")
    logs = aws("logs")
    found = logs.describe_metric_filters(logGroupName=out["Trail"])["metricFilters"]
    assert [(f["filterName"], f["filterPattern"]) for f in found] == [(out["Filter"], '{ $.errorCode = "AccessDenied*" }')]
    assert found[0]["metricTransformations"] == [{"metricName": "UnauthorizedCount", "metricNamespace": "Corpus",
                                                  "metricValue": "1", "defaultValue": 0.0}]
    assert logs.describe_metric_filters(metricName="UnauthorizedCount", metricNamespace="Corpus")["metricFilters"]

    stack.update(_metric_filter('{ $.errorCode = "*UnauthorizedOperation" }'))  # in place, not a copy
    found = logs.describe_metric_filters(logGroupName=out["Trail"])["metricFilters"]
    assert [(f["filterName"], f["filterPattern"]) for f in found] == [
        (out["Filter"], '{ $.errorCode = "*UnauthorizedOperation" }')]

    stack.update(_metric_filter('{ $.errorCode = "*UnauthorizedOperation" }', group="Other"))  # replaced
    assert logs.describe_metric_filters(logGroupName=out["Trail"])["metricFilters"] == []
    assert len(logs.describe_metric_filters(logGroupName=out["Other"])["metricFilters"]) == 1

    stack.delete()
    assert logs.describe_metric_filters(filterNamePrefix=f"{stack.name}-")["metricFilters"] == []


def test_rds_engine_name_in_any_case(aws):
    """RDS takes ``Engine: MySQL`` (AWS's own sample templates write it so) and reports ``mysql``."""
    stack = create(aws, template({"Db": {"Type": "AWS::RDS::DBInstance", "Properties": {
        "Engine": "MySQL", "DBInstanceClass": "db.t3.micro", "AllocatedStorage": "20",
        "MasterUsername": "admin", "MasterUserPassword": "password-123"}}}, outputs={"Db": {"Ref": "Db"}}))
    rds = aws("rds")
    db = rds.describe_db_instances(DBInstanceIdentifier=stack.outputs["Db"])["DBInstances"][0]
    assert (db["Engine"], db["Endpoint"]["Port"]) == ("mysql", 3306)
    stack.delete()


def _shared_policy(roles: list[str], name: str = "shared") -> str:
    return template({
        "RoleA": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": _TRUST}},
        "RoleB": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": _TRUST}},
        "Shared": {"Type": "AWS::IAM::Policy", "Properties": {
            "Roles": [{"Ref": r} for r in roles], "PolicyName": name, "PolicyDocument": _doc("s3:GetObject")}},
    }, outputs={"RoleA": {"Ref": "RoleA"}, "RoleB": {"Ref": "RoleB"}, "Shared": {"Ref": "Shared"},
                "SharedId": {"Fn::GetAtt": ["Shared", "Id"]}})


def test_policy_on_several_roles(aws):
    stack = create(aws, _shared_policy(["RoleA", "RoleB"]))
    out = stack.outputs
    iam = aws("iam")
    # CloudFormation names an IAM policy from 5 characters of the stack and 4 of the logical id
    assert out["Shared"] == out["SharedId"] and out["Shared"].startswith(f"{stack.name[:5]}-Shar-")
    for role in (out["RoleA"], out["RoleB"]):
        assert iam.list_role_policies(RoleName=role)["PolicyNames"] == ["shared"]

    stack.update(_shared_policy(["RoleA"], name="renamed"))  # in place: RoleB and the old name lose it
    assert stack.outputs["Shared"] == out["Shared"]
    assert iam.list_role_policies(RoleName=out["RoleA"])["PolicyNames"] == ["renamed"]
    assert iam.list_role_policies(RoleName=out["RoleB"])["PolicyNames"] == []

    stack.update(_shared_policy(["RoleA", "RoleB"], name="renamed"))
    iam.delete_role_policy(RoleName=out["RoleA"], PolicyName="renamed")  # out of band, on one role
    stack.delete()
    assert gone(lambda: iam.get_role(RoleName=out["RoleB"]))


def test_tcp_entry_without_port_range_fails_as_in_ec2(aws):
    res = _vpc(0)
    res.update({"Acl": {"Type": "AWS::EC2::NetworkAcl", "Properties": {"VpcId": {"Ref": "Vpc"}}},
                "Ssh": {"Type": "AWS::EC2::NetworkAclEntry", "Properties": {
                    "NetworkAclId": {"Ref": "Acl"}, "RuleNumber": 110, "Protocol": 6, "RuleAction": "deny",
                    "CidrBlock": "0.0.0.0/0"}}})
    stack = create(aws, template(res), expect="ROLLBACK_COMPLETE")
    assert "portRange" in stack.failure()
