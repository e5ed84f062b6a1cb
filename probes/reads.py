"""Canonical reads: one accessor per resource kind, shared by every probe.

Probes call these instead of making their own ``inv.call`` with slightly different
parameters, so that each resource is described once per run (the inventory memoizes
on the exact call). Each returns the described object, or None/[] when absent.
"""
from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import unquote

from probes import graph
from probes.inventory import Inventory

CLOUDFRONT_REGION = "us-east-1"  # CloudFront, its WAF scope and its certificates live here


# ---- network ----------------------------------------------------------------------------
def vpc_id(inv: Inventory) -> str | None:
    return graph.role(inv, "vpc")


def vpc(inv: Inventory) -> dict | None:
    vid = vpc_id(inv)
    if not vid:
        return None
    resp = inv.call("ec2", "describe_vpcs", missing_ok=True, VpcIds=[vid])
    return (resp or {}).get("Vpcs", [None])[0] if resp else None


def _in_vpc(inv: Inventory, operation: str, key: str) -> list[dict]:
    vid = vpc_id(inv)
    if not vid:
        return []
    return inv.paginate("ec2", operation, key, Filters=[{"Name": "vpc-id", "Values": [vid]}])


def subnets(inv: Inventory) -> list[dict]:
    return _in_vpc(inv, "describe_subnets", "Subnets")


def route_tables(inv: Inventory) -> list[dict]:
    return _in_vpc(inv, "describe_route_tables", "RouteTables")


def security_groups(inv: Inventory) -> list[dict]:
    vid = vpc_id(inv)
    return graph.of(inv).security_groups_in(vid) if vid else []


def network_acls(inv: Inventory) -> list[dict]:
    return _in_vpc(inv, "describe_network_acls", "NetworkAcls")


def nat_gateways(inv: Inventory) -> list[dict]:
    return _in_vpc(inv, "describe_nat_gateways", "NatGateways")


def internet_gateways(inv: Inventory) -> list[dict]:
    vid = vpc_id(inv)
    if not vid:
        return []
    return inv.paginate("ec2", "describe_internet_gateways", "InternetGateways",
                        Filters=[{"Name": "attachment.vpc-id", "Values": [vid]}])


def flow_logs(inv: Inventory) -> list[dict]:
    vid = vpc_id(inv)
    if not vid:
        return []
    return inv.paginate("ec2", "describe_flow_logs", "FlowLogs",
                        Filters=[{"Name": "resource-id", "Values": [vid]}])


def _route_tables_by_subnet(inv: Inventory) -> tuple[dict[str, dict], dict | None]:
    """({subnet id: its explicitly associated route table}, the VPC's main route table)."""
    explicit: dict[str, dict] = {}
    main = None
    for t in route_tables(inv):
        for a in t.get("Associations", []):
            if a.get("SubnetId"):
                explicit[a["SubnetId"]] = t
            if a.get("Main"):
                main = t
    return explicit, main


def route_table_of(inv: Inventory, subnet_id: str) -> dict | None:
    """The route table a subnet uses: its explicit association, else the VPC's main table."""
    explicit, main = _route_tables_by_subnet(inv)
    return explicit.get(subnet_id, main)


def routes_to_igw(table: dict | None) -> bool:
    return any(r.get("DestinationCidrBlock") == "0.0.0.0/0"
               and str(r.get("GatewayId", "")).startswith("igw-") for r in (table or {}).get("Routes", []))


def public_subnets(inv: Inventory) -> set[str]:
    """Subnets of the VPC whose route table sends 0.0.0.0/0 to an internet gateway."""
    return {s["SubnetId"] for s in subnets(inv) if routes_to_igw(route_table_of(inv, s["SubnetId"]))}


def tiers(inv: Inventory) -> dict[str, list[str]]:
    """Subnet tiers from what uses them and how they route, never from our Outputs:
    db = the DB subnet group's subnets; app = the ASG's subnets plus the stack's own private
    subnets (no internet-gateway route) that are not the DB's, so an ASG shrunk to one
    subnet does not shrink its tier; public = every subnet routed to an internet gateway."""
    asg = auto_scaling_group(inv) or {}
    app = [s for s in (asg.get("VPCZoneIdentifier") or "").split(",") if s]
    db = db_instance(inv) or {}
    dbs = [s["SubnetIdentifier"] for s in (db.get("DBSubnetGroup") or {}).get("Subnets", [])]
    public_routes = public_subnets(inv)
    if app:
        existing = {s["SubnetId"] for s in subnets(inv)}
        app += sorted(s for s in (n.id for n in graph.of(inv).declared("AWS::EC2::Subnet"))
                      if s in existing and s not in public_routes and s not in dbs and s not in app)
    # A subnet routed to an internet gateway is public even when the ASG or the DB uses it
    # (that placement is the private-subnet probes' finding, not a missing public tier).
    public = sorted(public_routes)
    return {"public": public, "app": app, "db": dbs}


