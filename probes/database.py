"""Database layer: the RDS instance is up, private, encrypted, backed up, its master
password lives only in Secrets Manager (readable by the app role, nowhere in plain text),
and it exports the logs (slow queries) an on-call engineer needs (Challenges 3 and 10)."""
from __future__ import annotations

import json
import re
from typing import Any

from probes import graph, iam, reads
from probes.expectations import Strict, layer_expectations
from probes.inventory import Inventory
from probes.redact import register_secret
from probes.registry import probe
from probes.result import Finding, Missing, absent, failed, passed, skipped


@layer_expectations("database")
class DatabaseExpect(Strict):
    backup_retention_days: int = 7
    multi_az: bool = False
    deletion_protection: bool = False
    log_exports: tuple[str, ...] = ("postgresql",)
    # log_min_duration_statement must be set (not -1) and at most this many milliseconds.
    slow_query_max_ms: int = 1000


# ---- helpers ----------------------------------------------------------------------------
def _db(inv: Inventory) -> tuple[str, dict | None]:
    ident = graph.role(inv, "db_instance")
    return f"RDS instance {ident or '(none)'}", reads.db_instance(inv) if ident else None


def _need_db(inv: Inventory) -> tuple[str, dict]:
    """(label, description) of the DB instance; :class:`Missing` when there is none."""
    name, db = _db(inv)
    if db is None:
        raise Missing(absent("RDS DB instance (AWS::RDS::DBInstance)",
                             fix="Deploy the stack's database or set resources.db_instance in the "
                                 "environment file"))
    return name, db


def _secret_arn(db: dict, inv: Inventory | None = None) -> str | None:
    """The DB's master secret: RDS-managed (MasterUserSecret), else the one the graph finds
    attached to the DB (AWS::SecretsManager::SecretTargetAttachment)."""
    arn = (db.get("MasterUserSecret") or {}).get("SecretArn")
    if arn or inv is None:
        return arn
    return graph.role(inv, "db_secret")


def _flag_floor(name: str, db: dict, field: str, want: bool, why: str, fix_flags: str) -> Finding:
    """A boolean setting the environment may require: a floor (on where none is required
    never fails). ``why`` follows the observed value; ``fix_flags`` ends the fix command."""
    actual = bool(db.get(field))
    if want and not actual:
        return failed(name, f"has {field}=false{why}", f"{field}=true",
                      f"aws rds modify-db-instance --db-instance-identifier {db['DBInstanceIdentifier']} "
                      f"{fix_flags}")
    return passed(name, f"has {field}={str(actual).lower()} as expected")


def _need_secret(inv: Inventory) -> tuple[str, str]:
    """(DB label, its master secret's ARN); :class:`Missing` (a skip) when it has none."""
    name, db = _need_db(inv)
    arn = _secret_arn(db, inv)
    if not arn:
        raise Missing(skipped(name, "has no managed master secret (database.master_secret_managed "
                                    "reports it)"))
    return name, arn


# ---- instance state ---------------------------------------------------------------------
@probe(layer="database", component="rds", title="RDS instance is available",
       severity="blocker", gate=True, challenge=3,
       remediation="Start the instance (aws rds start-db-instance) or check its events "
                   "(aws rds describe-events --source-type db-instance) for why it is not "
                   "available")
def instance_available(inv: Inventory, exp: Any) -> Finding:
    name, db = _need_db(inv)
    status = db.get("DBInstanceStatus", "unknown")
    if status != "available":
        return failed(name, f"is {status!r}", "'available'", status=status)
    return passed(name, "is available", engine=db.get("Engine"),
                  engine_version=db.get("EngineVersion"))


@probe(concern="security", layer="database", component="rds", title="RDS instance is not publicly accessible",
       severity="blocker", gate=True, challenge=3,
       remediation="aws rds modify-db-instance --no-publicly-accessible --apply-immediately "
                   "--db-instance-identifier <id>")
