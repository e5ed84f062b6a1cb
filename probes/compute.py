"""Compute probes: the launch template (AMI available, settings, no SSH key, IMDSv2), the
instance role (SSM, DB secret, least privilege), the Auto Scaling group (private subnets,
capacity, target group, healthy targets, scaling policy) and SSM reachability.

The instance role is the one the launch template's instance profile carries (what
instances really get), found through the resource graph.
"""
from __future__ import annotations

import functools
from fnmatch import fnmatchcase
from typing import Any, Callable

from probes import evaluators, graph, iam, reads
from probes.expectations import Strict, layer_expectations
from probes.inventory import Ambiguous, Inventory
from probes.registry import probe
from probes.result import Finding, absent, failed, passed, skipped

SSM_CORE = "AmazonSSMManagedInstanceCore"
# What the SSM agent needs to register and take Run Command / Session Manager work.
SSM_ACTIONS = ("ssm:UpdateInstanceInformation", "ssmmessages:CreateControlChannel",
               "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel",
               "ssmmessages:OpenDataChannel", "ec2messages:GetMessages")


@layer_expectations("compute")
class ComputeExpect(Strict):
    instance_type: str = "t3.micro"
    min_azs: int = 2
    # Managed policies far broader than an app instance needs.
    forbidden_policies: tuple[str, ...] = (
        "AdministratorAccess", "PowerUserAccess", "IAMFullAccess", "AmazonEC2FullAccess",
        "SecretsManagerReadWrite", "AmazonS3FullAccess", "AmazonSSMFullAccess",
    )
    scaling_policy_type: str = "TargetTrackingScaling"
    # What the app answers its health check on (the reference backend's /health).
    health_check_path: str = "/health"


# ---- helpers ------------------------------------------------------------------------------
def _lt_label(lt_id: str, data: dict | None, inv: Inventory) -> str:
    asg = reads.auto_scaling_group(inv) or {}
    version = ((asg.get("LaunchTemplate") or {}).get("Version")) or "$Default"
    return f"launch template {lt_id} (version {version})"


def _no_lt() -> Finding:
    return absent("the launch template", "an AWS::EC2::LaunchTemplate used by the ASG",
                  "Deploy the stack or set resources.launch_template")


def _on_launch_template(check: Callable[[Inventory, Any, dict, str], Finding]) -> Callable[[Inventory, Any], Finding]:
    """A launch-template probe: ``check(inv, exp, data, label)`` on the version the ASG uses,
    once read; its absence is the finding otherwise."""
    @functools.wraps(check)
    def run(inv: Inventory, exp: Any) -> Finding:
        lt_id, data = reads.launch_template_data(inv)
        if not lt_id or data is None:
            return _no_lt()
        return check(inv, exp, data, _lt_label(lt_id, data, inv))
    return run


def _no_asg() -> Finding:
    return absent("the Auto Scaling group", "an AWS::AutoScaling::AutoScalingGroup",
                  "Deploy the stack or set resources.auto_scaling_group")


def _app_group(inv: Inventory) -> str | None:
    try:
        return graph.role(inv, "app_security_group")
    except Ambiguous:
        return None


def _role_name(inv: Inventory) -> tuple[str | None, str]:
    """(role name, where it came from): the graph's instance role (the launch template's
    instance profile, unless the environment names the role)."""
    try:
        role = graph.role(inv, "instance_role")
    except Ambiguous:
        return None, ""
    if not role:
        return None, ""
    name = graph.instance_profile_name(reads.launch_template_data(inv)[1])
    if name and not inv.explicit.get("instance_role"):
        return role, f"instance profile {name}"
    return role, graph.of(inv).followed("instance_role")


def _without_profile(inv: Inventory) -> str | None:
    """The launch template's label when it carries no instance profile: its instances get
    no role at all, which is the launch template's finding, not a role gone missing."""
    lt_id, data = reads.launch_template_data(inv)
    if lt_id and data is not None and not graph.instance_profile_name(data):
        return _lt_label(lt_id, data, inv)
    return None


def _allows(docs: list[tuple[str, dict]], action: str, resource: str = "*") -> list[str]:
    """Labels of the policies that allow ``action`` on ``resource``; none when an explicit
    Deny applies (probes.iam decides, as the database layer and the e2e trace do)."""
    decision = iam.decide_documents(docs, action, resource)
    return decision.allowed_by if decision.allowed else []


