"""HTTP benchmark of ERP Admin against its floor, under `gunicorn -w 2`, driven by wrk.

Usage (from the repository root; needs Debian's `wrk`):

    .venv/bin/python tests/benchmarks/bench_http.py [--products 100000] [--duration 10] [--connections 8]
        [--scenarios list,get,...] [--show-sql] [--export] [--db PATH] [--database-url URL]

It builds a fresh SQLite database in a temporary folder, seeds N synthetic
products with `flask erp seed --products N`, starts the app and the floor
(floor_app.py) on free ports on 127.0.0.1, runs each scenario with wrk and
prints requests/s, p50 and p99 per scenario, the app/floor ratios, idle
memory (PSS) of master + workers, and the search index speed-up. Not run by
the test suite: figures go into tests/benchmarks/RESULTS.md by hand.

The floor runs exactly the SQL the app runs: before the servers start, the
app is driven in-process once for each floor scenario while an engine event
records every statement it sends; the floor executes those (`--show-sql`
prints them). --export also measures the RSS of `flask erp export-csv
products -` streaming the whole table; --db PATH benchmarks an existing
(already seeded) SQLite database instead of seeding a new one; --repeat N
runs the list and get app/floor pairs N times and prints the median ratio.
--database-url postgresql://… runs every scenario on PostgreSQL: an empty
database is migrated and seeded with `flask erp seed --products N`, one
that has products is used as it is; the floor then runs the statements the
app sends to PostgreSQL through psycopg, and the search comparison times the
app's pg_trgm statements against an ILIKE scan (index scans off).
The machine's load average is printed beside every figure: on a shared
machine compare the app with the floor of the same run.
"""
from __future__ import annotations

import argparse
import atexit
import json
import os
import re
import secrets
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH_DIR = Path(__file__).resolve().parent
PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).parent / "gunicorn")
FLASK = str(Path(PYTHON).parent / "flask")

# wrk counts only statuses from 400 up as errors: a 302 to the login page would pass for a
# rendered page. Every thread counts what is not 2xx, and done() reports the sum.
# Each wrk thread has its own Lua state: seeded alike, both would send the same ids at the
# same moments, and on PostgreSQL two PUTs of one row at once end in a 412 for one of them.
LUA_COMMON = """
wrk.headers["Authorization"] = "Bearer %(token)s"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["User-Agent"] = "%(agent)s"
local threads = {}
function setup(thread) table.insert(threads, thread); thread:set("n", #threads) end
function init(args) unexpected = 0; math.randomseed(%(seed)d + wrk.thread:get("n")) end
function response(status, headers, body)
  if status < 200 or status > 299 then unexpected = unexpected + 1 end
end
function done(summary, latency, requests)
  local n = 0
  for _, thread in ipairs(threads) do n = n + thread:get("unexpected") end
  io.write(string.format("Not 2xx: %%d\\n", n))
end
%(extra)s
"""
# The panel's session is bound to the browser that signed in (Flask-Login's strong session
# protection): wrk must send the User-Agent the login was made with.
USER_AGENT = "erp-admin-bench"
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
    "panel-list": 'wrk.headers["Authorization"] = nil\nwrk.headers["Content-Type"] = nil\n'
                  'wrk.headers["Cookie"] = "%(cookie)s"\n'
                  'request = function() return wrk.format("GET", "/admin/products/") end',
}
# Scenarios that need an API route a branch may not have yet: skipped (and said so) when absent.
NEEDS_ROUTE = {"adjust-stock": "/api/products/{id}/adjust-stock"}
FLOOR_REQUESTS = {"list": "/api/products?limit=50&offset=7", "get": "/api/products/3"}
# Also recorded: the statements of a search, which search_speedup() times against a LIKE scan.
RECORDED_REQUESTS = {**FLOOR_REQUESTS, "search": "/api/products?limit=50&q=Drill"}
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
    not_2xx = re.search(r"^Not 2xx: (\d+)", out, re.M)
    if not_2xx is None:
        raise SystemExit(f"wrk printed no status count:\n{out}")
    return {"rps": rps, "p50": pct.get("50"), "p99": pct.get("99"), "errors": int(not_2xx.group(1))}


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
    """Sign in through the panel's login form (CSRF token included); return the Cookie header value.

    In production the session cookie is Secure, so a cookie jar would not send it back
    over plain http to 127.0.0.1: the cookies are carried by hand.
    """
    opener = urllib.request.build_opener(NoRedirect)
    opener.addheaders = [("User-Agent", USER_AGENT)]
    base = f"http://127.0.0.1:{port}"
    page = opener.open(f"{base}/admin/login/")
    cookies = _set_cookies(page.headers)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"',
                      page.read().decode())
    if not token:
        raise SystemExit("panel login: no CSRF token on /admin/login/")
    form = {"username": "admin", "password": "admin123", "csrf_token": token.group(1) or token.group(2)}
    req = urllib.request.Request(f"{base}/admin/login/", data=urllib.parse.urlencode(form).encode(),
                                 headers={"Cookie": _cookie_header(cookies)})
    try:
        answer = opener.open(req)
        status, headers = answer.status, answer.headers
    except urllib.error.HTTPError as exc:
        status, headers = exc.code, exc.headers
    if status != 302:
        raise SystemExit(f"panel login failed: HTTP {status}")
    cookies.update(_set_cookies(headers))
    cookie = _cookie_header(cookies)
    try:
        check = opener.open(urllib.request.Request(f"{base}/admin/products/", headers={"Cookie": cookie}))
    except urllib.error.HTTPError as exc:  # a redirect to the login page lands here too
        check = exc
    if check.status != 200:
        raise SystemExit("panel login: the product list did not open with the session cookie")
    return cookie


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _set_cookies(headers) -> dict[str, str]:
    cookies = {}
    for line in headers.get_all("Set-Cookie") or []:
        name, _, value = line.split(";", 1)[0].partition("=")
        cookies[name.strip()] = value.strip()
    return cookies


