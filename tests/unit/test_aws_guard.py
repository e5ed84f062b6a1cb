import pytest

from probes.aws import AwsSession, MutationRefused, is_mutating


@pytest.mark.parametrize("op, mutating", [
    ("DescribeInstances", False), ("GetBucketPolicy", False), ("ListStackResources", False),
    ("AdminGetUser", False), ("CreateStack", True), ("PutBucketPolicy", True),
    ("AuthorizeSecurityGroupIngress", True), ("SetAlarmState", True), ("Publish", True),
    ("ModifyDBInstance", True), ("DeleteStack", True), ("InvokeFunction", True),
])
def test_operation_classification(op, mutating):
    assert is_mutating(op) is mutating


def test_read_only_session_refuses_writes_before_sending():
    session = AwsSession("us-east-1", endpoint_url="http://127.0.0.1:9",
                         credentials={"aws_access_key_id": "x", "aws_secret_access_key": "y"},
                         connect_timeout=0.2, max_attempts=1)
    with pytest.raises(MutationRefused, match="does not allow mutations"):
        session.client("s3").create_bucket(Bucket="nope")
    assert session.api_calls["s3:CreateBucket"] == 1
    assert session.mutations == []