def _secret_arn(inv: Inventory) -> str | None:
    db = reads.db_instance(inv) or {}
    arn = (db.get("MasterUserSecret") or {}).get("SecretArn")
    if arn:
        return arn
    try:
        return graph.role(inv, "db_secret")
    except Ambiguous:
        return None


def _in_service(asg: dict) -> list[dict]:
    return [i for i in asg.get("Instances", []) if i.get("LifecycleState") == "InService"]


# ---- launch template ---------------------------------------------------------------------
@probe(layer="compute", component="launch-template",
       title="The launch template's AMI exists and is available in this region",
       severity="blocker", gate=True, challenge=8,
       remediation="Point the launch template at an available AMI in this region (the public "
                   "SSM parameter /aws/service/ami-amazon-linux-latest/... resolves one), create "
                   "a new version and set it on the Auto Scaling group")
@_on_launch_template
def launch_template_ami_available(inv: Inventory, exp: Any, data: dict, label: str) -> Finding:
    ami = data.get("ImageId")
    if not ami:
        return failed(label, "names no AMI (ImageId)", "an available AMI in this region")
    images = reads.images(inv, ami)
    state = images[0].get("State") if images else "not found"
    if state != "available":
        return failed(f"{label} AMI {ami}", f"is {state} in {inv.session.region}",
                      "an available AMI in this region", ami=ami, state=state)
    return passed(f"{label} AMI {ami}", f"is available ({images[0].get('Name', '')})")


@probe(layer="compute", component="launch-template",
       title="Launch template: instance profile, app SG, instance type, user data, IMDSv2",
       severity="critical", gate=True, challenge=8,
       remediation="Create a launch template version with the instance profile, the app "
                   "security group, the expected instance type, the user data and "
                   "MetadataOptions HttpTokens=required; make it the ASG's version")
@_on_launch_template
def launch_template_settings(inv: Inventory, exp: Any, data: dict, label: str) -> Finding:
    problems = []
    profile = data.get("IamInstanceProfile") or {}
    if not graph.instance_profile_name(data):
        problems.append("no instance profile")
    groups = set(graph.of(inv).app_group_ids())
    app = _app_group(inv)
    if not groups:
        problems.append("no security group")
    elif app and app not in groups:
        problems.append(f"security groups {', '.join(sorted(groups))} without the app group {app}")
    itype = data.get("InstanceType")
    if itype != exp.compute.instance_type:
        problems.append(f"instance type {itype or 'unset'}")
    if not data.get("UserData"):
        problems.append("no user data")
    tokens = (data.get("MetadataOptions") or {}).get("HttpTokens", "optional")
    if tokens != "required":
        problems.append(f"IMDS HttpTokens={tokens} (IMDSv1 allowed)")
    evidence = {"instance_type": itype, "security_groups": sorted(groups),
                "instance_profile": profile, "http_tokens": tokens}
    expected = (f"an instance profile, app security group {app or '(the app SG)'}, "
                f"{exp.compute.instance_type}, user data and HttpTokens=required")
    if problems:
        return failed(label, f"has {'; '.join(problems)}", expected, **evidence)
    return passed(label, f"has profile, app SG, {itype}, user data and IMDSv2 required", **evidence)


@probe(concern="security", layer="compute", component="launch-template",
       title="The launch template has no SSH key pair (SSH-less operation)",
       severity="critical", gate=True, challenge=5,
       remediation="Create a launch template version without KeyName, make it the default and "
                   "the ASG's version; operate instances through SSM")
@_on_launch_template
def launch_template_no_key_pair(inv: Inventory, exp: Any, data: dict, label: str) -> Finding:
    key = data.get("KeyName")
    if key:
        return failed(label, f"sets SSH key pair {key}", "no key pair (SSM Session Manager "
                      "instead of SSH)", key_name=key)
    return passed(label, "sets no SSH key pair")


# ---- instance role -----------------------------------------------------------------------
@probe(concern="configuration", layer="compute", component="instance-role",
       title="The instance role allows SSM management", severity="critical", gate=True,
       challenge=5,
       remediation="Attach arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore to the instance "
                   "role (aws iam attach-role-policy)")