def _cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in cookies.items() if v)


def load_average() -> str:
    return "load %s" % " ".join(Path("/proc/loadavg").read_text().split()[:3])


def record_sql(env: dict, work: Path, show: bool) -> Path:
    """Run the app in-process (a child with the bench environment) and record the floor scenarios' SQL."""
    out = work / "floor_sql.json"
    # The recording's own requests are not part of the figures: no access-log lines in the output.
    subprocess.run([PYTHON, __file__, "--record-sql", str(out)], cwd=ROOT, env=dict(env, ERP_ACCESS_LOG="false"),
                   check=True)
    if show:
        for scenario, statements in json.loads(out.read_text()).items():
            print(f"\n-- SQL of the {scenario} request ({RECORDED_REQUESTS[scenario]}):")
            for statement in statements:
                print(" ".join(statement["sql"].split()) + ";  -- " + ", ".join(statement["params"]))
        print()
    return out


def _record_sql_child(out: str) -> None:
    """--record-sql: drive the app with its test client; write {scenario: [statements]} to out."""
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import event, select

    from erp_admin import create_app
    from flask_jwt_extended import decode_token

    from erp_admin.api.tokens import issue_tokens
    from erp_admin.extensions import db
    from erp_admin.models import User

    app = create_app()
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        token = issue_tokens(admin)["access_token"]
        claims = decode_token(token)
        db.session.remove()
        engine = db.engine
    # The floor binds each parameter by what it is: these are the recording requests' values.
    names = {claims["jti"]: "jti", admin.id: "user_id", 50: "limit", 7: "offset", 0: "offset", 3: "row_id",
             '"Drill"': "phrase", "%Drill%": "pattern", "products": "table_name"}
    if len(names) != 9:
        raise SystemExit("recording SQL: the admin's id collides with a recorded value")
    seen: list[dict] = []

    def capture(conn, cursor, sql, params, context, executemany):
        if isinstance(params, dict):
            # psycopg's named %(name)s placeholders: positional %s, values in order of appearance.
            order = re.findall(r"%\((\w+)\)s", sql)
            sql = re.sub(r"%\(\w+\)s", "%s", sql)
            params = [params[name] for name in order]
        params = list(params or ())
        unknown = [p for p in params if p not in names]
        if unknown:
            raise SystemExit(f"recording SQL: unknown parameter values {unknown} in {sql!r}")
        seen.append({"sql": sql, "params": [names[p] for p in params]})

    event.listen(engine, "before_cursor_execute", capture)
    client = app.test_client()
    recorded = {}
    for scenario, url in RECORDED_REQUESTS.items():
        client.get(url, headers={"Authorization": f"Bearer {token}"})  # warm: first-use queries
        seen.clear()
        response = client.get(url, headers={"Authorization": f"Bearer {token}"})
        if response.status_code != 200:
            raise SystemExit(f"recording SQL: {url} answered {response.status_code}")
        recorded[scenario] = list(seen)
    Path(out).write_text(json.dumps(recorded, indent=1))


