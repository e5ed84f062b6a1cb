"""Every bucket of the stack, whatever its role: public access block, TLS-only policy,
default encryption, ACLs disabled, versioning where the environment asks.

The site bucket's own questions (CloudFront-only policy, Origin Access Control) stay in
``probes.edge``; these are the hygiene every bucket owes, so that a flow-log or trail bucket
that lost its public access block fails as surely as the site bucket would.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from probes import reads
from probes.expectations import Strict, layer_expectations
from probes.inventory import Inventory
from probes.nodes import distributions, label, nodes, role
from probes.registry import probe
from probes.result import Finding, failed, passed, skipped

BUCKET = "AWS::S3::Bucket"
PAB_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
# Key kinds, weakest first: SSE-S3, a KMS key (AWS-managed or customer), a customer KMS key.
KEY_KINDS = ("any", "kms", "customer-kms")


@layer_expectations("buckets")
class BucketExpect(Strict):
    # Roles (resources.<role> names) whose bucket must keep object versions.
    versioned_roles: tuple[str, ...] = ("site_bucket",)
    # Weakest default encryption accepted: "any" (SSE-S3 or KMS), "kms", "customer-kms".
    encryption: Literal["any", "kms", "customer-kms"] = "any"


def _per_bucket(inv: Inventory, read: Callable[[str], Any],
                judge: Callable[[dict, str, Any], Finding], buckets: list[dict] | None = None
                ) -> list[Finding]:
    """``judge(node, its name, read(bucket))`` for every bucket (or ``buckets``), reads side
    by side. A read's None means the bucket lacks that configuration, not that it is gone."""
    buckets = nodes(inv, BUCKET) if buckets is None else buckets
    if not buckets:
        return [skipped("stack buckets", "the stack has no S3 bucket")]
    values = inv.parallel(lambda n: read(n["id"]), buckets)
    return [judge(n, label(inv, n, "bucket"), v) for n, v in zip(buckets, values, strict=True)]


# ---- reads (each once per run, side by side across buckets) ------------------------------
def _encryption(inv: Inventory, bucket: str) -> list[dict]:
    resp = inv.call("s3", "get_bucket_encryption", missing_ok=True, Bucket=bucket)
    return ((resp or {}).get("ServerSideEncryptionConfiguration") or {}).get("Rules", [])


def _ownership(inv: Inventory, bucket: str) -> str | None:
    resp = inv.call("s3", "get_bucket_ownership_controls", missing_ok=True, Bucket=bucket)
    rules = ((resp or {}).get("OwnershipControls") or {}).get("Rules", [])
    return rules[0].get("ObjectOwnership") if rules else None


def _versioning(inv: Inventory, bucket: str) -> str:
    resp = inv.call("s3", "get_bucket_versioning", missing_ok=True, Bucket=bucket)
    return (resp or {}).get("Status") or "never enabled"


# ---- evaluators --------------------------------------------------------------------------
def _as_list(v: Any) -> list:
    return v if isinstance(v, list) else [v] if v is not None else []


def _everyone(principal: Any) -> bool:
    return principal == "*" or (isinstance(principal, dict) and "*" in _as_list(principal.get("AWS")))


def denies_insecure_transport(policy: dict | None) -> dict | None:
    """The statement of a bucket policy that denies every S3 action to everyone over plain
    HTTP (``aws:SecureTransport`` false), or None."""
    for st in _as_list((policy or {}).get("Statement")):
        actions = {a.lower() for a in _as_list(st.get("Action"))}
        cond = (st.get("Condition") or {}).get("Bool") or {}
        secure = next((v for k, v in cond.items() if k.lower() == "aws:securetransport"), None)
        if (st.get("Effect") == "Deny" and _everyone(st.get("Principal"))
                and actions & {"s3:*", "*"} and [str(v).lower() for v in _as_list(secure)] == ["false"]):
            return st
    return None


def cloudfront_log_buckets(inv: Inventory) -> set[str]:
    """Buckets the distribution's standard logging writes to: CloudFront delivers those logs
    with ACLs, so these buckets must keep ACLs enabled (BucketOwnerPreferred)."""
    out = set()
    for dist in distributions(inv):
        logging = (dist.get("DistributionConfig") or {}).get("Logging") or {}
        if logging.get("Enabled") and logging.get("Bucket"):
            out.add(logging["Bucket"].split(".s3", 1)[0])
    return out


# ---- probes ------------------------------------------------------------------------------
@probe(concern="security", layer="edge", component="buckets",
       title="Every bucket of the stack blocks all public access", severity="critical", gate=True,
       remediation="aws s3api put-public-access-block --bucket <bucket> "
                   "--public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,"
                   "BlockPublicPolicy=true,RestrictPublicBuckets=true (and set "
                   "PublicAccessBlockConfiguration on the bucket in the template)",
       see_also=("s3_bucket_level_public_access_block", "s3_bucket_public_access",
                 "s3_account_level_public_access_blocks"))
def buckets_block_public_access(inv: Inventory, exp: Any) -> list[Finding]:
    def judge(node: dict, name: str, pab: dict | None) -> Finding:
        off = [f for f in PAB_FLAGS if not (pab or {}).get(f)]
        if not off:
            return passed(name, "blocks all public access", public_access_block=pab)
        return failed(name, "has no public access block" if not pab else
                      f"has public access block off for {', '.join(off)}",
                      "all four Block Public Access settings on",
                      f"aws s3api put-public-access-block --bucket {node['id']} "
                      "--public-access-block-configuration BlockPublicAcls=true,"
                      "IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true",
                      public_access_block=pab)

    return _per_bucket(inv, lambda b: reads.public_access_block(inv, b), judge)


