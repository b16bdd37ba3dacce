"""Crash test: kill -9 gunicorn workers during a stream of adjustments with Idempotency-Keys.

Each client retries its request with the same key until it gets an answer,
as a real client does after a dropped connection. Whether the killed worker
had committed or not, the retry must find the truth: afterwards the database
is intact, the ledger has no drift, and every acknowledged key was applied
exactly once (none missing, none doubled).
"""
from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import threading
import time

import pytest
import requests
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from erp_admin.extensions import db
from erp_admin.models import IdempotencyRecord, Product, StockMovement

pytestmark = pytest.mark.slow  # gunicorn -w 4, workers killed under load

CLIENTS = 8
PER_CLIENT = 40
KILLS = 5
MAX_KILLS = 20
START = 5
GIVE_UP_AFTER = 60  # seconds one key may keep failing before the test fails


def send_until_answered(session, url, headers, body, key, answers, transport_errors, replayed):
    deadline = time.monotonic() + GIVE_UP_AFTER
    while True:
        try:
            response = session.post(url, json=body, headers={**headers, "Idempotency-Key": key}, timeout=30)
        except requests.RequestException:
            transport_errors.append(key)  # the worker died mid-request: same key again
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
            continue
        answers.setdefault(key, []).append((response.status_code, response.text))
        if response.headers.get("Idempotent-Replayed"):
            replayed.append(key)  # the killed worker had committed: the retry got its answer
        if response.status_code < 500 or time.monotonic() > deadline:
            return
        time.sleep(0.05)


def test_kill_9_workers_during_idempotent_adjustments(app, server, bearer, runner, database_url):
    with app.app_context():
        from tests.factories import create_product

        product = create_product(sku="CRASH-1", name="Crash dummy", quantity=START)
    headers = bearer("user")
    url = f"{server.base}/api/products/{product.id}/adjust-stock"
    rng = random.Random(99)
    plan: dict[str, int] = {}  # key -> delta, for every key a client sent
    answers: dict[str, list] = {}
    transport_errors: list[str] = []
    replayed: list[str] = []
    progress = threading.Semaphore(0)
    killing_done = threading.Event()

    def client(index):
        # The stream lasts until the killer is done: on a fast machine a fixed number of
        # requests could end before the first kill, and then no kill hits a request in flight.
        session = requests.Session()
        i = 0
        while i < PER_CLIENT or not killing_done.is_set():
            key = f"crash-{index}-{i}"
            plan[key] = 1 + (index + i) % 3
            send_until_answered(session, url, headers, {"delta": plan[key], "reason": "crash test"}, key, answers,
                                transport_errors, replayed)
            progress.release()
            i += 1

    killed = []

    def killer():
        try:
            for _ in range(CLIENTS * PER_CLIENT // 10):  # let the stream get going
                progress.acquire()
            # At least KILLS kills, and more (bounded) until one has hit a request in flight.
            while len(killed) < KILLS or (not transport_errors and len(killed) < MAX_KILLS):
                time.sleep(rng.uniform(0.2, 0.6))
                workers = server.workers()
                victim = rng.choice(workers)
                os.kill(victim, signal.SIGKILL)
                killed.append(victim)
                deadline = time.monotonic() + 30  # gunicorn respawns the worker
                while time.monotonic() < deadline:
                    current = server.workers()
                    if victim not in current and len(current) == 4:
                        break
                    time.sleep(0.05)
        finally:
            killing_done.set()

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(c,)) for c in range(CLIENTS)] + [threading.Thread(target=killer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    duration = time.monotonic() - started
    print(f"\n[timing] crash test on {database_url.split(':', 1)[0]}: {len(plan)} keyed adjustments, "
          f"{len(killed)} workers killed, {len(transport_errors)} dropped requests retried "
          f"({len(replayed)} answered by replay), {duration:.2f} s")

    assert KILLS <= len(killed) <= MAX_KILLS
    assert len(server.workers()) == 4 and requests.get(server.base + "/api/health", timeout=10).status_code == 200
    assert transport_errors, "no kill hit a request in flight: the test proved nothing"
    final = {key: replies[-1] for key, replies in answers.items()}
    assert set(final) == set(plan)
    assert all(status == 200 for status, _ in final.values()), [r for r in final.values() if r[0] != 200][:3]
    assert all(status < 500 for replies in answers.values() for status, _ in replies)

    with app.app_context():
        stored = db.session.get(Product, product.id)
        assert stored.quantity == START + sum(plan.values())  # no key missing, none doubled
        moves = db.session.scalars(select(StockMovement).where(StockMovement.product_id == product.id)
                                   .order_by(StockMovement.id)).all()
        assert len(moves) == 1 + len(plan)
        assert db.session.scalar(select(func.count()).select_from(IdempotencyRecord)) == len(plan)
        # Every acknowledged answer is the one movement its key made (a replay repeats it, never a new one).
        acknowledged = sorted(json.loads(body)["quantity"] for _, body in final.values())
        assert acknowledged == sorted(m.quantity_after for m in moves[1:])
        running = 0
        for move in moves:
            running += move.delta
            assert move.quantity_after == running

    verify = runner.invoke(args=["erp", "verify-stock"])
    assert verify.exit_code == 0, verify.output
    if database_url.startswith("sqlite"):
        with sqlite3.connect(make_url(database_url).database) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    log = server.log()
    assert "database is locked" not in log and "Traceback" not in log, log[-5000:]
