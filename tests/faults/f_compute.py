"""Compute faults: launch template, instance role and Auto Scaling group breakage."""
from __future__ import annotations

from probes import path as p
from tests.faults import anystack as any_
from tests.faults.catalog import Fault

C = "compute."


FAULTS = [
    Fault(id="cmp-launch-template-ssh-key", inject=any_.on_lab_stack(any_.launch_template_ssh_key),
          breaks=(C + "launch_template_no_key_pair",), challenge=5, mentions=("key pair",)),
    Fault(id="cmp-launch-template-imdsv1-wrong-type", inject=any_.on_lab_stack(any_.imdsv1_and_bigger),
          breaks=(C + "launch_template_settings",), challenge=8,
          mentions=("t3.large", "HttpTokens=optional")),
    Fault(id="cmp-ami-deregistered", inject=any_.on_lab_stack(any_.custom_ami_deregistered),
          breaks=(C + "launch_template_ami_available",), challenge=8, mentions=("ami-",)),
    Fault(id="cmp-ssm-policy-detached", inject=any_.on_lab_stack(any_.ssm_policy_detached),
          breaks=(C + "instance_role_allows_ssm",), challenge=5,
          mentions=("ssm:UpdateInstanceInformation",)),
    Fault(id="cmp-admin-attached", inject=any_.on_lab_stack(any_.admin_attached),
          breaks=(C + "instance_role_least_privilege",), challenge=5,
          mentions=("OpsAdmin", "allows action * on *")),
    Fault(id="cmp-any-secret-readable", inject=any_.on_lab_stack(any_.any_secret_readable),
          breaks=(C + "instance_role_least_privilege",), challenge=5,
          mentions=("ReadAnySecret", "on *")),
    Fault(id="cmp-db-secret-policy-removed", inject=any_.on_lab_stack(any_.db_secret_policy_removed),
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
    Fault(id="cmp-instance-unhealthy", inject=any_.on_lab_stack(any_.instance_unhealthy),
          breaks=(C + "asg_capacity_in_service",), challenge=8, mentions=("Unhealthy",)),
    Fault(id="cmp-target-deregistered", inject=any_.on_lab_stack(any_.target_deregistered),
          breaks=(C + "targets_healthy",), challenge=10, mentions=("not registered",)),
    Fault(id="cmp-health-check-port-closed", inject=any_.on_lab_stack(any_.health_check_port_closed),
          breaks=(C + "targets_healthy",), challenge=10, also_breaks=("e2e.request_path",),
          mentions=("unhealthy", "Target.FailedHealthChecks")),
    Fault(id="cmp-instance-stopped", inject=any_.on_lab_stack(any_.instance_stopped),
          breaks=(C + "targets_healthy", C + "instances_managed_by_ssm"), challenge=5),
    Fault(id="cmp-scaling-policy-deleted", inject=any_.on_lab_stack(any_.scaling_policy_deleted),
          breaks=(C + "scaling_policy_present",), challenge=10,
          also_breaks=("stack.resources_exist",), mentions=("no scaling policy",)),
    Fault(id="cmp-asg-single-subnet", inject=any_.on_lab_stack(any_.asg_single_subnet),
          breaks=(C + "asg_spans_private_subnets",), challenge=10),

    Fault("cmp-health-check-wrong-port", any_.on_lab_stack(any_.health_check_wrong_port),
          ("compute.health_check_can_succeed",),
          challenge=4, mentions=("port 9000",), hop=p.LISTENER_TG),
]
