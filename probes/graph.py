"""The resource graph: which resource plays which role, found by following references.

A user's stack was not built from our template: its logical ids differ, it holds decoys
(a second bucket, role or security group), it takes its VPC as a parameter or imports its
NLB, and it may lack whole layers. So a **role** (the site bucket, the app security group,
the instance role, the alarm topic, ...) is never "the only resource of its type": it is a
place on the references AWS itself follows, read live through the inventory:

    distribution -> S3 origin (site bucket), logging bucket, WebACLId, certificate,
                    execute-api origin (REST API, stage from the origin path)
    REST API -> methods -> VPC_LINK integration -> VPC link -> targetArns (NLB)
             -> authorizer -> providerARNs (user pool) -> app clients
    HTTP API -> routes -> integrations (VPC_LINK: connectionId = VPC link v2, integrationUri
             = NLB listener ARN -> its NLB) ; routes -> JWT authorizer -> issuer URL (user pool)
    NLB -> listeners -> target group -> ASGs (TargetGroupARNs) -> launch template
        -> security groups (app SG), instance profile -> role (instance role)
        (no NLB: the target group is the one the stack's ASGs register with)
    DB instance -> VpcSecurityGroups (DB SG), MasterUserSecret / SecretTargetAttachment /
                   the {{resolve:secretsmanager:...}} of its declared MasterUserPassword
    alarms -> AlarmActions (alarm topic; alarms acting only on scaling policies page nobody);
    VPC from the app SG, NLB, DB subnet group, ...

A few roles are **entry points** (the distribution, the REST API, the user pool, the ASG,
the DB, the trail, the VPC, ...): when nothing upstream references one (the stack has no
distribution, or the reference is cut), the stack's own resource of that type is taken,
but only when there is exactly one. Roles that only make sense on the path (site bucket,
log bucket, instance role, app/DB security groups, alarm topic, DB secret, certificate)
never fall back to a type.

``resources.<role>`` in the environment file overrides any role. True ambiguity (two
candidates the references cannot tell apart) raises :class:`Ambiguous` naming the
candidates by logical id and the key to set; the plugin stops the run on it before
probing. A role nothing in or referenced by the stack plays is ``None``: probes that need
it raise :class:`Absent` (``need``), which the registry turns into a skip naming what was
followed, or a failure when the environment requires the layer.

Resources of other stacks (a VPC passed as a parameter, subnets, security groups, a secret
or an NLB imported with ``Fn::ImportValue``) are followed through the live resources' own
attributes wherever they show them, and are nodes outside the stack. Only what the live
resources do not show is read from the deployed template: the dynamic reference of a DB
password, and whether a reference leaving the stack is one the template imports (then it
is never replaced by the stack's own resource of that type). The values of exactly the
exports the template imports come from :func:`probes.reads.exports`.

Every read goes through the inventory with the same arguments as :mod:`probes.reads`,
so the graph costs no read a probe would not make anyway.
"""
from __future__ import annotations

import functools
import re
import threading
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import urlsplit

import yaml

from probes.inventory import Ambiguous, Inventory
from probes.result import Absent

CLOUDFRONT_REGION = "us-east-1"

# role -> (CloudFormation type, what it is in words)
ROLES: dict[str, tuple[str, str]] = {
    "distribution": ("AWS::CloudFront::Distribution", "CloudFront distribution"),
    "site_bucket": ("AWS::S3::Bucket", "site bucket (the distribution's S3 origin)"),
    "log_bucket": ("AWS::S3::Bucket", "access-log bucket (the distribution's logging bucket)"),
    "web_acl": ("AWS::WAFv2::WebACL", "WAF web ACL"),
    "certificate": ("AWS::CertificateManager::Certificate", "viewer certificate"),
    "hosted_zone": ("AWS::Route53::HostedZone", "hosted zone"),
    "rest_api": ("AWS::ApiGateway::RestApi", "REST API"),
    "http_api": ("AWS::ApiGatewayV2::Api", "HTTP API (API Gateway v2)"),
    "http_api_stage": ("AWS::ApiGatewayV2::Stage", "HTTP API stage"),
    "http_vpc_link": ("AWS::ApiGatewayV2::VpcLink", "VPC link (v2) of the HTTP API"),
    "api_stage": ("AWS::ApiGateway::Stage", "API stage"),
    "vpc_link": ("AWS::ApiGateway::VpcLink", "VPC link"),
    "user_pool": ("AWS::Cognito::UserPool", "Cognito user pool"),
    "user_pool_client": ("AWS::Cognito::UserPoolClient", "Cognito app client"),
    "nlb": ("AWS::ElasticLoadBalancingV2::LoadBalancer", "network load balancer"),
    "target_group": ("AWS::ElasticLoadBalancingV2::TargetGroup", "NLB target group"),
    "auto_scaling_group": ("AWS::AutoScaling::AutoScalingGroup", "Auto Scaling group"),
    "launch_template": ("AWS::EC2::LaunchTemplate", "launch template"),
    "instance_role": ("AWS::IAM::Role", "instance role (the launch template's profile)"),
    "app_security_group": ("AWS::EC2::SecurityGroup", "app security group"),
    "vpc": ("AWS::EC2::VPC", "VPC"),
    "flow_log_bucket": ("AWS::S3::Bucket", "flow-log bucket"),
    "db_instance": ("AWS::RDS::DBInstance", "RDS DB instance"),
    "db_security_group": ("AWS::EC2::SecurityGroup", "database security group"),
    "db_secret": ("AWS::SecretsManager::Secret", "database secret"),
    "alarm_topic": ("AWS::SNS::Topic", "alarm topic (what the stack's alarms notify)"),
    "trail": ("AWS::CloudTrail::Trail", "CloudTrail trail"),
    "dashboard": ("AWS::CloudWatch::Dashboard", "CloudWatch dashboard"),
}
ROLE_TYPES = {role: rtype for role, (rtype, _) in ROLES.items()}

_DYNAMIC_SECRET = re.compile(r"\{\{resolve:secretsmanager:(?P<id>arn:[^:}]+:secretsmanager:[^:}]*:[^:}]*:"
                             r"secret:[^:}]+|\$\{[A-Za-z0-9]+\}|[^:}]+)")
_S3_ORIGIN = re.compile(r"^(?P<bucket>[a-z0-9][a-z0-9.\-]*?)\.s3(?:[.-](?:website[.-])?[a-z0-9-]+)*"
                        r"\.amazonaws\.com(?:\.cn)?$")
_API_ORIGIN = re.compile(r"^(?P<api>[a-z0-9]+)\.execute-api\.(?P<region>[a-z0-9-]+)\.amazonaws\.com$")


@dataclass(frozen=True)
class Node:
    """One resource: in the stack (with its logical id) or referenced from outside it."""
    type: str
    id: str
    logical: str | None = None

    @property
    def in_stack(self) -> bool:
        return self.logical is not None

    @property
    def label(self) -> str:
        return f"{self.id} ({self.logical})" if self.logical else f"{self.id} (outside the stack)"