def instance_role_allows_ssm(inv: Inventory, exp: Any) -> Finding:
    role, source = _role_name(inv)
    bare = None if role else _without_profile(inv)
    if bare:
        return failed(bare, "has no instance profile (its instances have no role: the SSM agent "
                            "cannot register)", f"an instance profile whose role has {SSM_CORE}",
                      "Create an instance profile whose role has AmazonSSMManagedInstanceCore and "
                      "set it (IamInstanceProfile) in a new launch template version for the ASG")
    if not role:
        return absent("the instance role", "a role in the launch template's instance profile")
    label = f"instance role {role} (from {source})"
    attached, docs = iam.documents(inv, role)
    if any(p["PolicyName"] == SSM_CORE for p in attached):
        return passed(label, f"has {SSM_CORE} attached")
    missing = [a for a in SSM_ACTIONS if not _allows(docs, a)]
    policies = [p["PolicyName"] for p in attached] + [n for n, _ in docs if n.startswith("inline")]
    if missing:
        return failed(label, f"lacks {', '.join(missing)} (policies: {', '.join(policies) or 'none'})",
                      f"{SSM_CORE} attached or equivalent ssm/ssmmessages/ec2messages actions",
                      policies=policies, missing=missing)
    return passed(label, "allows the SSM agent's actions", policies=policies)


@probe(concern="configuration", layer="compute", component="instance-role",
       title="The instance role can read the database secret", severity="critical", gate=True,
       challenge=3,
       needs=("auto_scaling_group", "db_instance"),
       remediation="Allow secretsmanager:GetSecretValue on the database secret's ARN in the "
                   "instance role's policy")
def instance_role_reads_db_secret(inv: Inventory, exp: Any) -> Finding:
    role, source = _role_name(inv)
    bare = None if role else _without_profile(inv)
    if bare:
        return failed(bare, "has no instance profile (its instances have no role: the app "
                            "cannot read the database secret)",
                      "an instance profile whose role may read the database secret",
                      "Create an instance profile whose role allows secretsmanager:GetSecretValue "
                      "on the DB secret and set it in a new launch template version for the ASG")
    if not role:
        return absent("the instance role", "a role in the launch template's instance profile")
    arn = _secret_arn(inv)
    if not arn:  # a password set by hand is database.master_secret_managed's finding
        return skipped(f"instance role {role}", "is not judged: the DB has no secret in Secrets "
                       "Manager to read (MasterUserSecret or a SecretTargetAttachment; "
                       "database.master_secret_managed reports it)")
    label = f"instance role {role} (from {source})"
    _, docs = iam.documents(inv, role)
    decision = iam.decide_secret_read(inv, role, arn)
    if decision.verdict == "deny":
        return failed(label, f"is explicitly denied secretsmanager:GetSecretValue on {arn} by "
                             f"{', '.join(decision.denied_by)}", "GetSecretValue allowed on the database "
                      "secret and no Deny for it", f"Remove the Deny for {arn} from "
                      f"{', '.join(decision.denied_by)}", secret=arn, policies=[n for n, _ in docs])
    if not decision.allowed:
        return failed(label, f"cannot call secretsmanager:GetSecretValue on {arn}",
                      "GetSecretValue allowed on the database secret", secret=arn,
                      policies=[n for n, _ in docs])
    return passed(label, f"can read the database secret through {', '.join(decision.allowed_by)}",
                  secret=arn)


@probe(layer="compute", component="instance-role",
       title="The instance role grants nothing broader than it needs", severity="critical",
       gate=True, challenge=5,
       remediation="Detach broad managed policies and replace wildcard statements with the "
                   "exact actions and resources (SSM core + GetSecretValue on the DB secret)")
