"""DNS probes: the Route 53 hosted zone, the alias records that send the domain to this
distribution, and the ACM certificate CloudFront serves for it (in us-east-1).

They apply only when the environment has a domain (``expectations.dns.domain`` or the
stack's ``DomainName`` parameter); otherwise every probe is skipped, saying how to set one.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from probes import graph, reads
from probes.expectations import Strict, layer_expectations
from probes.inventory import Inventory
from probes.registry import probe
from probes.result import Finding, Missing, absent, failed, passed, skipped

NO_DOMAIN = "no domain configured: set live.domain / the DomainName parameter"
# Every CloudFront distribution's alias target lives in this fixed hosted zone.
CLOUDFRONT_ZONE_ID = "Z2FDTNDATAQYW2"


@layer_expectations("dns")
class DnsExpect(Strict):
    # The domain CloudFront serves; empty means the stack's DomainName parameter.
    domain: str | None = None
    # A certificate expiring sooner than this fails (ACM renews ~60 days ahead; 30 is late).
    certificate_min_days: int = 30


def norm(name: str | None) -> str:
    """A DNS name compared the way DNS does: case-insensitive, without the root dot."""
    return (name or "").strip().rstrip(".").lower()


def configured_domain(inv: Inventory, exp: Any) -> str | None:
    """The domain this environment serves, or None when it has none."""
    domain = getattr(getattr(exp, "dns", None), "domain", None) \
        or reads.stack_parameter(inv, "DomainName")
    return norm(domain) or None


def _need_domain(inv: Inventory, exp: Any, what: str) -> str:
    """The configured domain; :class:`Missing` (``what`` skipped) when there is none."""
    domain = configured_domain(inv, exp)
    if not domain:
        raise Missing(skipped(what, NO_DOMAIN))
    return domain


def covers(name: str, cert_names: list[str]) -> bool:
    """Whether a certificate for ``cert_names`` is valid for ``name`` (a wildcard matches
    exactly one leftmost label, as TLS does)."""
    name = norm(name)
    for cn in (norm(c) for c in cert_names):
        if cn == name:
            return True
        if cn.startswith("*.") and "." in name and name.split(".", 1)[1] == cn[2:]:
            return True
    return False


def certificate_names(cert: dict) -> list[str]:
    return sorted({cert.get("DomainName", "")} | set(cert.get("SubjectAlternativeNames") or [])
                  - {""})


def _zone_id(inv: Inventory) -> str | None:
    zid = graph.role(inv, "hosted_zone") or reads.stack_parameter(inv, "HostedZoneId")
    return zid.split("/")[-1] if zid else None


def _distribution_cert_arn(dist: dict | None) -> str:
    vc = ((dist or {}).get("DistributionConfig") or {}).get("ViewerCertificate") or {}
    return vc.get("ACMCertificateArn") or ""


def _stack_cert_arn(inv: Inventory) -> str | None:
    return graph.role(inv, "certificate") or None


# ---- hosted zone and records ------------------------------------------------------------
@probe(layer="dns", component="hosted-zone", title="The domain's hosted zone exists",
       severity="blocker", gate=True,
       remediation="Create the public hosted zone for the domain (or fix HostedZoneId) and "
                   "delegate the domain to its name servers at the registrar")
def hosted_zone_exists(inv: Inventory, exp: Any) -> Finding:
    domain = _need_domain(inv, exp, "hosted zone")
    zid = _zone_id(inv) or graph.need(inv, "hosted_zone")
    resp = inv.call("route53", "get_hosted_zone", missing_ok=True, Id=zid)
    if not resp:
        return absent(f"hosted zone {zid}", f"the hosted zone that holds {domain} to exist")
    zone = resp["HostedZone"]
    zname = norm(zone.get("Name"))
    ev = {"zone_id": zid, "zone_name": zname, "private": zone.get("Config", {}).get("PrivateZone"),
          "name_servers": (resp.get("DelegationSet") or {}).get("NameServers", [])}
    if not (domain == zname or domain.endswith("." + zname)):
        return failed(f"hosted zone {zid}", f"is for {zname}, which does not hold {domain}",
                      f"a zone whose name is {domain} or one of its parents",
                      "Point HostedZoneId at the zone of the domain", **ev)
    if zone.get("Config", {}).get("PrivateZone"):
        return failed(f"hosted zone {zid} ({zname})", "is a private zone",
                      "a public hosted zone, so that viewers on the internet resolve the domain",
                      "Use the public hosted zone of the domain", **ev)
    return passed(f"hosted zone {zid} ({zname})", f"exists and holds {domain}", **ev)


def _records(inv: Inventory, zid: str, domain: str) -> list[dict]:
    """The domain's own record sets: records sort by name then type, so A and AAAA come first."""
    resp = inv.call("route53", "list_resource_record_sets", missing_ok=True, HostedZoneId=zid,
                    StartRecordName=domain, StartRecordType="A", MaxItems="10")
    return [r for r in (resp or {}).get("ResourceRecordSets", []) if norm(r.get("Name")) == domain]