def judged_security_groups(inv: Inventory) -> list[dict]:
    """The VPC's security groups, plus the stack's own wherever they sit (a group declared
    without VpcId lands in the default VPC and is the stack's all the same)."""
    groups = security_groups(inv)
    seen = {g["GroupId"] for g in groups} | {g.get("GroupName") for g in groups}
    own = sorted(r["PhysicalResourceId"] for r in inv.of_type("AWS::EC2::SecurityGroup")
                 if r["PhysicalResourceId"] not in seen)
    ids = [i for i in own if i.startswith("sg-")]
    names = [i for i in own if not i.startswith("sg-")]
    for key, values in (("GroupIds", ids), ("GroupNames", names)):
        if values:
            resp = inv.call("ec2", "describe_security_groups", missing_ok=True, **{key: values})
            groups = groups + [g for g in (resp or {}).get("SecurityGroups", [])
                               if g["GroupId"] not in seen]
    return groups


def security_group(inv: Inventory, group_id: str) -> dict | None:
    return next((g for g in security_groups(inv) if g["GroupId"] == group_id), None)


# ---- logs -------------------------------------------------------------------------------
def log_groups(inv: Inventory, prefix: str) -> list[dict]:
    """The log groups whose name starts with ``prefix``, once per prefix: never every group
    of the region, whose count grows with the account, not with the stack."""
    return inv.paginate("logs", "describe_log_groups", "logGroups", logGroupNamePrefix=prefix)


def log_group(inv: Inventory, name: str) -> dict | None:
    return next((g for g in log_groups(inv, name) if g["logGroupName"] == name), None)


# ---- compute ----------------------------------------------------------------------------
def auto_scaling_group(inv: Inventory) -> dict | None:
    return graph.of(inv).asg()


def launch_template_data(inv: Inventory) -> tuple[str | None, dict | None]:
    """(launch template id, data of the version the ASG uses, else the default version)."""
    lt_id = graph.role(inv, "launch_template")
    return lt_id, (graph.of(inv).launch_template_data() if lt_id else None)


def user_data_text(data: dict | None) -> str:
    """The launch template data's UserData, decoded (as given when it is not base64)."""
    raw = (data or {}).get("UserData") or ""
    try:
        return base64.b64decode(raw).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return raw


def instances(inv: Inventory, ids: list[str]) -> list[dict]:
    if not ids:
        return []
    resp = inv.call("ec2", "describe_instances", InstanceIds=sorted(ids))
    return [i for r in resp.get("Reservations", []) for i in r.get("Instances", [])]


def images(inv: Inventory, image_id: str) -> list[dict]:
    resp = inv.call("ec2", "describe_images", missing_ok=True, ImageIds=[image_id])
    return (resp or {}).get("Images", [])


def load_balancer(inv: Inventory) -> dict | None:
    arn = graph.role(inv, "nlb")
    if not arn:
        return None
    resp = inv.call("elbv2", "describe_load_balancers", missing_ok=True, LoadBalancerArns=[arn])
    lbs = (resp or {}).get("LoadBalancers", [])
    return lbs[0] if lbs else None


def listeners(inv: Inventory) -> list[dict]:
    arn = graph.role(inv, "nlb")
    if not arn:
        return []
    return inv.paginate("elbv2", "describe_listeners", "Listeners", missing_ok=True,
                        LoadBalancerArn=arn)


def target_group(inv: Inventory) -> dict | None:
    arn = graph.role(inv, "target_group")
    if not arn:
        return None
    resp = inv.call("elbv2", "describe_target_groups", missing_ok=True, TargetGroupArns=[arn])
    tgs = (resp or {}).get("TargetGroups", [])
    return tgs[0] if tgs else None


def target_health(inv: Inventory) -> list[dict]:
    arn = graph.role(inv, "target_group")
    if not arn:
        return []
    resp = inv.call("elbv2", "describe_target_health", missing_ok=True, TargetGroupArn=arn)
    return (resp or {}).get("TargetHealthDescriptions", [])


def role(inv: Inventory, name: str) -> dict | None:
    resp = inv.call("iam", "get_role", missing_ok=True, RoleName=name)
    return resp["Role"] if resp else None


