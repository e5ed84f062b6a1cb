"""DNS faults: hosted zone, alias records and certificate. The bundled stack deploys without
a domain, so every fault here first turns the lab stack into one with a domain
(:func:`with_domain`): a fresh public hosted zone, then the bundled template deployed with
DomainName + HostedZoneId (the template's HasDomain condition), as an operator would.
"""
from __future__ import annotations

import itertools
import os
from datetime import datetime, timedelta, timezone
from typing import Any

from tests.faults import anystack as any_
from tests.faults.catalog import Fault

CLOUDFRONT_ZONE_ID = "Z2FDTNDATAQYW2"
_ids = itertools.count()


def with_domain(stack: Any) -> str:
    """Deploy the bundled stack with a domain and point ``stack`` at it; returns the domain.

    The fault harness deploys without parameters; the DeployedStack it hands us is
    re-pointed (name, outputs) at the domain stack, so the harness probes that one.
    """
    from fixtures import environment as envmod
    from fixtures import stack as stackmod
    from fixtures.emulator.coverage import unmodelled_types

    n = next(_ids)
    domain = f"www.lab{os.getpid()}x{n}.example.com"
    name = f"{stack.name}-dom{n}"
    # the zone made the way the embedded target makes it for the main job
    params = stackmod.embedded_hosted_zone(stack.client("route53"), {
        **envmod.load("local").stack.parameters, "DomainName": domain})
    outputs = stackmod.deploy(stack.session(), envmod.DEFAULT_TEMPLATE, name, params,
                              stackmod.run_tags("lab"), timeout=120, precheck=unmodelled_types,
                              out=lambda _: None)
    stack.name, stack.outputs = name, outputs
    return domain


def _role(stack: Any, name: str) -> str:
    """The resource playing ``name`` in the (domain) stack, found through the graph."""
    return any_.lab_target(stack).role(name)


def update_distribution(stack: Any, change) -> None:
    """Read-modify-write the distribution's config, as the console and CLI do."""
    cf = stack.client("cloudfront")
    did = _role(stack, "distribution")
    cur = cf.get_distribution_config(Id=did)
    config = cur["DistributionConfig"]
    change(config)
    cf.update_distribution(Id=did, IfMatch=cur["ETag"], DistributionConfig=config)


def _change_records(stack: Any, changes: list[dict]) -> None:
    """change_resource_record_sets, as an operator would; then undo the emulator's gap.

    moto 5.2.5 stores records created by CloudFormation without the trailing dot and
    outside its change journal, so an UPSERT adds a second record beside the stack's and a
    DELETE is refused ("found none"). Real Route 53 replaces / deletes the one record, so
    where moto does not, the stack's stale copy is removed from moto's zone state.
    """
    from botocore.exceptions import ClientError
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.route53.models import route53_backends

    zone_id = _role(stack, "hosted_zone")
    zone = route53_backends[DEFAULT_ACCOUNT_ID]["global"].get_hosted_zone(zone_id)
    r53 = stack.client("route53")
    for change in changes:
        rrset = change["ResourceRecordSet"]
        name, rtype = rrset["Name"].rstrip("."), rrset["Type"]
        try:
            r53.change_resource_record_sets(HostedZoneId=zone_id,
                                            ChangeBatch={"Changes": [change]})
        except ClientError as exc:
            if change["Action"] != "DELETE" or "found none" not in str(exc):
                raise
        if change["Action"] == "UPSERT":  # the API's copy has the dot; drop the stack's
            zone.rrsets = [r for r in zone.rrsets if not (r.name == name and r.type == rtype)]
        else:
            zone.rrsets = [r for r in zone.rrsets
                           if not (r.name.rstrip(".") == name and r.type == rtype)]


def _records(stack: Any, domain: str) -> list[dict]:
    zone = _role(stack, "hosted_zone")
    resp = stack.client("route53").list_resource_record_sets(HostedZoneId=zone)
    return [r for r in resp["ResourceRecordSets"] if r["Name"].rstrip(".") == domain]