def not_publicly_accessible(inv: Inventory, exp: Any) -> Finding:
    name, db = _need_db(inv)
    if db.get("PubliclyAccessible"):
        return failed(name, "is publicly accessible (PubliclyAccessible=true)",
                      "PubliclyAccessible=false (reachable only from inside the VPC)",
                      f"aws rds modify-db-instance --db-instance-identifier "
                      f"{db['DBInstanceIdentifier']} --no-publicly-accessible --apply-immediately",
                      endpoint=(db.get("Endpoint") or {}).get("Address"))
    return passed(name, "is not publicly accessible")


def _route_table_for(subnet_id: str, vpc_id: str, tables: list[dict]) -> dict | None:
    main = None
    for t in tables:
        for a in t.get("Associations", []):
            if a.get("SubnetId") == subnet_id:
                return t
            if a.get("Main") and t.get("VpcId") == vpc_id:
                main = t
    return main


@probe(concern="security", layer="database", component="rds",
       title="RDS subnets have no route to the internet", severity="critical", gate=True,
       challenge=3,
       remediation="Associate the DB subnets with a private route table that has no "
                   "0.0.0.0/0 (or ::/0) route to an internet gateway")
def subnets_without_internet_route(inv: Inventory, exp: Any) -> list[Finding]:
    name, db = _need_db(inv)
    group = db.get("DBSubnetGroup") or {}
    subnets = [s["SubnetIdentifier"] for s in group.get("Subnets", [])]
    vpc_id = group.get("VpcId")
    if not subnets or not vpc_id:
        return [absent(f"DB subnet group of {name}", fix="Place the instance in a DB subnet "
                       "group of private subnets")]
    if vpc_id == reads.vpc_id(inv):
        tables = reads.route_tables(inv)
    else:
        tables = inv.paginate("ec2", "describe_route_tables", "RouteTables",
                              Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])
    findings = []
    for sid in subnets:
        table = _route_table_for(sid, vpc_id, tables)
        where = f"DB subnet {sid} of {name} (subnet group {group.get('DBSubnetGroupName')})"
        if table is None:
            findings.append(failed(where, "has no route table", "a private route table"))
            continue
        open_routes = [
            f"{r.get('DestinationCidrBlock') or r.get('DestinationIpv6CidrBlock')} -> "
            f"{r.get('GatewayId')}"
            for r in table.get("Routes", [])
            if (r.get("DestinationCidrBlock") == "0.0.0.0/0"
                or r.get("DestinationIpv6CidrBlock") == "::/0")
            and str(r.get("GatewayId", "")).startswith("igw-")
            and r.get("State", "active") == "active"]
        if open_routes:
            findings.append(failed(
                where, f"uses route table {table['RouteTableId']} with internet route(s) "
                       f"{', '.join(open_routes)}",
                "no 0.0.0.0/0 or ::/0 route to an internet gateway",
                f"Associate {sid} with a private route table, or delete the route: aws ec2 "
                f"delete-route --route-table-id {table['RouteTableId']} "
                "--destination-cidr-block 0.0.0.0/0",
                route_table=table["RouteTableId"]))
        else:
            findings.append(passed(where, f"uses route table {table['RouteTableId']} with no "
                                          "internet route"))
    return findings


@probe(concern="security", layer="database", component="rds", title="RDS storage is encrypted",
       severity="critical", gate=True,
       remediation="Storage encryption cannot be turned on in place: snapshot, copy the "
                   "snapshot with --kms-key-id, restore from the encrypted copy and switch over")
def storage_encrypted(inv: Inventory, exp: Any) -> Finding:
    name, db = _need_db(inv)
    if not db.get("StorageEncrypted"):
        return failed(name, "has unencrypted storage (StorageEncrypted=false)",
                      "StorageEncrypted=true")
    return passed(name, "has encrypted storage", kms_key=db.get("KmsKeyId"))


@probe(layer="database", component="backups",
       title="RDS automated backups are retained long enough", severity="critical", gate=True,
       remediation="aws rds modify-db-instance --backup-retention-period <days> "
                   "--apply-immediately --db-instance-identifier <id>")
