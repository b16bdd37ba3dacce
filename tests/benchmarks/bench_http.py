"""HTTP benchmark of ERP Admin against its floor, under `gunicorn -w 2`, driven by wrk.

Usage (from the repository root; needs Debian's `wrk`):

    .venv/bin/python tests/benchmarks/bench_http.py [--products 100000] [--duration 10] [--connections 8]

It builds a fresh SQLite database in a temporary folder, seeds N synthetic
products with `flask erp seed --products N`, starts the app and the floor
(floor_app.py) on free ports on 127.0.0.1, runs each scenario with wrk and
prints requests/s, p50 and p99 per scenario, the app/floor ratios, idle
memory (PSS) of master + workers, and the search index speed-up. Not run by
the test suite: figures go into tests/benchmarks/RESULTS.md by hand.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH_DIR = Path(__file__).resolve().parent
PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).parent / "gunicorn")
FLASK = str(Path(PYTHON).parent / "flask")

LUA_COMMON = """
math.randomseed(%(seed)d)
wrk.headers["Authorization"] = "Bearer %(token)s"
wrk.headers["Content-Type"] = "application/json"
%(extra)s
"""
SCENARIOS = {
    "list": 'request = function() return wrk.format("GET", "/api/products?limit=50&offset=" .. math.random(0, %(max_offset)d)) end',
    "get": 'request = function() return wrk.format("GET", "/api/products/" .. math.random(1, %(max_id)d)) end',
    "search": 'words = {"Drill", "Lamp", "Router", "Kettle", "Monitor", "Cable", "Desk", "Fan"}\n'
              'request = function() return wrk.format("GET", "/api/products?limit=50&q=" .. words[math.random(1, #words)]) end',
    "update": 'request = function() return wrk.format("PUT", "/api/products/" .. math.random(1, %(max_id)d), nil, '
              '"{\\"price\\": " .. math.random(1, 99999) / 100 .. "}") end',
    "adjust-stock": 'request = function() return wrk.format("POST", "/api/products/" .. math.random(1, %(max_id)d) .. '
                    '"/adjust-stock", nil, "{\\"delta\\": 1, \\"reason\\": \\"bench\\"}") end',
    "login": 'request = function() return wrk.format("POST", "/api/auth/login", nil, '
             '"{\\"username\\": \\"admin\\", \\"password\\": \\"admin123\\"}") end',
    "panel-list": 'wrk.headers["Authorization"] = nil\nwrk.headers["Cookie"] = "%(cookie)s"\n'
                  'request = function() return wrk.format("GET", "/admin/product/") end',
}
FLOOR_SCENARIOS = ("list", "get")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server at {url} did not start")


def start_gunicorn(target: str, port: int, env: dict, log: Path) -> subprocess.Popen:
    cmd = [GUNICORN, "-w", "2", "--preload", "-b", f"127.0.0.1:{port}", "--log-level", "warning", target]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)


def pss_mib(master_pid: int) -> float:
    """Proportional set size of the master and its children, in MiB."""
    pids = [master_pid]
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    total_kib = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                total_kib += int(line.split()[1])
    return total_kib / 1024


def run_wrk(port: int, lua: str, duration: int, connections: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(lua)
        script = fh.name
    out = subprocess.run(
        ["wrk", "-t", "2", "-c", str(connections), "-d", f"{duration}s", "--latency", "-s", script,
         f"http://127.0.0.1:{port}"],
        capture_output=True, text=True, check=True,
    ).stdout
    os.unlink(script)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    pct = {m.group(1): _ms(m.group(2)) for m in re.finditer(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.M)}
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": pct.get("50"), "p99": pct.get("99"), "errors": int(non2xx.group(1)) if non2xx else 0}


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def api_login(port: int) -> str:
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/auth/login",
        data=json.dumps({"username": "admin", "password": "admin123"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    return json.load(urllib.request.urlopen(req))["access_token"]


def panel_cookie(port: int) -> str:
    """Sign in through the panel's login form; return the Cookie header value."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"http://127.0.0.1:{port}/admin/login/").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    form = {"username": "admin", "password": "admin123"}
    if token:
        form["csrf_token"] = token.group(1)
    opener.open(f"http://127.0.0.1:{port}/admin/login/", data=urllib.parse.urlencode(form).encode())
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def search_speedup(db_path: str) -> tuple[float, float]:
    """Milliseconds of the app's indexed search vs a full-table LIKE scan, on the same data."""
    conn = sqlite3.connect(db_path)
    words = ["Drill", "Lamp", "Router", "Kettle"]

    def timed(sql: str, arg: str) -> float:
        start = time.perf_counter()
        for word in words:
            conn.execute(sql, (arg % word,)).fetchall()
        return (time.perf_counter() - start) * 1000 / len(words)

    scan = timed("SELECT id FROM products WHERE lower(name) LIKE lower(?) ORDER BY id LIMIT 50", "%%%s%%")
    indexed = None
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    if "products_search" in tables:
        indexed = timed("SELECT rowid FROM products_search WHERE products_search MATCH ? ORDER BY rowid LIMIT 50", '"%s"')
    return scan, indexed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=10, help="seconds per scenario")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")

    work = Path(tempfile.mkdtemp(prefix="erp-bench-"))
    db_path = work / "bench.db"
    env = dict(os.environ)
    env.update({
        "ERP_INSTANCE_PATH": str(work),
        "DATABASE_URL": f"sqlite:///{db_path}",
        "ERP_SECRET_KEY": secrets.token_urlsafe(48),
        "ERP_JWT_SECRET_KEY": secrets.token_urlsafe(48),
        "ERP_LOGIN_RATE_LIMIT": "1000000",
    })
    print(f"# ERP Admin HTTP benchmark — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"# {args.products} products, gunicorn -w 2, wrk -t2 -c{args.connections} -d{args.duration}s, "
          f"{os.cpu_count()} cores")
    started = time.perf_counter()
    subprocess.run([FLASK, "--app", "wsgi", "erp", "init-db"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([FLASK, "--app", "wsgi", "erp", "seed", "--products", str(args.products)],
                   cwd=ROOT, env=env, check=True, capture_output=True)
    print(f"seeded {args.products} products in {time.perf_counter() - started:.1f} s")

    prod_env = dict(env, ERP_ENV="production")
    app_port, floor_port = free_port(), free_port()
    app_proc = start_gunicorn("wsgi:app", app_port, prod_env, work / "app.log")
    floor_env = dict(env, FLOOR_SQLITE_PATH=str(db_path), FLOOR_JWT_SECRET_KEY=env["ERP_JWT_SECRET_KEY"],
                     PYTHONPATH=str(BENCH_DIR))
    floor_proc = start_gunicorn("floor_app:app", floor_port, floor_env, work / "floor.log")
    try:
        wait_for(f"http://127.0.0.1:{app_port}/api/health")
        wait_for(f"http://127.0.0.1:{floor_port}/")
        time.sleep(1)
        print(f"idle memory (PSS) master + 2 workers, --preload: {pss_mib(app_proc.pid):.1f} MiB (target < 150)")
        token = api_login(app_port)
        cookie = panel_cookie(app_port)
        subst = {"max_offset": max(args.products - 50, 0), "max_id": args.products, "cookie": cookie}
        results = {}
        print(f"\n{'scenario':<14}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'non-2xx':>9}")
        for name in args.scenarios.split(","):
            lua = LUA_COMMON % {"seed": 42, "token": token, "extra": SCENARIOS[name] % subst}
            results[name] = run_wrk(app_port, lua, args.duration, args.connections)
            r = results[name]
            print(f"{name:<14}{r['rps']:>10.0f}{r['p50']:>10.2f}{r['p99']:>10.2f}{r['errors']:>9}")
        for name in FLOOR_SCENARIOS:
            if name not in results:
                continue
            lua = LUA_COMMON % {"seed": 42, "token": token, "extra": SCENARIOS[name] % subst}
            floor = run_wrk(floor_port, lua, args.duration, args.connections)
            print(f"floor {name:<8}{floor['rps']:>10.0f}{floor['p50']:>10.2f}{floor['p99']:>10.2f}{floor['errors']:>9}"
                  f"   app/floor = {results[name]['rps'] / floor['rps']:.2f}")
        scan, indexed = search_speedup(str(db_path))
        if indexed:
            print(f"\nsearch: full-table LIKE scan {scan:.1f} ms, index {indexed:.2f} ms, speed-up {scan / indexed:.0f}x")
        else:
            print(f"\nsearch: full-table LIKE scan {scan:.1f} ms; no search index found")
    finally:
        for proc in (app_proc, floor_proc):
            proc.terminate()
            proc.wait(timeout=30)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}")


if __name__ == "__main__":
    main()