@probe(concern="security", layer="edge", component="buckets",
       title="Every bucket's policy denies requests that do not use TLS", severity="critical",
       gate=True,
       remediation="Add to the bucket policy: {Effect: Deny, Principal: '*', Action: 's3:*', "
                   "Resource: [bucket ARN, bucket ARN/*], Condition: {Bool: "
                   "{aws:SecureTransport: false}}}",
       see_also=("s3_bucket_secure_transport_policy",))
def buckets_deny_insecure_transport(inv: Inventory, exp: Any) -> list[Finding]:
    def judge(node: dict, name: str, policy: dict | None) -> Finding:
        st = denies_insecure_transport(policy)
        if st:
            return passed(name, "denies every request made without TLS (aws:SecureTransport "
                                "false)", statement=st)
        return failed(name, "has no bucket policy" if policy is None else
                      "has a policy that does not deny requests without TLS",
                      "a Deny of s3:* to '*' when aws:SecureTransport is false", policy=policy)

    return _per_bucket(inv, lambda b: reads.bucket_policy(inv, b), judge)


def _key_kind(inv: Inventory, rule: dict) -> tuple[str, str]:
    """(kind, shown) of a default-encryption rule: kind in KEY_KINDS order."""
    default = rule.get("ApplyServerSideEncryptionByDefault") or {}
    algo = default.get("SSEAlgorithm") or "?"
    if not algo.startswith("aws:kms"):
        return "any", algo
    key = default.get("KMSMasterKeyID")
    if not key or "alias/aws/" in key:
        return "kms", f"{algo} with the AWS-managed key"
    meta = inv.call("kms", "describe_key", missing_ok=True, KeyId=key)
    manager = ((meta or {}).get("KeyMetadata") or {}).get("KeyManager")
    return ("customer-kms" if manager == "CUSTOMER" else "kms"), f"{algo} with key {key}"


@probe(concern="security", layer="edge", component="buckets",
       title="Every bucket encrypts new objects by default with the expected key kind",
       severity="critical",
       remediation="aws s3api put-bucket-encryption --bucket <bucket> "
                   "--server-side-encryption-configuration "
                   "'{\"Rules\":[{\"ApplyServerSideEncryptionByDefault\":{\"SSEAlgorithm\":\"aws:kms\"}}]}' "
                   "(or BucketEncryption in the template)",
       see_also=("s3_bucket_default_encryption", "s3_bucket_kms_encryption"))
def buckets_encrypted_by_default(inv: Inventory, exp: Any) -> list[Finding]:
    want = exp.buckets.encryption

    def judge(node: dict, name: str, rules: list[dict]) -> Finding:
        if not rules:
            return failed(name, "has no default encryption", f"default encryption ({want})",
                          rules=rules)
        kind, shown = _key_kind(inv, rules[0])
        if KEY_KINDS.index(kind) < KEY_KINDS.index(want):
            return failed(name, f"encrypts by default with {shown}",
                          f"at least {want} (expectations.buckets.encryption)", rules=rules)
        return passed(name, f"encrypts new objects by default with {shown}", rules=rules)

    return _per_bucket(inv, lambda b: _encryption(inv, b), judge)


@probe(concern="security", layer="edge", component="buckets",
       title="Every bucket has ACLs disabled (BucketOwnerEnforced)", severity="normal",
       remediation="aws s3api put-bucket-ownership-controls --bucket <bucket> "
                   "--ownership-controls Rules=[{ObjectOwnership=BucketOwnerEnforced}]",
       see_also=("s3_bucket_acl_prohibited",))
def buckets_acls_disabled(inv: Inventory, exp: Any) -> list[Finding]:
    cf_logs = cloudfront_log_buckets(inv)

    def judge(node: dict, name: str, owner: str | None) -> Finding:
        if owner == "BucketOwnerEnforced":
            return passed(name, "has ACLs disabled (BucketOwnerEnforced)")
        if owner == "BucketOwnerPreferred" and node["id"] in cf_logs:
            return passed(name, "keeps ACLs enabled (BucketOwnerPreferred) because CloudFront "
                                "standard logging delivers into it with ACLs", ownership=owner)
        return failed(name, f"has ACLs enabled (object ownership {owner or 'not set'})",
                      "BucketOwnerEnforced (ACLs disabled)", ownership=owner)

    return _per_bucket(inv, lambda b: _ownership(inv, b), judge)


@probe(layer="edge", component="buckets",
       title="Buckets the environment names keep object versions", severity="normal",
       remediation="aws s3api put-bucket-versioning --bucket <bucket> "
                   "--versioning-configuration Status=Enabled (VersioningConfiguration in the "
                   "template)",
       see_also=("s3_bucket_object_versioning",))
def buckets_versioned_as_expected(inv: Inventory, exp: Any) -> list[Finding]:
    roles = exp.buckets.versioned_roles
    buckets = [n for n in nodes(inv, BUCKET) if role(inv, n) in roles]
    if not buckets:
        return [skipped("stack buckets", f"have none in the roles that must be versioned "
                                         f"({', '.join(roles) or 'none'})")]

    def judge(node: dict, name: str, state: str) -> Finding:
        if state == "Enabled":
            return passed(name, "keeps object versions")
        return failed(name, f"has versioning {state}",
                      "versioning Enabled (expectations.buckets.versioned_roles)", versioning=state)

    return _per_bucket(inv, lambda b: _versioning(inv, b), judge, buckets)