def backups_retained(inv: Inventory, exp: Any) -> Finding:
    name, db = _need_db(inv)
    days = int(db.get("BackupRetentionPeriod") or 0)
    want = exp.database.backup_retention_days
    if days < want:
        observed = ("has automated backups disabled (BackupRetentionPeriod=0)" if days == 0
                    else f"retains automated backups for {days} day(s)")
        return failed(name, observed, f"at least {want} day(s)",
                      f"aws rds modify-db-instance --db-instance-identifier "
                      f"{db['DBInstanceIdentifier']} --backup-retention-period {want} "
                      "--apply-immediately", backup_retention_days=days)
    return passed(name, f"retains automated backups for {days} day(s)",
                  backup_window=db.get("PreferredBackupWindow"))


@probe(layer="database", component="rds", title="RDS Multi-AZ is as the environment expects",
       severity="normal",
       remediation="aws rds modify-db-instance --[no-]multi-az --db-instance-identifier <id> "
                   "(or change expectations.database.multi_az if the environment changed)")
def multi_az_as_expected(inv: Inventory, exp: Any) -> Finding:
    name, db = _need_db(inv)
    return _flag_floor(name, db, "MultiAZ", exp.database.multi_az, "",
                       "--multi-az --apply-immediately, or set expectations.database.multi_az if "
                       "the environment changed")


@probe(layer="database", component="rds",
       title="RDS deletion protection is as the environment expects", severity="normal",
       remediation="aws rds modify-db-instance --[no-]deletion-protection "
                   "--db-instance-identifier <id>")
def deletion_protection_as_expected(inv: Inventory, exp: Any) -> Finding:
    name, db = _need_db(inv)
    return _flag_floor(name, db, "DeletionProtection", exp.database.deletion_protection,
                       " (the database can be deleted by one API call)",
                       "--deletion-protection, or set expectations.database.deletion_protection")


# ---- credentials (Challenge 3) ----------------------------------------------------------
@probe(layer="database", component="credentials",
       title="RDS master password is managed by Secrets Manager", severity="critical",
       gate=True, challenge=3,
       remediation="aws rds modify-db-instance --manage-master-user-password "
                   "--apply-immediately --db-instance-identifier <id>, then read the "
                   "credentials from the secret (MasterUserSecret.SecretArn) in the app")
def master_secret_managed(inv: Inventory, exp: Any) -> Finding:
    name, db = _need_db(inv)
    arn = _secret_arn(db)
    attached = _secret_arn(db, inv)
    if not arn and attached:
        # Attached (SecretTargetAttachment) or resolved by CloudFormation from the secret.
        return passed(name, f"keeps its master password in Secrets Manager secret {attached} "
                            f"({graph.of(inv).followed('db_secret')})", secret_arn=attached)
    if not arn:
        return failed(name, "has no RDS-managed master user secret (MasterUserSecret missing: "
                            "the password was set by hand)",
                      "ManageMasterUserPassword=true with a Secrets Manager secret")
    status = (db.get("MasterUserSecret") or {}).get("SecretStatus")
    return passed(name, f"keeps its master password in Secrets Manager ({arn})",
                  secret_arn=arn, secret_status=status)


@probe(concern="configuration", layer="database", component="credentials",
       title="The DB master secret exists and is not scheduled for deletion",
       severity="blocker", gate=True, challenge=3,
       remediation="Restore it (aws secretsmanager restore-secret) if scheduled for deletion; "
                   "if it is gone, re-enable ManageMasterUserPassword on the instance so RDS "
                   "creates a new one and redeploy the app with its ARN")
def master_secret_exists(inv: Inventory, exp: Any) -> Finding:
    name, arn = _need_secret(inv)
    desc = reads.secret(inv, arn)
    if not desc:
        return failed(f"secret {arn} (master password of {name})",
                      "does not exist in Secrets Manager", "the secret to exist",
                      secret_arn=arn)
    if desc.get("DeletedDate"):
        return failed(f"secret {arn} (master password of {name})",
                      f"is scheduled for deletion (DeletedDate {desc['DeletedDate']})",
                      "the secret to be active",
                      f"aws secretsmanager restore-secret --secret-id {arn}", secret_arn=arn)
    return passed(f"secret {arn} (master password of {name})", "exists",
                  rotation_enabled=desc.get("RotationEnabled"),
                  last_rotated=desc.get("LastRotatedDate"))