def instance_role_least_privilege(inv: Inventory, exp: Any) -> Finding:
    role, source = _role_name(inv)
    bare = None if role else _without_profile(inv)
    if bare:
        return skipped(bare, "has no instance profile, so there is no role whose privileges to "
                             "judge (compute.launch_template_settings reports the missing profile)")
    if not role:
        return absent("the instance role", "a role in the launch template's instance profile")
    label = f"instance role {role} (from {source})"
    attached, docs = iam.documents(inv, role)
    secret = _secret_arn(inv)
    problems = [f"managed policy {p['PolicyName']} attached" for p in attached
                if p["PolicyName"] in exp.compute.forbidden_policies]
    for name, doc in docs:
        for st in iam.statements(doc):
            if st.get("Effect") != "Allow":
                continue
            if "NotAction" in st:
                problems.append(f"{name} allows NotAction {iam.as_list(st['NotAction'])}")
                continue
            acts = [a.lower() for a in iam.as_list(st.get("Action"))]
            res = iam.as_list(st.get("Resource")) or ["(NotResource)"]
            # A whole service (ssm:* includes SendCommand to every instance) or everything.
            wild = [a for a in acts if a == "*" or a.endswith(":*")]
            if wild:
                problems.append(f"{name} allows action {', '.join(wild)} on {', '.join(res)}")
                continue
            sm = [a for a in acts if a.startswith("secretsmanager:") or a == "secretsmanager*"]
            if sm:
                broad = [r for r in res if "*" in r and not (secret and fnmatchcase(secret, r)
                                                             and r.count("*") == 1
                                                             and r.endswith("-*"))]
                other = [r for r in res if r not in broad and secret and not fnmatchcase(secret, r)]
                if broad or other:
                    problems.append(f"{name} allows {', '.join(sm)} on {', '.join(broad + other)}")
    evidence = {"attached": [p["PolicyName"] for p in attached], "secret": secret}
    if problems:
        return failed(label, f"grants too much: {'; '.join(problems)}",
                      "no '*' actions, no broad managed policies, secrets access only to the "
                      "database secret", **evidence)
    return passed(label, "grants only scoped permissions", **evidence)


# ---- auto scaling ------------------------------------------------------------------------
@probe(layer="compute", component="auto-scaling",
       title="The Auto Scaling group spans the private app subnets in at least two AZs",
       severity="critical", gate=True, challenge=10,
       remediation="Set the ASG's VPCZoneIdentifier to the private app subnets of every AZ "
                   "(aws autoscaling update-auto-scaling-group --vpc-zone-identifier ...)")
def asg_spans_private_subnets(inv: Inventory, exp: Any) -> Finding:
    asg = reads.auto_scaling_group(inv)
    if not asg:
        return _no_asg()
    label = f"Auto Scaling group {asg['AutoScalingGroupName']}"
    subnets = [s for s in (asg.get("VPCZoneIdentifier") or "").split(",") if s]
    public = reads.public_subnets(inv)
    described = {s["SubnetId"]: s for s in reads.subnets(inv)}
    azs = sorted({described[s]["AvailabilityZone"] for s in subnets if s in described})
    evidence = {"subnets": subnets, "azs": azs}
    want = exp.compute.min_azs
    if public & set(subnets):
        return failed(label, f"launches into public subnet(s) {', '.join(sorted(public & set(subnets)))} "
                             "(their route tables send 0.0.0.0/0 to an internet gateway)",
                      "private app subnets only", **evidence)
    if len(azs) < want:
        return failed(label, f"spans {len(azs)} AZ(s) ({', '.join(azs) or 'none'})",
                      f"at least {want} AZs", **evidence)
    return passed(label, f"spans {len(subnets)} private subnets in {', '.join(azs)}", **evidence)


@probe(layer="compute", component="auto-scaling",
       title="The Auto Scaling group runs at least its minimum of healthy InService instances",
       severity="blocker", gate=True, challenge=8,
       remediation="Check the ASG's activity history (aws autoscaling describe-scaling-activities)"
                   " for launch failures: AMI, instance profile, subnet capacity, quotas")
def asg_capacity_in_service(inv: Inventory, exp: Any) -> Finding:
    asg = reads.auto_scaling_group(inv)
    if not asg:
        return _no_asg()
    label = f"Auto Scaling group {asg['AutoScalingGroupName']}"
    lo, desired = asg.get("MinSize", 0), asg.get("DesiredCapacity", 0)
    healthy = [i for i in _in_service(asg) if i.get("HealthStatus", "Healthy") == "Healthy"]
    evidence = {"min": lo, "desired": desired, "max": asg.get("MaxSize"),
                "instances": {i["InstanceId"]: f"{i.get('LifecycleState')}/{i.get('HealthStatus')}"
                              for i in asg.get("Instances", [])}}
    if lo < 1:
        return failed(label, f"has MinSize {lo}", "MinSize of at least 1 (2 for two AZs)",
                      "aws autoscaling update-auto-scaling-group --min-size 2", **evidence)
    if desired < lo:
        return failed(label, f"has desired capacity {desired} below min {lo}",
                      f"desired >= min ({lo})", **evidence)
    if len(healthy) < lo:
        others = [f"{k} {v}" for k, v in evidence["instances"].items()
                  if k not in {i["InstanceId"] for i in healthy}]
        return failed(label, f"has {len(healthy)} healthy InService instance(s) of min {lo} "
                             f"(desired {desired}"
                             + (f"; not counted: {', '.join(others)})" if others else ")"),
                      f"at least {lo} healthy InService instances", **evidence)
    return passed(label, f"has {len(healthy)} healthy InService instances (min {lo}, desired "
                         f"{desired})", **evidence)


