"""Test plugin (``-p tests.reliability.faults``): AWS answers badly, through botocore's
``before-send`` hook on every client an AwsSession makes (the request never leaves).

STACKPROBE_FAULT_RATE     share of calls answered with throttling (and, one in five of
                          those, a bare 503): e.g. 0.2
STACKPROBE_FAULT_SEED     RNG seed (default 7); each process adds its pid
STACKPROBE_FAULT_STS      answer every STS call with this auth error code
                          (ExpiredToken, InvalidClientTokenId)
STACKPROBE_FAULT_LOG      folder: each process writes <pid>.json {"calls": n, "injected": k}
"""
from __future__ import annotations

import atexit
import functools
import json
import os
import random
import threading
import weakref
from pathlib import Path

from botocore.awsrequest import AWSResponse

from probes import aws

RATE = float(os.environ.get("STACKPROBE_FAULT_RATE", "0") or 0)
STS_CODE = os.environ.get("STACKPROBE_FAULT_STS", "")
_rng = random.Random(int(os.environ.get("STACKPROBE_FAULT_SEED", "7")) + os.getpid())
_lock = threading.Lock()
_counts = {"calls": 0, "injected": 0, "by_kind": {}}
_hooked: "weakref.WeakSet" = weakref.WeakSet()


class _Raw:
    def __init__(self, body: bytes):
        self.body = body

    def stream(self, **_):
        yield self.body


def _xml_error(code: str, message: str) -> bytes:
    return (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>"
            f"<Message>{message}</Message></Error><RequestId>fault</RequestId>"
            "</ErrorResponse>").encode()


def _throttle(service: str, protocol: str) -> tuple[int, dict, bytes, str]:
    """A throttling answer in the service's own protocol, as AWS sends it."""
    if protocol == "query":
        return 400, {}, _xml_error("Throttling", "Rate exceeded"), "Throttling"
    if protocol == "ec2":
        body = (b"<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request "
                b"limit exceeded.</Message></Error></Errors><RequestID>f</RequestID></Response>")
        return 503, {}, body, "RequestLimitExceeded"
    if protocol == "rest-xml" and service == "s3":
        return 503, {}, b"<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>", "SlowDown"
    if protocol == "rest-xml":
        return 400, {}, _xml_error("Throttling", "Rate exceeded"), "Throttling"
    if protocol == "json":
        return (400, {"content-type": "application/x-amz-json-1.1"},
                b'{"__type":"ThrottlingException","message":"Rate exceeded"}', "ThrottlingException")
    if protocol == "rest-json":
        return (429, {"x-amzn-ErrorType": "TooManyRequestsException",
                      "content-type": "application/json"},
                b'{"message":"Too Many Requests"}', "TooManyRequestsException")
    return 503, {}, b"", "503"


def _inject(service: str, protocol: str, request, **_):
    with _lock:
        _counts["calls"] += 1
        if service == "sts" and STS_CODE:
            kind, status, headers = STS_CODE, 403, {}
            body = _xml_error(STS_CODE, "The security token included in the request is expired"
                              if "Expired" in STS_CODE else
                              "The security token included in the request is invalid.")
        elif RATE and _rng.random() < RATE:
            if _rng.random() < 0.2:
                status, headers, body, kind = 503, {}, b"", "503"
            else:
                status, headers, body, kind = _throttle(service, protocol)
        else:
            return None
        _counts["injected"] += 1
        _counts["by_kind"][kind] = _counts["by_kind"].get(kind, 0) + 1
    return AWSResponse(request.url, status, headers, _Raw(body))


_real_client = aws.AwsSession.client


def _client(self, service, region=None):
    c = _real_client(self, service, region)
    with _lock:
        if c not in _hooked:
            _hooked.add(c)
            c.meta.events.register(
                "before-send.*.*",
                functools.partial(_inject, service, c.meta.service_model.protocol))
    return c


aws.AwsSession.client = _client


@atexit.register
def _write_counts():
    folder = os.environ.get("STACKPROBE_FAULT_LOG")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / f"{os.getpid()}.json").write_text(json.dumps(_counts))