@probe(concern="configuration", layer="database", component="credentials",
       title="The app role may read the DB master secret", severity="blocker", gate=True,
       challenge=3,
       needs=("db_instance", "auto_scaling_group"),
       remediation="Grant the instance role secretsmanager:GetSecretValue on the DB secret's "
                   "ARN (MasterUserSecret.SecretArn) and nothing broader")
def app_role_reads_master_secret(inv: Inventory, exp: Any) -> Finding:
    name, arn = _need_secret(inv)
    role = graph.role(inv, "instance_role")
    if not role:
        return absent("instance role of the app (AWS::IAM::Role)",
                      fix="Set resources.instance_role in the environment file")
    if not reads.role(inv, role):
        return absent(f"IAM role {role} (app instance role)")
    verdict = iam.decide_secret_read(inv, role, arn)
    decision, policies = verdict.verdict, verdict.denied_by or verdict.allowed_by
    who = f"IAM role {role} (app instance role)"
    if decision == "deny":
        return failed(who, f"is explicitly denied secretsmanager:GetSecretValue on {arn} by "
                           f"{', '.join(policies)}", "an allow on the DB secret",
                      f"Remove the Deny for {arn} from {', '.join(policies)}",
                      secret_arn=arn, deciding_policies=policies)
    if decision == "none":
        return failed(who, f"has no policy allowing secretsmanager:GetSecretValue on {arn} "
                           "(the app cannot read its DB credentials)",
                      "an allow on the DB secret's ARN",
                      f"aws iam put-role-policy --role-name {role} --policy-name ReadDbSecret "
                      "--policy-document '{\"Version\":\"2012-10-17\",\"Statement\":[{"
                      "\"Effect\":\"Allow\",\"Action\":[\"secretsmanager:GetSecretValue\"],"
                      f"\"Resource\":\"{arn}\"}}]}}'",
                      secret_arn=arn)
    return passed(who, f"may read {arn} (through {', '.join(policies)})", secret_arn=arn,
                  deciding_policies=policies)


# Password shapes that mean a literal password is written down. Each names what it found
# and never captures the value into a message.
_PASSWORD_SHAPES = (
    ("PGPASSWORD assignment", re.compile(r"PGPASSWORD\s*[=:]\s*['\"]?(?![$'\"\s])\S")),
    ("MasterUserPassword value",
     re.compile(r"(?i)((?<!manage)(?<!manage-)(?<!manage_)master[-_]?user[-_]?password['\"]?\s*[=:]|"
                r"--master-user-password\s)\s*['\"]?(?![$'\"\s{])[^\s'\",}]")),
    ("quoted password= literal",
     re.compile(r"(?i)\bpass(word|wd)?\s*[=:]\s*(['\"])(?!\$)[^'\"\s]+\2")),
    ("*PASSWORD= environment literal",
     re.compile(r"(?m)^\s*(export\s+)?[A-Z0-9_]*PASSWORD[A-Z0-9_]*=(?![$\s'\"]|$)\S")),
    ("password in a connection URL",
     re.compile(r"(?i)\b(postgres(ql)?|mysql)://[^:/\s@]+:(?![$\s{])[^@/\s]+@")),
)


def _scan(text: str, secret_value: str | None) -> list[str]:
    """Names of password shapes in ``text`` with their line numbers (never the value)."""
    hits = []
    for lineno, line in enumerate(text.splitlines() or [text], 1):
        if secret_value and secret_value in line:
            hits.append(f"the secret's literal value (line {lineno})")
        for label, pattern in _PASSWORD_SHAPES:
            if pattern.search(line):
                hits.append(f"{label} (line {lineno})")
    return hits


def _secret_password(inv: Inventory, arn: str | None) -> str | None:
    """The master password, read only to compare and registered for redaction at once."""
    if not arn:
        return None
    resp = inv.call("secretsmanager", "get_secret_value", missing_ok=True, SecretId=arn)
    text = (resp or {}).get("SecretString")
    if not text:
        return None
    register_secret(text)
    try:
        value = json.loads(text).get("password")
    except (ValueError, AttributeError):
        value = text
    register_secret(value)
    return value if value and len(value) >= 6 else None