@dataclass
class _Resolved:
    value: str | None
    followed: str


def s3_origin_bucket(domain: str) -> str | None:
    m = _S3_ORIGIN.match(domain or "")
    return m.group("bucket") if m else None


def api_origin(domain: str) -> tuple[str, str] | None:
    m = _API_ORIGIN.match(domain or "")
    return (m.group("api"), m.group("region")) if m else None


_COGNITO_ISSUER = re.compile(r"^https://cognito-idp\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/(?P<pool>[\w-]+_[\w]+)/?$")


def cognito_pool_of_issuer(issuer: str) -> str | None:
    """The user pool id a JWT issuer URL names (``https://cognito-idp.<region>.amazonaws.com/<pool>``)."""
    m = _COGNITO_ISSUER.match(issuer or "")
    return m.group("pool") if m else None


def instance_profile_name(lt_data: dict | None) -> str:
    """The instance profile a launch template's data names (by name or ARN), else ""."""
    profile = (lt_data or {}).get("IamInstanceProfile") or {}
    return profile.get("Name") or (profile.get("Arn") or "").rsplit("/", 1)[-1]


def forwards_to(listener: dict) -> set[str]:
    """Target group ARNs a listener's default actions forward to."""
    out = set()
    for a in listener.get("DefaultActions", []):
        if a.get("TargetGroupArn"):
            out.add(a["TargetGroupArn"])
        for t in (a.get("ForwardConfig") or {}).get("TargetGroups", []):
            if t.get("TargetGroupArn"):
                out.add(t["TargetGroupArn"])
    return out


