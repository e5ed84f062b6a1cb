"""Local HTTPS servers for the live-journey tests: a trusted test CA (trustme) and
pytest-httpserver, so each journey can be proven against a server that reproduces one
symptom, with no network and no real AWS."""
from __future__ import annotations

import ssl
from typing import Iterator

import pytest
import trustme
from pytest_httpserver import HTTPServer


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def ca_file(ca: trustme.CA) -> Iterator[str]:
    with ca.cert_pem.tempfile() as path:
        yield path


def serve(ca: trustme.CA, *names: str, **cert_args) -> HTTPServer:
    cert = ca.issue_cert(*(names or ("localhost", "127.0.0.1")), **cert_args)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(ctx)
    server = HTTPServer(host="localhost", port=0, ssl_context=ctx)
    server.start()
    return server


@pytest.fixture(scope="session")
def _https_server(ca: trustme.CA) -> Iterator[HTTPServer]:
    server = serve(ca)  # one server per session: stopping one costs 0.5 s
    yield server
    server.stop()


@pytest.fixture
def https(_https_server: HTTPServer) -> Iterator[HTTPServer]:
    yield _https_server
    _https_server.clear()
