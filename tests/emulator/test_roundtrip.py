# ruff: noqa: F811  (pytest fixtures imported from _support, so the tests also run with --noconftest)
"""Round trip of the bundled template: deploy it once, then for every resource/property a probe
reads, the service API returns what the template declares. Expected values come from the
template itself (resolved: parameters' defaults, mappings, Refs to the stack's physical ids),
so the table follows the template as it changes; the rows that need a GetAtt name it."""
from __future__ import annotations

import base64
import json
import re
import time
from functools import cached_property
from pathlib import Path
from typing import Any, Callable

import pytest

from fixtures.emulator.coverage import load_template
from tests.emulator._support import ACCOUNT, REGION, Aws, aws, create, emu, unique  # noqa: F401

TEMPLATE = Path(__file__).resolve().parents[2] / "fixtures" / "cloudformation" / "stack.yaml"


class Unresolvable(Exception):
    pass


class Deployed:
    """The deployed bundled stack, its template, and cached reads."""

    def __init__(self, aws: Aws, stack: Any):
        self.aws, self.stack = aws, stack
        self.template = load_template(TEMPLATE.read_text())
        summaries = aws("cloudformation").list_stack_resources(StackName=stack.name)["StackResourceSummaries"]
        self.physical = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in summaries}
        self.outputs = stack.outputs

    # --- the template ---------------------------------------------------------------------
    def of_type(self, rtype: str) -> list[str]:
        return sorted(k for k, v in self.template["Resources"].items()
                      if v["Type"] == rtype and k in self.physical)

    def props(self, logical: str) -> dict[str, Any]:
        return self.template["Resources"][logical].get("Properties", {})

    @cached_property
    def params(self) -> dict[str, Any]:
        values = {k: v.get("Default") for k, v in self.template.get("Parameters", {}).items()}
        for k, v in self.template.get("Parameters", {}).items():
            if v.get("Type", "").startswith("AWS::SSM::Parameter::Value"):
                values[k] = self.aws("ssm").get_parameter(Name=v["Default"])["Parameter"]["Value"]
        stack = self.stack.describe()
        values.update({"AWS::Region": REGION, "AWS::AccountId": ACCOUNT, "AWS::Partition": "aws",
                       "AWS::StackName": self.stack.name, "AWS::StackId": stack["StackId"],
                       "AWS::URLSuffix": "amazonaws.com"})
        return values

    def resolve(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self.resolve(n) for n in node]
        if not isinstance(node, dict):
            return node
        if len(node) != 1 or not (next(iter(node)) == "Ref" or next(iter(node)).startswith("Fn::")):
            return {k: self.resolve(v) for k, v in node.items()}
        (fn, arg), = node.items()
        if fn == "Ref":
            if arg in self.params:
                return self.params[arg]
            if arg in self.physical:
                return self.physical[arg]
            raise Unresolvable(arg)
        if fn == "Fn::FindInMap":
            m, a, b = (self.resolve(x) for x in arg)
            return self.template["Mappings"][m][a][b]
        if fn == "Fn::Select":
            return self.resolve(arg[1])[int(self.resolve(arg[0]))]
        if fn == "Fn::Split":
            return self.resolve(arg[1]).split(arg[0])
        if fn == "Fn::Join":
            return arg[0].join(str(x) for x in self.resolve(arg[1]))
        if fn == "Fn::Sub":
            text, extra = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
            def sub(m: re.Match) -> str:
                name = m.group(1)
                if name in extra:
                    return str(self.resolve(extra[name]))
                if "." in name:
                    raise Unresolvable(name)
                return str(self.resolve({"Ref": name}))
            return re.sub(r"\$\{([^}!][^}]*)\}", sub, text)
        if fn == "Fn::If":
            raise Unresolvable("Fn::If")
        raise Unresolvable(fn)

    def declared(self, logical: str, *path: str, default: Any = None) -> Any:
        node: Any = self.props(logical)
        for key in path:
            if not isinstance(node, dict) or key not in node:
                return default
            node = node[key]
        return self.resolve(node)

    # --- cached service reads ---------------------------------------------------------------
    @cached_property
    def lb(self) -> dict:
        return self.aws("elbv2").describe_load_balancers(LoadBalancerArns=[self.physical["Nlb"]])["LoadBalancers"][0]

    @cached_property
    def db(self) -> dict:
        return self.aws("rds").describe_db_instances(DBInstanceIdentifier=self.physical["Database"])["DBInstances"][0]

    @cached_property
    def distribution_config(self) -> dict:
        return self.aws("cloudfront").get_distribution_config(Id=self.physical["Distribution"])["DistributionConfig"]

    @cached_property
    def launch_template_data(self) -> dict:
        return self.aws("ec2").describe_launch_template_versions(LaunchTemplateId=self.physical["LaunchTemplate"])[
            "LaunchTemplateVersions"][0]["LaunchTemplateData"]

    @cached_property
    def asg(self) -> dict:
        return self.aws("autoscaling").describe_auto_scaling_groups(
            AutoScalingGroupNames=[self.physical["AutoScalingGroup"]])["AutoScalingGroups"][0]

    def sg(self, logical: str) -> dict:
        return self.aws("ec2").describe_security_groups(GroupIds=[self.physical[logical]])["SecurityGroups"][0]

    def route_table(self, logical: str) -> dict:
        return self.aws("ec2").describe_route_tables(RouteTableIds=[self.physical[logical]])["RouteTables"][0]

    @cached_property
    def alarms(self) -> dict[str, dict]:
        return {a["AlarmName"]: a for a in self.aws("cloudwatch").describe_alarms()["MetricAlarms"]}

    @cached_property
    def rest_api_methods(self) -> dict[str, dict]:
        ag = self.aws("apigateway")
        api = self.physical["RestApi"]
        out = {}
        for res in ag.get_resources(restApiId=api)["items"]:
            for verb in res.get("resourceMethods") or {}:
                out[f"{verb} {res['path']}"] = ag.get_method(restApiId=api, resourceId=res["id"], httpMethod=verb)
        return out