def export_memory(env: dict) -> dict:
    """RSS of `flask erp export-csv products -` while it streams the whole table to a pipe."""
    proc = subprocess.Popen([FLASK, "--app", "wsgi", "erp", "export-csv", "products", "-"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    status = Path(f"/proc/{proc.pid}/status")
    read, first, peak, started = 0, None, 0, time.perf_counter()
    while True:
        chunk = proc.stdout.read(1 << 20)
        if not chunk:
            break
        read += len(chunk)
        try:
            rss = next(int(l.split()[1]) for l in status.read_text().splitlines() if l.startswith("VmRSS:")) / 1024
        except (FileNotFoundError, StopIteration, ProcessLookupError):
            continue
        if first is None and read >= (4 << 20):  # after start-up and the first rows: the streaming baseline
            first = rss
        peak = max(peak, rss)
    proc.wait()
    return {"bytes": read, "seconds": time.perf_counter() - started, "baseline": first or peak, "peak": peak,
            "status": proc.returncode}


SEARCH_WORDS = ["Drill", "Kettle", "Router", "Lamp", "4242", "SYN-00099"]
LIKE_WHERE = "(sku LIKE ? ESCAPE '\\' OR name LIKE ? ESCAPE '\\' OR category LIKE ? ESCAPE '\\')"


def search_speedup(sql_file: Path, db_path: str | None = None, pg_url: str | None = None
                   ) -> tuple[float, float, list[str]]:
    """Milliseconds per search, best of 3 over SEARCH_WORDS: the app's statements vs a full-table LIKE scan.

    The app's side runs exactly the statements recorded for GET /api/products?limit=50&q=<word>
    (the count and the page; not BEGIN or the user lookup); the scan side is what the list ran
    before the index: the same count and first page with LIKE '%word%' (ILIKE on PostgreSQL, its
    index scans switched off) on sku, name and category. Returns the two averages and one line per word.
    """
    recorded = [s for s in json.loads(sql_file.read_text())["search"]
                if not s["sql"].lstrip().upper().startswith("BEGIN") and "FROM users" not in s["sql"]]
    if pg_url:
        import psycopg

        conn, scan_conn = psycopg.connect(pg_url, autocommit=True), psycopg.connect(pg_url, autocommit=True)
        scan_conn.execute("SET enable_bitmapscan = off")
        scan_conn.execute("SET enable_indexscan = off")
        where = LIKE_WHERE.replace("?", "%s").replace(" LIKE ", " ILIKE ")
    else:
        conn = scan_conn = sqlite3.connect(db_path)
        where = LIKE_WHERE

    def app_side(word: str) -> None:
        values = {"phrase": '"%s"' % word.replace('"', '""'), "pattern": f"%{word}%", "limit": 50, "offset": 0}
        for statement in recorded:
            conn.execute(statement["sql"], [values[name] for name in statement["params"]]).fetchall()

    def scan_side(word: str) -> None:
        params = (f"%{word}%",) * 3
        scan_conn.execute(f"SELECT count(*) FROM products WHERE {where}", params).fetchone()
        scan_conn.execute(f"SELECT * FROM products WHERE {where} ORDER BY id LIMIT 50", params).fetchall()

    def best_ms(run, word: str) -> float:
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            run(word)
            best = min(best, (time.perf_counter() - start) * 1000)
        return best

    lines, scans, apps = [], [], []
    try:
        for word in SEARCH_WORDS:
            scan, app = best_ms(scan_side, word), best_ms(app_side, word)
            scans.append(scan)
            apps.append(app)
            lines.append(f"  {word:<10} LIKE scan {scan:8.2f} ms   app {app:7.2f} ms   x {scan / app:7.1f}")
    finally:
        conn.close()
        if scan_conn is not conn:
            scan_conn.close()
    return sum(scans) / len(scans), sum(apps) / len(apps), lines


def route_exists(port: int, token: str, template: str) -> bool:
    spec = json.load(urllib.request.urlopen(urllib.request.Request(
        f"http://127.0.0.1:{port}/api/openapi.json", headers={"Authorization": f"Bearer {token}"})))
    paths = spec.get("paths", {})
    return template in paths or template.removeprefix("/api") in paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=10, help="seconds per scenario")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--show-sql", action="store_true", help="print the SQL recorded for the floor")
    parser.add_argument("--export", action="store_true", help="also measure the CSV export's memory")
    parser.add_argument("--db", help="an existing, seeded SQLite database (instead of seeding a new one)")
    parser.add_argument("--database-url", help="PostgreSQL URL: an empty database (seeded here) or a seeded one")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run the list and get scenarios this many times, app and floor alternating, and print "
                             "the median ratio (a shared machine's speed drifts between runs)")
    parser.add_argument("--record-sql", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.record_sql:
        return _record_sql_child(args.record_sql)
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")

    work = Path(tempfile.mkdtemp(prefix="erp-bench-"))
    if not args.keep:  # also when seeding or recording fails before the servers start
        atexit.register(shutil.rmtree, work, True)
    if args.db and args.database_url:
        raise SystemExit("--db (SQLite) and --database-url (PostgreSQL) exclude each other")
    db_path = Path(args.db).resolve() if args.db else work / "bench.db"
    pg_url = None
    if args.database_url:
        if not args.database_url.startswith(("postgresql", "postgres:")):
            raise SystemExit("--database-url takes a PostgreSQL URL (postgresql://user@host:port/name)")
        # The app adds the psycopg driver itself; psycopg (the floor) wants the plain libpq form.
        pg_url = "postgresql://" + args.database_url.split("://", 1)[1]
    env = dict(os.environ)
    env.update({
        "ERP_INSTANCE_PATH": str(work),
        "DATABASE_URL": pg_url or f"sqlite:///{db_path}",
        "ERP_SECRET_KEY": secrets.token_urlsafe(48),
        "ERP_JWT_SECRET_KEY": secrets.token_urlsafe(48),
        "ERP_LOGIN_RATE_LIMIT": "1000000",
    })
    print(f"# ERP Admin HTTP benchmark — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"# command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"# gunicorn -w 2 --preload, wrk -t2 -c{args.connections} -d{args.duration}s, {os.cpu_count()} cores, "
          f"{'PostgreSQL' if pg_url else 'SQLite'}, {load_average()}")
    started = time.perf_counter()

    def scalar(sql: str):
        if pg_url:
            import psycopg

            with psycopg.connect(pg_url) as conn:
                return conn.execute(sql).fetchone()[0]
        return sqlite3.connect(db_path).execute(sql).fetchone()[0]

    existing = args.db or (pg_url and scalar("SELECT to_regclass('products') IS NOT NULL")
                           and scalar("SELECT count(*) FROM products"))
    if existing:
        products = scalar("SELECT count(*) FROM products")
        print(f"using {args.db or pg_url.rsplit('@', 1)[-1]}: {products} products")
    else:
        products = args.products
        subprocess.run([FLASK, "--app", "wsgi", "erp", "init-db"], cwd=ROOT, env=env, check=True, capture_output=True)
        subprocess.run([FLASK, "--app", "wsgi", "erp", "seed", "--products", str(products)],
                       cwd=ROOT, env=env, check=True, capture_output=True)
        print(f"seeded {products} products in {time.perf_counter() - started:.1f} s ({load_average()})")
    max_id = scalar("SELECT max(id) FROM products")
    prod_env = dict(env, ERP_ENV="production")
    sql_file = record_sql(prod_env, work, args.show_sql)

    app_port, floor_port = free_port(), free_port()
    app_proc = start_gunicorn("wsgi:app", app_port, prod_env, work / "app.log")
    floor_env = dict(env, FLOOR_JWT_SECRET_KEY=env["ERP_JWT_SECRET_KEY"],
                     FLOOR_SQL_FILE=str(sql_file), PYTHONPATH=str(BENCH_DIR))
    floor_env.update({"FLOOR_DATABASE_URL": pg_url} if pg_url else {"FLOOR_SQLITE_PATH": str(db_path)})
    floor_proc = start_gunicorn("floor_app:app", floor_port, floor_env, work / "floor.log")
    failures = []
    try:
        wait_for(f"http://127.0.0.1:{app_port}/api/health")
        wait_for(f"http://127.0.0.1:{floor_port}/")
        time.sleep(2)
        print(f"idle memory (PSS) master + 2 workers, --preload: {pss_mib(app_proc.pid):.1f} MiB (target < 150) "
              f"({load_average()})")
        token = api_login(app_port)
        subst = {"max_offset": max(products - 50, 0), "max_id": max_id}
        if "panel-list" in args.scenarios.split(","):
            subst["cookie"] = panel_cookie(app_port)
        results = {}
        print(f"\n{'scenario':<16}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}   load (1/5/15 min)")

        def show(label, r, extra=""):
            print(f"{label:<16}{r['rps']:>9.0f}{r['p50']:>9.2f}{r['p99']:>9.2f}{r['errors']:>9}   "
                  f"{r['load']}{extra}")

        def bench(port, name):
            lua = LUA_COMMON % {"seed": 42, "token": token, "agent": USER_AGENT, "extra": SCENARIOS[name] % subst}
            result = run_wrk(port, lua, args.duration, args.connections)
            result["load"] = load_average()
            return result

        for name in args.scenarios.split(","):
            if name in NEEDS_ROUTE and not route_exists(app_port, token, NEEDS_ROUTE[name]):
                print(f"{name:<16}skipped: this branch has no {NEEDS_ROUTE[name]}")
                continue
            # The floor right after the app's run of the same scenario: the same machine load.
            ratios = []
            for _ in range(args.repeat if name in FLOOR_SCENARIOS else 1):
                results[name] = r = bench(app_port, name)
                show(name, r)
                if r["errors"]:
                    failures.append(name)
                if name in FLOOR_SCENARIOS:
                    floor = bench(floor_port, name)
                    ratios.append(r["rps"] / floor["rps"])
                    show(f"  floor {name}", floor, f"   app/floor = {ratios[-1]:.2f}")
                    if floor["errors"]:
                        failures.append(f"floor {name}")
            if len(ratios) > 1:
                print(f"  {name}: app/floor median of {len(ratios)} pairs = {statistics.median(ratios):.2f} "
                      f"(min {min(ratios):.2f}, max {max(ratios):.2f})")
        scan, indexed, lines = search_speedup(sql_file, db_path=str(db_path), pg_url=pg_url)
        print(f"\nsearch (count + first page, {len(SEARCH_WORDS)} words): full-table LIKE scan {scan:.1f} ms, "
              f"app's statements {indexed:.2f} ms, speed-up {scan / indexed:.0f}x ({load_average()})")
        print("\n".join(lines))
        if args.export:
            e = export_memory(env)
            print(f"CSV export of {products} products: {e['bytes'] / 2**20:.0f} MiB in {e['seconds']:.1f} s, "
                  f"RSS {e['baseline']:.1f} MiB after the first 4 MiB, peak {e['peak']:.1f} MiB, "
                  f"growth {e['peak'] - e['baseline']:.1f} MiB (target < 50) ({load_average()})")
            if e["status"]:
                failures.append("export")
    finally:
        for proc in (app_proc, floor_proc):
            proc.terminate()
            proc.wait(timeout=30)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}")
    if failures:
        raise SystemExit(f"non-2xx responses or failures in: {', '.join(failures)}")


if __name__ == "__main__":
    main()
