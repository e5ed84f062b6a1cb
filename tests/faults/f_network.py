"""Network faults: what an operator does to a VPC at 3 a.m. that the network probes catch."""
from __future__ import annotations

from probes import path as p
from tests.faults import anystack as any_
from tests.faults.catalog import Fault

N = "network."


def _ingress(logical: str, **perm):
    def inject(stack) -> None:
        stack.client("ec2").authorize_security_group_ingress(
            GroupId=stack.physical(logical), IpPermissions=[perm])
    return inject


def _all_traffic_from_app_to_db(stack) -> None:
    stack.client("ec2").authorize_security_group_ingress(
        GroupId=stack.physical("DbSecurityGroup"),
        IpPermissions=[{"IpProtocol": "-1",
                        "UserIdGroupPairs": [{"GroupId": stack.physical("AppSecurityGroup")}]}])


def _db_route(target: str):
    def inject(stack) -> None:
        ec2 = stack.client("ec2")
        kw = ({"GatewayId": stack.physical("InternetGateway")} if target == "igw"
              else {"NatGatewayId": stack.physical("NatGateway")})
        ec2.create_route(RouteTableId=stack.physical("DbRouteTable"),
                         DestinationCidrBlock="0.0.0.0/0", **kw)
    return inject


def _delete_nat(stack) -> None:
    stack.client("ec2").delete_nat_gateway(NatGatewayId=stack.physical("NatGateway"))


def _delete_public_subnet_b(stack) -> None:
    stack.client("ec2").delete_subnet(SubnetId=stack.physical("PublicSubnetB"))


def _delete_flow_logs(stack) -> list[str]:
    ec2 = stack.client("ec2")
    vpc = stack.outputs["VpcId"]
    ids = [f["FlowLogId"] for f in ec2.describe_flow_logs(
        Filters=[{"Name": "resource-id", "Values": [vpc]}])["FlowLogs"]]
    ec2.delete_flow_logs(FlowLogIds=ids)
    return ids


def _reject_only_flow_log(stack) -> None:
    _delete_flow_logs(stack)
    role = stack.client("iam").get_role(RoleName=stack.physical("FlowLogRole"))["Role"]["Arn"]
    stack.client("ec2").create_flow_logs(
        ResourceIds=[stack.outputs["VpcId"]], ResourceType="VPC", TrafficType="REJECT",
        LogDestinationType="cloud-watch-logs", LogGroupName=stack.physical("FlowLogGroup"),
        DeliverLogsPermissionArn=role)


def _flow_log_group_never_expires(stack) -> None:
    stack.client("logs").delete_retention_policy(logGroupName=stack.physical("FlowLogGroup"))


def _flow_log_bucket_no_lifecycle(stack) -> None:
    stack.client("s3").delete_bucket_lifecycle(Bucket=stack.physical("FlowLogBucket"))


def _db_subnets_on_empty_nacl(stack) -> None:
    """The DB subnets moved to a new network ACL that has no rules yet (everything denied)."""
    ec2 = stack.client("ec2")
    acl = ec2.create_network_acl(VpcId=stack.physical("Vpc"))["NetworkAcl"]["NetworkAclId"]
    for logical in ("DbSubnetA", "DbSubnetB"):
        subnet = stack.physical(logical)
        assoc = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])
        current = next(a["NetworkAclAssociationId"] for a in assoc["NetworkAcls"][0]["Associations"]
                       if a["SubnetId"] == subnet)
        ec2.replace_network_acl_association(AssociationId=current, NetworkAclId=acl)