@pytest.fixture(scope="module")
def deployed(aws) -> Deployed:
    stack = create(aws, TEMPLATE.read_text(), name=unique("roundtrip"))
    yield Deployed(aws, stack)
    stack.delete()


# --- the table --------------------------------------------------------------------------------
ROWS: list[tuple[str, Callable[[Deployed], tuple[Any, Any]]]] = []


def row(name: str) -> Callable:
    def register(fn: Callable[[Deployed], tuple[Any, Any]]) -> Callable:
        ROWS.append((name, fn))
        return fn
    return register


def each(name: str, rtype: str) -> Callable:
    """A row judged per deployed resource of ``rtype``: ``fn(d, logical)`` gives its
    (actual, expected); the row compares them keyed by logical id."""
    def register(fn: Callable[[Deployed, str], tuple[Any, Any]]) -> Callable:
        def judge(d: Deployed) -> tuple[dict, dict]:
            pairs = {logical: fn(d, logical) for logical in d.of_type(rtype)}
            return {k: a for k, (a, _) in pairs.items()}, {k: e for k, (_, e) in pairs.items()}
        row(name)(judge)
        return fn
    return register


def _s3(d: Deployed, op: str, bucket: str) -> dict:
    resp = getattr(d.aws("s3"), op)(Bucket=bucket)
    resp.pop("ResponseMetadata", None)
    return resp


# network
row("Vpc.CidrBlock")(lambda d: (d.aws("ec2").describe_vpcs(VpcIds=[d.physical["Vpc"]])["Vpcs"][0]["CidrBlock"],
                                d.declared("Vpc", "CidrBlock")))
row("Vpc.EnableDnsHostnames")(lambda d: (d.aws("ec2").describe_vpc_attribute(
    VpcId=d.physical["Vpc"], Attribute="enableDnsHostnames")["EnableDnsHostnames"]["Value"],
    d.declared("Vpc", "EnableDnsHostnames")))


@each("Subnets.CidrBlock/AZ/MapPublicIpOnLaunch", "AWS::EC2::Subnet")
def _(d, logical):
    s = d.aws("ec2").describe_subnets(SubnetIds=[d.physical[logical]])["Subnets"][0]
    return ((s["CidrBlock"], s["AvailabilityZone"], s["VpcId"], s["MapPublicIpOnLaunch"]),
            (d.declared(logical, "CidrBlock"),
             f"{REGION}{'ab'[int(d.props(logical)['AvailabilityZone']['Fn::Select'][0])]}",
             d.physical["Vpc"], bool(d.declared(logical, "MapPublicIpOnLaunch", default=False))))


row("InternetGateway.attached")(lambda d: (
    d.aws("ec2").describe_internet_gateways(InternetGatewayIds=[d.physical["InternetGateway"]])[
        "InternetGateways"][0]["Attachments"], [{"State": "available", "VpcId": d.physical["Vpc"]}]))


@row("NatGateway.SubnetId/AllocationId/State")
def _(d):
    nat = d.aws("ec2").describe_nat_gateways(NatGatewayIds=[d.physical["NatGateway"]])["NatGateways"][0]
    eip = d.aws("ec2").describe_addresses(PublicIps=[d.physical["NatEip"]])["Addresses"][0]
    return ((nat["SubnetId"], nat["NatGatewayAddresses"][0]["AllocationId"], nat["State"]),
            (d.declared("NatGateway", "SubnetId"), eip["AllocationId"], "available"))


@each("RouteTables.routes and associations", "AWS::EC2::RouteTable")
def _(d, logical):
    table = d.route_table(logical)
    routes = {r["DestinationCidrBlock"]: r.get("GatewayId") or r.get("NatGatewayId")
              for r in table["Routes"] if r.get("GatewayId") != "local"}
    subnets = sorted(a["SubnetId"] for a in table["Associations"] if a.get("SubnetId"))
    want_routes = {d.declared(r, "DestinationCidrBlock"): d.declared(r, "GatewayId") or d.declared(r, "NatGatewayId")
                   for r in d.of_type("AWS::EC2::Route") if d.declared(r, "RouteTableId") == d.physical[logical]}
    want_subnets = sorted(d.declared(a, "SubnetId") for a in d.of_type("AWS::EC2::SubnetRouteTableAssociation")
                          if d.declared(a, "RouteTableId") == d.physical[logical])
    return (routes, subnets), (want_routes, want_subnets)


def _norm_rules(perms: list[dict]) -> set:
    out = set()
    for p in perms:
        for r in p.get("IpRanges", []):
            out.add((p["IpProtocol"], p.get("FromPort"), p.get("ToPort"), r["CidrIp"], r.get("Description")))
        for g in p.get("UserIdGroupPairs", []):
            out.add((p["IpProtocol"], p.get("FromPort"), p.get("ToPort"), g["GroupId"], g.get("Description")))
    return out


