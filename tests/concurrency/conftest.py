"""Fixtures for the multi-worker acceptance tests: a gunicorn server and bearer tokens for it."""
from __future__ import annotations

import threading
import time

import pytest
import requests

from tests.concurrency.gunicorn_server import gunicorn_server
from tests.conftest import TokenFactory


@pytest.fixture(scope="module")
def gunicorn(database_url, instance_path, tmp_path_factory):
    """`gunicorn -w 4` on the test database, one per test module (starting it costs seconds)."""
    log_path = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    with gunicorn_server(database_url, instance_path, log_path) as running:
        yield running


@pytest.fixture
def server(app, gunicorn):
    """The module's server, its log read from this test's start (the app fixture empties the database after)."""
    gunicorn.mark_log()
    return gunicorn


@pytest.fixture
def bearer(app, make_user):
    """bearer("manager") -> Authorization headers of a fresh user of that role, valid on the server."""

    def headers(role: str = "user", username: str | None = None) -> dict[str, str]:
        return TokenFactory(app, make_user)(role, username or f"{role}_http")

    return headers


def fire(requests_to_send, threads: int, timeout: float = 60):
    """Send (method, url, kwargs) requests from `threads` threads released together; return [(status, body)].

    Each thread has its own HTTP session. A transport error is recorded as status None.
    """
    results: list = [None] * len(requests_to_send)
    barrier = threading.Barrier(threads)
    cursor = iter(range(len(requests_to_send)))
    lock = threading.Lock()

    def worker():
        session = requests.Session()
        barrier.wait()
        while True:
            with lock:
                index = next(cursor, None)
            if index is None:
                return
            method, url, kwargs = requests_to_send[index]
            try:
                response = session.request(method, url, timeout=timeout, **kwargs)
                results[index] = (response.status_code, response.text)
            except requests.RequestException as exc:
                results[index] = (None, repr(exc))

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    started = time.monotonic()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    fire.last_duration = time.monotonic() - started
    return results
