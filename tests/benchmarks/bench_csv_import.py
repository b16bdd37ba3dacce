"""Benchmark of the CSV import and export (a script, not a test: pytest does not collect it).

    python tests/benchmarks/bench_csv_import.py [--rows 100000] [--export-rows 1000000] [--database-url URL]

Prints the time of each phase: a dry run of ROWS new products, the real
import, a dry run of the export (all unchanged), an import updating every
quantity, and the export of EXPORT_ROWS products with the growth of the peak RSS
(and, with --trace-memory, the peak of Python allocations).
"""
from __future__ import annotations

import argparse
import io
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import func, select  # noqa: E402

from erp_admin import create_app  # noqa: E402
from erp_admin.db.engine import upgrade_database  # noqa: E402
from tests.conftest import test_config  # noqa: E402


def product_csv(rows: int, quantity_offset: int = 0) -> bytes:
    out = io.StringIO()
    out.write("sku,name,description,category,price,quantity,reorder_level\n")
    for i in range(rows):
        out.write(f"BENCH-{i:07d},Product {i},A product for the benchmark,Cat {i % 50},{i % 1000}.{i % 100:02d},"
                  f"{(i % 500) + quantity_offset},{i % 20}\n")
    return out.getvalue().encode()


def timed(label: str, action):
    start = time.perf_counter()
    result = action()
    print(f"{label:<48} {time.perf_counter() - start:8.2f} s", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--export-rows", type=int, default=0, help="also export this many products (0: skip)")
    parser.add_argument("--trace-memory", action="store_true", help="export once more under tracemalloc (slow)")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="erp-bench-")
    url = args.database_url or f"sqlite:///{folder}/bench.db"
    app = create_app(test_config(url, folder, IMPORT_MAX_ROWS=max(args.rows, 100_000),
                                 IMPORT_MAX_BYTES=64 * 1024 * 1024))
    upgrade_database(app)

    from erp_admin.csvio import export_csv, import_csv
    from erp_admin.extensions import db
    from erp_admin.models import Product
    from erp_admin.services.synthetic import add_synthetic_products

    with app.app_context():
        if db.session.scalar(select(func.count(Product.id))):
            sys.exit("the database already holds products: give an empty one")
        data = product_csv(args.rows)
        print(f"{args.rows} product rows, {len(data) / 1e6:.1f} MB of CSV on {db.engine.dialect.name}")
        report = timed("dry run (all new)", lambda: import_csv("products", data, dry_run=True))
        assert report.created == args.rows and not report.rejected, report.as_dict()
        timed("import (all created)", lambda: import_csv("products", data))
        exported = timed("export", lambda: "".join(export_csv("products")).encode())
        report = timed("dry run of the export (all unchanged)", lambda: import_csv("products", exported, dry_run=True))
        assert (report.created, report.updated, report.rejected) == (0, 0, []), report.as_dict()
        changed = product_csv(args.rows, quantity_offset=1)
        report = timed("import (every quantity changed)", lambda: import_csv("products", changed))
        assert report.updated == args.rows, report.as_dict()

        if args.export_rows:
            # Through the bulk writer (with movements and audit entries): a bare insert() is refused.
            add_synthetic_products(max(args.export_rows - args.rows, 0))
            size = 0

            def export_all():
                nonlocal size
                for chunk in export_csv("products"):
                    size += len(chunk)

            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            timed(f"export of {args.export_rows} rows (streamed)", export_all)
            rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            print(f"{'  exported text / growth of peak RSS':<48} {size / 1e6:8.1f} MB / {(rss_after - rss_before) / 1024:.1f} MB")
            if args.trace_memory:
                tracemalloc.start()
                for _ in export_csv("products"):
                    pass
                print(f"{'  peak Python allocations (tracemalloc)':<48} {tracemalloc.get_traced_memory()[1] / 1e6:8.1f} MB")
                tracemalloc.stop()

if __name__ == "__main__":
    main()
