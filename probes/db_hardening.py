"""Every RDS instance of the stack: TLS forced through its parameter group, and IAM
authentication, automatic minor-version upgrades and enhanced monitoring as the environment
expects. The instance's reachability, encryption, backups and secret stay in
``probes.database``."""
from __future__ import annotations

from typing import Any

from probes import reads
from probes.expectations import Strict, layer_expectations
from probes.inventory import Inventory
from probes.nodes import described, judge_each, label
from probes.registry import probe
from probes.result import Finding, failed, passed, skipped

DB = "AWS::RDS::DBInstance"


@layer_expectations("db_hardening")
class DbHardeningExpect(Strict):
    iam_authentication: bool = False        # a floor: True requires it
    auto_minor_version_upgrade: bool = True  # True requires it; False leaves it to the team
    # Enhanced monitoring at this interval or finer (seconds); 0 does not require it.
    enhanced_monitoring_seconds: int = 0


def describe_instance(inv: Inventory, ident: str) -> dict | None:
    """One DB instance, by the same read as ``reads.db_instance`` (shared)."""
    resp = inv.call("rds", "describe_db_instances", missing_ok=True, DBInstanceIdentifier=ident)
    found = (resp or {}).get("DBInstances") or []
    return found[0] if found else None


def _instances(inv: Inventory) -> list[tuple[dict, dict | None]]:
    return described(inv, DB, lambda n: describe_instance(inv, n["id"]))


def tls_setting(db: dict, params: dict[str, str | None]) -> tuple[str, str | None, bool]:
    """(parameter, value, forced) for the engine's force-TLS parameter. An unset value is
    the engine default: on for PostgreSQL 15 and later, off before and on MySQL/MariaDB."""
    engine = (db.get("Engine") or "").lower()
    if "postgres" in engine:
        value = params.get("rds.force_ssl")
        if value is None:
            major = int((db.get("EngineVersion") or "0").split(".")[0] or 0)
            return "rds.force_ssl", None, major >= 15
        return "rds.force_ssl", value, value == "1"
    if "mysql" in engine or "mariadb" in engine:
        value = params.get("require_secure_transport")
        return "require_secure_transport", value, str(value).upper() in ("1", "ON")
    return "", None, False


@probe(concern="security", layer="database", component="rds",
       title="Every RDS instance refuses connections without TLS (parameter group)",
       severity="critical", challenge=3,
       remediation="Set rds.force_ssl=1 (PostgreSQL) or require_secure_transport=ON (MySQL) in "
                   "the instance's DB parameter group (aws rds modify-db-parameter-group) and "
                   "reboot if the parameter is static",
       see_also=("rds_instance_transport_encrypted",))
def db_tls_forced(inv: Inventory, exp: Any) -> list[Finding]:
    def judge(node: dict, db: dict) -> Finding:
        name = label(inv, node, "RDS instance")
        groups = db.get("DBParameterGroups") or []
        group = groups[0].get("DBParameterGroupName") if groups else None
        params = reads.db_parameters(inv, group) if group else {}
        param, value, forced = tls_setting(db, params)
        if not param:
            return skipped(name, f"runs engine {db.get('Engine')}, whose TLS parameter "
                                 "stackprobe does not know")
        shown = f"{param}={value}" if value is not None else f"{param} unset (engine default)"
        if forced:
            return passed(name, f"forces TLS ({shown} in parameter group {group})",
                          parameter_group=group)
        on = "1" if param == "rds.force_ssl" else "ON"
        return failed(name, f"accepts connections without TLS ({shown} in parameter group "
                            f"{group})", f"{param}={on}",
                      f"aws rds modify-db-parameter-group --db-parameter-group-name {group} "
                      f"--parameters ParameterName={param},ParameterValue={on},"
                      "ApplyMethod=pending-reboot, then reboot the instance in a maintenance "
                      "window", parameter_group=group)

    return judge_each(inv, _instances(inv), "RDS instance", judge)


@probe(layer="database", component="rds",
       title="Every RDS instance's IAM authentication, minor-version upgrades and enhanced "
             "monitoring are as the environment expects",
       severity="normal",
       remediation="aws rds modify-db-instance --db-instance-identifier <db> with "
                   "--enable-iam-database-authentication, --auto-minor-version-upgrade or "
                   "--monitoring-interval <s> --monitoring-role-arn <role> as expected "
                   "(EnableIAMDatabaseAuthentication, AutoMinorVersionUpgrade, MonitoringInterval "
                   "in the template)",
       see_also=("rds_instance_iam_authentication_enabled",
                 "rds_instance_minor_version_upgrade_enabled",
                 "rds_instance_enhanced_monitoring_enabled"))
