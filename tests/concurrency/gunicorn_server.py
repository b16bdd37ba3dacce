"""A real multi-worker server for acceptance tests: `gunicorn -w 4` on the test database and a free port.

The test binds the listening socket itself (port 0, so the kernel picks a
free port) and hands it to gunicorn as `fd://N`: no port race, no fixed port.
Tokens are minted in the test with the same JWT secret; the server's log
(gunicorn's and the app's JSON access lines) goes to a file the test reads.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.conftest import TEST_JWT_SECRET, TEST_SECRET

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60


@dataclass
class Server:
    base: str
    process: subprocess.Popen
    log_path: Path
    log_offset: int = 0

    def workers(self) -> list[int]:
        """The pids of the master's current worker processes."""
        pid = self.process.pid
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except FileNotFoundError:
            return []
        return [int(c) for c in children]

    def mark_log(self) -> None:
        """Make log() start from here."""
        self.log_offset = self.log_path.stat().st_size

    def log(self) -> str:
        """The server's log since the last mark_log()."""
        with open(self.log_path, "rb") as fh:
            fh.seek(self.log_offset)
            return fh.read().decode(errors="replace")


def server_env(database_url: str, instance_path: str, **extra: str) -> dict[str, str]:
    """The environment of a server or CLI subprocess on the test database (the developer's ERP_* removed)."""
    env = {k: v for k, v in os.environ.items()
           if not (k.startswith("ERP_") and not k.startswith("ERP_TEST_")) and k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(DATABASE_URL=database_url, ERP_SECRET_KEY=TEST_SECRET, ERP_JWT_SECRET_KEY=TEST_JWT_SECRET,
               ERP_INSTANCE_PATH=instance_path, ERP_AUTO_MIGRATE="false", ERP_ARGON2_MEMORY_COST="8",
               ERP_ARGON2_TIME_COST="1", PYTHONPATH=str(ROOT), **extra)
    return env


@contextmanager
def gunicorn_server(database_url: str, instance_path: str, log_path: Path, workers: int = 4):
    """Run `gunicorn -w workers wsgi:app` (production config module) until the block ends; yield a Server."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(2048)
    listener.set_inheritable(True)
    port = listener.getsockname()[1]
    env = server_env(database_url, instance_path, ERP_WORKERS=str(workers), ERP_TIMEOUT="30",
                     ERP_GRACEFUL_TIMEOUT="5")
    log = open(log_path, "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:erp_admin.gunicorn_conf", "-w", str(workers),
         "-b", f"fd://{listener.fileno()}", "wsgi:app"],
        cwd=ROOT, env=env, pass_fds=(listener.fileno(),), stdout=log, stderr=subprocess.STDOUT,
    )
    server = Server(f"http://127.0.0.1:{port}", process, log_path)
    try:
        _wait_until_up(server, workers)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        log.close()
        listener.close()


def _wait_until_up(server: Server, workers: int) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.process.returncode}:\n{server.log()[-5000:]}")
        try:
            if requests.get(server.base + "/api/health", timeout=5).status_code == 200 and len(server.workers()) == workers:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not come up in {START_TIMEOUT} s:\n{server.log()[-5000:]}")