@probe(layer="dns", component="records",
       title="A and AAAA alias records send the domain to this distribution",
       severity="blocker", gate=True,
       remediation="UPSERT A and AAAA alias records for the domain with AliasTarget DNSName = "
                   "the distribution's domain name and HostedZoneId Z2FDTNDATAQYW2")
def alias_records(inv: Inventory, exp: Any) -> list[Finding]:
    domain = _need_domain(inv, exp, "alias records")
    # Nothing in or referenced by the stack to judge: Absent (skipped unless dns is required).
    zid = _zone_id(inv) or graph.need(inv, "hosted_zone")
    dist = reads.distribution(inv)
    if not dist:
        graph.need(inv, "distribution")
        return [absent("CloudFront distribution", "the distribution the aliases point at")]
    if not inv.call("route53", "get_hosted_zone", missing_ok=True, Id=zid):
        return [absent(f"hosted zone {zid}", f"the hosted zone that holds the {domain} records")]
    target = norm(dist.get("DomainName"))
    records = _records(inv, zid, domain)
    out = []
    for rtype in ("A", "AAAA"):
        rec = next((r for r in records if r.get("Type") == rtype and not r.get("SetIdentifier")),
                   None) or next((r for r in records if r.get("Type") == rtype), None)
        name = f"{rtype} record {domain} in zone {zid}"
        fix = (f"UPSERT an {rtype} alias record {domain} -> {target} (AliasTarget HostedZoneId "
               f"{CLOUDFRONT_ZONE_ID}) with aws route53 change-resource-record-sets")
        if not rec:
            out.append(absent(name, f"an alias to {target}", fix))
            continue
        alias = rec.get("AliasTarget")
        ev = {"record": rec, "distribution_domain": target}
        if not alias:
            values = [v.get("Value") for v in rec.get("ResourceRecords", [])]
            out.append(failed(name, f"is a plain record with values {values}",
                              f"an alias to {target}", fix, **ev))
        elif norm(alias.get("DNSName")) != target:
            out.append(failed(name, f"aliases {norm(alias.get('DNSName'))}",
                              f"an alias to this distribution, {target}", fix, **ev))
        elif alias.get("HostedZoneId") != CLOUDFRONT_ZONE_ID:
            out.append(failed(name, f"aliases {target} in hosted zone {alias.get('HostedZoneId')}",
                              f"alias HostedZoneId {CLOUDFRONT_ZONE_ID} (CloudFront's)", fix, **ev))
        else:
            out.append(passed(name, f"aliases {target}", **ev))
    return out


# ---- certificate ------------------------------------------------------------------------
@probe(layer="dns", component="certificate",
       title="The ACM certificate is issued in us-east-1, covers the domain and is not expiring",
       severity="blocker", gate=True,
       remediation="Request (or renew) an ACM certificate in us-east-1 for the domain, validate "
                   "it through DNS, and put it on the distribution")