FAULTS = [
    Fault(id="net-ssh-open-to-world",
          inject=_ingress("AppSecurityGroup", IpProtocol="tcp", FromPort=22, ToPort=22,
                          IpRanges=[{"CidrIp": "0.0.0.0/0"}]),
          breaks=(N + "no_ssh_ingress", N + "no_world_open_ingress",
                  N + "app_port_only_from_vpc"),
          challenge=5, mentions=("tcp 22 from 0.0.0.0/0",)),
    Fault(id="net-ssh-from-inside-vpc",
          inject=_ingress("AppSecurityGroup", IpProtocol="tcp", FromPort=22, ToPort=22,
                          IpRanges=[{"CidrIp": "10.0.0.0/16"}]),
          breaks=(N + "no_ssh_ingress", N + "app_port_only_from_vpc"),
          challenge=5, mentions=("tcp 22 from 10.0.0.0/16",)),
    Fault(id="net-all-ports-from-ipv6-world",
          inject=_ingress("DbSecurityGroup", IpProtocol="tcp", FromPort=0, ToPort=65535,
                          Ipv6Ranges=[{"CidrIpv6": "::/0"}]),
          breaks=(N + "no_ssh_ingress", N + "no_world_open_ingress",
                  N + "db_port_only_from_app_sg"),
          challenge=5, mentions=("tcp 0-65535 from ::/0",)),
    Fault(id="net-all-traffic-from-app-sg-to-db",
          inject=_all_traffic_from_app_to_db,
          breaks=(N + "no_ssh_ingress", N + "db_port_only_from_app_sg"),
          challenge=3, mentions=("all traffic from",)),
    Fault(id="net-app-port-open-to-world",
          inject=_ingress("AppSecurityGroup", IpProtocol="tcp", FromPort=8080, ToPort=8080,
                          IpRanges=[{"CidrIp": "0.0.0.0/0"}]),
          breaks=(N + "no_world_open_ingress", N + "app_port_only_from_vpc"),
          challenge=10, mentions=("tcp 8080 from 0.0.0.0/0",)),
    Fault(id="net-app-port-closed", inject=any_.on_lab_stack(any_.app_port_closed),
          breaks=(N + "app_port_only_from_vpc",), challenge=2,
          also_breaks=("e2e.request_path",),  # the NLB can no longer reach the app
          mentions=("does not admit tcp 8080",)),
    Fault(id="net-db-port-open-to-cidr",
          inject=_ingress("DbSecurityGroup", IpProtocol="tcp", FromPort=5432, ToPort=5432,
                          IpRanges=[{"CidrIp": "10.0.0.0/16"}]),
          breaks=(N + "db_port_only_from_app_sg",), challenge=3,
          mentions=("tcp 5432 from 10.0.0.0/16",)),
    Fault(id="net-private-default-route-to-igw", inject=any_.on_lab_stack(any_.private_route_to_igw),
          breaks=(N + "private_subnets_egress_via_nat",), challenge=10,
          # the app subnets are no longer private: the ASG now launches into public subnets
          also_breaks=("e2e.request_path", "compute.asg_spans_private_subnets"),
          mentions=("internet gateway igw-", "subnet-")),
    Fault(id="net-nat-gateway-deleted", inject=_delete_nat,
          breaks=(N + "private_subnets_egress_via_nat",), challenge=10,
          mentions=("deleted",)),
    Fault(id="net-db-route-via-nat", inject=_db_route("nat"),
          breaks=(N + "db_subnets_have_no_internet_route",), challenge=3,
          mentions=("NAT gateway nat-",)),
    Fault(id="net-db-route-via-igw", inject=_db_route("igw"),
          breaks=(N + "db_subnets_have_no_internet_route", N + "private_subnets_egress_via_nat"),
          also_breaks=("database.subnets_without_internet_route",),  # same routes, DB view
          challenge=3, mentions=("internet gateway igw-",)),
    Fault(id="net-public-subnet-b-deleted", inject=_delete_public_subnet_b,
          breaks=(N + "subnet_tiers_span_azs",), challenge=10,
          also_breaks=("stack.resources_exist",), mentions=("do not exist",)),
    Fault(id="net-flow-logs-deleted", inject=_delete_flow_logs,
          breaks=(N + "flow_logs_enabled", N + "flow_log_retention"), challenge=9,
          also_breaks=("stack.resources_exist",), mentions=("flow log", "vpc-")),
    Fault(id="net-flow-log-reject-only", inject=_reject_only_flow_log,
          breaks=(N + "flow_logs_enabled",), challenge=9,
          also_breaks=("stack.resources_exist",), mentions=("REJECT",)),
    Fault(id="net-flow-log-group-never-expires", inject=_flow_log_group_never_expires,
          breaks=(N + "flow_log_retention",), challenge=9, mentions=("never expires",),
          also_breaks=("observability.log_groups_have_retention",)),  # it checks every group
    Fault(id="net-flow-log-bucket-lifecycle-removed", inject=_flow_log_bucket_no_lifecycle,
          breaks=(N + "flow_log_retention",), challenge=9,
          mentions=("no enabled lifecycle transition",)),

    Fault("net-nacl-denies-app-port", any_.on_lab_stack(any_.nacl_denies_app_port), ("network.nacls_admit_request_path",),
          challenge=4, mentions=("rule 50 DENY", "8080"), hop=p.NLB_APP_PORT),
    Fault("net-db-subnets-on-empty-nacl", _db_subnets_on_empty_nacl,
          ("network.nacls_admit_request_path",), challenge=4, mentions=("the * rule denies", "5432"),
          hop=p.APP_DB_PORT),
]
