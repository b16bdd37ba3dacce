"""Server time of the panel's product list pages, in-process: median wall and CPU per page.

    .venv/bin/python tests/benchmarks/bench_panel.py --db PATH [--requests 20] [--url /admin/products/ ...]

Signs in as the demo admin with the app's own login form and times GET
requests through Flask's test client: no HTTP, no load generator, so the
figures are the app's own cost of rendering the page (the SQL included).
PATH is a seeded SQLite database (`flask erp seed --products 1000000`);
`--database-url` takes any other database instead. Not run by the test suite.
"""
from __future__ import annotations

import argparse
import logging
import os
import re
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_URLS = ("/admin/products/", "/admin/products/?page=2000", "/admin/products/?search=kettle",
                "/admin/products/?sort=4&desc=1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="a seeded SQLite database file")
    parser.add_argument("--database-url", help="any SQLAlchemy URL instead of --db")
    parser.add_argument("--requests", type=int, default=20, help="timed requests per page (after 3 warm-ups)")
    parser.add_argument("--url", action="append", help="a panel URL to time (repeatable)")
    args = parser.parse_args()
    if not (args.db or args.database_url):
        raise SystemExit("give --db PATH or --database-url URL")
    os.environ.update({
        "DATABASE_URL": args.database_url or f"sqlite:///{Path(args.db).resolve()}",
        "ERP_INSTANCE_PATH": tempfile.mkdtemp(prefix="erp-bench-panel-"),
        "ERP_SECRET_KEY": secrets.token_urlsafe(48),
        "ERP_JWT_SECRET_KEY": secrets.token_urlsafe(48),
        "ERP_ENV": "production",
        "ERP_LOGIN_RATE_LIMIT": "1000000",
    })
    sys.path.insert(0, str(ROOT))
    from erp_admin import create_app

    app = create_app()
    logging.getLogger("erp_admin.access").disabled = True
    client = app.test_client()
    form = client.get("/admin/login/").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', form)
    signed_in = client.post("/admin/login/", data={"username": "admin", "password": "admin123",
                                                   "csrf_token": token.group(1)})
    if signed_in.status_code != 302:
        raise SystemExit("could not sign in as admin/admin123 (is the demo admin in this database?)")
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"# panel pages, in-process, {args.requests} requests each after 3 warm-ups; load {load}")
    for url in args.url or DEFAULT_URLS:
        for _ in range(3):
            status = client.get(url).status_code
            if status != 200:
                raise SystemExit(f"{url} answered {status}")
        walls, cpus = [], []
        for _ in range(args.requests):
            wall, cpu = time.perf_counter(), time.process_time()
            client.get(url)
            walls.append((time.perf_counter() - wall) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
        print(f"{url:<40} median wall {statistics.median(walls):7.1f} ms   median CPU {statistics.median(cpus):7.1f} ms"
              f"   min wall {min(walls):7.1f} ms")


if __name__ == "__main__":
    main()
