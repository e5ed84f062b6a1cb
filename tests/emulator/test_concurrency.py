# ruff: noqa: F811  (pytest fixtures imported from _support, so the tests also run with --noconftest)
"""Probes read side by side: one client serves the probe pool's threads without urllib3
discarding connections (each discarded one is a new TLS handshake against AWS)."""
from __future__ import annotations

import logging
import threading

from probes.aws import AwsSession
from tests.emulator._support import CREDS, REGION, emu  # noqa: F401


def test_one_client_serves_the_probe_pool_without_dropping_connections(emu, caplog):
    session = AwsSession(REGION, emu.endpoint, credentials=CREDS)
    ec2 = session.client("ec2")
    threads = 24
    together = threading.Barrier(threads, timeout=20)
    errors: list[BaseException] = []

    def read() -> None:
        try:
            together.wait()
            ec2.describe_vpcs()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    with caplog.at_level(logging.WARNING, logger="urllib3"):
        workers = [threading.Thread(target=read) for _ in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
    assert not errors, errors
    dropped = [r.getMessage() for r in caplog.records if "Connection pool is full" in r.getMessage()]
    assert not dropped, dropped
