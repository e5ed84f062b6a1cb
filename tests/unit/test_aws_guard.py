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


def test_timestamps_parse_to_the_instants_botocore_gives():
    """The ISO 8601 fast path agrees with botocore's dateutil parser; other forms go there."""
    from botocore.utils import parse_timestamp as botocore_parse

    from probes.aws import parse_timestamp

    for value in ("2026-11-29T21:00:00Z", "2026-11-29T21:00:00.123Z", "2026-11-29T21:00:00.123456+00:00",
                  "2026-11-29T23:00:00+02:00", "2026-11-29T21:00:00.000000+0000", "2026-11-29 21:00:00",
                  "1700000000", 1700000000, "20261129", "Sun, 29 Nov 2026 21:00:00 GMT"):
        ours, theirs = parse_timestamp(value), botocore_parse(value)
        assert ours == theirs and (ours.tzinfo is None) == (theirs.tzinfo is None), value


def test_sessions_parse_response_timestamps_with_the_fast_parser():
    from probes.aws import AwsSession, parse_timestamp

    session = AwsSession("us-east-1", "http://127.0.0.1:9", credentials={
        "aws_access_key_id": "testing", "aws_secret_access_key": "testing"})
    factory = session._session._session.get_component("response_parser_factory")
    assert factory._defaults["timestamp_parser"] is parse_timestamp