def db_operations_as_expected(inv: Inventory, exp: Any) -> list[Finding]:
    want = exp.db_hardening

    def judge(node: dict, db: dict) -> Finding:
        name = label(inv, node, "RDS instance")
        iam = bool(db.get("IAMDatabaseAuthenticationEnabled"))
        minor = bool(db.get("AutoMinorVersionUpgrade"))
        interval = int(db.get("MonitoringInterval") or 0)
        problems, fixes = [], []
        if want.iam_authentication and not iam:
            problems.append("IAM authentication off")
            fixes.append("--enable-iam-database-authentication")
        if want.auto_minor_version_upgrade and not minor:
            problems.append("automatic minor-version upgrades off")
            fixes.append("--auto-minor-version-upgrade")
        if want.enhanced_monitoring_seconds and not 0 < interval <= want.enhanced_monitoring_seconds:
            problems.append("enhanced monitoring off" if not interval
                            else f"enhanced monitoring every {interval} s")
            fixes.append(f"--monitoring-interval {want.enhanced_monitoring_seconds} "
                         "--monitoring-role-arn <role trusting monitoring.rds.amazonaws.com>")
        evidence = {"iam_authentication": iam, "auto_minor_version_upgrade": minor,
                    "monitoring_interval": interval}
        if problems:
            asked = [w for w, on in (("IAM authentication", want.iam_authentication),
                                     ("automatic minor-version upgrades",
                                      want.auto_minor_version_upgrade),
                                     (f"enhanced monitoring every {want.enhanced_monitoring_seconds}"
                                      " s or finer", want.enhanced_monitoring_seconds)) if on]
            return failed(name, f"has {'; '.join(problems)}",
                          f"{', '.join(asked)} (expectations.db_hardening)",
                          f"aws rds modify-db-instance --db-instance-identifier {node['id']} "
                          f"{' '.join(fixes)} --apply-immediately", **evidence)
        return passed(name, f"has IAM authentication {'on' if iam else 'off'}, automatic "
                            f"minor-version upgrades {'on' if minor else 'off'}, enhanced "
                            f"monitoring {f'every {interval} s' if interval else 'off'}", **evidence)

    return judge_each(inv, _instances(inv), "RDS instance", judge)


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in str(version).split("."))


def engine_versions(inv: Inventory, engine: str, version: str | None = None,
                    include_all: bool = False) -> list[dict]:
    """RDS's versions of ``engine`` (``version``: one version, or a major). Without
    ``include_all`` RDS lists only available versions, never deprecated ones."""
    one = {"EngineVersion": version} if version else {}
    return inv.paginate("rds", "describe_db_engine_versions", "DBEngineVersions", Engine=engine,
                        IncludeAll=include_all, **one)


def next_supported(inv: Inventory, engine: str, listed: dict) -> tuple[str, bool] | None:
    """(version, is a major upgrade): the lowest version a deprecated one can upgrade to,
    a minor of the same major first; RDS's own ValidUpgradeTarget, else the lowest available
    version above it."""
    targets = [(t["EngineVersion"], bool(t.get("IsMajorVersionUpgrade")))
               for t in listed.get("ValidUpgradeTarget") or [] if t.get("EngineVersion")]
    if not targets:
        current = _version_key(listed["EngineVersion"])
        major = str(listed["EngineVersion"]).split(".")[0]
        targets = [(v["EngineVersion"], str(v["EngineVersion"]).split(".")[0] != major)
                   for v in engine_versions(inv, engine)
                   if _version_key(v["EngineVersion"]) > current]
    if not targets:
        return None
    return min(targets, key=lambda t: (t[1], _version_key(t[0])))


@probe(concern="security", layer="database", component="rds",
       title="Every RDS instance runs an engine version RDS has not deprecated",
       severity="normal", challenge=3,
       remediation="Upgrade the instance to a supported engine version (aws rds "
                   "modify-db-instance --engine-version <v>, in a maintenance window) and set "
                   "EngineVersion in the template to it",
       see_also=("rds_instance_deprecated_engine_version",))
def db_engine_version_supported(inv: Inventory, exp: Any) -> list[Finding]:
    def judge(node: dict, db: dict) -> Finding:
        name = label(inv, node, "RDS instance")
        engine, version = db.get("Engine") or "", str(db.get("EngineVersion") or "")
        runs = f"runs {engine} {version}"
        listed = next((v for v in engine_versions(inv, engine, version, include_all=True)
                       if v.get("EngineVersion") == version), None)
        if listed is None:
            return skipped(name, f"{runs}, a version RDS does not list even with IncludeAll: "
                                 "whether it is deprecated cannot be told")
        status = listed.get("Status") or "available"
        if status == "available":
            return passed(name, f"{runs}, which RDS lists as available", status=status)
        target = next_supported(inv, engine, listed)
        if target is None:
            return failed(name, f"{runs}, which RDS has {status} and lists no upgrade target for",
                          "an engine version RDS still supports (Status available)",
                          f"aws rds describe-db-engine-versions --engine {engine}; then aws rds "
                          f"modify-db-instance --db-instance-identifier {node['id']} --engine-version "
                          "<a supported version>", status=status)
        to, major = target
        return failed(name, f"{runs}, which RDS has {status}; the next supported version is {to}",
                      "an engine version RDS still supports (Status available)",
                      f"aws rds modify-db-instance --db-instance-identifier {node['id']} "
                      f"--engine-version {to}{' --allow-major-version-upgrade' if major else ''} "
                      "(in a maintenance window, after a snapshot), and set EngineVersion to "
                      f"{to} in the template", status=status, next_supported=to)

    return judge_each(inv, _instances(inv), "RDS instance", judge)
