"""The reference backend against a real PostgreSQL: health, items, outage, rotation, and
that no credential ever reaches a response body or a log line."""
from __future__ import annotations

import json
import logging
import secrets
import urllib.error
import urllib.request

import pytest

# One worker owns the throwaway cluster under `-n N --dist loadgroup`.
pytestmark = pytest.mark.xdist_group("backend-postgres")


def get(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


@pytest.fixture
def logs(caplog, capfd):
    """Everything the process logged or printed during the test, as one string."""
    caplog.set_level(logging.INFO)  # the level the service runs at (basicConfig INFO)

    def read():
        out, err = capfd.readouterr()
        return caplog.text + out + err
    return read


@pytest.mark.parametrize("path", ["/health", "/api/health"])
def test_health_reports_reachable_database(serve, path):
    status, body = get(serve() + path)
    assert status == 200
    assert json.loads(body) == {"status": "ok", "database": "reachable"}


def test_items_returns_the_seeded_row(serve):
    status, body = get(serve() + "/api/items")
    assert status == 200
    items = json.loads(body)
    assert isinstance(items, list) and items
    assert items[0]["name"] == "seed item"
    assert set(items[0]) == {"id", "name", "created_at"}


def test_unknown_path_is_404(serve):
    status, body = get(serve() + "/nope")
    assert status == 404 and json.loads(body) == {"error": "not found"}


def test_database_down_is_503_and_leaks_no_password(serve, postgres, logs):
    url = serve()
    assert get(url + "/health")[0] == 200  # credentials now cached in the backend
    postgres.cluster.stop()
    try:
        for path in ("/health", "/api/health", "/api/items"):
            status, body = get(url + path)
            assert status == 503, path
            assert json.loads(body) == {"status": "degraded", "database": "unreachable",
                                        "error": "OperationalError"}
            assert postgres.password not in body
    finally:
        postgres.cluster.start()
    captured = logs()
    assert "database unreachable: OperationalError" in captured
    assert postgres.password not in captured
    assert get(url + "/health")[0] == 200  # recovers without a restart


def test_wrong_secret_is_503_and_leaks_no_password(serve, fake_aws, db_secret, postgres, logs):
    wrong = "wrong-" + secrets.token_hex(8)
    fake_aws.put_secret_value(SecretId=db_secret, SecretString=json.dumps(
        {"username": postgres.user, "password": wrong}))
    status, body = get(serve() + "/health")
    assert status == 503 and json.loads(body)["database"] == "unreachable"
    captured = logs()
    for value in (wrong, postgres.password):
        assert value not in body and value not in captured


def test_rotated_password_is_refetched_from_the_secret(serve, fake_aws, db_secret, postgres):
    url = serve()
    assert get(url + "/health")[0] == 200
    new = "rotated-" + secrets.token_hex(12)
    postgres.rotate(new)  # what RDS rotation does: database first, then the secret
    fake_aws.put_secret_value(SecretId=db_secret, SecretString=json.dumps(
        {"username": postgres.user, "password": new}))
    assert get(url + "/health")[0] == 200  # stale cached password -> one refetch, no 503


def test_authorization_header_is_not_logged(serve, logs):
    token = "Bearer eyJ" + secrets.token_hex(16)
    assert get(serve() + "/health", headers={"Authorization": token})[0] == 200
    captured = logs()
    assert "GET /health" in captured and token not in captured
