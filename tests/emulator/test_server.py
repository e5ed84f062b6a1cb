# ruff: noqa: F811  (pytest fixtures imported from _support, so the tests also run with --noconftest)
"""Server start/stop/reset and the extension's registration."""
from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import boto3
import pytest

from tests.emulator._support import CREDS, REGION, emu  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str, timeout: float = 120) -> str:
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_start_serves_on_a_free_local_port(emu):
    assert emu.endpoint.startswith("http://127.0.0.1:") and emu.endpoint.endswith(str(emu.port))
    assert emu.region == REGION
    sts = boto3.client("sts", endpoint_url=emu.endpoint, region_name=REGION, **CREDS)
    assert sts.get_caller_identity()["Account"] == "123456789012"


def test_explicit_port_and_collision():
    from fixtures.emulator.server import free_port, start

    port = free_port()
    emulator = start(port=port)
    try:
        assert emulator.port == port
        with pytest.raises(RuntimeError, match="could not start"):
            start(port=port)  # taken: a clear error, not a hang
    finally:
        emulator.stop()
        emulator.stop()  # idempotent


def test_port_zero_retries_past_a_taken_port(monkeypatch):
    from fixtures.emulator import server

    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    taken = blocker.getsockname()[1]
    ports = iter([taken, server.free_port()])
    monkeypatch.setattr(server, "free_port", lambda: next(ports))
    try:
        emulator = server.start()
        assert emulator.port != taken
        emulator.stop()
    finally:
        blocker.close()


def test_install_is_idempotent_and_our_models_win():
    from moto.cloudformation import parsing
    from moto.core.common_models import CloudFormationModel

    from fixtures.emulator import install
    from fixtures.emulator.models._base import REGISTRY

    install()
    install()
    model_map = parsing.get_model_map()
    for cls in REGISTRY:
        assert CloudFormationModel in cls.__bases__, cls  # only direct subclasses are discovered
        assert model_map[cls.cloudformation_type()] is cls, cls
    assert len(REGISTRY) >= 17


def test_the_seventeen_missing_types_are_modelled():
    from fixtures.emulator.coverage import modelled_types

    seventeen = {
        "AWS::CloudFront::Distribution", "AWS::CloudFront::OriginAccessControl", "AWS::WAFv2::WebACL",
        "AWS::WAFv2::WebACLAssociation", "AWS::Cognito::UserPool", "AWS::Cognito::UserPoolClient",
        "AWS::ApiGateway::Authorizer", "AWS::ApiGateway::VpcLink", "AWS::ApiGateway::Stage",
        "AWS::CloudWatch::Alarm", "AWS::SNS::Subscription", "AWS::CloudTrail::Trail", "AWS::SecretsManager::Secret",
        "AWS::S3::BucketPolicy", "AWS::CertificateManager::Certificate", "AWS::EC2::SecurityGroupEgress",
        "AWS::AutoScaling::ScalingPolicy"}
    assert seventeen <= modelled_types()


def test_importing_the_package_does_not_import_moto():
    out = _run("""
        import sys
        import fixtures.emulator, fixtures.emulator.coverage
        print(any(m == "moto" or m.startswith("moto.") for m in sys.modules))
    """)
    assert out.strip() == "False"


def test_reset_wipes_state_and_keeps_the_extension():
    out = _run("""
        import json, boto3
        from fixtures.emulator.server import start
        emu = start()
        c = lambda s: boto3.client(s, endpoint_url=emu.endpoint, region_name="us-east-1",
                                   aws_access_key_id="testing", aws_secret_access_key="testing")
        c("sns").create_topic(Name="before")
        emu.reset()
        print(len(c("sns").list_topics()["Topics"]))
        body = json.dumps({"Resources": {"Oac": {"Type": "AWS::CloudFront::OriginAccessControl", "Properties": {
            "OriginAccessControlConfig": {"Name": "o", "OriginAccessControlOriginType": "s3",
                                          "SigningBehavior": "always", "SigningProtocol": "sigv4"}}}}})
        c("cloudformation").create_stack(StackName="after", TemplateBody=body)
        print(c("cloudformation").describe_stacks(StackName="after")["Stacks"][0]["StackStatus"])
        c("sns").create_topic(Name="again")
        emu.reset_via_api()
        print(len(c("sns").list_topics()["Topics"]), len(c("cloudfront").list_cache_policies(Type="managed")["CachePolicyList"]["Items"]) > 0)
        emu.stop()
        emu2 = start()  # state lives in the process, not in the server
        print(emu2.endpoint != emu.endpoint)
        emu2.stop()
    """)
    assert out.split() == ["0", "CREATE_COMPLETE", "0", "True", "True"]


def test_works_with_in_process_mock_aws():
    out = _run("""
        import json, boto3
        from moto import mock_aws
        from fixtures.emulator import install
        install()
        with mock_aws():
            cfn = boto3.client("cloudformation", region_name="us-east-1")
            body = json.dumps({"Resources": {"Secret": {"Type": "AWS::SecretsManager::Secret",
                                                        "Properties": {"SecretString": "x"}}}})
            cfn.create_stack(StackName="s", TemplateBody=body)
            print(cfn.describe_stacks(StackName="s")["Stacks"][0]["StackStatus"])
    """)
    assert out.strip() == "CREATE_COMPLETE"