class Graph:
    """Roles and nodes of one stack, resolved lazily and once (thread-safe)."""

    def __init__(self, inv: Inventory):
        self.inv = inv
        self._roles: dict[str, _Resolved] = {}
        self._locks = {role: threading.Lock() for role in ROLES}  # one per role: resolved once
        self._templates: dict[str, _Deployed] = {}
        self._templates_lock = threading.Lock()
        self._imports: dict[str, str] | None = None
        self._imports_lock = threading.Lock()

    # ---- stack resources --------------------------------------------------------------
    def declared(self, rtype: str) -> list[Node]:
        return [Node(rtype, r["PhysicalResourceId"], r["LogicalResourceId"])
                for r in self.inv.of_type(rtype)]

    def logical_of(self, rtype: str, physical: str) -> str | None:
        for n in self.declared(rtype):
            if n.id == physical or physical.endswith("/" + n.id) or n.id.endswith("/" + physical):
                return n.logical
        return None

    def node(self, rtype: str, physical: str) -> Node:
        return Node(rtype, physical, self.logical_of(rtype, physical))

    def nodes(self, rtype: str) -> list[Node]:
        """Every resource of ``rtype`` in the stack, plus those a role points at outside it."""
        out = {n.id: n for n in self.declared(rtype)}
        for role, (t, _) in ROLES.items():
            if t != rtype:
                continue
            try:
                pid = self.role(role)
            except Ambiguous:
                continue
            if pid and pid not in out and not any(pid.endswith("/" + k) for k in out):
                out[pid] = Node(rtype, pid, None)
        return list(out.values())

    def roles_of(self, rtype: str, physical: str) -> list[str]:
        """The roles a resource plays (``[]`` for a resource off every path)."""
        found = []
        for role, (t, _) in ROLES.items():
            if t != rtype:
                continue
            try:
                if self.role(role) == physical:
                    found.append(role)
            except Ambiguous:
                continue
        return found

    # ---- roles --------------------------------------------------------------------------
    def role(self, role: str) -> str | None:
        return self._resolve(role).value

    def need(self, role: str) -> str:
        """The role's physical id; :class:`Absent` when nothing plays it."""
        resolved = self._resolve(role)
        if resolved.value is None:
            raise Absent(role, self.inv.stack_name, resolved.followed, ROLES[role][1])
        return resolved.value

    def followed(self, role: str) -> str:
        return self._resolve(role).followed

    def _resolve(self, role: str) -> _Resolved:
        if role not in ROLES:
            raise KeyError(f"unknown role {role!r}; known: {', '.join(sorted(ROLES))}")
        if role in self._roles:
            return self._roles[role]
        with self._locks[role]:
            if role not in self._roles:
                explicit = self.inv.explicit.get(role)
                if explicit:
                    self._roles[role] = _Resolved(explicit, f"resources.{role} in the environment file")
                else:
                    self._roles[role] = getattr(self, f"_r_{role}")()
            return self._roles[role]

    def _only(self, role: str, candidates: list[Node], followed: str,
              prefer: Callable[[Node], bool] | None = None) -> _Resolved:
        """One candidate, or the single preferred one; several is :class:`Ambiguous`."""
        if not candidates:
            return _Resolved(None, followed)
        if len(candidates) > 1 and prefer:
            preferred = [n for n in candidates if prefer(n)]
            if preferred:
                candidates = preferred
        if len(candidates) == 1:
            return _Resolved(candidates[0].id, followed)
        rtype, label = ROLES[role]
        names = ", ".join(n.logical or n.id for n in candidates)
        raise Ambiguous(
            f"stack {self.inv.stack_name}: {len(candidates)} candidates for the {label} ({names}) "
            f"and the references ({followed}) do not tell them apart; set resources.{role} "
            "in the environment file to the physical id of the right one")

    def _ref(self, role: str, ids: set[str], followed: str, fallback: bool = True) -> _Resolved:
        """Resolve from referenced ids; a reference leaving the stack while the stack declares
        exactly one of the type keeps the stack's own (the mismatch is a finding in its
        layer), unless the stack was given it (a parameter's value, or an ``Fn::ImportValue``:
        it leaves the stack on purpose). With no reference, entry-point roles fall back to the stack's only one."""
        rtype = ROLES[role][0]
        ids = {i for i in ids if i}
        declared = self.declared(rtype)
        if ids:
            nodes = [self.node(rtype, i) for i in sorted(ids)]
            inside = [n for n in nodes if n.in_stack]
            if not inside and len(declared) == 1 and not self._passed_in(ids):
                return _Resolved(declared[0].id, followed + "; the stack's own kept over the reference")
            return self._only(role, inside or nodes, followed)
        if fallback:
            return self._only(role, declared, f"{followed}; else the stack's {ROLES[role][1]}")
        return _Resolved(None, followed)

    # ---- the deployed templates: what they import ------------------------------------
    def deployed(self, stack_name: str) -> _Deployed:
        """A stack's (or nested stack's) deployed template with its parameters, read once."""
        with self._templates_lock:
            if stack_name not in self._templates:
                resp = self._call("cloudformation", "get_template", StackName=stack_name)
                body = (resp or {}).get("TemplateBody")
                if isinstance(body, str):
                    try:
                        body = yaml.load(body, Loader=_TemplateLoader)  # noqa: S506 - safe loader + tags
                    except yaml.YAMLError:
                        body = None

                self._templates[stack_name] = _Deployed(body if isinstance(body, dict) else {},
                                                        functools.partial(self.described, stack_name))
            return self._templates[stack_name]

    def described(self, stack_name: str) -> dict:
        """The stack, or one of its nested stacks, as DescribeStacks shows it (read once)."""
        if stack_name == self.inv.stack_name:
            return self.inv.stack()
        resp = self._call("cloudformation", "describe_stacks", StackName=stack_name)
        return ((resp or {}).get("Stacks") or [{}])[0]

    def imported_values(self) -> dict[str, str]:
        """{export name: value} for every ``Fn::ImportValue`` of the stack's templates (root and
        nested). Only the names the templates import are looked up (:func:`probes.reads.exports`
        stops paging once it has them all), so the reads grow with the stack, not the region."""
        with self._imports_lock:
            if self._imports is None:
                from probes.reads import exports  # reads builds on the graph: import late
                names: set[str] = set()
                nested = [n.id for n in self.declared("AWS::CloudFormation::Stack")]
                for stack_name in [self.inv.stack_name, *nested]:
                    names |= self.deployed(stack_name).import_names()
                self._imports = exports(self.inv, names) if names else {}
            return self._imports

    def _passed_in(self, ids: set[str]) -> bool:
        """Whether every id came into the stack on purpose: a parameter's value (a
        ``List<...>`` parameter's item too) or an export the stack imports. A nested stack's
        parameters count as the root's do: the root may hand a child a value of its own
        (a literal ARN) that no root parameter shows; they are read only when asked."""
        def given(stacks: list[str]) -> list[str]:
            return [p.get("ParameterValue") or "" for name in stacks
                    for p in (self.described(name).get("Parameters") or [])]

        def all_given(values: list[str]) -> bool:
            return all(any(i in v.split(",") for v in values) for i in ids)
        if not ids:
            return False
        if all_given(given([self.inv.stack_name])) or self._all_imported(ids):
            return True
        nested = [n.id for n in self.declared("AWS::CloudFormation::Stack")]
        return bool(nested) and all_given(given([self.inv.stack_name, *nested]))

    def _all_imported(self, ids: set[str]) -> bool:
        """Whether every id is the value of an export the stack imports."""
        values = set(self.imported_values().values())
        return bool(ids) and all(i in values or any(i in v.split(",") for v in values) for i in ids)

    def _imported_note(self, ids: set[str]) -> str:
        if not ids or not self._all_imported(ids):
            return ""
        names = sorted(n for n, v in self.imported_values().items() if v in ids)
        return f" (imported: {', '.join(names)})" if names else ""

    # ---- reads (same arguments as probes.reads, so they are shared) -------------------
    def _call(self, service: str, op: str, **kw: Any) -> Any:
        return self.inv.call(service, op, missing_ok=True, **kw)

    def distribution(self, did: str | None = None) -> dict | None:
        """A CloudFront distribution described (default: the one playing the role): the one
        read of it that the graph, the edge layer and per-distribution probes share."""
        did = did or self.role("distribution")
        resp = self._call("cloudfront", "get_distribution", Id=did) if did else None
        return (resp or {}).get("Distribution")

    def distribution_config(self) -> dict:
        return (self.distribution() or {}).get("DistributionConfig") or {}

    def methods(self) -> list[tuple[str, str, dict]]:
        api = self.role("rest_api")
        if not api:
            return []
        res = self.inv.paginate("apigateway", "get_resources", "items", missing_ok=True,
                                restApiId=api, embed=["methods"])
        out = []
        for r in res:
            for verb, m in (r.get("resourceMethods") or {}).items():
                if verb != "OPTIONS":
                    out.append((r.get("path", "?"), verb, m))
        return sorted(out, key=lambda x: (x[0], x[1]))

    def listeners(self) -> list[dict]:
        arn = self.role("nlb")
        if not arn:
            return []
        return self.inv.paginate("elbv2", "describe_listeners", "Listeners", missing_ok=True,
                                 LoadBalancerArn=arn)

    def asg(self) -> dict | None:
        name = self.role("auto_scaling_group")
        if not name:
            return None
        groups = self.inv.paginate("autoscaling", "describe_auto_scaling_groups",
                                   "AutoScalingGroups", AutoScalingGroupNames=[name])
        return groups[0] if groups else None

    def launch_template_data(self) -> dict | None:
        lt = self.role("launch_template")
        if not lt:
            return None
        version = "$Default"
        spec = _asg_template(self.asg() or {})
        if spec.get("LaunchTemplateId") == lt and spec.get("Version"):
            version = str(spec["Version"])
        resp = self._call("ec2", "describe_launch_template_versions", LaunchTemplateId=lt,
                          Versions=[version])
        versions = (resp or {}).get("LaunchTemplateVersions", [])
        return versions[0]["LaunchTemplateData"] if versions else None

    def db(self) -> dict | None:
        ident = self.role("db_instance")
        if not ident:
            return None
        resp = self._call("rds", "describe_db_instances", DBInstanceIdentifier=ident)
        dbs = (resp or {}).get("DBInstances", [])
        return dbs[0] if dbs else None

    def security_groups_in(self, vpc_id: str) -> list[dict]:
        """The security groups of a VPC: one read (by vpc-id filter, so it scales with the
        stack, not the account) that the graph and the network probes share."""
        return self.inv.paginate("ec2", "describe_security_groups", "SecurityGroups",
                                 Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])

    def _security_group(self, gid: str) -> dict | None:
        # Once the VPC is known, from its groups (the network layer's read); before, by id:
        # the VPC may be found from this very group.
        vpc = self._roles.get("vpc")
        if vpc is not None and vpc.value:
            found = next((g for g in self.security_groups_in(vpc.value) if g["GroupId"] == gid), None)
            if found:
                return found
        resp = self._call("ec2", "describe_security_groups", GroupIds=[gid])
        return ((resp or {}).get("SecurityGroups") or [None])[0]

    # ---- resolvers: one per role --------------------------------------------------------
    def _r_distribution(self) -> _Resolved:
        # The entry of the path: the stack's own. Several: the one with an API origin, else
        # the one with an S3 origin (a second, unrelated distribution is a decoy).
        nodes = self.declared("AWS::CloudFront::Distribution")
        followed = "the stack's AWS::CloudFront::Distribution resources"

        def origins(n: Node) -> list[str]:
            resp = self._call("cloudfront", "get_distribution", Id=n.id)
            cfg = ((resp or {}).get("Distribution") or {}).get("DistributionConfig") or {}
            return [o.get("DomainName", "") for o in (cfg.get("Origins") or {}).get("Items", [])]
        prefer = (lambda n: any(api_origin(d) for d in origins(n))) if len(nodes) > 1 else None
        return self._only("distribution", nodes, followed, prefer)

    def _r_site_bucket(self) -> _Resolved:
        cfg = self.distribution_config()
        followed = "followed the distribution's S3 origins"
        if not cfg:
            return _Resolved(None, "no distribution to follow")
        origins = {o["Id"]: o for o in (cfg.get("Origins") or {}).get("Items", [])}
        default = (cfg.get("DefaultCacheBehavior") or {}).get("TargetOriginId")
        first = s3_origin_bucket((origins.get(default) or {}).get("DomainName", ""))
        if first:
            return _Resolved(first, f"{followed} (the default behaviour's origin)")
        buckets = {b for b in (s3_origin_bucket(o.get("DomainName", "")) for o in origins.values()) if b}
        return self._ref("site_bucket", buckets, followed, fallback=False)

    def _r_log_bucket(self) -> _Resolved:
        logging = self.distribution_config().get("Logging") or {}
        bucket = s3_origin_bucket(logging.get("Bucket", "")) if logging.get("Enabled") else None
        return _Resolved(bucket, "followed the distribution's Logging.Bucket")

    def _r_web_acl(self) -> _Resolved:
        acl = self.distribution_config().get("WebACLId")
        followed = "followed the distribution's WebACLId"
        if acl:
            return self._ref("web_acl", {self._match_web_acl(acl)}, followed)
        return self._only("web_acl", self.declared("AWS::WAFv2::WebACL"),
                          f"{followed}; else the stack's web ACL")

    def _match_web_acl(self, arn: str) -> str:
        """The stack's physical id for the ACL an ARN names (physical ids vary by tool)."""
        parts = arn.split("/")
        for n in self.declared("AWS::WAFv2::WebACL"):
            if n.id == arn or (len(parts) >= 3 and parts[-1] in n.id and parts[-2] in n.id):
                return n.id
        return arn

    def _r_certificate(self) -> _Resolved:
        cert = (self.distribution_config().get("ViewerCertificate") or {}).get("ACMCertificateArn")
        # With no distribution, the stack's only certificate is its entry point (a stack
        # that issues the certificate others serve).
        return self._ref("certificate", {cert} if cert else set(),
                         "followed the distribution's ViewerCertificate",
                         fallback=not self.role("distribution"))

    def _r_hosted_zone(self) -> _Resolved:
        from probes.reads import stack_parameter  # parameters are read with the stack
        zid = stack_parameter(self.inv, "HostedZoneId")
        if zid:
            return _Resolved(zid, "the stack's HostedZoneId parameter")
        return self._only("hosted_zone", self.declared("AWS::Route53::HostedZone"),
                          "the stack's HostedZoneId parameter; else the stack's hosted zone")

    def _origin_apis(self) -> set[str]:
        """API ids of the distribution's execute-api origins (REST or HTTP APIs alike)."""
        apis = set()
        for o in (self.distribution_config().get("Origins") or {}).get("Items", []):
            found = api_origin(o.get("DomainName", ""))
            if found:
                apis.add(found[0])
        return apis

    def is_http_api(self, api_id: str) -> bool:
        """Whether an execute-api id is an HTTP API (API Gateway v2), not a REST API: the
        stack's declared types tell; an API outside the stack is asked."""
        if any(n.id == api_id for n in self.declared("AWS::ApiGatewayV2::Api")):
            return True
        if any(n.id == api_id for n in self.declared("AWS::ApiGateway::RestApi")):
            return False
        return self._protocol(api_id) == "HTTP"

    def _r_rest_api(self) -> _Resolved:
        apis = self._origin_apis()
        http = sorted(a for a in apis if self.is_http_api(a))
        followed = "followed the distribution's execute-api origins"
        if http:
            followed += f" ({', '.join(http)}: HTTP API, not a REST API)"
        return self._ref("rest_api", apis - set(http), followed)

    def _r_http_api(self) -> _Resolved:
        apis = {a for a in self._origin_apis() if self.is_http_api(a)}
        declared = [n for n in self.declared("AWS::ApiGatewayV2::Api") if self._protocol(n.id) == "HTTP"]
        followed = "followed the distribution's execute-api origins"
        if apis:
            return self._ref("http_api", apis, followed, fallback=False)
        if self.role("distribution") and self._origin_apis():
            return _Resolved(None, followed + " (REST APIs only)")
        return self._only("http_api", declared, f"{followed}; else the stack's HTTP API")

    def http_routes(self) -> list[dict]:
        api = self.role("http_api")
        if not api:
            return []
        return self.inv.paginate("apigatewayv2", "get_routes", "Items", missing_ok=True, ApiId=api)

    def http_integrations(self) -> list[dict]:
        api = self.role("http_api")
        if not api:
            return []
        return self.inv.paginate("apigatewayv2", "get_integrations", "Items", missing_ok=True, ApiId=api)

    def http_private_integrations(self) -> list[dict]:
        """The HTTP API's integrations its routes target over a VPC link."""
        targets = {(r.get("Target") or "").partition("/")[2] for r in self.http_routes()}
        return [i for i in self.http_integrations()
                if i.get("IntegrationId") in targets and i.get("ConnectionType") == "VPC_LINK"]

    def http_authorizer(self, authorizer_id: str) -> dict | None:
        api = self.role("http_api")
        if not api or not authorizer_id:
            return None
        return self.inv.call("apigatewayv2", "get_authorizer", missing_ok=True, ApiId=api,
                             AuthorizerId=authorizer_id)

    def _r_http_api_stage(self) -> _Resolved:
        api = self.role("http_api")
        if not api:
            return _Resolved(None, "no HTTP API to follow")
        stages = self.inv.paginate("apigatewayv2", "get_stages", "Items", missing_ok=True, ApiId=api)
        names = {s.get("StageName") for s in stages}
        for o in (self.distribution_config().get("Origins") or {}).get("Items", []):
            found = api_origin(o.get("DomainName", ""))
            path = (o.get("OriginPath") or "").strip("/")
            if found and found[0] == api and path and path.split("/")[0] in names:
                return _Resolved(path.split("/")[0], "followed the API origin's OriginPath")
        if "$default" in names:
            return _Resolved("$default", f"the $default stage of HTTP API {api} (the origin path names none)")
        nodes = [Node("AWS::ApiGatewayV2::Stage", n, self.logical_of("AWS::ApiGatewayV2::Stage", n) or "")
                 for n in sorted(x for x in names if x)]
        return self._only("http_api_stage", nodes, f"the stages of HTTP API {api}")

    def _r_http_vpc_link(self) -> _Resolved:
        links = {i.get("ConnectionId") for i in self.http_private_integrations()}
        return self._ref("http_vpc_link", links, "followed the HTTP API routes' VPC_LINK integrations",
                         fallback=False)

    def http_listener_arns(self) -> set[str]:
        """NLB/ALB listener ARNs the HTTP API's private integrations name (IntegrationUri)."""
        return {i["IntegrationUri"] for i in self.http_private_integrations()
                if ":listener/" in (i.get("IntegrationUri") or "")}

    def _protocol(self, api_id: str) -> str | None:
        resp = self.inv.call("apigatewayv2", "get_api", missing_ok=True, ApiId=api_id)
        return (resp or {}).get("ProtocolType")

    def _r_api_stage(self) -> _Resolved:
        api = self.role("rest_api")
        if not api:
            return _Resolved(None, "no REST API to follow")
        resp = self._call("apigateway", "get_stages", restApiId=api)
        stages = [Node("AWS::ApiGateway::Stage", s["stageName"],
                       self.logical_of("AWS::ApiGateway::Stage", s["stageName"]) or "")
                  for s in (resp or {}).get("item", [])]
        for o in (self.distribution_config().get("Origins") or {}).get("Items", []):
            found = api_origin(o.get("DomainName", ""))
            path = (o.get("OriginPath") or "").strip("/")
            if found and found[0] == api and path:
                named = path.split("/")[0]
                # An origin path naming a stage the API lacks is the edge layer's finding:
                # the stage is then the API's own (when it has exactly one).
                if named in {n.id for n in stages} or not stages:
                    return _Resolved(named, "followed the API origin's OriginPath")
        return self._only("api_stage", stages, f"the stages of REST API {api}")

    def _integrations(self) -> list[dict]:
        return [m.get("methodIntegration") or {} for _, _, m in self.methods()]

    def _r_vpc_link(self) -> _Resolved:
        links = {i.get("connectionId") for i in self._integrations()
                 if i.get("connectionType") == "VPC_LINK"}
        return self._ref("vpc_link", links, "followed the API methods' VPC_LINK integrations")

    def _r_nlb(self) -> _Resolved:
        link = self.role("vpc_link")
        if link:
            resp = self._call("apigateway", "get_vpc_link", vpcLinkId=link)
            targets = set((resp or {}).get("targetArns") or [])
            if targets:
                return self._ref("nlb", targets, f"followed VPC link {link}'s targetArns")
        listeners = sorted(self.http_listener_arns())
        if listeners:
            resp = self._call("elbv2", "describe_listeners", ListenerArns=listeners)
            lbs = {x.get("LoadBalancerArn") for x in (resp or {}).get("Listeners", [])}
            if lbs:
                return self._ref("nlb", lbs, f"followed HTTP API {self.role('http_api')}'s VPC_LINK "
                                 "integrations' listener ARNs")
        # No VPC link: a network load balancer of the stack (an ALB never plays the NLB).
        nlbs = [n for n in self.declared("AWS::ElasticLoadBalancingV2::LoadBalancer")
                if self._lb_type(n.id) == "network"]
        return self._only("nlb", nlbs, "followed the VPC link's targetArns; else the stack's "
                          "network load balancer")

    def _lb_type(self, arn: str) -> str | None:
        resp = self._call("elbv2", "describe_load_balancers", LoadBalancerArns=[arn])
        lbs = (resp or {}).get("LoadBalancers") or []
        return lbs[0].get("Type") if lbs else None

    def _r_target_group(self) -> _Resolved:
        listeners = self.listeners()
        followed = "followed the NLB's listeners"
        if not self.role("nlb"):
            # No NLB (an ALB, or none): the target groups the stack's ASGs register with.
            # Read from the declared groups, not role("auto_scaling_group"), which asks for
            # the target group itself.
            names = sorted(n.id for n in self.declared("AWS::AutoScaling::AutoScalingGroup"))
            groups = self.inv.paginate("autoscaling", "describe_auto_scaling_groups",
                                       "AutoScalingGroups", AutoScalingGroupNames=names) if names else []
            tgs = {t for g in groups for t in g.get("TargetGroupARNs") or []}
            return self._ref("target_group", tgs, "no NLB to follow; followed the stack's ASGs' "
                             "TargetGroupARNs", fallback=False)
        ports = set()
        for i in self._integrations():
            if i.get("connectionType") == "VPC_LINK" and i.get("uri"):
                uri = urlsplit(i["uri"])
                ports.add(uri.port or (443 if uri.scheme == "https" else 80))
        named = self.http_listener_arns()
        chosen = ([x for x in listeners if x.get("ListenerArn") in named]
                  or [x for x in listeners if x.get("Port") in ports] or listeners)
        tgs = set().union(*(forwards_to(x) for x in chosen)) if chosen else set()
        return self._ref("target_group", tgs, followed)

    def _r_auto_scaling_group(self) -> _Resolved:
        tg = self.role("target_group")
        declared = self.declared("AWS::AutoScaling::AutoScalingGroup")
        followed = "the ASGs registered with the target group"
        if tg and declared:
            names = [n.id for n in declared]
            groups = self.inv.paginate("autoscaling", "describe_auto_scaling_groups",
                                       "AutoScalingGroups", AutoScalingGroupNames=sorted(names))
            hits = {g["AutoScalingGroupName"] for g in groups if tg in (g.get("TargetGroupARNs") or [])}
            if hits:
                return self._ref("auto_scaling_group", hits, followed)
        return self._only("auto_scaling_group", declared, f"{followed}; else the stack's ASG")

    def _r_launch_template(self) -> _Resolved:
        spec = _asg_template(self.asg() or {})
        lt = spec.get("LaunchTemplateId")
        if not lt and spec.get("LaunchTemplateName"):
            resp = self._call("ec2", "describe_launch_templates",
                              LaunchTemplateNames=[spec["LaunchTemplateName"]])
            lt = ((resp or {}).get("LaunchTemplates") or [{}])[0].get("LaunchTemplateId")
        if lt:
            return _Resolved(lt, "followed the ASG's launch template")
        return self._only("launch_template", self.declared("AWS::EC2::LaunchTemplate") if not self.asg()
                          else [], "followed the ASG's launch template")

    def _r_instance_role(self) -> _Resolved:
        followed = "followed the launch template's instance profile"
        name = instance_profile_name(self.launch_template_data())
        if not name:
            return _Resolved(None, followed)
        resp = self._call("iam", "get_instance_profile", InstanceProfileName=name)
        roles = ((resp or {}).get("InstanceProfile") or {}).get("Roles") or []
        return _Resolved(roles[0]["RoleName"] if roles else None, followed)

    def app_group_ids(self) -> list[str]:
        """The security groups of the launch template the ASG uses."""
        data = self.launch_template_data() or {}
        ids = list(data.get("SecurityGroupIds") or [])
        for ni in data.get("NetworkInterfaces") or []:
            ids += [g for g in ni.get("Groups") or [] if g not in ids]
        return ids

    def _r_app_security_group(self) -> _Resolved:
        ids = self.app_group_ids()
        followed = "followed the launch template's security groups"
        if len(ids) <= 1:
            return _Resolved(ids[0] if ids else None, followed)
        # Several: the one that admits the target group's port.
        port = None
        tg = self.role("target_group")
        if tg:
            resp = self._call("elbv2", "describe_target_groups", TargetGroupArns=[tg])
            port = ((resp or {}).get("TargetGroups") or [{}])[0].get("Port")
        nodes = [self.node("AWS::EC2::SecurityGroup", i) for i in ids]

        def admits(n: Node) -> bool:
            g = self._security_group(n.id) or {}
            return any(p.get("IpProtocol") == "-1" or (p.get("FromPort", 0) <= (port or -1) <= p.get("ToPort", -1))
                       for p in g.get("IpPermissions", []))
        return self._only("app_security_group", nodes, followed + " (the one admitting the app port)",
                          admits if port else None)

    def _r_vpc(self) -> _Resolved:
        declared = self.declared("AWS::EC2::VPC")
        if len(declared) == 1:
            # Any reference followed below resolves to the stack's only VPC (see _ref): no
            # read is needed to follow one.
            return _Resolved(declared[0].id, "the stack's VPC")
        # From what the stack's path resources sit in; a VPC passed as a parameter is found here.
        for role, how in (("app_security_group", "the app security group"), ("nlb", "the NLB"),
                          ("db_instance", "the DB subnet group")):
            try:
                pid = self.role(role)
            except Ambiguous:
                pid = None
            if not pid:
                continue
            vpc = None
            if role == "app_security_group":
                resp = self._call("ec2", "describe_security_groups", GroupIds=[pid])
                vpc = ((resp or {}).get("SecurityGroups") or [{}])[0].get("VpcId")
            elif role == "nlb":
                resp = self._call("elbv2", "describe_load_balancers", LoadBalancerArns=[pid])
                vpc = ((resp or {}).get("LoadBalancers") or [{}])[0].get("VpcId")
            else:
                vpc = ((self.db() or {}).get("DBSubnetGroup") or {}).get("VpcId")
            if vpc:
                return self._ref("vpc", {vpc}, f"followed {how}'s VPC")
        if declared:
            return self._only("vpc", declared, "the stack's VPC")
        # No VPC of its own: the one its subnets or security groups sit in (a parameter).
        vpcs = set()
        sgs = [n.id for n in self.declared("AWS::EC2::SecurityGroup")]
        if sgs:
            resp = self._call("ec2", "describe_security_groups", GroupIds=sorted(sgs))
            vpcs |= {g.get("VpcId") for g in (resp or {}).get("SecurityGroups", [])}
        subnets = [n.id for n in self.declared("AWS::EC2::Subnet")]
        if subnets and not vpcs:
            resp = self._call("ec2", "describe_subnets", SubnetIds=sorted(subnets))
            vpcs |= {s.get("VpcId") for s in (resp or {}).get("Subnets", [])}
        return self._ref("vpc", vpcs, "followed the stack's security groups and subnets to their VPC")

    def _r_flow_log_bucket(self) -> _Resolved:
        vpc = self.role("vpc")
        if not vpc:
            return _Resolved(None, "no VPC to follow")
        logs = self.inv.paginate("ec2", "describe_flow_logs", "FlowLogs",
                                 Filters=[{"Name": "resource-id", "Values": [vpc]}])
        buckets = {(f.get("LogDestination") or "").split(":::", 1)[-1].split("/", 1)[0]
                   for f in logs if f.get("LogDestinationType") == "s3"}
        return self._ref("flow_log_bucket", buckets, f"followed VPC {vpc}'s S3 flow logs",
                         fallback=False)

    def _r_db_instance(self) -> _Resolved:
        declared = self.declared("AWS::RDS::DBInstance")
        followed = "the stack's RDS DB instances"
        if len(declared) > 1:
            # A read replica serves reads of its source: the source is the stack's database.
            def source_of(n: Node) -> str:
                resp = self._call("rds", "describe_db_instances", DBInstanceIdentifier=n.id)
                db = ((resp or {}).get("DBInstances") or [{}])[0]
                return (db.get("ReadReplicaSourceDBInstanceIdentifier") or "").rsplit(":", 1)[-1]
            ids = {n.id for n in declared}
            primaries = [n for n in declared if source_of(n) not in ids]
            if primaries:
                declared = primaries
                followed += " (read replicas left to their source)"
        if len(declared) > 1:
            app = self.role("app_security_group")

            def reached(n: Node) -> bool:
                resp = self._call("rds", "describe_db_instances", DBInstanceIdentifier=n.id)
                db = ((resp or {}).get("DBInstances") or [{}])[0]
                for ref in db.get("VpcSecurityGroups", []):
                    g = self._security_group(ref.get("VpcSecurityGroupId", "")) or {}
                    if any(p.get("GroupId") == app for perm in g.get("IpPermissions", [])
                           for p in perm.get("UserIdGroupPairs", [])):
                        return True
                return False
            return self._only("db_instance", declared, followed + " (the one the app SG reaches)",
                              reached if app else None)
        return self._only("db_instance", declared, followed)

    def _r_db_security_group(self) -> _Resolved:
        db = self.db()
        followed = "followed the DB instance's VpcSecurityGroups"
        if not db:
            return _Resolved(None, followed)
        ids = [g["VpcSecurityGroupId"] for g in db.get("VpcSecurityGroups", [])]
        if len(ids) <= 1:
            return _Resolved(ids[0] if ids else None, followed)
        app = self.role("app_security_group")
        nodes = [self.node("AWS::EC2::SecurityGroup", i) for i in ids]

        def from_app(n: Node) -> bool:
            g = self._security_group(n.id) or {}
            return any(p.get("GroupId") == app for perm in g.get("IpPermissions", [])
                       for p in perm.get("UserIdGroupPairs", []))
        return self._only("db_security_group", nodes, followed + " (the one admitting the app SG)",
                          from_app if app else None)

    def _r_db_secret(self) -> _Resolved:
        db = self.db() or {}
        arn = (db.get("MasterUserSecret") or {}).get("SecretArn")
        if arn:
            return _Resolved(arn, "followed the DB instance's MasterUserSecret")
        # SecretTargetAttachment: its physical id is the secret's ARN.
        ident = self.role("db_instance")
        attached = {n.id for n in self.declared("AWS::SecretsManager::SecretTargetAttachment")}
        if ident and attached:
            return self._ref("db_secret", attached,
                             "followed the stack's SecretTargetAttachment to the DB", fallback=False)
        # A password CloudFormation resolves from Secrets Manager: the dynamic reference in
        # the DB's MasterUserPassword (RDS never shows where a password came from).
        followed = "followed the DB's MasterUserSecret, SecretTargetAttachments and the dynamic " \
                   "reference in its MasterUserPassword"
        refs = {self._secret_arn(i) for i in self._dynamic_secrets(ident)} if ident else set()
        return self._ref("db_secret", refs, followed + self._imported_note(refs), fallback=False)

    def _dynamic_secrets(self, db_ident: str) -> set[str]:
        """Secret ids named by ``{{resolve:secretsmanager:...}}`` in the DB's declared
        MasterUserPassword (``${LogicalId}`` becomes that secret's physical id; parameters,
        ``Fn::Sub`` variables and ``Fn::ImportValue`` are resolved as CloudFormation did)."""
        mine = next((r for r in self.inv.of_type("AWS::RDS::DBInstance")
                     if r["PhysicalResourceId"] == db_ident), None)
        if not mine:
            return set()
        home = mine.get("StackName") or self.inv.stack_name
        deployed = self.deployed(home)
        spec = deployed.resources.get(mine["LogicalResourceId"]) or {}
        text = deployed.text((spec.get("Properties") or {}).get("MasterUserPassword"), self.imported_values)
        # ``${LogicalId}`` names a resource of the template it is written in: in a nested
        # stack, the DB's own child (children written apart repeat logical ids).
        secrets = {r["LogicalResourceId"]: r["PhysicalResourceId"]
                   for r in self.inv.of_type("AWS::SecretsManager::Secret")
                   if (r.get("StackName") or self.inv.stack_name) == home}
        out = set()
        for m in _DYNAMIC_SECRET.finditer(text):
            sid = m.group("id")
            ref = re.fullmatch(r"\$\{([A-Za-z0-9]+)\}", sid)
            out.add(secrets.get(ref.group(1), "") if ref else sid)
        return {i for i in out if i}

    def _secret_arn(self, sid: str) -> str:
        if sid.startswith("arn:"):
            return sid
        resp = self._call("secretsmanager", "describe_secret", SecretId=sid)
        return (resp or {}).get("ARN") or sid

    def alarms(self) -> list[dict]:
        """The stack's metric alarms, by name (DescribeAlarms takes at most 100 names a call)."""
        names = sorted(n.id for n in self.declared("AWS::CloudWatch::Alarm"))
        out: list[dict] = []
        for i in range(0, len(names), 100):
            out += self.inv.paginate("cloudwatch", "describe_alarms", "MetricAlarms",
                                     AlarmNames=names[i:i + 100])
        return out

    def _r_alarm_topic(self) -> _Resolved:
        names = [n.id for n in self.declared("AWS::CloudWatch::Alarm")]
        followed = "followed the stack's alarms' AlarmActions"
        if not names:
            return _Resolved(None, "the stack has no CloudWatch alarms to follow")
        alarms = self.alarms()
        counts: dict[str, int] = {}
        for a in alarms:
            for t in a.get("AlarmActions") or []:
                if ":sns:" in t:
                    counts[t] = counts.get(t, 0) + 1
        if not counts:
            # Alarms whose actions only drive scaling policies or EC2 actions page nobody by
            # design: no alarm topic. Alarms with no action at all had their actions cut
            # (the drill's and the layer's finding): the topic they should notify is the
            # stack's one topic that no trail uses; a second candidate is ambiguous.
            if alarms and all(a.get("AlarmActions") for a in alarms):
                return _Resolved(None, followed + " (they notify no SNS topic: they act on "
                                 "scaling policies or instances)")
            used = self._trail_topics()
            topics = [n for n in self.declared("AWS::SNS::Topic") if n.id not in used]
            return self._only("alarm_topic", topics, followed + " (none notifies an SNS topic); "
                              "else the stack's topic no trail uses")
        top = max(counts.values())
        notified = {t for t, c in counts.items() if c == top}
        own = [n for n in self.declared("AWS::SNS::Topic") if n.id not in self._trail_topics()]
        if not own and not any(self.node("AWS::SNS::Topic", t).in_stack for t in notified):
            # The stack's only topics are its trails': the topic its alarms notify outside
            # the stack (an imported alert topic) is the alarm topic, not the trail's.
            return self._only("alarm_topic", [self.node("AWS::SNS::Topic", t) for t in sorted(notified)],
                              followed + " (to a topic outside the stack; its own topics are its "
                              "trails')")
        return self._ref("alarm_topic", notified, followed, fallback=False)

    def _trail_topics(self) -> set[str]:
        used: set[str] = set()
        for trail in self.declared("AWS::CloudTrail::Trail"):
            resp = self._call("cloudtrail", "describe_trails", trailNameList=[trail.id])
            used |= {t.get("SnsTopicARN") or "" for t in (resp or {}).get("trailList", [])}
        return used - {""}

    def _r_trail(self) -> _Resolved:
        return self._only("trail", self.declared("AWS::CloudTrail::Trail"), "the stack's trails")

    def _r_dashboard(self) -> _Resolved:
        return self._only("dashboard", self.declared("AWS::CloudWatch::Dashboard"),
                          "the stack's dashboards")

    def _r_user_pool(self) -> _Resolved:
        api = self.role("rest_api")
        pools = set()
        if api:
            auths = self.inv.paginate("apigateway", "get_authorizers", "items", missing_ok=True,
                                      restApiId=api)
            for a in auths:
                for arn in a.get("providerARNs") or []:
                    pools.add(arn.rsplit("/", 1)[-1])
        followed = "followed the API's Cognito authorizers"
        if not api and self.role("http_api"):
            for route in self.http_routes():
                if route.get("AuthorizationType") != "JWT":
                    continue
                auth = self.http_authorizer(route.get("AuthorizerId") or "") or {}
                pool = cognito_pool_of_issuer((auth.get("JwtConfiguration") or {}).get("Issuer") or "")
                if pool:
                    pools.add(pool)
            followed = "followed the HTTP API's JWT authorizers' issuer URLs"
        return self._ref("user_pool", pools, followed)

    def _r_user_pool_client(self) -> _Resolved:
        pool = self.role("user_pool")
        if not pool:
            return _Resolved(None, "no user pool to follow")
        declared = self.declared("AWS::Cognito::UserPoolClient")
        followed = f"the stack's app clients of user pool {pool}"
        if len(declared) > 1:
            clients = self.inv.paginate("cognito-idp", "list_user_pool_clients", "UserPoolClients",
                                        missing_ok=True, UserPoolId=pool, MaxResults=60)
            ids = {c["ClientId"] for c in clients}
            declared = [n for n in declared if n.id in ids] or declared
        return self._only("user_pool_client", declared, followed)

    # ---- everything at once -------------------------------------------------------------
    def resolve_all(self) -> dict[str, str | None]:
        """Every role (explicit ones included); see :meth:`resolve`."""
        return self.resolve(list(ROLES))

    def resolve(self, roles: list[str]) -> dict[str, str | None]:
        """These roles and every role their references lead through, resolved side by side
        on the inventory's threads (the references form chains, not cycles); raises
        :class:`Ambiguous` on the first role that is."""
        self.inv.parallel(self._resolve, roles)
        return {role: self.role(role) for role in roles}


