"""Concurrent writers benchmark: K processes each running M short write transactions through the app's services.

Usage (from the repository root):

    python tests/benchmarks/bench_writers.py [--writers 2,4,8] [--transactions 200] [--products 2000]
        [--kind adjust|update] [--database-url URL]

Each writer is a separate process with its own app and engine (as a gunicorn
worker or a CLI command is), started together; a transaction is one
`run_in_transaction` unit: `adjust_stock(random product, ±1)` (its UPDATE,
ledger row and audit entry) or a price update through `services.records`.
For every transaction it measures the whole unit (begin to commit, retries
included) and the lock wait: how long taking the connection's transaction
(on SQLite, BEGIN IMMEDIATE and the write lock) took. Prints p50/p99/max per
writer count and the share of the wall time spent waiting. No assertions:
figures for tests/benchmarks/RESULTS.md.

Without --database-url a fresh SQLite file is seeded in a temporary folder;
a PostgreSQL URL must name an empty (or already seeded) database, seeded with
`flask erp seed --products N` when it has no products.
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FLASK = str(Path(sys.executable).parent / "flask")


def load_average() -> str:
    return "load %s" % " ".join(Path("/proc/loadavg").read_text().split()[:3])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def writer(index: int, kind: str, transactions: int, think: float, barrier, results) -> None:
    """One writer process: build the app, wait for the others, run the transactions, report timings."""
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import func, select

    from erp_admin import create_app
    from erp_admin.audit.context import Actor, set_actor
    from erp_admin.extensions import db
    from erp_admin.inventory.stock import adjust_stock
    from erp_admin.models import Product
    from erp_admin.errors import ServiceUnavailable
    from erp_admin.services.transactions import run_in_transaction

    app = create_app()
    rng = random.Random(index)
    timings, waits, failures = [], [], 0
    with app.app_context():
        set_actor(Actor(channel="cli"))
        max_id = db.session.scalar(select(func.max(Product.id)))
        db.session.rollback()
        if kind == "update":
            from erp_admin.services.records import update_record  # noqa: F401  (checked before the start)
        barrier.wait()
        for _ in range(transactions):
            busy_until = time.perf_counter() + think
            while time.perf_counter() < busy_until:  # a request's work outside the transaction (CPU)
                pass
            product_id = rng.randint(1, max_id)
            waited = 0.0

            def work():
                nonlocal waited
                began = time.perf_counter()
                db.session.connection()  # begins the transaction: BEGIN IMMEDIATE on SQLite
                waited += time.perf_counter() - began
                if kind == "adjust":
                    adjust_stock(product_id, rng.choice((1, -1)) if rng.random() < 0.5 else 1, "bench")
                else:
                    product = db.session.get(Product, product_id)
                    product.price = rng.randint(100, 99999) / 100

            started = time.perf_counter()
            try:
                run_in_transaction(work)
            except ServiceUnavailable:
                failures += 1
            except Exception:  # noqa: BLE001  (e.g. a 409 when stock would go below zero: still a transaction)
                db.session.rollback()
            timings.append(time.perf_counter() - started)
            waits.append(waited)
    results.put((timings, waits, failures))


def run(writers: int, kind: str, transactions: int, think: float) -> None:
    ctx = mp.get_context("spawn")  # a fresh interpreter per writer: no engine or connection is shared
    barrier, results = ctx.Barrier(writers + 1), ctx.Queue()
    procs = [ctx.Process(target=writer, args=(i, kind, transactions, think, barrier, results)) for i in range(writers)]
    for proc in procs:
        proc.start()
    barrier.wait(timeout=120)
    started = time.perf_counter()
    collected = [results.get(timeout=600) for _ in procs]
    wall = time.perf_counter() - started
    for proc in procs:
        proc.join()
    timings = [t * 1000 for c in collected for t in c[0]]
    waits = [w * 1000 for c in collected for w in c[1]]
    failures = sum(c[2] for c in collected)
    waiting_share = sum(waits) / (writers * wall * 1000)
    print(f"{writers:>7}{len(timings) / wall:>8.0f}"
          f"{statistics.median(timings):>8.1f}{percentile(timings, 0.99):>8.1f}{max(timings):>8.1f}"
          f"{statistics.median(waits):>8.1f}{percentile(waits, 0.99):>8.1f}{max(waits):>8.1f}"
          f"{waiting_share:>8.0%}{failures:>6}   {load_average()}", flush=True)


def seed(env: dict, products: int, url: str | None) -> None:
    """Create the schema and seed products unless the database already has some."""
    subprocess.run([FLASK, "--app", "wsgi", "erp", "init-db"], cwd=ROOT, env=env, check=True, capture_output=True)
    if url:
        from sqlalchemy import create_engine, text

        engine = create_engine(env["DATABASE_URL"])
        with engine.connect() as conn:
            count = conn.execute(text("SELECT count(*) FROM products")).scalar()
        engine.dispose()
        if count:
            print(f"using {url.split('@')[-1]}: {count} products")
            return
    started = time.perf_counter()
    subprocess.run([FLASK, "--app", "wsgi", "erp", "seed", "--products", str(products)],
                   cwd=ROOT, env=env, check=True, capture_output=True)
    print(f"seeded {products} products in {time.perf_counter() - started:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", default="2,4,8", help="comma-separated writer process counts")
    parser.add_argument("--transactions", type=int, default=200, help="transactions per writer")
    parser.add_argument("--products", type=int, default=2000)
    parser.add_argument("--kind", choices=("adjust", "update"), default="adjust",
                        help="adjust: adjust_stock ±1 (ledger + audit); update: a price change through the ORM")
    parser.add_argument("--think-ms", type=float, default=0,
                        help="CPU work between transactions, as a request does outside its transaction (e.g. 3)")
    parser.add_argument("--no-write-lock", action="store_true",
                        help="SQLite: run without the lock file (ERP_SQLITE_WRITE_LOCK=false), SQLite's busy handler alone")
    parser.add_argument("--database-url", help="PostgreSQL URL of an empty or seeded database (default: SQLite)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="erp-writers-"))
    url = args.database_url
    if url and url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    os.environ.update({
        "ERP_INSTANCE_PATH": str(work),
        "DATABASE_URL": url or f"sqlite:///{work / 'bench.db'}",
        "ERP_SECRET_KEY": secrets.token_urlsafe(48),
        "ERP_JWT_SECRET_KEY": secrets.token_urlsafe(48),
        "ERP_SQLITE_WRITE_LOCK": "false" if args.no_write_lock else "true",
    })
    try:
        print(f"# ERP Admin concurrent writers — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
        print(f"# command: {' '.join([Path(sys.executable).name, *sys.argv])}")
        engine = "PostgreSQL" if url else "SQLite (WAL), " + ("busy handler only" if args.no_write_lock else "lock file")
        print(f"# {engine}, {args.kind}, {args.transactions} transactions per writer, "
              f"{os.cpu_count()} cores, {load_average()}")
        seed(dict(os.environ), args.products, url)
        print(f"\n{'':>7}{'':>8}{'transaction ms':^24}{'lock wait ms':^24}")
        print(f"{'writers':>7}{'tx/s':>8}{'p50':>8}{'p99':>8}{'max':>8}{'p50':>8}{'p99':>8}{'max':>8}"
              f"{'waiting':>8}{'503':>6}")
        for count in (int(n) for n in args.writers.split(",")):
            run(count, args.kind, args.transactions, args.think_ms / 1000)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
