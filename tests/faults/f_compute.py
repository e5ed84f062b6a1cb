"""Compute faults: launch template, instance role and Auto Scaling group breakage."""
from __future__ import annotations

import json

from probes import path as p
from tests.faults import anystack as any_
from tests.faults.catalog import Fault

C = "compute."


def _asg(stack) -> dict:
    return stack.client("autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=[stack.outputs["AutoScalingGroupName"]])["AutoScalingGroups"][0]


def _roll_out_version(stack, **data) -> str:
    """A new launch template version with ``data`` over the current one, made the default
    and set on the ASG, as an operator rolling out a change would."""
    ec2 = stack.client("ec2")
    lt = stack.outputs["LaunchTemplateId"]
    current = str(_asg(stack)["LaunchTemplate"]["Version"])
    # The current data copied explicitly (what SourceVersion does on AWS; moto ignores it).
    base = ec2.describe_launch_template_versions(LaunchTemplateId=lt, Versions=[current])[
        "LaunchTemplateVersions"][0]["LaunchTemplateData"]
    new = ec2.create_launch_template_version(
        LaunchTemplateId=lt, SourceVersion=current, LaunchTemplateData={**base, **data},
        VersionDescription="operator change")["LaunchTemplateVersion"]["VersionNumber"]
    ec2.modify_launch_template(LaunchTemplateId=lt, DefaultVersion=str(new))
    stack.client("autoscaling").update_auto_scaling_group(
        AutoScalingGroupName=stack.outputs["AutoScalingGroupName"],
        LaunchTemplate={"LaunchTemplateId": lt, "Version": str(new)})
    return str(new)


def _key_pair(stack) -> None:
    name = f"{stack.name}-ops"
    stack.client("ec2").create_key_pair(KeyName=name)
    _roll_out_version(stack, KeyName=name)


def _imdsv1_and_bigger(stack) -> None:
    _roll_out_version(stack, InstanceType="t3.large",
                      MetadataOptions={"HttpTokens": "optional", "HttpEndpoint": "enabled"})


def _custom_ami_deregistered(stack) -> None:
    """Bake an AMI from a running instance, roll it out, then deregister it (Challenge 8:
    the template points at an AMI that no longer exists in the region)."""
    ec2 = stack.client("ec2")
    instance = _asg(stack)["Instances"][0]["InstanceId"]
    ami = ec2.create_image(InstanceId=instance, Name=f"{stack.name}-baked")["ImageId"]
    _roll_out_version(stack, ImageId=ami)
    ec2.deregister_image(ImageId=ami)


def _role(stack) -> str:
    return stack.outputs["InstanceRoleName"]


def _detach_ssm(stack) -> None:
    stack.client("iam").detach_role_policy(
        RoleName=_role(stack), PolicyArn="arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore")


def _attach_admin(stack) -> None:
    """An operator's home-made admin policy ("just make it work"). The AWS-managed
    AdministratorAccess is caught by name too (unit-tested): the emulator does not load it."""
    iam = stack.client("iam")
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*",
                                                   "Resource": "*"}]}
    arn = iam.create_policy(PolicyName=f"{stack.name}-OpsAdmin",
                            PolicyDocument=json.dumps(doc))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=_role(stack), PolicyArn=arn)


def _secrets_wildcard(stack) -> None:
    doc = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}
    stack.client("iam").put_role_policy(RoleName=_role(stack), PolicyName="ReadAnySecret",
                                        PolicyDocument=json.dumps(doc))


def _drop_secret_policy(stack) -> None:
    iam = stack.client("iam")
    for name in iam.list_role_policies(RoleName=_role(stack))["PolicyNames"]:
        iam.delete_role_policy(RoleName=_role(stack), PolicyName=name)


def _instance_unhealthy(stack) -> None:
    iid = _asg(stack)["Instances"][0]["InstanceId"]
    stack.client("autoscaling").set_instance_health(InstanceId=iid, HealthStatus="Unhealthy",
                                                    ShouldRespectGracePeriod=False)


def _deregister_target(stack) -> None:
    iid = _asg(stack)["Instances"][0]["InstanceId"]
    stack.client("elbv2").deregister_targets(TargetGroupArn=stack.outputs["TargetGroupArn"],
                                             Targets=[{"Id": iid}])


def _health_check_port_closed(stack) -> None:
    # The health check goes to a port where nothing listens: on AWS (and the emulator) the
    # targets turn unhealthy after UnhealthyThresholdCount failed checks.
    stack.client("elbv2").modify_target_group(TargetGroupArn=stack.outputs["TargetGroupArn"],
                                              HealthCheckPort="9999")