def _asg_template(asg: dict) -> dict:
    spec = asg.get("LaunchTemplate") or {}
    if not spec:
        spec = ((asg.get("MixedInstancesPolicy") or {}).get("LaunchTemplate") or {}) \
            .get("LaunchTemplateSpecification") or {}
    return spec


_SUB_VARIABLE = re.compile(r"\$\{([A-Za-z0-9_:.]+)\}")


class _Deployed:
    """A deployed template's values as far as its parameters, conditions and the exports it
    imports decide them (what CloudFormation resolved at deploy time and the live resources
    do not show: the export names it imports, the text of a dynamic reference)."""

    def __init__(self, body: dict, stack: Callable[[], dict]):
        self.resources: dict[str, Any] = body.get("Resources") or {}
        self.conditions: dict[str, Any] = body.get("Conditions") or {}
        self.parameters: set[str] = set(body.get("Parameters") or {})
        self._stack = stack

    @functools.cached_property
    def params(self) -> dict[str, str]:
        """Parameter values and pseudo parameters (the stack is described only if asked)."""
        stack = self._stack()
        params = {p["ParameterKey"]: p.get("ResolvedValue") or p.get("ParameterValue") or ""
                  for p in stack.get("Parameters") or []}
        arn = (stack.get("StackId") or "").split(":")
        if len(arn) > 4:
            params.update({"AWS::Partition": arn[1], "AWS::Region": arn[3], "AWS::AccountId": arn[4]})
        if stack.get("StackName"):
            params["AWS::StackName"] = stack["StackName"]
        if stack.get("StackId"):
            params["AWS::StackId"] = stack["StackId"]
        params["AWS::URLSuffix"] = "amazonaws.com"
        return params

    def text(self, value: Any, imports: Callable[[], dict[str, str]] | None = None) -> str:
        """The text of a value: parameters, ``Fn::Sub`` variables, ``Fn::Join``, the taken
        ``Fn::If`` branch and (given ``imports``) ``Fn::ImportValue`` filled in; a reference
        to a resource stays ``${LogicalId}`` (as ``Fn::Sub`` writes it)."""
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, list):
            return "".join(self.text(v, imports) for v in value)
        if not isinstance(value, dict):
            return ""
        if len(value) == 1:
            (fn, arg), = value.items()
            if fn == "Ref":
                return self._variable(arg, {}) if isinstance(arg, str) else ""
            if fn == "Fn::Sub":
                template, variables = (arg[0], arg[1]) if isinstance(arg, list) and len(arg) == 2 else (arg, {})
                known = {k: self.text(v, imports) for k, v in (variables or {}).items()}
                return _SUB_VARIABLE.sub(lambda m: self._variable(m.group(1), known),
                                         template if isinstance(template, str) else "")
            if fn == "Fn::Join" and isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], list):
                return str(arg[0]).join(self.text(v, imports) for v in arg[1])
            if fn == "Fn::ImportValue":
                return (imports() if imports else {}).get(self.text(arg), "")
            if fn == "Fn::If" and isinstance(arg, list) and len(arg) == 3:
                taken = self.holds(arg[0])
                if taken is not None:
                    return self.text(arg[1] if taken else arg[2], imports)
        return " ".join(self.text(v, imports) for v in value.values())

    def _variable(self, name: str, known: dict[str, str]) -> str:
        """An ``Fn::Sub`` variable or ``Ref``: its given value, a (pseudo) parameter's, else
        (a resource, or ``Logical.Attr``) ``${name}`` as written."""
        if known.get(name):
            return known[name]
        if name in self.parameters or name.startswith("AWS::"):
            return self.params.get(name) or "${%s}" % name
        return "${%s}" % name

    def holds(self, condition: Any) -> bool | None:
        """A condition's truth from the parameters; None when it cannot be told."""
        if isinstance(condition, str):
            return self.holds(self.conditions.get(condition)) if condition in self.conditions else None
        if not isinstance(condition, dict) or len(condition) != 1:
            return None
        (fn, arg), = condition.items()
        if fn == "Condition":
            return self.holds(arg)
        if fn == "Fn::Equals" and isinstance(arg, list) and len(arg) == 2:
            left, right = self.text(arg[0]), self.text(arg[1])
            return None if "${" in left + right else left == right
        parts = [self.holds(c) for c in arg] if isinstance(arg, list) else [None]
        if None in parts:
            return None
        if fn == "Fn::Not":
            return not parts[0]
        if fn == "Fn::And":
            return all(parts)
        if fn == "Fn::Or":
            return any(parts)
        return None

    def import_names(self) -> set[str]:
        """The export names the created resources import (resources whose condition is false
        and ``Fn::If`` branches not taken left out, as CloudFormation does)."""
        names: set[str] = set()

        def walk(node: Any) -> None:
            if isinstance(node, list):
                for item in node:
                    walk(item)
            elif isinstance(node, dict):
                if len(node) == 1 and "Fn::ImportValue" in node:
                    name = self.text(node["Fn::ImportValue"])
                    if name and "${" not in name:
                        names.add(name)
                    return
                branches = node.get("Fn::If")
                if len(node) == 1 and isinstance(branches, list) and len(branches) == 3:
                    taken = self.holds(branches[0])
                    if taken is not None:
                        walk(branches[1] if taken else branches[2])
                        return
                for item in node.values():
                    walk(item)
        for spec in self.resources.values():
            if not isinstance(spec, dict) or (spec.get("Condition") and self.holds(spec["Condition"]) is False):
                continue
            walk(spec.get("Properties"))
        return names


class _TemplateLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """A template's YAML with CloudFormation's short forms (``!Sub x`` -> ``{"Fn::Sub": x}``);
    libyaml's parser when PyYAML has it (ten times faster on a 50 KB template)."""


def _short_form(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {"Ref" if suffix == "Ref" else f"Fn::{suffix}": value}


_TemplateLoader.add_multi_constructor("!", _short_form)


_GLOCK = threading.Lock()


def of(inv: Inventory) -> Graph:
    """The graph of an inventory (one per inventory, made on first use)."""
    g = getattr(inv, "_graph", None)
    if g is None:
        with _GLOCK:
            g = getattr(inv, "_graph", None)
            if g is None:
                g = Graph(inv)
                inv._graph = g  # type: ignore[attr-defined]
    return g


def role(inv: Inventory, name: str) -> str | None:
    """The physical id playing ``name``, or None when nothing in or referenced by the stack does."""
    return of(inv).role(name)


def need(inv: Inventory, name: str) -> str:
    """The physical id playing ``name``; raises :class:`Absent` when nothing does."""
    return of(inv).need(name)


def nodes(inv: Inventory, rtype: str) -> list[Node]:
    return of(inv).nodes(rtype)
