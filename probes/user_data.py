"""No secret-looking value written into any launch template's user data: keys, tokens,
private keys, literal secret assignments.

User data is readable by anyone who may describe the launch template or query the instance
metadata, and it is kept in every template version. Code that *reads* a secret at run time
(``get_secret_value``, ``secret["password"]``, ``$(aws secretsmanager ...)``, an ARN in an
environment variable) is the right way and is never flagged: only literal values are.
Passwords in particular are judged by ``database.no_password_in_plaintext``.
"""
from __future__ import annotations

import re
from typing import Any

from probes import reads
from probes.inventory import Inventory
from probes.nodes import label, nodes, role
from probes.registry import probe
from probes.result import Finding, failed, passed, skipped

_NAME = r"[A-Za-z0-9_]*(?i:secret|token|api_?key|access_?key|private_?key|client_?secret)[A-Za-z0-9_]*"
# Names that hold a reference to a secret, not the secret.
_REFERENCE = re.compile(r"(?i)(_arn|_id|_name|_file|_path|_url|_region|_env|_var)$")
# (label, pattern); each finds a literal value and never captures it into a message.
SECRET_SHAPES = (
    ("AWS access key id", re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("AWS secret access key",
     re.compile(r"(?i)aws_secret_access_key\s*[=:]\s*['\"]?(?![$'\"\s])[A-Za-z0-9/+=]{40}")),
    ("private key block", re.compile(r"-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY-----")),
    ("GitHub token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b")),
    ("Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    # SHELL_SECRET=literal / export API_TOKEN=literal / Environment=CLIENT_SECRET=literal
    ("secret environment literal",
     re.compile(rf"^\s*(export\s+|Environment=)?(?P<name>{_NAME})=(?![$`'\"\s]|arn:)(?P<value>\S{{8,}})")),
    # api_key = "literal" / "token": "literal" (quoted, so code reading a value never matches)
    ("quoted secret literal",
     re.compile(rf"(?P<name>{_NAME})['\"]?\s*[=:]\s*(?P<q>['\"])(?![$\{{]|arn:)(?P<value>[^'\"\s]{{8,}})(?P=q)")),
)


def secret_shapes(text: str) -> list[str]:
    """What secret-looking literals ``text`` holds, with line numbers (never the values)."""
    hits = []
    for lineno, line in enumerate(text.splitlines(), 1):
        for what, pattern in SECRET_SHAPES:
            m = pattern.search(line)
            if not m:
                continue
            name = m.groupdict().get("name")
            if name and _REFERENCE.search(name):
                continue
            hits.append(f"{what}{f' {name}' if name else ''} (line {lineno})")
    return hits


def _version_data(inv: Inventory, node: dict) -> tuple[str, dict | None]:
    """(which version, its data): the version the ASG uses for the stack's launch template,
    the default version for any other."""
    if role(inv, node) == "launch_template":
        _, data = reads.launch_template_data(inv)
        return "version used by the ASG", data
    resp = inv.call("ec2", "describe_launch_template_versions", missing_ok=True,
                    LaunchTemplateId=node["id"], Versions=["$Default"])
    versions = (resp or {}).get("LaunchTemplateVersions") or []
    return "default version", (versions[0]["LaunchTemplateData"] if versions else None)


@probe(concern="security", layer="compute", component="launch-template",
       title="No launch template's user data holds a secret-looking value (keys, tokens, "
             "private keys)",
       severity="critical", gate=True,
       remediation="Move the value to Secrets Manager (or SSM SecureString), read it at boot "
                   "with the instance role, roll out a launch template version without it, "
                   "and rotate the exposed secret: every old version still holds it",
       see_also=("ec2_launch_template_no_secrets", "ec2_instance_secrets_user_data"))
def user_data_has_no_secrets(inv: Inventory, exp: Any) -> list[Finding]:
    templates = nodes(inv, "AWS::EC2::LaunchTemplate")
    if not templates:
        return [skipped("stack launch templates", "the stack has no launch template")]
    out = []
    for node, (which, data) in zip(templates, inv.parallel(lambda n: _version_data(inv, n),
                                                             templates), strict=True):
        name = f"{label(inv, node, 'launch template')} user data ({which})"
        hits = secret_shapes(reads.user_data_text(data))
        if hits:
            out.append(failed(name, f"holds {'; '.join(hits)}",
                              "no secret value in user data (read secrets at run time)",
                              findings=hits))
        else:
            out.append(passed(name, "holds no secret-looking value"))
    return out
