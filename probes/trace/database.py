"""Hops at the end of the path (database layer): the RDS instance is up behind the DB
security group, and its master user secret exists."""
from __future__ import annotations

from probes import graph, reads
from probes.trace.engine import Blocked, Broken, Ctx


def db_instance(c: Ctx) -> tuple[str, str, str]:
    c.db = c.db or reads.db_instance(c.inv)
    ident = graph.role(c.inv, "db_instance")
    if not c.db:
        raise Broken(f"RDS instance {ident or '(none in the stack)'} was not found",
                     "the database to exist", "Restore from the latest snapshot or redeploy")
    status = c.db.get("DBInstanceStatus")
    if status not in ("available", "backing-up", "modifying", "configuring-log-exports"):
        raise Broken(f"RDS instance {ident} is {status}", "available",
                     "Start the instance (aws rds start-db-instance) or check its events")
    db_sg = graph.role(c.inv, "db_security_group")
    attached = [g["VpcSecurityGroupId"] for g in c.db.get("VpcSecurityGroups", [])]
    if db_sg and db_sg not in attached:
        raise Broken(f"RDS instance {ident} has security groups {attached}",
                     f"the DB security group {db_sg}",
                     f"aws rds modify-db-instance --db-instance-identifier {ident} "
                     f"--vpc-security-group-ids {db_sg} --apply-immediately")
    ep = c.db.get("Endpoint") or {}
    return "DB security group", f"RDS {ident}", f"{ident} {status} at {ep.get('Address')}:{ep.get('Port')}"


def db_secret(c: Ctx) -> tuple[str, str, str]:
    c.db = c.db or reads.db_instance(c.inv)
    if not c.db:
        raise Blocked("no database")
    ident = c.db.get("DBInstanceIdentifier")
    arn = ((c.db.get("MasterUserSecret") or {}).get("SecretArn")) or graph.role(c.inv, "db_secret")
    if not arn:
        raise Broken(f"RDS instance {ident} has no managed master user secret",
                     "ManageMasterUserPassword: true (the app reads credentials from it)",
                     f"aws rds modify-db-instance --db-instance-identifier {ident} "
                     "--manage-master-user-password --apply-immediately")
    sec = reads.secret(c.inv, arn)
    if not sec:
        raise Broken(f"secret {arn} of RDS instance {ident} does not exist",
                     "the master user secret the app reads to connect",
                     f"aws rds modify-db-instance --db-instance-identifier {ident} "
                     "--manage-master-user-password (recreates it), then restart the app")
    if sec.get("DeletedDate"):
        raise Broken(f"secret {arn} of RDS instance {ident} is scheduled for deletion "
                     f"({sec.get('DeletedDate')})", "an active secret",
                     f"aws secretsmanager restore-secret --secret-id {arn}")
    return f"RDS {ident}", f"secret {sec.get('Name') or arn}", "the master user secret exists"
