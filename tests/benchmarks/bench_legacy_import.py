"""Benchmark of `flask erp import-legacy` (a script, not a test: pytest does not collect it).

    python tests/benchmarks/bench_legacy_import.py [--products 100000] [--customers 10000] [--database-url URL]

Writes an old-backend SQLite file with that many products and customers,
imports it into a fresh database through the CLI command's function, and
prints the time and rows per second of each table.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from erp_admin import create_app  # noqa: E402
from erp_admin.db.engine import upgrade_database  # noqa: E402
from tests.conftest import test_config  # noqa: E402
from tests.legacy_db import build_legacy_db  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="erp-bench-legacy-"))
    products = [(i, f"Product {i}", "From the old backend", round(1 + (i % 100000) / 100, 2), i % 500,
                 f"Cat {i % 50}") for i in range(1, args.products + 1)]
    customers = [(i, f"Customer {i}", f"customer{i}@example.com", "+1 555 0100", "1 Main St", "Acme")
                 for i in range(1, args.customers + 1)]
    source = build_legacy_db(folder / "old.db", products=products, customers=customers, users=[])
    url = args.database_url or f"sqlite:///{folder}/bench.db"
    app = create_app(test_config(url, str(folder)))
    upgrade_database(app)

    from erp_admin.services.legacy_import import import_legacy

    started: dict[str, float] = {}
    times: dict[str, float] = {}

    def progress(table: str, done: int, total: int) -> None:
        started.setdefault(table, time.perf_counter())
        if done == total:
            times[table] = time.perf_counter() - started[table]

    with app.app_context():
        start = time.perf_counter()
        report = import_legacy(source, progress=progress)
        total = time.perf_counter() - start
    for table, rows in (("products", args.products), ("customers", args.customers)):
        imported = report.tables[table].imported
        assert imported == rows, f"{table}: {imported} of {rows} imported ({report.tables[table].skipped[:3]})"
    print(f"import-legacy of {args.products} products and {args.customers} customers on "
          f"{url.split(':', 1)[0]}: {total:.1f} s in all, {(args.products + args.customers) / total:,.0f} rows/s")


if __name__ == "__main__":
    main()
