"""Every bucket of the stack, whatever its role: public access block, TLS-only policy,
default encryption, ACLs disabled, versioning where the environment asks.

The site bucket's own questions (CloudFront-only policy, Origin Access Control) stay in
``probes.edge``; these are the hygiene every bucket owes, so that a flow-log or trail bucket
that lost its public access block fails as surely as the site bucket would.
"""
from __future__ import annotations

from typing import Any, Literal

from probes import reads
from probes.expectations import Strict, layer_expectations
from probes.inventory import Inventory
from probes.nodes import label, nodes, role
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


def _buckets(inv: Inventory) -> list[dict]:
    return nodes(inv, BUCKET)


def _none(what: str) -> Finding:
    return skipped(f"stack {what}", "has no S3 bucket")


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
    dist = reads.distribution(inv) if inv.of_type("AWS::CloudFront::Distribution") else None
    logging = ((dist or {}).get("DistributionConfig") or {}).get("Logging") or {}
    if not logging.get("Enabled") or not logging.get("Bucket"):
        return set()
    return {logging["Bucket"].split(".s3", 1)[0]}


# ---- probes ------------------------------------------------------------------------------
@probe(layer="stack", component="buckets",
       title="Every bucket of the stack blocks all public access", severity="critical", gate=True,
       remediation="aws s3api put-public-access-block --bucket <bucket> "
                   "--public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,"
                   "BlockPublicPolicy=true,RestrictPublicBuckets=true (and set "
                   "PublicAccessBlockConfiguration on the bucket in the template)",
       see_also=("s3_bucket_level_public_access_block", "s3_bucket_public_access",
                 "s3_account_level_public_access_blocks"))
def buckets_block_public_access(inv: Inventory, exp: Any) -> list[Finding]:
    buckets = _buckets(inv)
    if not buckets:
        return [_none("buckets")]
    blocks = inv.parallel(lambda n: reads.public_access_block(inv, n["id"]), buckets)
    out = []
    for node, pab in zip(buckets, blocks, strict=True):
        name = label(inv, node, "bucket")
        off = [f for f in PAB_FLAGS if not (pab or {}).get(f)]
        if off:
            out.append(failed(name, "has no public access block" if not pab else
                              f"has public access block off for {', '.join(off)}",
                              "all four Block Public Access settings on",
                              f"aws s3api put-public-access-block --bucket {node['id']} "
                              "--public-access-block-configuration BlockPublicAcls=true,"
                              "IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true",
                              public_access_block=pab))
        else:
            out.append(passed(name, "blocks all public access", public_access_block=pab))
    return out


@probe(layer="stack", component="buckets",
       title="Every bucket's policy denies requests that do not use TLS", severity="critical",
       gate=True,
       remediation="Add to the bucket policy: {Effect: Deny, Principal: '*', Action: 's3:*', "
                   "Resource: [bucket ARN, bucket ARN/*], Condition: {Bool: "
                   "{aws:SecureTransport: false}}}",
       see_also=("s3_bucket_secure_transport_policy",))
def buckets_deny_insecure_transport(inv: Inventory, exp: Any) -> list[Finding]:
    buckets = _buckets(inv)
    if not buckets:
        return [_none("buckets")]
    policies = inv.parallel(lambda n: reads.bucket_policy(inv, n["id"]), buckets)
    out = []
    for node, policy in zip(buckets, policies, strict=True):
        name = label(inv, node, "bucket")
        st = denies_insecure_transport(policy)
        if st:
            out.append(passed(name, "denies every request made without TLS "
                                    "(aws:SecureTransport false)", statement=st))
        else:
            out.append(failed(name, "has no bucket policy" if policy is None else
                              "has a policy that does not deny requests without TLS",
                              "a Deny of s3:* to '*' when aws:SecureTransport is false",
                              policy=policy))
    return out


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


