"""A new stack is probed once it is ready, not the instant CloudFormation says complete:
targets still ``initial`` and agents not yet registered are waited for, within a bound and
with visible progress; a target that waiting will not fix ends the wait at once."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from fixtures import stack as stackmod

from .conftest import session

TG_TEMPLATE = """AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  HealthCheckPort: {Type: String, Default: traffic-port}
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.77.0.0/16}
  Subnet:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref Vpc, CidrBlock: 10.77.1.0/24}
  TargetGroup:
    Type: AWS::ElasticLoadBalancingV2::TargetGroup
    Properties:
      VpcId: !Ref Vpc
      Protocol: TCP
      Port: 8080
      HealthCheckPort: !Ref HealthCheckPort
      HealthCheckIntervalSeconds: 10
      HealthyThresholdCount: 3
      UnhealthyThresholdCount: 3
Outputs:
  TargetGroup: {Value: !Ref TargetGroup}
  Subnet: {Value: !Ref Subnet}
"""


def _deploy_with_a_new_target(emulator, tmp_path, name: str, **parameters: str) -> tuple:
    template = tmp_path / "tg.yaml"
    template.write_text(TG_TEMPLATE)
    s = session(emulator.endpoint)
    outputs = stackmod.deploy(s, template, name, parameters, timeout=60, out=lambda _: None)
    iid = s.client("ec2").run_instances(ImageId="ami-0d27e0fb3bac4d724", MinCount=1, MaxCount=1,
                                        SubnetId=outputs["Subnet"])["Instances"][0]["InstanceId"]
    s.client("elbv2").register_targets(TargetGroupArn=outputs["TargetGroup"], Targets=[{"Id": iid}])
    return s, iid


def test_the_wait_shows_progress_and_ends_when_targets_are_healthy(emulator, tmp_path):
    s, iid = _deploy_with_a_new_target(emulator, tmp_path, "ready-wait")
    said: list[str] = []
    state = stackmod.wait_ready(s, "ready-wait", timeout=30, out=said.append)
    assert state is not None and state.ready and state.targets == {iid: "healthy"}
    assert said[0].startswith("stackprobe: waiting for ready-wait: 1 target(s): 1 initial, 0 healthy (")
    assert " s of 30 s)" in said[0]
    assert said[-1].startswith("stackprobe: ready-wait is ready: 1 target(s): 1 healthy")
    stackmod.delete(s, "ready-wait", timeout=60, out=lambda _: None)


def test_a_target_waiting_will_not_fix_ends_the_wait(emulator, tmp_path):
    s, iid = _deploy_with_a_new_target(emulator, tmp_path, "ready-broken", HealthCheckPort="9999")
    said: list[str] = []
    state = stackmod.wait_ready(s, "ready-broken", timeout=30, out=said.append)
    assert state is not None and not state.ready and state.broken == [f"{iid} unhealthy"]
    assert "waiting will not help" in said[-1] and "the compute probes say why" in said[-1]
    stackmod.delete(s, "ready-broken", timeout=60, out=lambda _: None)


def test_the_wait_is_bounded(emulator, tmp_path):
    s, _ = _deploy_with_a_new_target(emulator, tmp_path, "ready-bounded")
    said: list[str] = []
    state = stackmod.wait_ready(s, "ready-bounded", timeout=0.2, out=said.append)
    assert state is not None and not state.ready
    assert "not ready after 0 s" in said[-1] and "probing anyway" in said[-1]
    stackmod.delete(s, "ready-bounded", timeout=60, out=lambda _: None)


def test_a_stack_without_compute_is_ready_at_once(emulator):
    s = session(emulator.endpoint)
    stackmod.deploy(s, "tests/lifecycle/mini.yaml", "ready-none", timeout=60, out=lambda _: None)
    assert stackmod.wait_ready(s, "ready-none", out=lambda _: None) is None
    stackmod.delete(s, "ready-none", timeout=60, out=lambda _: None)


def test_only_a_recently_changed_stack_is_waited_for_at_attach():
    now = datetime.now(timezone.utc)
    assert stackmod.changed_recently({"CreationTime": now - timedelta(minutes=5)})
    assert stackmod.changed_recently({"CreationTime": now - timedelta(days=9),
                                      "LastUpdatedTime": now - timedelta(minutes=1)})
    assert not stackmod.changed_recently({"CreationTime": now - timedelta(hours=2)})
