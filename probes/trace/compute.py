"""Hops from the NLB to the app instances (compute layer): listener -> target group
(whose health check the app can pass) -> Auto Scaling group -> healthy instances in
private subnets."""
from __future__ import annotations

from probes import evaluators, graph, reads
from probes.trace.engine import Blocked, Broken, Ctx


def listener(c: Ctx) -> tuple[str, str, str]:
    nlb = c.nlb()
    arn = graph.role(c.inv, "nlb")
    if not nlb:
        raise Broken(f"NLB {arn or '(none in the stack)'} was not found", "the NLB to exist",
                     "Redeploy the stack")
    state = (nlb.get("State") or {}).get("Code")
    if state not in (None, "active"):
        raise Broken(f"NLB {arn} is {state}", "active", "Wait for provisioning or recreate the NLB")
    ls = reads.listeners(c.inv)
    if not ls:
        raise Broken(f"NLB {arn} has no listener", "a TCP listener on the app port",
                     "Create a TCP listener forwarding to the target group")
    return f"NLB {nlb.get('LoadBalancerName')}", \
        f"listener(s) {', '.join(str(x['Port']) for x in ls)}", f"{len(ls)} listener(s)"


def target_group(c: Ctx) -> tuple[str, str, str]:
    ls = reads.listeners(c.inv)
    if not ls:
        raise Blocked("no listener to follow")
    tg_arn = graph.role(c.inv, "target_group")
    tg = reads.target_group(c.inv)
    forwarded = set().union(*(graph.forwards_to(x) for x in ls))
    if not tg:
        raise Broken(f"target group {tg_arn or '(none in the stack)'} was not found",
                     "the target group to exist", "Redeploy the stack")
    if tg_arn not in forwarded:
        raise Broken(f"the NLB's listeners forward to {sorted(forwarded) or 'nothing'}",
                     f"the stack's target group {tg_arn}",
                     "Set the listener's default action to forward to the target group")
    c.app_port = int(tg.get("Port") or 0) or None
    compute_exp = getattr(c.exp, "compute", None)
    network_exp = getattr(c.exp, "network", None)
    problems = evaluators.health_check_problems(
        tg, getattr(network_exp, "app_port", None) or c.app_port,
        getattr(compute_exp, "health_check_path", None))
    if problems:
        raise Broken(f"target group {tg.get('TargetGroupName')} {problems[0]}",
                     "a health check the app can pass", f"aws elbv2 modify-target-group "
                     f"--target-group-arn {tg_arn} --health-check-port traffic-port", layer="compute",
                     health_check={k: tg.get(k) for k in ("HealthCheckPort", "HealthCheckProtocol",
                                                           "HealthCheckPath", "HealthCheckEnabled")})
    return "listener", f"target group {tg.get('TargetGroupName')}", \
        f"forward -> {tg.get('TargetGroupName')} ({tg.get('Protocol')} {tg.get('Port')})"


def asg(c: Ctx) -> tuple[str, str, str]:
    tg_arn = graph.role(c.inv, "target_group")
    asg = reads.auto_scaling_group(c.inv)
    name = graph.role(c.inv, "auto_scaling_group")
    if not asg:
        raise Broken(f"Auto Scaling group {name or '(none in the stack)'} was not found",
                     "the ASG to exist", "Redeploy the stack")
    if tg_arn and tg_arn not in (asg.get("TargetGroupARNs") or []):
        raise Broken(f"Auto Scaling group {name} registers with {asg.get('TargetGroupARNs') or 'no target group'}",
                     f"target group {tg_arn} (otherwise no instance ever receives traffic)",
                     f"aws autoscaling attach-load-balancer-target-groups --auto-scaling-group-name "
                     f"{name} --target-group-arns {tg_arn}")
    return f"target group {tg_arn}", f"Auto Scaling group {name}", f"{name} registers with the target group"


def instances(c: Ctx) -> tuple[str, str, str]:
    asg = reads.auto_scaling_group(c.inv)
    if not asg:
        raise Blocked("no Auto Scaling group")
    name = asg.get("AutoScalingGroupName")
    members = [i["InstanceId"] for i in asg.get("Instances", [])
               if i.get("LifecycleState") == "InService" and i.get("HealthStatus", "Healthy") == "Healthy"]
    health = {t["Target"]["Id"]: (t.get("TargetHealth") or {}).get("State")
              for t in reads.target_health(c.inv)}
    c.instances = reads.instances(c.inv, [i["InstanceId"] for i in asg.get("Instances", [])])
    details = {"asg_instances": asg.get("Instances", []), "target_health": health}
    healthy = [i for i in members if health.get(i) == "healthy"]
    need = c.e2e.min_healthy_instances
    if len(healthy) < need:
        states = {i["InstanceId"]: f"{i.get('LifecycleState')}/{i.get('HealthStatus')}/"
                  f"target {health.get(i['InstanceId'], 'unregistered')}" for i in asg.get("Instances", [])}
        starting = sorted(i for i, s in health.items() if s == "initial")
        raise Broken(f"Auto Scaling group {name} has {len(healthy)} in-service instance(s) healthy "
                     f"in the target group ({states or 'no instances'})"
                     + (f"; {', '.join(starting)} initial: health checks still running, wait and "
                         "rerun" if starting else ""),
                     f"at least {need} (otherwise the NLB has nowhere to send requests: 5xx)",
                     "Check target health reasons (aws elbv2 describe-target-health), the app's "
                     "/health endpoint via SSM, and the ASG activity history", **details)
    public = reads.public_subnets(c.inv)
    for inst in c.instances:
        if inst.get("PublicIpAddress") or inst.get("SubnetId") in public:
            raise Broken(f"instance {inst['InstanceId']} is in subnet {inst.get('SubnetId')}"
                         + (f" with public IP {inst.get('PublicIpAddress')}" if inst.get("PublicIpAddress") else
                             " routed to an internet gateway"),
                         "app instances in private subnets only",
                         "Set the ASG's VPCZoneIdentifier to the private app subnets", **details)
    return f"Auto Scaling group {name}", f"{len(healthy)} healthy instance(s)", \
        f"{', '.join(healthy)} healthy in private subnets"
