"""Faults for the database layer: what an operator does to an RDS instance, its
credentials and its logs that the database probes must catch (Challenges 3 and 10)."""
from probes import path as p
from tests.faults import anystack as any_
from tests.faults.catalog import Fault

# the catalog's form of faults and helpers other tests use (tests/e2e/test_trace.py,
# tests/faults/test_kms_grants.py)
_role_reads_other_secret = any_.on_lab_stack(any_.secret_grant_points_elsewhere)
_secret_under_cmk_without_role_grant = any_.on_lab_stack(any_.secret_under_cmk_without_role_grant)
_key_policy = any_.key_policy


def _secret_arn(stack) -> str:
    return any_.lab_target(stack).role("db_secret")


def move_secret_to_key(stack, key_arn: str) -> None:
    any_.secret_to_key(any_.lab_target(stack), key_arn)


FAULTS = [
    Fault("db-stopped", any_.on_lab_stack(any_.db_stopped), ("database.instance_available",), challenge=3,
          mentions=("stopped",), also_breaks=("e2e.request_path",)),
    Fault("db-publicly-accessible", any_.on_lab_stack(any_.db_public),
          ("database.not_publicly_accessible",), challenge=3, mentions=("publicly accessible",)),
    Fault("db-subnet-internet-route", any_.on_lab_stack(any_.db_route_via_igw),
          ("database.subnets_without_internet_route",), challenge=3,
          mentions=("0.0.0.0/0 -> igw-",),
          also_breaks=("network.db_subnets_have_no_internet_route",
                       "network.private_subnets_egress_via_nat")),
    Fault("db-storage-unencrypted", any_.on_lab_stack(any_.db_storage_unencrypted),
          ("database.storage_encrypted",),
          via="emulator-state",
          why="RDS has no API to turn storage encryption off (or on) for an existing instance; "
              "a real stack gets here when the instance was created or restored unencrypted",
          mentions=("StorageEncrypted=false",)),
    Fault("db-backups-off", any_.on_lab_stack(any_.db_backups_off), ("database.backups_retained",),
          mentions=("BackupRetentionPeriod=0",)),
    Fault("db-backups-one-day", any_.on_lab_stack(any_.db_backups_one_day), ("database.backups_retained",),
          mentions=("1 day",)),
    # Multi-AZ and deletion protection are floors: the safer setting never fails, so the
    # fault is a production-like environment that requires them and a stack that lost them.
    Fault("db-multi-az-required-but-off", any_.on_lab_stack(any_.db_multi_az_off), ("database.multi_az_as_expected",),
          mentions=("MultiAZ=false",), expect=(("database", {"multi_az": True}),)),
    Fault("db-deletion-protection-required-but-off", any_.on_lab_stack(any_.db_deletion_protection_off),
          ("database.deletion_protection_as_expected",), mentions=("DeletionProtection=false",),
          expect=(("database", {"deletion_protection": True}),)),
    Fault("db-password-unmanaged", any_.on_lab_stack(any_.db_password_unmanaged),
          ("database.master_secret_managed",), challenge=3, mentions=("MasterUserSecret",),
          also_breaks=("e2e.request_path",)),
    Fault("db-secret-force-deleted", any_.on_lab_stack(any_.db_secret_force_deleted), ("database.master_secret_exists",),
          challenge=3, mentions=("does not exist",), also_breaks=("e2e.request_path",)),
    Fault("db-secret-scheduled-deletion", any_.on_lab_stack(any_.db_secret_scheduled_deletion),
          ("database.master_secret_exists",), challenge=3,
          mentions=("scheduled for deletion",), also_breaks=("e2e.request_path",)),
    Fault("db-secret-not-readable-by-app", _role_reads_other_secret,
          ("database.app_role_reads_master_secret",), challenge=3,
          mentions=("GetSecretValue",),
          # the compute layer judges the same role: it no longer reads the DB secret
          also_breaks=("compute.instance_role_reads_db_secret",
                       "compute.instance_role_least_privilege")),
    Fault("db-secret-denied-by-guardrail", any_.on_lab_stack(any_.secret_denied_by_guardrail),
          # both layers judge the same role through probes.iam: neither may call it fine
          ("database.app_role_reads_master_secret", "compute.instance_role_reads_db_secret"),
          challenge=3, mentions=("explicitly denied", "DenySecretsGuardrail")),
    Fault("db-password-in-user-data", any_.on_lab_stack(any_.password_in_user_data),
          ("database.no_password_in_plaintext",), challenge=3,
          mentions=("PGPASSWORD", "secret's literal value")),
    Fault("db-log-exports-removed",
          any_.on_lab_stack(any_.db_log_exports_removed),
          ("database.log_exports_enabled",), challenge=10, mentions=("postgresql",)),
    Fault("db-slow-query-log-off", any_.on_lab_stack(any_.db_slow_query_log_off), ("database.slow_query_logging",),
          challenge=10, mentions=("log_min_duration_statement=-1",)),

    Fault("db-secret-policy-denies-app-role", any_.on_lab_stack(any_.secret_policy_denies_app),
          ("database.app_role_reads_master_secret",), challenge=3,
          also_breaks=("compute.instance_role_reads_db_secret",),
          mentions=("the secret's resource policy",), hop=p.APP_SECRETS),
    Fault("db-secret-cmk-denies-app-role", _secret_under_cmk_without_role_grant,
          ("database.app_role_decrypts_secret_key",), challenge=3,
          mentions=("leaves kms:Decrypt to IAM", "put-role-policy")),
]
