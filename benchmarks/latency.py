"""Pytest plugin (``-p benchmarks.latency``): every AWS request waits
``STACKPROBE_BENCH_LATENCY_MS`` (default 100) before it is sent, modelling a real round trip
to AWS, which the emulator on 127.0.0.1 does not have.

It wraps :meth:`probes.aws.AwsSession.client`, the one client factory, so every client of
every process (controller and xdist workers, which load ``-p`` plugins too) gets a botocore
``before-send`` handler that sleeps; retries sleep again, as real round trips would.
"""
from __future__ import annotations

import os
import time
from typing import Any

from probes import aws

DELAY = float(os.environ.get("STACKPROBE_BENCH_LATENCY_MS", "100")) / 1000.0
SENT: list[str] = []


def _sleep(event_name: str = "", **_: Any) -> None:
    SENT.append(event_name)
    time.sleep(DELAY)


def _install() -> None:
    original = aws.AwsSession.client
    if getattr(original, "_bench_latency", False):
        return

    def client(self: aws.AwsSession, service: str, region: str | None = None) -> Any:
        c = original(self, service, region)
        if not getattr(c, "_bench_latency", False):
            c.meta.events.register("before-send.*.*", _sleep)
            c._bench_latency = True
        return c

    client._bench_latency = True  # type: ignore[attr-defined]
    aws.AwsSession.client = client  # type: ignore[method-assign]


_install()
