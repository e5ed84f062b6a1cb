"""Fixtures for the reference backend's tests: a real, throwaway PostgreSQL cluster per
session, a fake Secrets Manager (moto) holding an RDS-shaped secret, and the backend
served in a thread.

PostgreSQL binaries are found under /usr/lib/postgresql/*/bin (or on PATH); when missing,
.ci/postgres.sh installs them once, and if that fails the session fails loudly: a skipped
database test would hide exactly what these tests exist to show.
"""
from __future__ import annotations

import glob
import importlib.util
import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
from pathlib import Path

import boto3
import psycopg
import pytest
from psycopg import sql

ROOT = Path(__file__).resolve().parents[2]
BACKEND_DIR = ROOT / "fixtures" / "cloudformation" / "backend"
PG_TOOLS = ("initdb", "pg_ctl", "postgres")
DB_USER, DB_NAME = "app_admin", "app"
SECRET_NAME = "rds!db-stackprobe-test"  # RDS-managed secrets are named rds!db-<id>


def _bin_dirs():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                   key=lambda d: int(Path(d).parent.name) if Path(d).parent.name.isdigit() else 0,
                   reverse=True)
    on_path = shutil.which("pg_ctl")
    if on_path:
        found.append(str(Path(on_path).resolve().parent))
    return found


def find_pg_bin():
    for d in _bin_dirs():
        if all(os.access(os.path.join(d, tool), os.X_OK) for tool in PG_TOOLS):
            return d
    return None


def ensure_pg_bin():
    bindir = find_pg_bin()
    if bindir:
        return bindir
    done = subprocess.run(["bash", str(ROOT / ".ci" / "postgres.sh")],
                          capture_output=True, text=True)
    bindir = find_pg_bin()
    if not bindir:
        pytest.fail("PostgreSQL server binaries not found and .ci/postgres.sh could not install "
                    f"them (exit {done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}",
                    pytrace=False)
    return bindir


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgCluster:
    """A private PostgreSQL cluster in a temp dir. initdb refuses to run as root, so as
    root every server command runs as the `postgres` OS user."""

    def __init__(self, bindir):
        self.bindir = bindir
        self.port = free_port()
        self.base = Path(tempfile.mkdtemp(prefix="stackprobe-pg-"))
        self.data, self.log = self.base / "data", self.base / "server.log"
        self.run_as = None
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                pytest.fail("running as root needs a 'postgres' OS user to run initdb",
                            pytrace=False)
            self.run_as = "postgres"
            os.chown(self.base, owner.pw_uid, owner.pw_gid)

    def _run(self, tool, *args):
        cmd = [os.path.join(self.bindir, tool), *map(str, args)]
        if self.run_as:
            cmd = ["runuser", "-u", self.run_as, "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            log = self.log.read_text()[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stderr[-2000:]}\n{log}")
        return done

    def init(self):
        # Host connections need a password (like RDS); the socket is trusted for setup only.
        self._run("initdb", "-D", self.data, "-U", "postgres", "--auth-local=trust",
                  "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync",
                  "--no-instructions")

    def start(self):
        opts = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.base} -c fsync=off"
                " -c synchronous_commit=off -c full_page_writes=off")
        self._run("pg_ctl", "-D", self.data, "-l", self.log, "-o", opts, "-w", "-t", "30", "start")

    def stop(self, mode="fast"):
        self._run("pg_ctl", "-D", self.data, "-m", mode, "-w", "stop")

    def admin(self):
        return psycopg.connect(host=str(self.base), port=self.port, user="postgres",
                               dbname="postgres", autocommit=True)

    def set_password(self, password):
        with self.admin() as conn:
            conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                sql.Identifier(DB_USER), sql.Literal(password)))

    def destroy(self):
        try:
            self.stop("immediate")
        except (RuntimeError, subprocess.TimeoutExpired):  # pg_ctl: the server was not running
            pass
        shutil.rmtree(self.base, ignore_errors=True)


class Database:
    """Where the backend's database is, and the password a rotation would have set."""

    def __init__(self, cluster, password):
        self.cluster, self.password = cluster, password
        self.host, self.port, self.name, self.user = "127.0.0.1", cluster.port, DB_NAME, DB_USER

    def rotate(self, password):
        self.cluster.set_password(password)
        self.password = password


@pytest.fixture(scope="session")
def postgres():
    cluster = PgCluster(ensure_pg_bin())
    try:
        cluster.init()
        cluster.start()
        password = "pw-" + secrets.token_hex(16)
        with cluster.admin() as conn:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(DB_USER), sql.Literal(password)))
            conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(DB_NAME), sql.Identifier(DB_USER)))
        yield Database(cluster, password)
    finally:
        cluster.destroy()


@pytest.fixture(scope="session")
def backend_module():
    """backend/app.py loaded from its file: it is shipped code, not an importable package."""
    spec = importlib.util.spec_from_file_location("stackprobe_reference_backend",
                                                  BACKEND_DIR / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def fake_aws(emulator):
    """Secrets Manager on the session's emulator, reached the way the app reaches AWS (the
    standard chain; AWS_ENDPOINT_URL points it here). Not moto's in-process mock_aws: its
    start and stop reset the backends every other test in this process shares."""
    with pytest.MonkeyPatch.context() as mp:
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
            mp.delenv(name, raising=False)
        mp.setenv("AWS_ENDPOINT_URL", emulator.endpoint)
        mp.setenv("AWS_ACCESS_KEY_ID", "testing")
        mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        mp.setenv("AWS_DEFAULT_REGION", "us-east-1")
        client = boto3.client("secretsmanager", region_name="us-east-1")
        try:
            client.create_secret(Name=SECRET_NAME, SecretString="{}")
        except client.exceptions.ResourceExistsException:
            pass
        yield client


@pytest.fixture
def db_secret(fake_aws, postgres):
    """The RDS-managed-style master secret, reset to the current password; returns its ARN."""
    value = json.dumps({"username": postgres.user, "password": postgres.password})
    return fake_aws.put_secret_value(SecretId=SECRET_NAME, SecretString=value)["ARN"]


@pytest.fixture
def serve(backend_module, postgres, db_secret):
    """Start the backend (configured from env, exactly as on EC2); returns its base URL."""
    servers = []

    def start(**overrides):
        env = {"DB_HOST": postgres.host, "DB_PORT": str(postgres.port), "DB_NAME": postgres.name,
               "DB_SECRET_ARN": db_secret, "AWS_DEFAULT_REGION": "us-east-1",
               "DB_SSLMODE": "disable", "DB_CONNECT_TIMEOUT": "2", **overrides}
        backend = backend_module.Backend.from_env(env)
        server = backend_module.make_server(backend, host="127.0.0.1", port=0)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