def _declared_rules(d: Deployed, rules: list[dict], egress: bool) -> set:
    out = set()
    vpc_cidr = d.aws("ec2").describe_vpcs(VpcIds=[d.physical["Vpc"]])["Vpcs"][0]["CidrBlock"]
    for r in rules:
        proto = str(r["IpProtocol"])
        ports = (None, None) if proto == "-1" else (int(d.resolve(r["FromPort"])), int(d.resolve(r["ToPort"])))
        cidr = r.get("CidrIp")
        if isinstance(cidr, dict) and cidr.get("Fn::GetAtt") == ["Vpc", "CidrBlock"]:
            cidr = vpc_cidr
        target = cidr or d.resolve(r.get("DestinationSecurityGroupId" if egress else "SourceSecurityGroupId"))
        out.add((proto, *ports, target, r.get("Description")))
    return out


@each("SecurityGroups.ingress/egress", "AWS::EC2::SecurityGroup")
def _(d, logical):
    g = d.sg(logical)
    egress = _declared_rules(d, d.props(logical).get("SecurityGroupEgress") or [], True)
    for extra in d.of_type("AWS::EC2::SecurityGroupEgress"):
        if d.declared(extra, "GroupId") == d.physical[logical]:
            egress |= _declared_rules(d, [d.props(extra)], True)
    ingress = _declared_rules(d, d.props(logical).get("SecurityGroupIngress") or [], False)
    return (_norm_rules(g["IpPermissions"]), _norm_rules(g["IpPermissionsEgress"])), (ingress, egress)


@row("SecurityGroups.no port 22 anywhere")
def _(d):
    open22 = [(logical, p) for logical in d.of_type("AWS::EC2::SecurityGroup") for p in d.sg(logical)["IpPermissions"]
              if p["IpProtocol"] == "-1" or (p.get("FromPort", 0) <= 22 <= p.get("ToPort", -1))]
    return open22, []


@each("FlowLogs.destination/type/traffic", "AWS::EC2::FlowLog")
def _(d, logical):
    f = d.aws("ec2").describe_flow_logs(FlowLogIds=[d.physical[logical]])["FlowLogs"][0]
    dest = d.declared(logical, "LogGroupName")
    if dest is None:
        bucket = d.props(logical)["LogDestination"]["Fn::GetAtt"][0]
        dest = f"arn:aws:s3:::{d.physical[bucket]}"
    return ((f["ResourceId"], f["TrafficType"], f["LogDestinationType"],
             f.get("LogGroupName") or f.get("LogDestination")),
            (d.declared(logical, "ResourceId"), d.declared(logical, "TrafficType"),
             d.declared(logical, "LogDestinationType"), dest))


@row("LogGroups.RetentionInDays")
def _(d):
    groups = {g["logGroupName"]: g.get("retentionInDays") for g in _all_log_groups(d.aws("logs"))}
    actual = {logical: groups.get(d.physical[logical]) for logical in d.of_type("AWS::Logs::LogGroup")}
    return actual, {logical: d.declared(logical, "RetentionInDays") for logical in actual}


row("DbLogGroup.name matches the database")(lambda d: (
    d.physical["DbLogGroup"], f"/aws/rds/instance/{d.physical['Database']}/postgresql"))

# compute
row("LaunchTemplate.ImageId")(lambda d: (d.launch_template_data["ImageId"], d.params["LatestAmiId"]))
row("LaunchTemplate.InstanceType")(lambda d: (d.launch_template_data["InstanceType"],
                                              d.declared("LaunchTemplate", "LaunchTemplateData", "InstanceType")))
row("LaunchTemplate.IamInstanceProfile")(lambda d: (
    d.launch_template_data["IamInstanceProfile"]["Arn"],
    d.aws("iam").get_instance_profile(InstanceProfileName=d.physical["InstanceProfile"])["InstanceProfile"]["Arn"]))
row("LaunchTemplate.SecurityGroupIds")(lambda d: (
    d.launch_template_data["SecurityGroupIds"], d.declared("LaunchTemplate", "LaunchTemplateData", "SecurityGroupIds")))
row("LaunchTemplate.MetadataOptions")(lambda d: (
    {k: d.launch_template_data["MetadataOptions"].get(k) for k in d.props("LaunchTemplate")["LaunchTemplateData"]["MetadataOptions"]},
    d.declared("LaunchTemplate", "LaunchTemplateData", "MetadataOptions")))
row("LaunchTemplate.Monitoring")(lambda d: (d.launch_template_data.get("Monitoring"),
                                            d.declared("LaunchTemplate", "LaunchTemplateData", "Monitoring")))
row("LaunchTemplate.UserData installs the backend")(lambda d: (
    "stackprobe" in base64.b64decode(d.launch_template_data["UserData"]).decode(), True))
row("InstanceRole.ManagedPolicyArns")(lambda d: (
    sorted(p["PolicyArn"] for p in d.aws("iam").list_attached_role_policies(RoleName=d.physical["InstanceRole"])["AttachedPolicies"]),
    sorted(d.declared("InstanceRole", "ManagedPolicyArns"))))


@row("InstanceRole.ReadDbSecret scoped to the DB secret")
def _(d):
    doc = d.aws("iam").get_role_policy(RoleName=d.physical["InstanceRole"], PolicyName="ReadDbSecret")["PolicyDocument"]
    doc = json.loads(doc) if isinstance(doc, str) else doc
    return doc["Statement"][0]["Resource"], d.db["MasterUserSecret"]["SecretArn"]


row("InstanceProfile.Roles")(lambda d: (
    [r["RoleName"] for r in d.aws("iam").get_instance_profile(InstanceProfileName=d.physical["InstanceProfile"])[
        "InstanceProfile"]["Roles"]], [d.physical["InstanceRole"]]))