def role_policies(inv: Inventory, name: str) -> tuple[list[dict], dict[str, dict]]:
    """(attached managed policies, {inline policy name: document})."""
    attached = inv.paginate("iam", "list_attached_role_policies", "AttachedPolicies",
                            missing_ok=True, RoleName=name)
    inline = {}
    for pname in inv.paginate("iam", "list_role_policies", "PolicyNames", missing_ok=True,
                              RoleName=name):
        doc = inv.call("iam", "get_role_policy", RoleName=name, PolicyName=pname)["PolicyDocument"]
        inline[pname] = json.loads(unquote(doc)) if isinstance(doc, str) else doc
    return attached, inline


# ---- database ---------------------------------------------------------------------------
def db_instance(inv: Inventory) -> dict | None:
    ident = graph.role(inv, "db_instance")
    if not ident:
        return None
    resp = inv.call("rds", "describe_db_instances", missing_ok=True, DBInstanceIdentifier=ident)
    dbs = (resp or {}).get("DBInstances", [])
    return dbs[0] if dbs else None


def secret(inv: Inventory, secret_id: str) -> dict | None:
    return inv.call("secretsmanager", "describe_secret", missing_ok=True, SecretId=secret_id)


# ---- api / auth -------------------------------------------------------------------------
def rest_api_id(inv: Inventory) -> str | None:
    return graph.role(inv, "rest_api")


def api_resources(inv: Inventory) -> list[dict]:
    api = rest_api_id(inv)
    if not api:
        return []
    return inv.paginate("apigateway", "get_resources", "items", missing_ok=True, restApiId=api,
                        embed=["methods"])


def api_stage(inv: Inventory) -> dict | None:
    api, stage = rest_api_id(inv), graph.role(inv, "api_stage")
    if not api or not stage:
        return None
    return inv.call("apigateway", "get_stage", missing_ok=True, restApiId=api, stageName=stage)


def authorizers(inv: Inventory) -> list[dict]:
    api = rest_api_id(inv)
    if not api:
        return []
    return inv.paginate("apigateway", "get_authorizers", "items", missing_ok=True, restApiId=api)


def vpc_link(inv: Inventory, link_id: str) -> dict | None:
    return inv.call("apigateway", "get_vpc_link", missing_ok=True, vpcLinkId=link_id)


# HTTP APIs (API Gateway v2): the same reads the graph makes, so they are shared.
def http_api_id(inv: Inventory) -> str | None:
    return graph.role(inv, "http_api")


def http_api(inv: Inventory, api_id: str) -> dict | None:
    return inv.call("apigatewayv2", "get_api", missing_ok=True, ApiId=api_id)


def http_routes(inv: Inventory) -> list[dict]:
    return graph.of(inv).http_routes()


def http_integrations(inv: Inventory) -> list[dict]:
    return graph.of(inv).http_integrations()


def http_authorizer(inv: Inventory, authorizer_id: str) -> dict | None:
    return graph.of(inv).http_authorizer(authorizer_id)


def http_stage(inv: Inventory) -> dict | None:
    api, stage = http_api_id(inv), graph.role(inv, "http_api_stage")
    if not api or not stage:
        return None
    return next((s for s in inv.paginate("apigatewayv2", "get_stages", "Items", missing_ok=True, ApiId=api)
                 if s.get("StageName") == stage), None)


def http_deployment(inv: Inventory, deployment_id: str) -> dict | None:
    api = http_api_id(inv)
    if not api:
        return None
    return inv.call("apigatewayv2", "get_deployment", missing_ok=True, ApiId=api, DeploymentId=deployment_id)


def http_vpc_link(inv: Inventory, link_id: str) -> dict | None:
    return inv.call("apigatewayv2", "get_vpc_link", missing_ok=True, VpcLinkId=link_id)


def user_pool(inv: Inventory) -> dict | None:
    pid = graph.role(inv, "user_pool")
    if not pid:
        return None
    resp = inv.call("cognito-idp", "describe_user_pool", missing_ok=True, UserPoolId=pid)
    return resp["UserPool"] if resp else None


def user_pool_client(inv: Inventory) -> dict | None:
    pid, cid = graph.role(inv, "user_pool"), graph.role(inv, "user_pool_client")
    if not pid or not cid:
        return None
    resp = inv.call("cognito-idp", "describe_user_pool_client", missing_ok=True,
                    UserPoolId=pid, ClientId=cid)
    return resp["UserPoolClient"] if resp else None


# ---- edge / waf / dns -------------------------------------------------------------------
def distribution(inv: Inventory) -> dict | None:
    return graph.of(inv).distribution()


