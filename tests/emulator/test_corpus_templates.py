# ruff: noqa: F811  (pytest fixtures imported from _support, so the tests also run with --noconftest)
"""What public templates of the corpus (tests/corpus) needed from the emulator, each as AWS
does it: S3's defaults for a new bucket, a String FlowLog MaxAggregationInterval, an
Fn::ImportValue in the branch of Fn::If not taken, an RDS read replica, a launch template
whose groups are on its primary network interface, and KeyName checked against key pairs."""
from __future__ import annotations

from tests.emulator._support import aws, create, emu, template, unique  # noqa: F401


def test_a_bucket_without_settings_gets_s3_defaults(aws):
    stack = create(aws, template({"Plain": {"Type": "AWS::S3::Bucket"}}, outputs={"Name": {"Ref": "Plain"}}))
    s3, name = aws("s3"), stack.outputs["Name"]
    pab = s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
    assert all(pab.values()) and len(pab) == 4
    rule = s3.get_bucket_ownership_controls(Bucket=name)["OwnershipControls"]["Rules"][0]
    assert rule["ObjectOwnership"] == "BucketOwnerEnforced"
    enc = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert enc["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    stack.delete()


def test_flow_log_interval_from_a_string_parameter_and_import_in_untaken_branch(aws):
    body = template({
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.9.0.0/16"}},
        "Group": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": {"Fn::If": [
            "HasParent", {"Fn::ImportValue": {"Fn::Sub": "${Parent}-Days"}}, 7]}}},
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                    "Principal": {"Service": "vpc-flow-logs.amazonaws.com"}}]}}},
        "Flow": {"Type": "AWS::EC2::FlowLog", "Properties": {
            "ResourceId": {"Ref": "Vpc"}, "ResourceType": "VPC", "TrafficType": "ALL",
            "LogGroupName": {"Ref": "Group"}, "DeliverLogsPermissionArn": {"Fn::GetAtt": ["Role", "Arn"]},
            "MaxAggregationInterval": {"Ref": "Interval"}}},
    }, outputs={"Flow": {"Ref": "Flow"}})
    import yaml
    doc = yaml.safe_load(body)
    doc["Parameters"] = {"Interval": {"Type": "String", "Default": "60"},
                         "Parent": {"Type": "String", "Default": ""}}
    doc["Conditions"] = {"HasParent": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Parent"}, ""]}]}}
    stack = create(aws, yaml.safe_dump(doc))
    flow = aws("ec2").describe_flow_logs(FlowLogIds=[stack.outputs["Flow"]])["FlowLogs"][0]
    assert flow["MaxAggregationInterval"] == 60
    stack.delete()


def test_read_replica_takes_its_source_engine(aws):
    stack = create(aws, template({
        "Main": {"Type": "AWS::RDS::DBInstance", "Properties": {
            "Engine": "MySQL", "DBInstanceClass": "db.t3.micro", "AllocatedStorage": "20",
            "MasterUsername": "admin", "MasterUserPassword": "not-a-secret-123"}},
        "Replica": {"Type": "AWS::RDS::DBInstance", "Properties": {
            "SourceDBInstanceIdentifier": {"Ref": "Main"}, "DBInstanceClass": "db.t3.micro"}},
    }, outputs={"Main": {"Ref": "Main"}, "Replica": {"Ref": "Replica"}}))
    rds = aws("rds")
    replica = rds.describe_db_instances(DBInstanceIdentifier=stack.outputs["Replica"])["DBInstances"][0]
    assert replica["Engine"] == "mysql"
    assert replica["ReadReplicaSourceDBInstanceIdentifier"].endswith(stack.outputs["Main"])
    stack.delete()


def test_key_name_parameter_must_name_a_key_pair(aws):
    body = "Parameters:\n  Key:\n    Type: AWS::EC2::KeyPair::KeyName\nResources:\n" \
           "  Topic:\n    Type: AWS::SNS::Topic\n"
    key = unique("key")
    create(aws, body, parameters={"Key": key}, expect="ROLLBACK_COMPLETE")
    aws("ec2").create_key_pair(KeyName=key)
    create(aws, body, parameters={"Key": key}).delete()