@probe(layer="compute", component="auto-scaling",
       title="The Auto Scaling group is attached to the NLB target group", severity="blocker",
       gate=True, challenge=2,
       remediation="Attach the target group (aws autoscaling attach-load-balancer-target-groups "
                   "--target-group-arns TG) so new instances are registered with the NLB")
def asg_attached_to_target_group(inv: Inventory, exp: Any) -> Finding:
    asg = reads.auto_scaling_group(inv)
    if not asg:
        return _no_asg()
    label = f"Auto Scaling group {asg['AutoScalingGroupName']}"
    tg = graph.role(inv, "target_group")
    if not tg:
        return absent("the NLB target group", "an AWS::ElasticLoadBalancingV2::TargetGroup")
    arns = asg.get("TargetGroupARNs", [])
    if tg not in arns:
        return failed(label, f"is attached to {', '.join(arns) or 'no target group'}",
                      f"target group {tg}", target_groups=arns)
    return passed(label, f"registers its instances with {tg}")


@probe(layer="compute", component="auto-scaling",
       title="Every InService instance is a healthy NLB target", severity="blocker", gate=True,
       challenge=10, needs=("target_group",),
       remediation="Check the app on the instance through SSM (systemctl status "
                   "stackprobe-backend; curl localhost:APP_PORT/health) and the health check "
                   "port/path of the target group")
def targets_healthy(inv: Inventory, exp: Any) -> list[Finding]:
    tg = graph.role(inv, "target_group")
    if not tg:
        return [absent("the NLB target group", "an AWS::ElasticLoadBalancingV2::TargetGroup")]
    asg = reads.auto_scaling_group(inv) or {}
    wanted = {i["InstanceId"] for i in _in_service(asg)}
    health = {t["Target"]["Id"]: t.get("TargetHealth", {}) for t in reads.target_health(inv)}
    label = f"target group {tg.rsplit(':', 1)[-1]}"
    states = {k: v.get("State") for k, v in health.items()}
    if not health and not wanted:
        return [failed(label, "has no target registered", "every InService instance registered "
                       "and healthy", targets=states)]
    out = []
    for iid in sorted(wanted | set(health)):
        h = health.get(iid)
        what = f"target {iid} in {label}"
        if h is None:
            out.append(failed(f"instance {iid}", f"is InService but not registered in {label}",
                              "registered and healthy",
                              "Attach the target group to the ASG or register the instance"))
            continue
        state = h.get("State")
        why = " - ".join(x for x in (h.get("Reason"), h.get("Description")) if x)
        if state == "healthy":
            out.append(passed(what, "is healthy"))
        elif state == "initial":  # transient: new targets start here (AWS)
            out.append(failed(what, "is initial: health checks still running (a new target turns "
                              "healthy after HealthyThresholdCount passing checks)", "healthy",
                              "Wait a minute and rerun; if it stays initial or turns unhealthy, "
                              "check the app on the instance through SSM", targets=states))
        elif state == "draining":
            out.append(failed(what, "is draining: it is being deregistered", "healthy",
                              "Wait for the Auto Scaling group's replacement to register",
                              targets=states))
        elif state == "unused":
            out.append(failed(what, f"is unused ({why or 'no reason given'}): the load "
                              "balancer sends it nothing", "healthy",
                              "Check the listener forwards to this target group and the "
                              "instance runs in an Availability Zone the NLB is enabled in",
                              targets=states))
        else:
            out.append(failed(what, f"is {state}" + (f" ({why})" if why else ""), "healthy",
                              targets=states))
    return out


@probe(layer="compute", component="auto-scaling",
       title="A target-tracking scaling policy is attached to the ASG", severity="normal",
       challenge=10,
       remediation="Add a target-tracking policy (aws autoscaling put-scaling-policy "
                   "--policy-type TargetTrackingScaling, e.g. ASGAverageCPUUtilization 60)")