def _stop_instance(stack) -> None:
    iid = _asg(stack)["Instances"][0]["InstanceId"]
    stack.client("ec2").stop_instances(InstanceIds=[iid])


def _delete_scaling_policy(stack) -> None:
    asg = stack.client("autoscaling")
    name = stack.outputs["AutoScalingGroupName"]
    for pol in asg.describe_policies(AutoScalingGroupName=name)["ScalingPolicies"]:
        asg.delete_policy(AutoScalingGroupName=name, PolicyName=pol["PolicyName"])


def _one_subnet(stack) -> None:
    stack.client("autoscaling").update_auto_scaling_group(
        AutoScalingGroupName=stack.outputs["AutoScalingGroupName"],
        VPCZoneIdentifier=stack.physical("AppSubnetA"))



FAULTS = [
    Fault(id="cmp-launch-template-ssh-key", inject=_key_pair,
          breaks=(C + "launch_template_no_key_pair",), challenge=5, mentions=("key pair",)),
    Fault(id="cmp-launch-template-imdsv1-wrong-type", inject=_imdsv1_and_bigger,
          breaks=(C + "launch_template_settings",), challenge=8,
          mentions=("t3.large", "HttpTokens=optional")),
    Fault(id="cmp-ami-deregistered", inject=_custom_ami_deregistered,
          breaks=(C + "launch_template_ami_available",), challenge=8, mentions=("ami-",)),
    Fault(id="cmp-ssm-policy-detached", inject=_detach_ssm,
          breaks=(C + "instance_role_allows_ssm",), challenge=5,
          mentions=("ssm:UpdateInstanceInformation",)),
    Fault(id="cmp-admin-attached", inject=_attach_admin,
          breaks=(C + "instance_role_least_privilege",), challenge=5,
          mentions=("OpsAdmin", "allows action * on *")),
    Fault(id="cmp-any-secret-readable", inject=_secrets_wildcard,
          breaks=(C + "instance_role_least_privilege",), challenge=5,
          mentions=("ReadAnySecret", "on *")),
    Fault(id="cmp-db-secret-policy-removed", inject=_drop_secret_policy,
          breaks=(C + "instance_role_reads_db_secret",), challenge=3,
          also_breaks=("database.app_role_reads_master_secret",),  # same grant, DB view
          mentions=("secretsmanager:GetSecretValue",)),
    Fault(id="cmp-target-group-detached", inject=any_.on_lab_stack(any_.target_group_detached),
          breaks=(C + "asg_attached_to_target_group", C + "targets_healthy"), challenge=2,
          also_breaks=("e2e.request_path",)),
    Fault(id="cmp-scaled-to-zero", inject=any_.on_lab_stack(any_.scaled_to_zero),
          breaks=(C + "asg_capacity_in_service", C + "targets_healthy",
                  C + "instances_managed_by_ssm"), challenge=8,
          also_breaks=("e2e.request_path",)),
    Fault(id="cmp-instance-unhealthy", inject=_instance_unhealthy,
          breaks=(C + "asg_capacity_in_service",), challenge=8, mentions=("Unhealthy",)),
    Fault(id="cmp-target-deregistered", inject=_deregister_target,
          breaks=(C + "targets_healthy",), challenge=10, mentions=("not registered",)),
    Fault(id="cmp-health-check-port-closed", inject=_health_check_port_closed,
          breaks=(C + "targets_healthy",), challenge=10, also_breaks=("e2e.request_path",),
          mentions=("unhealthy", "Target.FailedHealthChecks")),
    Fault(id="cmp-instance-stopped", inject=_stop_instance,
          breaks=(C + "targets_healthy", C + "instances_managed_by_ssm"), challenge=5),
    Fault(id="cmp-scaling-policy-deleted", inject=_delete_scaling_policy,
          breaks=(C + "scaling_policy_present",), challenge=10,
          also_breaks=("stack.resources_exist",), mentions=("no scaling policy",)),
    Fault(id="cmp-asg-single-subnet", inject=_one_subnet,
          breaks=(C + "asg_spans_private_subnets",), challenge=10),

    Fault("cmp-health-check-wrong-port", any_.on_lab_stack(any_.health_check_wrong_port), ("compute.health_check_can_succeed",),
          challenge=4, mentions=("port 9000",), hop=p.LISTENER_TG),
]