@probe(layer="database", component="credentials",
       title="The DB password is not written in user data, stack parameters or outputs",
       severity="blocker", gate=True, challenge=3,
       remediation="Remove the password from the launch template user data and stack "
                   "parameters/outputs; the app reads it from Secrets Manager at start "
                   "(then rotate the secret: aws secretsmanager rotate-secret)")
def no_password_in_plaintext(inv: Inventory, exp: Any) -> list[Finding]:
    _, db = _db(inv)
    try:
        password = _secret_password(inv, _secret_arn(db or {}, inv))
    except Exception:  # reading the value is best-effort; the shapes still apply
        password = None
    findings: list[Finding] = []
    lt_id, data = reads.launch_template_data(inv)
    if lt_id:
        where = f"launch template {lt_id} user data (version used by the ASG)"
        hits = _scan(reads.user_data_text(data), password)
        findings.append(
            failed(where, f"contains {'; '.join(hits)}", "no password in plain text",
                   f"Create a launch template version without it (aws ec2 "
                   f"create-launch-template-version --launch-template-id {lt_id}), point the "
                   "ASG at it, roll the instances and rotate the DB secret",
                   findings=hits)
            if hits else passed(where, "holds no password"))
    # The root's parameters and outputs, and its nested stacks' (DescribeStacks shows a
    # child's parameters in clear unless NoEcho, as the root's), named <child>/<key>.
    g = graph.of(inv)
    shown = [("", inv.stack())] + [(f"{n.logical or n.id}/", g.described(n.id))
                                   for n in g.declared("AWS::CloudFormation::Stack")]
    params = {prefix + p["ParameterKey"]: p.get("ParameterValue") or ""
              for prefix, st in shown for p in st.get("Parameters", [])}
    outputs = {prefix + o["OutputKey"]: o.get("OutputValue") or ""
               for prefix, st in shown for o in st.get("Outputs", [])}
    bad_params = []
    for key, value in params.items():
        if value and password and password in value:
            bad_params.append(f"{key} (the secret's literal value)")
        elif re.search(r"(?i)pass(word|wd)", key) and value and set(value) != {"*"}:
            bad_params.append(f"{key} (a password parameter without NoEcho)")
        elif _scan(value, None):
            bad_params.append(f"{key} ({_scan(value, None)[0].rsplit(' (line', 1)[0]})")
    bad_outputs = []
    for key, value in outputs.items():
        if (password and password in value) or _scan(value, None):
            bad_outputs.append(key)
    where = f"stack {inv.stack_name} parameters and outputs"
    if bad_params or bad_outputs:
        parts = []
        if bad_params:
            parts.append(f"parameters {', '.join(bad_params)}")
        if bad_outputs:
            parts.append(f"outputs {', '.join(bad_outputs)} expose a password")
        findings.append(failed(where, "; ".join(parts), "no password in plain text",
                               "Make password parameters NoEcho (better: drop them for "
                               "ManageMasterUserPassword), remove outputs that carry it, update "
                               "the stack and rotate the DB secret",
                               parameters=bad_params, outputs=bad_outputs))
    else:
        findings.append(passed(where, f"hold no password ({len(params)} parameters, "
                                      f"{len(outputs)} outputs checked)"))
    return findings


# ---- logs (Challenge 10) ----------------------------------------------------------------
@probe(layer="database", component="logs", title="RDS exports its logs to CloudWatch Logs",
       severity="normal", challenge=10,
       remediation="aws rds modify-db-instance --cloudwatch-logs-export-configuration "
                   "'{\"EnableLogTypes\":[\"postgresql\"]}' --db-instance-identifier <id>")
