"""A layer selection (``-m database``) spends only what its layers need before probing: an
attached stack that is still starting is waited for only when the selection judges what
starts, and only the roles the selected probes judge are resolved up front, so an
ambiguity elsewhere in the stack does not stop a run that never looks there, while one the
selection does look at still stops it with one line and exit code 4."""
from __future__ import annotations

import uuid

from fixtures import stack as stackmod
from probes.aws import AwsSession
from tests.reliability.test_readiness import TG_TEMPLATE

from .test_lifecycle import CREDS, _run

FLEET = """
  {name}:
    Type: AWS::AutoScaling::AutoScalingGroup
    Properties:
      MinSize: "0"
      MaxSize: "1"
      DesiredCapacity: "0"
      VPCZoneIdentifier: [!Ref Subnet]
      LaunchTemplate: {{LaunchTemplateId: !Ref Template, Version: !GetAtt Template.LatestVersionNumber}}
"""
# the readiness tests' target group, healthy 300 s (10 s at the emulator's clock) after its
# first check, so the stack is still starting when the runs attach
STARTING = TG_TEMPLATE.replace("HealthCheckIntervalSeconds: 10", "HealthCheckIntervalSeconds: 30") \
    .replace("HealthyThresholdCount: 3", "HealthyThresholdCount: 10")
# its VPC and subnet, and two fleets nothing tells apart
TWO_FLEETS = TG_TEMPLATE.replace("Outputs:", """  Template:
    Type: AWS::EC2::LaunchTemplate
    Properties: {LaunchTemplateData: {ImageId: ami-0d27e0fb3bac4d724, InstanceType: t3.micro}}
""" + FLEET.format(name="BlueFleet") + FLEET.format(name="GreenFleet") + "Outputs:")


def _deploy(emulator, tmp_path, body: str, prefix: str) -> tuple[str, dict]:
    template = tmp_path / f"{prefix}.yaml"
    template.write_text(body)
    name = f"{prefix}-{uuid.uuid4().hex[:6]}"
    s = AwsSession("us-east-1", emulator.endpoint, allow_mutations=True, credentials=CREDS)
    return name, stackmod.deploy(s, template, name, {}, timeout=60, out=lambda _: None)


def _attach(emulator, tmp_path, name: str, *args: str) -> tuple[int, str]:
    proc = _run(["--endpoint-url", emulator.endpoint, "--stack-name", name, *args], tmp_path)
    out, _ = proc.communicate(timeout=120)
    return proc.returncode, out


def test_a_young_stack_is_waited_for_only_by_a_selection_that_judges_what_starts(emulator, tmp_path):
    name, outputs = _deploy(emulator, tmp_path, STARTING, "young")
    s = AwsSession("us-east-1", emulator.endpoint, allow_mutations=True, credentials=CREDS)
    iid = s.client("ec2").run_instances(ImageId="ami-0d27e0fb3bac4d724", MinCount=1, MaxCount=1,
                                        SubnetId=outputs["Subnet"])["Instances"][0]["InstanceId"]
    s.client("elbv2").register_targets(TargetGroupArn=outputs["TargetGroup"], Targets=[{"Id": iid}])

    code, out = _attach(emulator, tmp_path, name, "-m", "database")
    assert code == 0, out
    assert f"waiting for {name}" not in out, out

    code, out = _attach(emulator, tmp_path, name, "-m", "compute")
    assert f"waiting for {name}: 1 target(s): 1 initial" in out, out


def test_only_the_selections_roles_are_resolved_before_probing(emulator, tmp_path):
    name, _ = _deploy(emulator, tmp_path, TWO_FLEETS, "fleets")

    code, out = _attach(emulator, tmp_path, name, "-m", "dns")
    assert code == 0, out
    assert "candidates" not in out, out

    code, out = _attach(emulator, tmp_path, name, "-m", "compute")
    assert code == 4, out
    assert "stackprobe could not run" in out and "BlueFleet" in out and "GreenFleet" in out, out
    assert "resources.auto_scaling_group" in out and "Traceback" not in out, out