row("AutoScalingGroup.sizes")(lambda d: (
    (d.asg["MinSize"], d.asg["MaxSize"], d.asg["DesiredCapacity"]),
    tuple(int(d.declared("AutoScalingGroup", k)) for k in ("MinSize", "MaxSize", "DesiredCapacity"))))
row("AutoScalingGroup.TargetGroupARNs")(lambda d: (d.asg["TargetGroupARNs"], d.declared("AutoScalingGroup", "TargetGroupARNs")))
row("AutoScalingGroup.VPCZoneIdentifier")(lambda d: (
    sorted(d.asg["VPCZoneIdentifier"].split(",")), sorted(d.declared("AutoScalingGroup", "VPCZoneIdentifier"))))
row("AutoScalingGroup.HealthCheckType/GracePeriod")(lambda d: (
    (d.asg["HealthCheckType"], d.asg["HealthCheckGracePeriod"]),
    (d.declared("AutoScalingGroup", "HealthCheckType"), int(d.declared("AutoScalingGroup", "HealthCheckGracePeriod")))))
row("AutoScalingGroup.LaunchTemplate")(lambda d: (d.asg["LaunchTemplate"]["LaunchTemplateId"], d.physical["LaunchTemplate"]))
row("AutoScalingGroup.instances InService in >=2 AZs")(lambda d: (
    (len([i for i in d.asg["Instances"] if i["LifecycleState"] == "InService"]),
     len({i["AvailabilityZone"] for i in d.asg["Instances"]}) >= 2),
    (int(d.declared("AutoScalingGroup", "DesiredCapacity")), True)))
row("AutoScalingGroup.MetricsCollection")(lambda d: (bool(d.asg.get("EnabledMetrics")),
                                                     bool(d.declared("AutoScalingGroup", "MetricsCollection"))))


@row("AutoScalingGroup instances carry the launch template's profile/IMDSv2/SG")
def _(d):
    ids = [i["InstanceId"] for i in d.asg["Instances"]]
    insts = [i for r in d.aws("ec2").describe_instances(InstanceIds=ids)["Reservations"] for i in r["Instances"]]
    return ({(i["IamInstanceProfile"]["Arn"], i["MetadataOptions"]["HttpTokens"],
              tuple(g["GroupId"] for g in i["SecurityGroups"])) for i in insts},
            {(d.launch_template_data["IamInstanceProfile"]["Arn"], "required", (d.physical["AppSecurityGroup"],))})


@row("CpuScalingPolicy.TargetTracking")
def _(d):
    p = d.aws("autoscaling").describe_policies(AutoScalingGroupName=d.physical["AutoScalingGroup"])["ScalingPolicies"][0]
    return ((p["PolicyARN"], p["PolicyType"], p["TargetTrackingConfiguration"]["TargetValue"],
             p["TargetTrackingConfiguration"]["PredefinedMetricSpecification"]["PredefinedMetricType"]),
            (d.physical["CpuScalingPolicy"], d.declared("CpuScalingPolicy", "PolicyType"),
             float(d.declared("CpuScalingPolicy", "TargetTrackingConfiguration", "TargetValue")),
             d.declared("CpuScalingPolicy", "TargetTrackingConfiguration", "PredefinedMetricSpecification",
                        "PredefinedMetricType")))


row("Nlb.Type")(lambda d: (d.lb["Type"], d.declared("Nlb", "Type")))
row("Nlb.Scheme")(lambda d: (d.lb["Scheme"], d.declared("Nlb", "Scheme")))
row("Nlb.ARN is a network load balancer's")(lambda d: (":loadbalancer/net/" in d.lb["LoadBalancerArn"], True))
row("Nlb.Subnets")(lambda d: (sorted(z["SubnetId"] for z in d.lb["AvailabilityZones"]), sorted(d.declared("Nlb", "Subnets"))))


@row("Nlb.LoadBalancerAttributes")
def _(d):
    attrs = {a["Key"]: a["Value"] for a in d.aws("elbv2").describe_load_balancer_attributes(
        LoadBalancerArn=d.physical["Nlb"])["Attributes"]}
    declared = {a["Key"]: str(a["Value"]).lower() for a in d.props("Nlb").get("LoadBalancerAttributes", [])}
    return {k: attrs.get(k) for k in declared}, declared


@row("TargetGroup.protocol/port/health check")
def _(d):
    tg = d.aws("elbv2").describe_target_groups(TargetGroupArns=[d.physical["TargetGroup"]])["TargetGroups"][0]
    keys = ("Protocol", "Port", "HealthCheckProtocol", "HealthCheckPath", "HealthCheckPort", "TargetType",
            "HealthCheckIntervalSeconds", "HealthyThresholdCount", "UnhealthyThresholdCount", "VpcId")
    return ({k: tg.get(k) for k in keys if k in d.props("TargetGroup")},
            {k: (int(d.declared("TargetGroup", k)) if isinstance(tg.get(k), int) else d.declared("TargetGroup", k))
             for k in keys if k in d.props("TargetGroup")})


@row("TargetGroup.TargetGroupAttributes")
def _(d):
    attrs = {a["Key"]: a["Value"] for a in d.aws("elbv2").describe_target_group_attributes(
        TargetGroupArn=d.physical["TargetGroup"])["Attributes"]}
    declared = {a["Key"]: str(a["Value"]) for a in d.props("TargetGroup").get("TargetGroupAttributes", [])}
    return {k: attrs.get(k) for k in declared}, declared


@row("NlbListener.protocol/port/forward")
def _(d):
    listener = d.aws("elbv2").describe_listeners(ListenerArns=[d.physical["NlbListener"]])["Listeners"][0]
    return ((listener["Protocol"], listener["Port"], listener["DefaultActions"][0]["TargetGroupArn"]),
            (d.declared("NlbListener", "Protocol"), int(d.declared("NlbListener", "Port")), d.physical["TargetGroup"]))