def bucket_policy(inv: Inventory, bucket: str) -> dict | None:
    resp = inv.call("s3", "get_bucket_policy", missing_ok=True, Bucket=bucket)
    return json.loads(resp["Policy"]) if resp else None


def web_acl_ref(inv: Inventory) -> tuple[str, str, str] | None:
    """(name, id, scope) of the stack's web ACL, from its ARN or its physical id."""
    ref = graph.role(inv, "web_acl")
    if not ref:
        return None
    if ref.startswith("arn:"):
        # arn:aws:wafv2:us-east-1:acct:global/webacl/NAME/ID
        parts = ref.split(":", 5)[5].split("/")
        scope = "CLOUDFRONT" if parts[0] == "global" else "REGIONAL"
        return parts[2], parts[3], scope
    name, wid, scope = ref.split("|")
    return name, wid, scope


def web_acl(inv: Inventory) -> dict | None:
    ref = web_acl_ref(inv)
    if not ref:
        return None
    name, wid, scope = ref
    resp = inv.call("wafv2", "get_web_acl", missing_ok=True, Name=name, Id=wid, Scope=scope,
                    region=CLOUDFRONT_REGION if scope == "CLOUDFRONT" else None)
    return resp["WebACL"] if resp else None


# ---- observability ----------------------------------------------------------------------
def alarms(inv: Inventory) -> list[dict]:
    return graph.of(inv).alarms()


def topic_subscriptions(inv: Inventory, topic_arn: str) -> list[dict]:
    return inv.paginate("sns", "list_subscriptions_by_topic", "Subscriptions", missing_ok=True,
                        TopicArn=topic_arn)


def trail_status(inv: Inventory, trail: str) -> dict | None:
    return inv.call("cloudtrail", "get_trail_status", missing_ok=True, Name=trail)


def trail(inv: Inventory, name: str) -> dict | None:
    resp = inv.call("cloudtrail", "describe_trails", trailNameList=[name])
    # The list may also hold other trails (shadow trails of other regions; moto ignores
    # trailNameList): pick the one asked for.
    return next((t for t in resp.get("trailList", []) if name in (t.get("Name"), t.get("TrailARN"))),
                None)


def dashboard(inv: Inventory, name: str) -> dict | None:
    resp = inv.call("cloudwatch", "get_dashboard", missing_ok=True, DashboardName=name)
    if not resp:
        return None
    return json.loads(resp.get("DashboardBody") or "{}")


def any_of(items: list[Any], **match: Any) -> Any:
    return next((i for i in items if all(i.get(k) == v for k, v in match.items())), None)


# ---- database parameters (read by database and observability) -------------------------
def db_parameters(inv: Inventory, group_name: str) -> dict[str, str | None]:
    """{parameter name: value} of a DB parameter group (None when unset), read once."""
    params = inv.paginate("rds", "describe_db_parameters", "Parameters", missing_ok=True,
                          DBParameterGroupName=group_name)
    return {p["ParameterName"]: p.get("ParameterValue") for p in params}


def db_parameter_group_name(inv: Inventory) -> str | None:
    db = db_instance(inv)
    groups = (db or {}).get("DBParameterGroups") or []
    return groups[0].get("DBParameterGroupName") if groups else None


# ---- shared by network / compute (appended) ---------------------------------------------
def bucket_lifecycle_rules(inv: Inventory, bucket: str) -> list[dict]:
    """The bucket's lifecycle rules ([] when it has no lifecycle configuration)."""
    resp = inv.call("s3", "get_bucket_lifecycle_configuration", missing_ok=True, Bucket=bucket)
    return (resp or {}).get("Rules", [])


def policy_document(inv: Inventory, policy_arn: str) -> dict | None:
    """The default version's document of a managed policy, or None if it cannot be read."""
    pol = inv.call("iam", "get_policy", missing_ok=True, PolicyArn=policy_arn)
    if not pol:
        return None
    version = pol["Policy"].get("DefaultVersionId")
    resp = inv.call("iam", "get_policy_version", missing_ok=True, PolicyArn=policy_arn,
                    VersionId=version) if version else None
    if not resp:
        return None
    doc = resp["PolicyVersion"].get("Document")
    return json.loads(unquote(doc)) if isinstance(doc, str) else doc


def instance_profile(inv: Inventory, name: str) -> dict | None:
    resp = inv.call("iam", "get_instance_profile", missing_ok=True, InstanceProfileName=name)
    return resp["InstanceProfile"] if resp else None


def scaling_policies(inv: Inventory) -> list[dict]:
    asg = graph.role(inv, "auto_scaling_group")
    if not asg:
        return []
    return inv.paginate("autoscaling", "describe_policies", "ScalingPolicies",
                        AutoScalingGroupName=asg)


