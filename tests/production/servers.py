"""Helpers for production tests: a real `gunicorn -w N` on a free port, Redis for tests, HTTP calls.

gunicorn writes its own access log with each line's worker pid, so a test can
prove which workers answered without any debug endpoint in the app.
"""
from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import TEST_JWT_SECRET, TEST_SECRET

REPO = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("ERP_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
ACCESS_FORMAT = "%(p)s %(s)s %(m)s %(U)s"


def redis_available() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def delete_redis_prefix(prefix: str, url: str = REDIS_URL) -> None:
    """Delete this test's keys (never FLUSHDB: the Redis is shared)."""
    import redis

    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=prefix + "*"))
    if keys:
        client.delete(*keys)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def unique_prefix(name: str) -> str:
    return f"erp-test-{name}-{uuid.uuid4().hex[:12]}:"


class Gunicorn:
    """A running gunicorn; call() makes one request on a fresh connection (keep-alive off)."""

    def __init__(self, port: int, access_log: Path, process: subprocess.Popen):
        self.port = port
        self.access_log = access_log
        self.process = process

    def call(self, method: str, path: str, body: dict | None = None, token: str | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Connection": "close"}
        data = None
        if body is not None:
            data = json.dumps(body)
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            raw = response.read()
            return response.status, dict(response.getheaders()), raw
        finally:
            conn.close()

    def worker_pids(self, method: str, path: str, status: int, *, count: int = 1) -> list[int]:
        """The pids of the workers that answered method path with status (from the access log).

        A worker logs just after it has sent the response: wait (up to 10 s) for count lines.
        """
        deadline = time.monotonic() + 10
        while True:
            pids = []
            for line in self.access_log.read_text().splitlines():
                parts = line.split()
                if len(parts) == 4 and parts[1] == str(status) and parts[2] == method and parts[3] == path:
                    pids.append(int(parts[0].strip("<>")))
            if len(pids) >= count or time.monotonic() > deadline:
                return pids
            time.sleep(0.05)


@contextmanager
def gunicorn(database_url: str, instance_path: str, tmp_path: Path, *, workers: int = 4, redis_url: str | None = None,
             redis_prefix: str | None = None, extra_env: dict | None = None):
    """Run `gunicorn -w workers -c python:erp_admin.gunicorn_conf wsgi:app` until the block ends."""
    port = free_port()
    access_log = tmp_path / f"access-{port}.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ERP_") and k not in ("DATABASE_URL", "REDIS_URL")}
    env.update({
        "DATABASE_URL": database_url,
        "ERP_INSTANCE_PATH": instance_path,
        "ERP_SECRET_KEY": TEST_SECRET,
        "ERP_JWT_SECRET_KEY": TEST_JWT_SECRET,
        "ERP_AUTO_MIGRATE": "false",
        "ERP_ARGON2_TIME_COST": "1",
        "ERP_ARGON2_MEMORY_COST": "8",
        "ERP_BIND": f"127.0.0.1:{port}",
        "ERP_WORKERS": str(workers),
        "ERP_ACCESS_LOG": "false",  # the app's own JSON lines: not needed here
    })
    if redis_url:
        env["REDIS_URL"] = redis_url
        env["ERP_REDIS_KEY_PREFIX"] = redis_prefix or unique_prefix("gunicorn")
    env.update(extra_env or {})
    stderr = tmp_path / f"gunicorn-{port}.err"
    with open(stderr, "wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "python:erp_admin.gunicorn_conf",
             "--no-control-socket", "--access-logfile", str(access_log), "--access-logformat", ACCESS_FORMAT, "wsgi:app"],
            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=err,
            start_new_session=True,  # its own process group: stopped as a whole below
        )
    server = Gunicorn(port, access_log, process)
    try:
        _wait_until_up(server, stderr)
        yield server
    finally:
        process.send_signal(signal.SIGINT)  # quick shutdown: nothing is in flight
        try:
            process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            # The workers are gone by now; gunicorn's master lingers a few seconds more.
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait_until_up(server: Gunicorn, stderr: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {stderr.read_text()[-3000:]}")
        try:
            status, _, _ = server.call("GET", "/api/health")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer in 30 s: {stderr.read_text()[-3000:]}")


PG_ADMIN_URL = os.environ.get("ERP_TEST_PG_ADMIN_URL")
# Private databases are named <prefix><random>; a developer sharing a server may pick the prefix.
PG_PRIVATE_PREFIX = os.environ.get("ERP_TEST_PG_PRIVATE_PREFIX", "erp_test_private_")


@contextmanager
def private_postgres_database():
    """Create a migrated PostgreSQL database of this test's own; yield its URL; drop it afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = PG_PRIVATE_PREFIX + uuid.uuid4().hex[:10]
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(PG_ADMIN_URL).set(database=name)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def migrate(url: str, instance_path: str) -> None:
    from erp_admin import create_app
    from erp_admin.db.engine import upgrade_database
    from erp_admin.extensions import db
    from tests.conftest import test_config

    app = create_app(test_config(url, instance_path))
    upgrade_database(app)
    with app.app_context():
        db.engine.dispose()