# ---- injections -------------------------------------------------------------------------
def zone_deleted(stack: Any) -> None:
    domain = with_domain(stack)
    r53, zone = stack.client("route53"), _role(stack, "hosted_zone")
    records = [r for r in r53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
               if r["Type"] not in ("SOA", "NS") or r["Name"].rstrip(".") != domain.split(".", 1)[1]]
    _change_records(stack, [{"Action": "DELETE", "ResourceRecordSet": r} for r in records])
    r53.delete_hosted_zone(Id=zone)


def alias_elsewhere(stack: Any) -> None:
    domain = with_domain(stack)
    rec = next(r for r in _records(stack, domain) if r["Type"] == "A")
    rec["AliasTarget"] = dict(rec["AliasTarget"], DNSName="d1other2dist3.cloudfront.net.")
    _change_records(stack, [{"Action": "UPSERT", "ResourceRecordSet": rec}])


def aaaa_deleted(stack: Any) -> None:
    domain = with_domain(stack)
    rec = next(r for r in _records(stack, domain) if r["Type"] == "AAAA")
    _change_records(stack, [{"Action": "DELETE", "ResourceRecordSet": rec}])


def _self_signed(name: str, days: int) -> tuple[bytes, bytes]:
    """A certificate for ``name`` (PEM) and its key, valid for ``days`` more days."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.now(timezone.utc)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .sign(key, hashes.SHA256()))
    return (cert.public_bytes(serialization.Encoding.PEM),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()))


def certificate_near_expiry(stack: Any) -> None:
    """Re-issue the stack's certificate body so that it expires in 10 days (same ARN)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import NameOID
    from moto.acm.models import acm_backends

    domain = with_domain(stack)
    arn = _role(stack, "certificate")
    bundle = acm_backends[arn.split(":")[4]][arn.split(":")[3]]._certificates[arn]
    key = bundle._key
    now = datetime.now(timezone.utc)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Amazon RSA 2048 M02")]))
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=355)).not_valid_after(now + timedelta(days=10))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(domain)]), critical=False)
        .sign(key, hashes.SHA256()))
    bundle._cert = cert
    bundle.cert = cert.public_bytes(serialization.Encoding.PEM)


def other_certificate(stack: Any) -> None:
    """An operator swaps in another (wildcard) certificate that also covers the domain."""
    domain = with_domain(stack)
    wildcard = "*." + domain.split(".", 1)[1]
    cert, key = _self_signed(wildcard, days=300)
    arn = stack.client("acm").import_certificate(Certificate=cert, PrivateKey=key)[
        "CertificateArn"]

    def change(cfg: dict) -> None:
        cfg["ViewerCertificate"]["ACMCertificateArn"] = arn
    update_distribution(stack, change)


ROUTE53_GAP = ("the change goes through change_resource_record_sets, but moto 5.2.5 keeps "
               "records created by CloudFormation without the trailing dot and outside its "
               "change journal (UPSERT adds a duplicate, DELETE is refused), so the stack's "
               "stale copy is then removed from moto's zone state")

FAULTS = [
    Fault(id="dns-hosted-zone-deleted", inject=zone_deleted,
          breaks=("dns.hosted_zone_exists", "dns.alias_records"),
          mentions=("hosted zone",), via="emulator-state", why=ROUTE53_GAP,
          also_breaks=("e2e.request_path",)),
    Fault(id="dns-alias-points-elsewhere", inject=alias_elsewhere, breaks=("dns.alias_records",),
          mentions=("d1other2dist3.cloudfront.net",), via="emulator-state", why=ROUTE53_GAP,
          also_breaks=("e2e.request_path",)),
    Fault(id="dns-aaaa-record-deleted", inject=aaaa_deleted, breaks=("dns.alias_records",),
          mentions=("AAAA",), via="emulator-state", why=ROUTE53_GAP),
    Fault(id="dns-certificate-near-expiry", inject=certificate_near_expiry,
          breaks=("dns.certificate_valid",), mentions=("expires in",), via="emulator-state",
          why="ACM cannot shorten a certificate's validity through its API and moto issues "
              "requested certificates for a year; the certificate body is re-issued in moto's "
              "ACM backend with NotAfter in 10 days (same ARN), as if renewal had failed"),
    Fault(id="dns-other-certificate-on-distribution", inject=other_certificate,
          breaks=("dns.certificate_on_distribution",), mentions=("serves certificate",)),
]