# ---- stack parameters / certificates / buckets (dns, edge, and any layer that needs them) --
def stack_parameter(inv: Inventory, key: str) -> str | None:
    """A parameter value of the stack as deployed. When the root has no such parameter, its
    nested stacks' (read only then): a root may hand its edge child a DomainName or
    HostedZoneId of its own; children that disagree tell nothing. None if no stack has it."""
    def value(stack: dict) -> str | None:
        for p in stack.get("Parameters", []):
            if p.get("ParameterKey") == key:
                return p.get("ResolvedValue") or p.get("ParameterValue")
        return None
    own = value(inv.stack())
    if own is not None:
        return own
    g = graph.of(inv)
    given = {v for v in (value(g.described(n.id)) for n in g.declared("AWS::CloudFormation::Stack"))
             if v is not None}
    return given.pop() if len(given) == 1 else None


def certificate(inv: Inventory, arn: str) -> dict | None:
    """An ACM certificate, read in the region its ARN names (CloudFront's: us-east-1)."""
    parts = arn.split(":")
    region = parts[3] if len(parts) > 3 and parts[3] else CLOUDFRONT_REGION
    resp = inv.call("acm", "describe_certificate", missing_ok=True, CertificateArn=arn,
                    region=region)
    return resp["Certificate"] if resp else None


def public_access_block(inv: Inventory, bucket: str) -> dict | None:
    """The bucket's PublicAccessBlockConfiguration, or None when it has none."""
    resp = inv.call("s3", "get_public_access_block", missing_ok=True, Bucket=bucket)
    return resp["PublicAccessBlockConfiguration"] if resp else None


# ---- request path (e2e) and dns: shared so the trace re-uses the layer suites' reads ------
def domain_records(inv: Inventory, zone_id: str, domain: str) -> list[dict]:
    """Record sets from ``domain`` on (A first) in a hosted zone; the caller filters by name."""
    resp = inv.call("route53", "list_resource_record_sets", missing_ok=True, HostedZoneId=zone_id,
                    StartRecordName=domain, StartRecordType="A", MaxItems="10")
    return (resp or {}).get("ResourceRecordSets", [])


def origin_access_control(inv: Inventory, oac_id: str) -> dict | None:
    """A CloudFront origin access control (its ``OriginAccessControlConfig`` inside)."""
    resp = inv.call("cloudfront", "get_origin_access_control", missing_ok=True, Id=oac_id)
    return resp["OriginAccessControl"] if resp else None


def topic_attributes(inv: Inventory, topic_arn: str) -> dict:
    resp = inv.call("sns", "get_topic_attributes", missing_ok=True, TopicArn=topic_arn)
    return (resp or {}).get("Attributes") or {}


def rest_api(inv: Inventory, api_id: str | None = None) -> dict | None:
    """A REST API described (default: the stack's)."""
    api = api_id or rest_api_id(inv)
    return inv.call("apigateway", "get_rest_api", missing_ok=True, restApiId=api) if api else None


def rest_api_policy(inv: Inventory, api_id: str | None = None) -> dict | None:
    """A REST API's (default: the stack's) resource policy, or None."""
    return parse_api_policy((rest_api(inv, api_id) or {}).get("policy"))


def parse_api_policy(raw: str | None) -> dict | None:
    """A REST API's ``policy`` as a document: API Gateway returns it JSON-escaped (and
    sometimes as a JSON string of the document); None when there is none or it does not parse."""
    if not raw:
        return None
    for text in (raw, raw.replace('\\"', '"').replace("\\\\", "\\")):
        try:
            doc = json.loads(text)
        except ValueError:
            continue
        return json.loads(doc) if isinstance(doc, str) else doc
    return None


# ---- cross-stack references -----------------------------------------------------------------
def exports(inv: Inventory, names: set[str]) -> dict[str, str]:
    """{name: value} of the CloudFormation exports named. No read answers one export by name
    (ListImports gives the importers, not the value), so ListExports is paged, each page
    read once, and paging stops as soon as every name is found: what the stack imports
    bounds it, not how many exports the region holds (up to the page the last name is on)."""
    found: dict[str, str] = {}
    token = None
    while set(names) - set(found):
        resp = inv.call("cloudformation", "list_exports", **({"NextToken": token} if token else {}))
        for e in (resp or {}).get("Exports", []):
            if e.get("Name") in names:
                found[e["Name"]] = e.get("Value", "")
        token = (resp or {}).get("NextToken")
        if not token:
            break
    return found