@row("TargetGroup.every ASG instance healthy")
def _(d):
    # new targets are initial until their health checks pass (seconds on the emulator)
    deadline = time.monotonic() + 30  # seconds on the emulator; generous for a loaded box
    while True:
        health = d.aws("elbv2").describe_target_health(TargetGroupArn=d.physical["TargetGroup"])["TargetHealthDescriptions"]
        states = {(h["Target"]["Id"], h["TargetHealth"]["State"]) for h in health}
        if all(s == "healthy" for _, s in states) or time.monotonic() > deadline:
            return states, {(i["InstanceId"], "healthy") for i in d.asg["Instances"]}
        time.sleep(0.1)


# database
_DB_KEYS = {"Engine": "Engine", "DBInstanceClass": "DBInstanceClass",
            "AllocatedStorage": "AllocatedStorage", "StorageType": "StorageType", "DBName": "DBName",
            "MasterUsername": "MasterUsername", "PubliclyAccessible": "PubliclyAccessible",
            "StorageEncrypted": "StorageEncrypted", "BackupRetentionPeriod": "BackupRetentionPeriod",
            "MultiAZ": "MultiAZ", "DeletionProtection": "DeletionProtection", "CopyTagsToSnapshot": "CopyTagsToSnapshot",
            "AutoMinorVersionUpgrade": "AutoMinorVersionUpgrade"}


def _typed(value: Any, like: Any) -> Any:
    if isinstance(like, bool):
        return str(value).lower() == "true"
    if isinstance(like, int):
        return int(value)
    return value


for _cfn_key, _api_key in _DB_KEYS.items():
    row(f"Database.{_cfn_key}")(lambda d, c=_cfn_key, a=_api_key: (
        d.db.get(a), _typed(d.declared("Database", c), d.db.get(a)) if c in d.props("Database") else d.db.get(a)))
@row("Database.EngineVersion")
def _(d):
    """A major only ("16") is answered with the minor RDS picked for it ("16.8"), as in AWS."""
    declared, got = str(d.declared("Database", "EngineVersion")), d.db["EngineVersion"]
    if "." in declared:
        return got, declared
    return (got.split(".")[0], "." in got), (declared, True)


row("Database.VPCSecurityGroups")(lambda d: ([g["VpcSecurityGroupId"] for g in d.db["VpcSecurityGroups"]],
                                             d.declared("Database", "VPCSecurityGroups")))
row("Database.DBSubnetGroupName")(lambda d: (d.db["DBSubnetGroup"]["DBSubnetGroupName"], d.physical["DbSubnetGroup"]))
row("Database.DBParameterGroupName")(lambda d: ([g["DBParameterGroupName"] for g in d.db["DBParameterGroups"]],
                                                [d.physical["DbParameterGroup"]]))
row("Database.EnableCloudwatchLogsExports")(lambda d: (d.db.get("EnabledCloudwatchLogsExports"),
                                                       d.declared("Database", "EnableCloudwatchLogsExports")))
row("Database.Endpoint.Port")(lambda d: (d.db["Endpoint"]["Port"], 5432))
row("Database.MasterUserSecret.SecretArn")(lambda d: (d.db["MasterUserSecret"]["SecretArn"], d.outputs["DbSecretArn"]))


@row("Database.managed secret holds {username, password}")
def _(d):
    value = json.loads(d.aws("secretsmanager").get_secret_value(SecretId=d.outputs["DbSecretArn"])["SecretString"])
    return (sorted(value), value["username"], bool(value["password"])), (["password", "username"],
                                                                          d.declared("Database", "MasterUsername"), True)


row("DbSubnetGroup.SubnetIds")(lambda d: (
    sorted(s["SubnetIdentifier"] for s in d.db["DBSubnetGroup"]["Subnets"]), sorted(d.declared("DbSubnetGroup", "SubnetIds"))))


@row("DbParameterGroup.Parameters/Family")
def _(d):
    rds = d.aws("rds")
    name = d.physical["DbParameterGroup"]
    params = {p["ParameterName"]: p.get("ParameterValue")
              for p in rds.describe_db_parameters(DBParameterGroupName=name, Source="user")["Parameters"]}
    family = rds.describe_db_parameter_groups(DBParameterGroupName=name)["DBParameterGroups"][0]["DBParameterGroupFamily"]
    declared = {k: str(d.resolve(v)) for k, v in d.props("DbParameterGroup")["Parameters"].items()}
    return (params, family), (declared, d.declared("DbParameterGroup", "Family"))


# auth
@row("UserPool.policies/username attributes/admin-only")
def _(d):
    pool = d.aws("cognito-idp").describe_user_pool(UserPoolId=d.physical["UserPool"])["UserPool"]
    declared_pw = d.declared("UserPool", "Policies", "PasswordPolicy")
    return ((pool.get("UsernameAttributes"), pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"],
             {k: pool["Policies"]["PasswordPolicy"].get(k) for k in declared_pw}, pool.get("MfaConfiguration"),
             pool.get("AccountRecoverySetting")),
            (d.declared("UserPool", "UsernameAttributes"), True, declared_pw, d.declared("UserPool", "MfaConfiguration"),
             d.declared("UserPool", "AccountRecoverySetting")))


