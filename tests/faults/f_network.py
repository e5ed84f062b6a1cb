"""Network faults: what an operator does to a VPC at 3 a.m. that the network probes catch."""
from __future__ import annotations

from probes import path as p
from tests.faults import anystack as any_
from tests.faults.catalog import Fault

N = "network."

# tests/e2e (the trace's and the suite verdict's tests) inject it in the catalog's form
_delete_nat = any_.on_lab_stack(any_.nat_gateway_deleted)

FAULTS = [
    Fault(id="net-ssh-open-to-world",
          inject=any_.on_lab_stack(any_.ssh_open_to_world),
          breaks=(N + "no_ssh_ingress", N + "no_world_open_ingress",
                  N + "app_port_only_from_vpc"),
          challenge=5, mentions=("tcp 22 from 0.0.0.0/0",)),
    Fault(id="net-ssh-from-inside-vpc",
          inject=any_.on_lab_stack(any_.ssh_from_inside_vpc),
          breaks=(N + "no_ssh_ingress", N + "app_port_only_from_vpc"),
          challenge=5, mentions=("tcp 22 from 10.0.0.0/16",)),
    Fault(id="net-all-ports-from-ipv6-world",
          inject=any_.on_lab_stack(any_.all_ports_from_ipv6_world),
          breaks=(N + "no_ssh_ingress", N + "no_world_open_ingress",
                  N + "db_port_only_from_app_sg"),
          challenge=5, mentions=("tcp 0-65535 from ::/0",)),
    Fault(id="net-all-traffic-from-app-sg-to-db",
          inject=any_.on_lab_stack(any_.all_traffic_from_app_sg_to_db),
          breaks=(N + "no_ssh_ingress", N + "db_port_only_from_app_sg"),
          challenge=3, mentions=("all traffic from",)),
    Fault(id="net-app-port-open-to-world",
          inject=any_.on_lab_stack(any_.app_port_open_to_world),
          breaks=(N + "no_world_open_ingress", N + "app_port_only_from_vpc"),
          challenge=10, mentions=("tcp 8080 from 0.0.0.0/0",)),
    Fault(id="net-app-port-closed", inject=any_.on_lab_stack(any_.app_port_closed),
          breaks=(N + "app_port_only_from_vpc",), challenge=2,
          also_breaks=("e2e.request_path",),  # the NLB can no longer reach the app
          mentions=("does not admit tcp 8080",)),
    Fault(id="net-db-port-open-to-cidr",
          inject=any_.on_lab_stack(any_.db_port_open_to_cidr),
          breaks=(N + "db_port_only_from_app_sg",), challenge=3,
          mentions=("tcp 5432 from 10.0.0.0/16",)),
    Fault(id="net-private-default-route-to-igw", inject=any_.on_lab_stack(any_.private_route_to_igw),
          breaks=(N + "private_subnets_egress_via_nat",), challenge=10,
          # the app subnets are no longer private: the ASG now launches into public subnets
          also_breaks=("e2e.request_path", "compute.asg_spans_private_subnets"),
          mentions=("internet gateway igw-", "subnet-")),
    Fault(id="net-nat-gateway-deleted", inject=any_.on_lab_stack(any_.nat_gateway_deleted),
          breaks=(N + "private_subnets_egress_via_nat",), challenge=10,
          mentions=("deleted",)),
    Fault(id="net-db-route-via-nat", inject=any_.on_lab_stack(any_.db_route_via_nat),
          breaks=(N + "db_subnets_have_no_internet_route",), challenge=3,
          mentions=("NAT gateway nat-",)),
    Fault(id="net-db-route-via-igw", inject=any_.on_lab_stack(any_.db_route_via_igw),
          breaks=(N + "db_subnets_have_no_internet_route", N + "private_subnets_egress_via_nat"),
          also_breaks=("database.subnets_without_internet_route",),  # same routes, DB view
          challenge=3, mentions=("internet gateway igw-",)),
    Fault(id="net-public-subnet-b-deleted", inject=any_.on_lab_stack(any_.public_subnet_deleted),
          breaks=(N + "subnet_tiers_span_azs",), challenge=10,
          also_breaks=("stack.resources_exist",), mentions=("do not exist",)),
    Fault(id="net-flow-logs-deleted", inject=any_.on_lab_stack(any_.flow_logs_deleted),
          breaks=(N + "flow_logs_enabled", N + "flow_log_retention"), challenge=9,
          also_breaks=("stack.resources_exist",), mentions=("flow log", "vpc-")),
    Fault(id="net-flow-log-reject-only", inject=any_.on_lab_stack(any_.flow_log_reject_only),
          breaks=(N + "flow_logs_enabled",), challenge=9,
          also_breaks=("stack.resources_exist",), mentions=("REJECT",)),
    Fault(id="net-flow-log-group-never-expires", inject=any_.on_lab_stack(any_.flow_log_group_never_expires),
          breaks=(N + "flow_log_retention",), challenge=9, mentions=("never expires",),
          also_breaks=("observability.log_groups_have_retention",)),  # it checks every group
    Fault(id="net-flow-log-bucket-lifecycle-removed", inject=any_.on_lab_stack(any_.flow_log_bucket_no_lifecycle),
          breaks=(N + "flow_log_retention",), challenge=9,
          mentions=("no enabled lifecycle transition",)),

    Fault("net-nacl-denies-app-port", any_.on_lab_stack(any_.nacl_denies_app_port),
          ("network.nacls_admit_request_path",),
          challenge=4, mentions=("rule 50 DENY", "8080"), hop=p.NLB_APP_PORT),
    Fault("net-db-subnets-on-empty-nacl", any_.on_lab_stack(any_.db_subnets_on_empty_nacl),
          ("network.nacls_admit_request_path",), challenge=4, mentions=("the * rule denies", "5432"),
          hop=p.APP_DB_PORT),
]