def log_exports_enabled(inv: Inventory, exp: Any) -> Finding:
    name, db = _need_db(inv)
    enabled = list(db.get("EnabledCloudwatchLogsExports") or [])
    missing = [t for t in exp.database.log_exports if t not in enabled]
    if missing:
        return failed(name, f"exports logs {enabled or 'none'} (missing {', '.join(missing)})",
                      f"exports {list(exp.database.log_exports)}",
                      "aws rds modify-db-instance --db-instance-identifier "
                      f"{db['DBInstanceIdentifier']} --cloudwatch-logs-export-configuration "
                      f"'{json.dumps({'EnableLogTypes': missing})}' --apply-immediately",
                      enabled=enabled)
    return passed(name, f"exports logs {enabled}")


def _mysql_slow_query_log(name: str, group: str, params: dict, limit: int) -> Finding:
    """MySQL / MariaDB: slow_query_log on, long_query_time (seconds) within the limit."""
    where = f"DB parameter group {group} of {name}"
    fix = (f"aws rds modify-db-parameter-group --db-parameter-group-name {group} --parameters "
           "ParameterName=slow_query_log,ParameterValue=1,ApplyMethod=immediate "
           f"ParameterName=long_query_time,ParameterValue={min(1.0, limit / 1000):g},ApplyMethod=immediate "
           "(a default.* group cannot be changed: attach a custom one)")
    on, seconds = params.get("slow_query_log"), params.get("long_query_time")
    if str(on).strip().lower() not in ("1", "on", "true"):
        shown = "unset (engine default: off)" if on in (None, "") else str(on)
        return failed(where, f"has slow_query_log={shown} (slow queries are not logged)",
                      "slow_query_log=1", fix, slow_query_log=on)
    try:
        ms = float(str(seconds).strip()) * 1000 if seconds not in (None, "") else 10000.0
    except ValueError:
        ms = 10000.0
    if ms > limit:
        return failed(where, f"logs only statements slower than {ms:g} ms (long_query_time="
                             f"{seconds or 'unset, engine default 10 s'})", f"at most {limit} ms", fix,
                      long_query_time=seconds)
    return passed(where, f"logs statements slower than {ms:g} ms (slow_query_log on)")


@probe(layer="database", component="logs",
       title="Slow queries are logged (PostgreSQL log_min_duration_statement, MySQL "
             "slow_query_log and long_query_time)", severity="normal",
       challenge=10,
       remediation="Set log_min_duration_statement (ms) in the instance's DB parameter group: "
                   "aws rds modify-db-parameter-group --parameters "
                   "ParameterName=log_min_duration_statement,ParameterValue=500,"
                   "ApplyMethod=immediate")
def slow_query_logging(inv: Inventory, exp: Any) -> Finding:
    name, db = _need_db(inv)
    engine = str(db.get("Engine", ""))
    mysql = engine.startswith(("mysql", "mariadb", "aurora-mysql"))
    if not mysql and not engine.startswith(("postgres", "aurora-postgresql")):
        return skipped(name, f"runs {db.get('Engine')}; the slow-query settings judged are "
                             "PostgreSQL's and MySQL's")
    group = reads.db_parameter_group_name(inv)
    if not group:
        return absent(f"DB parameter group of {name}")
    if mysql:
        return _mysql_slow_query_log(name, group, reads.db_parameters(inv, group),
                                     exp.database.slow_query_max_ms)
    value = reads.db_parameters(inv, group).get("log_min_duration_statement")
    limit = exp.database.slow_query_max_ms
    where = f"DB parameter group {group} of {name}"
    fix = ("aws rds modify-db-parameter-group --db-parameter-group-name "
           f"{group} --parameters ParameterName=log_min_duration_statement,"
           f"ParameterValue={min(500, limit)},ApplyMethod=immediate")
    try:
        ms = int(str(value).strip()) if value not in (None, "") else None
    except ValueError:
        ms = None
    if ms is None or ms < 0:
        shown = "unset" if value in (None, "") else f"{value}"
        return failed(where, f"has log_min_duration_statement={shown} (slow queries are not "
                             "logged)", f"a threshold between 0 and {limit} ms", fix,
                      log_min_duration_statement=value)
    if ms > limit:
        return failed(where, f"has log_min_duration_statement={ms} ms",
                      f"at most {limit} ms", fix, log_min_duration_statement=ms)
    return passed(where, f"logs statements slower than {ms} ms")