@row("UserPoolClient.flows/callbacks/no secret")
def _(d):
    client = d.aws("cognito-idp").describe_user_pool_client(
        UserPoolId=d.physical["UserPool"], ClientId=d.physical["UserPoolClient"])["UserPoolClient"]
    domain = d.aws("cloudfront").get_distribution(Id=d.physical["Distribution"])["Distribution"]["DomainName"]
    keys = ("ExplicitAuthFlows", "AllowedOAuthFlows", "AllowedOAuthScopes", "SupportedIdentityProviders",
            "AllowedOAuthFlowsUserPoolClient", "PreventUserExistenceErrors", "AccessTokenValidity",
            "IdTokenValidity", "RefreshTokenValidity", "TokenValidityUnits")
    return (({k: client.get(k) for k in keys}, client["CallbackURLs"], "ClientSecret" in client),
            ({k: d.declared("UserPoolClient", k) for k in keys}, [f"https://{domain}/callback"], False))


# api
row("RestApi.EndpointConfiguration")(lambda d: (
    d.aws("apigateway").get_rest_api(restApiId=d.physical["RestApi"])["endpointConfiguration"]["types"],
    d.declared("RestApi", "EndpointConfiguration", "Types")))


@row("ApiAuthorizer.providerARNs == [UserPool arn]")
def _(d):
    auth = d.aws("apigateway").get_authorizer(restApiId=d.physical["RestApi"], authorizerId=d.physical["ApiAuthorizer"])
    pool_arn = d.aws("cognito-idp").describe_user_pool(UserPoolId=d.physical["UserPool"])["UserPool"]["Arn"]
    return ((auth["providerARNs"], auth["type"], auth["identitySource"]),
            ([pool_arn], d.declared("ApiAuthorizer", "Type"), d.declared("ApiAuthorizer", "IdentitySource")))


row("VpcLink.TargetArns == [Nlb]")(lambda d: (
    d.aws("apigateway").get_vpc_link(vpcLinkId=d.physical["VpcLink"])["targetArns"], [d.physical["Nlb"]]))


@row("Methods.authorization and VPC-link integration")
def _(d):
    actual, expected = {}, {}
    paths = {}
    for logical in d.of_type("AWS::ApiGateway::Resource"):
        parts = []
        node = logical
        while node in d.physical and d.template["Resources"][node]["Type"] == "AWS::ApiGateway::Resource":
            parts.insert(0, d.props(node)["PathPart"])
            parent = d.props(node)["ParentId"]
            node = parent.get("Ref") if isinstance(parent, dict) else None
        paths[d.physical[logical]] = "/" + "/".join(parts)
    for logical in d.of_type("AWS::ApiGateway::Method"):
        p = d.props(logical)
        key = f"{p['HttpMethod']} {paths[d.resolve(p['ResourceId'])]}"
        m = d.rest_api_methods[key]
        integ = m["methodIntegration"]
        actual[logical] = (m["authorizationType"], m.get("authorizerId"), integ["type"], integ.get("connectionType"),
                           integ.get("connectionId"), integ["uri"])
        nlb_dns = d.lb["DNSName"]
        uri = p["Integration"]["Uri"]["Fn::Sub"].replace("${Nlb.DNSName}", nlb_dns)
        expected[logical] = (p["AuthorizationType"], d.resolve(p.get("AuthorizerId")), p["Integration"]["Type"],
                             p["Integration"].get("ConnectionType"), d.resolve(p["Integration"].get("ConnectionId")),
                             d.resolve({"Fn::Sub": uri}))
    return actual, expected


@row("ApiStage.deployment/access log/method settings")
def _(d):
    stage = d.aws("apigateway").get_stage(restApiId=d.physical["RestApi"], stageName=d.physical["ApiStage"])
    ms = d.props("ApiStage")["MethodSettings"][0]
    settings = stage["methodSettings"]["*/*"]
    return ((stage["deploymentId"], stage["accessLogSettings"]["destinationArn"], stage["accessLogSettings"]["format"],
             settings["metricsEnabled"], settings["loggingLevel"], settings["throttlingBurstLimit"],
             settings["throttlingRateLimit"]),
            (d.physical["ApiDeployment"], d.declared("ApiStage", "AccessLogSetting", "DestinationArn"),
             d.declared("ApiStage", "AccessLogSetting", "Format"), ms["MetricsEnabled"], ms["LoggingLevel"],
             ms["ThrottlingBurstLimit"], float(ms["ThrottlingRateLimit"])))


row("ApiGatewayAccount.CloudWatchRoleArn")(lambda d: (
    d.aws("apigateway").get_account()["cloudwatchRoleArn"],
    d.aws("iam").get_role(RoleName=d.physical["ApiGatewayCloudWatchRole"])["Role"]["Arn"]))


# edge
@row("Distribution.SiteOrigin OAC == SiteOriginAccessControl")
def _(d):
    origins = {o["Id"]: o for o in d.distribution_config["Origins"]["Items"]}
    site = origins["SiteOrigin"]
    return ((site["OriginAccessControlId"], site["S3OriginConfig"]["OriginAccessIdentity"],
             site["DomainName"]),
            (d.physical["SiteOriginAccessControl"], "", f"{d.physical['SiteBucket']}.s3.{REGION}.amazonaws.com"))


@row("Distribution.ApiOrigin")
def _(d):
    api = {o["Id"]: o for o in d.distribution_config["Origins"]["Items"]}["ApiOrigin"]
    return ((api["DomainName"], api["OriginPath"], api["CustomOriginConfig"]["OriginProtocolPolicy"],
             api["CustomOriginConfig"]["OriginSslProtocols"]["Items"]),
            (f"{d.physical['RestApi']}.execute-api.{REGION}.amazonaws.com", "/prod", "https-only", ["TLSv1.2"]))