def certificate_valid(inv: Inventory, exp: Any) -> Finding:
    domain = _need_domain(inv, exp, "certificate")
    arn = _stack_cert_arn(inv) or _distribution_cert_arn(reads.distribution(inv))
    if not arn:
        graph.need(inv, "certificate")
        return absent(f"ACM certificate for {domain}", "a certificate in the stack or on the "
                      "distribution")
    cert = reads.certificate(inv, arn)
    if not cert:
        return absent(f"ACM certificate {arn}", f"the certificate for {domain} to exist")
    name = f"ACM certificate {arn}"
    names = certificate_names(cert)
    region = arn.split(":")[3] if arn.count(":") >= 5 else "?"
    status = cert.get("Status")
    not_after = cert.get("NotAfter")
    days_left = None
    if isinstance(not_after, datetime):
        na = not_after if not_after.tzinfo else not_after.replace(tzinfo=timezone.utc)
        days_left = (na - datetime.now(timezone.utc)).total_seconds() / 86400
    ev = {"status": status, "names": names, "region": region, "not_after": str(not_after),
          "days_left": None if days_left is None else round(days_left, 1),
          "type": cert.get("Type"), "renewal_eligibility": cert.get("RenewalEligibility"),
          "in_use_by": cert.get("InUseBy", [])}
    min_days = exp.dns.certificate_min_days
    problems = []
    if status != "ISSUED":
        reason = cert.get("FailureReason")
        problems.append(f"is {status}" + (f" ({reason})" if reason else ""))
    if region != reads.CLOUDFRONT_REGION:
        problems.append(f"is in {region} (CloudFront only uses certificates in us-east-1)")
    if not covers(domain, names):
        problems.append(f"covers {', '.join(names) or 'no names'}, not {domain}")
    if days_left is not None and days_left < min_days:
        problems.append(f"expires in {days_left:.0f} day(s) ({not_after:%Y-%m-%d})")
    if problems:
        fix = ("Renew or re-issue it: for an Amazon-issued certificate keep the DNS validation "
               "CNAME in the zone so ACM renews it; an imported one must be re-imported"
               if days_left is not None and days_left < min_days else "")
        return failed(name, "; ".join(problems),
                      f"ISSUED, in us-east-1, covering {domain}, valid for at least "
                      f"{min_days} more days", fix, **ev)
    return passed(name, f"is ISSUED in us-east-1, covers {domain}"
                  + (f" and is valid for {days_left:.0f} more days" if days_left is not None
                     else ""), **ev)


@probe(layer="dns", component="certificate",
       title="The distribution serves the stack's certificate", severity="critical", gate=True,
       remediation="Set the distribution's ViewerCertificate.ACMCertificateArn to the stack's "
                   "certificate (redeploy the stack to undo a manual change)")
def certificate_on_distribution(inv: Inventory, exp: Any) -> Finding:
    domain = _need_domain(inv, exp, "certificate on the distribution")
    dist = reads.distribution(inv)
    if not dist:
        graph.need(inv, "distribution")
        return absent("CloudFront distribution", "the distribution serving the domain")
    on_dist = _distribution_cert_arn(dist)
    expected = _stack_cert_arn(inv)
    name = f"distribution {dist['Id']}"
    vc = dist["DistributionConfig"].get("ViewerCertificate") or {}
    ev = {"viewer_certificate": vc, "stack_certificate": expected}
    if not on_dist:
        return failed(name, "serves "
                      + ("the default *.cloudfront.net certificate" if vc.get(
                          "CloudFrontDefaultCertificate") else f"certificate {vc.get('IAMCertificateId') or vc.get('Certificate') or 'none'}"),
                      f"the ACM certificate {expected or 'for ' + domain}", **ev)
    if expected and on_dist != expected:
        return failed(name, f"serves certificate {on_dist}",
                      f"the stack's certificate {expected}", **ev)
    return passed(name, f"serves certificate {on_dist}", **ev)