def scaling_policy_present(inv: Inventory, exp: Any) -> Finding:
    asg = reads.auto_scaling_group(inv)
    if not asg:
        return _no_asg()
    label = f"Auto Scaling group {asg['AutoScalingGroupName']}"
    policies = reads.scaling_policies(inv)
    want = exp.compute.scaling_policy_type
    seen = [f"{p['PolicyName']} ({p.get('PolicyType')})" for p in policies]
    hit = [p for p in policies if p.get("PolicyType") == want and p.get("Enabled", True)]
    if not hit:
        return failed(label, f"has {'policies ' + ', '.join(seen) if seen else 'no scaling policy'}",
                      f"an enabled {want} policy", policies=seen)
    cfg = hit[0].get("TargetTrackingConfiguration") or {}
    metric = (cfg.get("PredefinedMetricSpecification") or {}).get("PredefinedMetricType", "custom")
    return passed(label, f"scales with {hit[0]['PolicyName']} ({metric} target "
                         f"{cfg.get('TargetValue')})", policies=seen)


# ---- SSM reachability --------------------------------------------------------------------
@probe(layer="compute", component="ssm",
       title="Every InService instance is Online in SSM (SSH-less management works)",
       severity="critical", gate=True, challenge=5,
       remediation="Check the instance role has AmazonSSMManagedInstanceCore, the app subnets "
                   "route 443 out via NAT (or SSM VPC endpoints), and the SSM agent runs")
def instances_managed_by_ssm(inv: Inventory, exp: Any) -> list[Finding]:
    asg = reads.auto_scaling_group(inv)
    if not asg:
        return [_no_asg()]
    ids = sorted(i["InstanceId"] for i in _in_service(asg))
    if not ids:
        return [failed(f"Auto Scaling group {asg['AutoScalingGroupName']}",
                       "has no InService instance to manage", "InService instances Online in SSM",
                       "See compute.asg_capacity_in_service")]
    infos = inv.paginate("ssm", "describe_instance_information", "InstanceInformationList",
                         Filters=[{"Key": "InstanceIds", "Values": ids}])
    status = {i["InstanceId"]: i.get("PingStatus") for i in infos}
    out = []
    for iid in ids:
        ping = status.get(iid)
        if ping != "Online":
            out.append(failed(f"instance {iid}", "is not registered with SSM (an agent registers "
                              "within minutes of boot; longer means no role, no route or no agent)"
                              if ping is None else f"has SSM ping status {ping}", "Online in SSM",
                              ssm=status))
        else:
            out.append(passed(f"instance {iid}", "is Online in SSM"))
    return out


# ---- health check ------------------------------------------------------------------------
@probe(layer="compute", component="health-check",
       title="The target group's health check can succeed against the app", severity="critical",
       gate=True, challenge=4, needs=("target_group",),
       remediation="aws elbv2 modify-target-group --target-group-arn <arn> --health-check-port "
                   "traffic-port --health-check-path <the app's health path> (and "
                   "--health-check-enabled)")
def health_check_can_succeed(inv: Inventory, exp: Any) -> Finding:
    tg = reads.target_group(inv)
    arn = graph.role(inv, "target_group")
    if not tg:
        return absent(f"target group {arn}", "the target group to exist")
    label = f"target group {tg.get('TargetGroupName')} ({arn})"
    settings = {k: tg.get(k) for k in ("HealthCheckEnabled", "HealthCheckProtocol", "HealthCheckPort",
                                        "HealthCheckPath", "Port", "Matcher")}
    problems = evaluators.health_check_problems(tg, exp.network.app_port, exp.compute.health_check_path)
    if problems:
        return failed(label, "; ".join(problems),
                      f"a health check on the app port {exp.network.app_port} (traffic-port) and "
                      f"{exp.compute.health_check_path} for HTTP(S)",
                      f"aws elbv2 modify-target-group --target-group-arn {arn} --health-check-port "
                      f"traffic-port --health-check-path {exp.compute.health_check_path} "
                      "--health-check-enabled", **settings)
    return passed(label, f"health-checks {tg.get('HealthCheckProtocol')} port "
                  f"{tg.get('HealthCheckPort')} {tg.get('HealthCheckPath') or ''}".rstrip()
                  + ", which the app answers", **settings)