@row("Distribution.behaviours")
def _(d):
    cfg = d.distribution_config
    decl = d.props("Distribution")["DistributionConfig"]
    default = cfg["DefaultCacheBehavior"]
    api = cfg["CacheBehaviors"]["Items"][0]
    want_api = decl["CacheBehaviors"][0]
    return ((default["ViewerProtocolPolicy"], default["CachePolicyId"], api["PathPattern"], api["ViewerProtocolPolicy"],
             api["CachePolicyId"], api["OriginRequestPolicyId"], sorted(api["AllowedMethods"]["Items"])),
            (decl["DefaultCacheBehavior"]["ViewerProtocolPolicy"], decl["DefaultCacheBehavior"]["CachePolicyId"],
             want_api["PathPattern"], want_api["ViewerProtocolPolicy"], d.physical["ApiCachePolicy"],
             want_api["OriginRequestPolicyId"], sorted(want_api["AllowedMethods"])))


@row("Distribution.settings/logging/WAF")
def _(d):
    cfg = d.distribution_config
    decl = d.props("Distribution")["DistributionConfig"]
    acl_arn = d.aws("wafv2").get_web_acl(Name=d.physical["WebAcl"].split("|")[0], Id=d.physical["WebAcl"].split("|")[1],
                                         Scope="CLOUDFRONT")["WebACL"]["ARN"]
    return ((cfg["Enabled"], cfg["HttpVersion"], cfg["IsIPV6Enabled"], cfg["PriceClass"], cfg["DefaultRootObject"],
             cfg["Logging"]["Enabled"], cfg["Logging"]["Bucket"], cfg["Logging"]["Prefix"], cfg["WebACLId"],
             cfg["ViewerCertificate"].get("CloudFrontDefaultCertificate")),
            (decl["Enabled"], decl["HttpVersion"], decl["IPV6Enabled"], decl["PriceClass"], decl["DefaultRootObject"],
             True, f"{d.physical['LogBucket']}.s3.amazonaws.com", decl["Logging"]["Prefix"], acl_arn, True))


row("SiteOriginAccessControl.config")(lambda d: (
    d.aws("cloudfront").get_origin_access_control(Id=d.physical["SiteOriginAccessControl"])["OriginAccessControl"][
        "OriginAccessControlConfig"],
    {**{k: d.declared("SiteOriginAccessControl", "OriginAccessControlConfig", k) for k in (
        "Name", "Description", "SigningProtocol", "SigningBehavior", "OriginAccessControlOriginType")}}))


@row("ApiCachePolicy.Authorization in the key")
def _(d):
    cp = d.aws("cloudfront").get_cache_policy(Id=d.physical["ApiCachePolicy"])["CachePolicy"]["CachePolicyConfig"]
    decl = d.props("ApiCachePolicy")["CachePolicyConfig"]
    headers = cp["ParametersInCacheKeyAndForwardedToOrigin"]["HeadersConfig"]
    return ((cp["MinTTL"], cp["DefaultTTL"], cp["MaxTTL"], headers["HeaderBehavior"], headers["Headers"]["Items"]),
            (decl["MinTTL"], decl["DefaultTTL"], decl["MaxTTL"], "whitelist",
             decl["ParametersInCacheKeyAndForwardedToOrigin"]["HeadersConfig"]["Headers"]))


@row("WebAcl.scope/default/rules")
def _(d):
    name, acl_id, scope = d.physical["WebAcl"].split("|")
    acl = d.aws("wafv2").get_web_acl(Name=name, Id=acl_id, Scope=scope)["WebACL"]
    rules = {r["Name"]: r["Statement"] for r in acl["Rules"]}
    return ((scope, list(acl["DefaultAction"]), sorted(rules), rules.get("RateLimit")),
            (d.declared("WebAcl", "Scope"), list(d.declared("WebAcl", "DefaultAction")),
             sorted(r["Name"] for r in d.props("WebAcl")["Rules"]),
             next(r["Statement"] for r in d.props("WebAcl")["Rules"] if r["Name"] == "RateLimit")))


