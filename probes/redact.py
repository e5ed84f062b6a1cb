"""Redaction: nothing secret leaves a probe, a log line or a report.

Three nets, applied to strings and (recursively) to dicts/lists:
- values registered at run time (:func:`register_secret`): DB passwords read for a
  check, test-user passwords, tokens the suite obtained;
- values under keys that name a secret (password, secret string, token, authorization);
- shapes that are secret wherever they appear: JWTs, ``Bearer`` credentials,
  AWS secret access keys in ``key=value`` form.
"""
from __future__ import annotations

import re
import threading
from typing import Any

MASK = "***REDACTED***"

_SECRET_KEYS = re.compile(
    r"(pass(word)?|secret(string|value|_?access_?key)?|token|authorization|"
    r"session_?token|private_?key|credentials?)$",
    re.IGNORECASE,
)
# Keys that look secret by name but only carry identifiers.
_SAFE_KEYS = re.compile(r"(secret_?arn|secretarn|secret_?id|secretid|token_?use|"
                        r"tokenvalidityunits|.*tokenvalidity|.*_token_validity)$", re.IGNORECASE)
PATTERNS = [
    re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"),  # JWT
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"(?i)(aws_secret_access_key\s*[=:]\s*)\S+"),
    # (a flag such as ManageMasterUserPassword=true is not a password)
    re.compile(r"(?i)(\\?\"?password\\?\"?\s*[=:]\s*\\?\"?)(?!(?:true|false)\b)[^\s\\\",}]+"),
    # HTTP credentials: Authorization headers (SigV4 or otherwise) and session tokens.
    re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)[^'\"\r\n]+"),
    re.compile(r"(?i)(x-amz-security-token['\"]?\s*[:=]\s*['\"]?)[^'\"\s,}]+"),
    re.compile(r"(Signature=)[0-9a-f]{16,}"),
    re.compile(r"(?i)(X-Amz-Signature=)[0-9a-f]{16,}"),
]

# Each pattern above matches only text holding one of these (lower-cased): text without
# any of them is left to the registered values alone, without running the patterns.
TRIGGERS = ("eyj", "bearer", "aws_secret_access_key", "password", "authorization",
             "x-amz-security-token", "signature=")

_lock = threading.Lock()
_known: set[str] = set()
_longest_first: list[str] = []  # _known, longest first (a secret holding another is masked whole)


def register_secret(value: str | None) -> None:
    """Remember a secret value so it is masked wherever it later appears."""
    global _longest_first
    if value and len(value) >= 4:
        with _lock:
            if value not in _known:
                _known.add(value)
                _longest_first = sorted(_known, key=len, reverse=True)


def redact(value: Any) -> Any:
    if isinstance(value, str):
        return _redact_text(value)
    if isinstance(value, dict):
        return {
            k: (MASK if _is_secret_key(k) and v not in (None, "", [], {}) and not isinstance(v, bool)
                else redact(v))
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return type(value)(redact(v) for v in value)
    return value


def _is_secret_key(key: Any) -> bool:
    return isinstance(key, str) and bool(_SECRET_KEYS.search(key)) and not _SAFE_KEYS.match(key)


def _redact_text(text: str) -> str:
    for secret in _longest_first:
        if secret in text:
            text = text.replace(secret, MASK)
    low = text.lower()
    if not any(t in low for t in TRIGGERS):
        return text
    for pattern in PATTERNS:
        if pattern.groups:
            text = pattern.sub(lambda m: m.group(1) + MASK, text)
        else:
            text = pattern.sub(MASK, text)
    return text