@probe(layer="stack", component="buckets",
       title="Every bucket encrypts new objects by default with the expected key kind",
       severity="critical",
       remediation="aws s3api put-bucket-encryption --bucket <bucket> "
                   "--server-side-encryption-configuration "
                   "'{\"Rules\":[{\"ApplyServerSideEncryptionByDefault\":{\"SSEAlgorithm\":\"aws:kms\"}}]}' "
                   "(or BucketEncryption in the template)",
       see_also=("s3_bucket_default_encryption", "s3_bucket_kms_encryption"))
def buckets_encrypted_by_default(inv: Inventory, exp: Any) -> list[Finding]:
    buckets = _buckets(inv)
    if not buckets:
        return [_none("buckets")]
    want = exp.buckets.encryption
    rules = inv.parallel(lambda n: _encryption(inv, n["id"]), buckets)
    out = []
    for node, rs in zip(buckets, rules, strict=True):
        name = label(inv, node, "bucket")
        if not rs:
            out.append(failed(name, "has no default encryption",
                              f"default encryption ({want})", rules=rs))
            continue
        kind, shown = _key_kind(inv, rs[0])
        if KEY_KINDS.index(kind) < KEY_KINDS.index(want):
            out.append(failed(name, f"encrypts by default with {shown}",
                              f"at least {want} (expectations.buckets.encryption)", rules=rs))
        else:
            out.append(passed(name, f"encrypts new objects by default with {shown}", rules=rs))
    return out


@probe(layer="stack", component="buckets",
       title="Every bucket has ACLs disabled (BucketOwnerEnforced)", severity="normal",
       remediation="aws s3api put-bucket-ownership-controls --bucket <bucket> "
                   "--ownership-controls Rules=[{ObjectOwnership=BucketOwnerEnforced}]",
       see_also=("s3_bucket_acl_prohibited",))
def buckets_acls_disabled(inv: Inventory, exp: Any) -> list[Finding]:
    buckets = _buckets(inv)
    if not buckets:
        return [_none("buckets")]
    owners = inv.parallel(lambda n: _ownership(inv, n["id"]), buckets)
    cf_logs = cloudfront_log_buckets(inv)
    out = []
    for node, owner in zip(buckets, owners, strict=True):
        name = label(inv, node, "bucket")
        if owner == "BucketOwnerEnforced":
            out.append(passed(name, "has ACLs disabled (BucketOwnerEnforced)"))
        elif owner == "BucketOwnerPreferred" and node["id"] in cf_logs:
            out.append(passed(name, "keeps ACLs enabled (BucketOwnerPreferred) because CloudFront "
                                    "standard logging delivers into it with ACLs", ownership=owner))
        else:
            out.append(failed(name, f"has ACLs enabled (object ownership {owner or 'not set'})",
                              "BucketOwnerEnforced (ACLs disabled)", ownership=owner))
    return out


@probe(layer="stack", component="buckets",
       title="Buckets the environment names keep object versions", severity="normal",
       remediation="aws s3api put-bucket-versioning --bucket <bucket> "
                   "--versioning-configuration Status=Enabled (VersioningConfiguration in the "
                   "template)",
       see_also=("s3_bucket_object_versioning",))
def buckets_versioned_as_expected(inv: Inventory, exp: Any) -> list[Finding]:
    roles = exp.buckets.versioned_roles
    buckets = [n for n in _buckets(inv) if role(inv, n) in roles]
    if not buckets:
        return [skipped("stack buckets", f"have none in the roles that must be versioned "
                                         f"({', '.join(roles) or 'none'})")]
    states = inv.parallel(lambda n: _versioning(inv, n["id"]), buckets)
    out = []
    for node, state in zip(buckets, states, strict=True):
        name = label(inv, node, "bucket")
        if state == "Enabled":
            out.append(passed(name, "keeps object versions"))
        else:
            out.append(failed(name, f"has versioning {state}",
                              "versioning Enabled (expectations.buckets.versioned_roles)",
                              versioning=state))
    return out