row("WafLogging.LogDestinationConfigs")(lambda d: (
    d.aws("wafv2").get_logging_configuration(ResourceArn=d.outputs["WebAclArn"])["LoggingConfiguration"][
        "LogDestinationConfigs"],
    [f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{d.physical['WafLogGroup']}"]))


@each("Buckets.public access block/versioning/encryption/ownership", "AWS::S3::Bucket")
def _(d, logical):
    name = d.physical[logical]
    versioning = _s3(d, "get_bucket_versioning", name).get("Status")
    enc = _s3(d, "get_bucket_encryption", name)["ServerSideEncryptionConfiguration"]["Rules"][0][
        "ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"]
    owner = _s3(d, "get_bucket_ownership_controls", name)["OwnershipControls"]["Rules"][0]["ObjectOwnership"]
    actual = (_s3(d, "get_public_access_block", name)["PublicAccessBlockConfiguration"], versioning, enc, owner)
    expected = (d.declared(logical, "PublicAccessBlockConfiguration"),
                d.declared(logical, "VersioningConfiguration", "Status"),
                d.declared(logical, "BucketEncryption", "ServerSideEncryptionConfiguration")[0][
                    "ServerSideEncryptionByDefault"]["SSEAlgorithm"],
                d.declared(logical, "OwnershipControls", "Rules")[0]["ObjectOwnership"])
    return actual, expected


@each("Buckets.lifecycle", "AWS::S3::Bucket")
def _(d, logical):
    rules = _s3(d, "get_bucket_lifecycle_configuration", d.physical[logical])["Rules"]
    actual = [(r["ID"], r["Status"], r.get("Expiration", {}).get("Days"),
               [(t["Days"], t["StorageClass"]) for t in r.get("Transitions", [])],
               r.get("NoncurrentVersionExpiration", {}).get("NoncurrentDays")) for r in rules]
    expected = [(r["Id"], r["Status"], r.get("ExpirationInDays"),
                 [(t["TransitionInDays"], t["StorageClass"]) for t in r.get("Transitions", [])],
                 r.get("NoncurrentVersionExpiration", {}).get("NoncurrentDays"))
                for r in d.props(logical)["LifecycleConfiguration"]["Rules"]]
    return actual, expected


@row("SiteBucketPolicy.CloudFront only, SourceArn == this distribution")
def _(d):
    policy = json.loads(_s3(d, "get_bucket_policy", d.physical["SiteBucket"])["Policy"])
    st = policy["Statement"][0]
    return ((st["Principal"], st["Action"], st["Condition"]["StringEquals"]["AWS:SourceArn"]),
            ({"Service": "cloudfront.amazonaws.com"}, "s3:GetObject",
             f"arn:aws:cloudfront::{ACCOUNT}:distribution/{d.physical['Distribution']}"))


row("TrailBucketPolicy.statements")(lambda d: (
    [(s.get("Sid"), s["Effect"]) for s in
     json.loads(_s3(d, "get_bucket_policy", d.physical["TrailBucket"])["Policy"])["Statement"]],
    [(s.get("Sid"), s["Effect"]) for s in d.props("TrailBucketPolicy")["PolicyDocument"]["Statement"]]))

# observability
_ALARM_KEYS = ("Namespace", "MetricName", "Statistic", "Period", "EvaluationPeriods", "DatapointsToAlarm",
               "Threshold", "ComparisonOperator", "TreatMissingData", "ActionsEnabled", "AlarmDescription")


@each("Alarms.metric/threshold/actions/dimensions", "AWS::CloudWatch::Alarm")
def _(d, logical):
    a = d.alarms[d.physical[logical]]
    declared = d.props(logical)
    keys = [k for k in _ALARM_KEYS if k in declared]
    actual = ({k: a.get(k) for k in keys}, a["AlarmActions"], a["OKActions"],
              {x["Name"] for x in a["Dimensions"]}, a["StateValue"])
    expected = ({k: _typed(d.declared(logical, k), a.get(k)) if not isinstance(a.get(k), float)
                 else float(d.declared(logical, k)) for k in keys},
                d.declared(logical, "AlarmActions"), d.declared(logical, "OKActions"),
                {x["Name"] for x in declared["Dimensions"]}, "INSUFFICIENT_DATA")
    return actual, expected


@row("Alarms.dimension values name this stack's resources")
def _(d):
    got = {x["Name"]: x["Value"] for logical in d.of_type("AWS::CloudWatch::Alarm")
           for x in d.alarms[d.physical[logical]]["Dimensions"]}
    lb_full = d.lb["LoadBalancerArn"].split(":loadbalancer/")[1]
    tg_full = d.physical["TargetGroup"].split(":")[-1]
    return ({k: got.get(k) for k in ("AutoScalingGroupName", "DBInstanceIdentifier", "LoadBalancer", "TargetGroup")},
            {"AutoScalingGroupName": d.physical["AutoScalingGroup"], "DBInstanceIdentifier": d.physical["Database"],
             "LoadBalancer": lb_full, "TargetGroup": tg_full})


row("AlarmEmailSubscription.email")(lambda d: (
    [(s["Protocol"], s["Endpoint"]) for s in d.aws("sns").list_subscriptions_by_topic(
        TopicArn=d.physical["AlarmTopic"])["Subscriptions"]],
    [(d.declared("AlarmEmailSubscription", "Protocol"), d.declared("AlarmEmailSubscription", "Endpoint"))]))
row("Dashboard.covers the distribution")(lambda d: (
    d.physical["Distribution"] in d.aws("cloudwatch").get_dashboard(DashboardName=d.physical["Dashboard"])["DashboardBody"],
    True))


@row("Trail.multi-region/validation/logging/bucket")
def _(d):
    ct = d.aws("cloudtrail")
    trail = ct.describe_trails(trailNameList=[d.physical["Trail"]])["trailList"][0]
    return ((trail["Name"], trail["IsMultiRegionTrail"], trail["LogFileValidationEnabled"],
             trail["IncludeGlobalServiceEvents"], trail["S3BucketName"], ct.get_trail_status(Name=trail["Name"])["IsLogging"]),
            (d.declared("Trail", "TrailName"), True, True, True, d.physical["TrailBucket"], True))


@row("Outputs.every output resolved")
def _(d):
    declared = {k for k, v in d.template["Outputs"].items() if "Condition" not in v}
    return sorted(k for k in declared if not d.outputs.get(k)), []


@pytest.mark.parametrize("name,check", ROWS, ids=[r[0] for r in ROWS])
def test_roundtrip(deployed, name, check):
    actual, expected = check(deployed)
    assert actual == expected, f"{name}: API returned {actual!r}, template declares {expected!r}"


def test_every_template_type_is_modelled():
    from fixtures.emulator.coverage import unmodelled_types

    assert unmodelled_types(TEMPLATE.read_text()) == []
    assert unmodelled_types(TEMPLATE.read_text(), parameters={"DomainName": "a.example", "HostedZoneId": "Z1"}) == []


def _all_log_groups(logs):
    """Every page: other tests' stacks share this emulator, and a page holds 50 groups."""
    return [g for page in logs.get_paginator("describe_log_groups").paginate() for g in page["logGroups"]]
