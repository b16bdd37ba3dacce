"""The performance floor: a bare WSGI app (no framework) running exactly the SQL ERP Admin runs.

bench_http.py records the statements the app sends to the database for
GET /api/products?limit=&offset= and GET /api/products/<id> (see its
--show-sql) and hands them over in the JSON file FLOOR_SQL_FILE; this app
runs those very statements, in the same order, with the same parameters:
BEGIN, the revocation check, the per-request user lookup, the count and the
page (list) or the row (get), then ROLLBACK as the app's session does. It
decodes the bearer token with PyJWT, refuses inactive users and stale token
versions like the app, uses one sqlite3 connection per worker and `json`.
With FLOOR_DATABASE_URL (PostgreSQL) instead of FLOOR_SQLITE_PATH it runs
the statements recorded on PostgreSQL through one psycopg connection per
worker (the driver the app uses), their %(name)s placeholders made positional.
bench_http.py runs it under the same `gunicorn -w 2` and prints the app's ratio to it.
"""
from __future__ import annotations

import json
import os
import re
import sqlite3
from decimal import Decimal
from urllib.parse import parse_qs

import jwt

DB_PATH = os.environ.get("FLOOR_SQLITE_PATH")
DB_URL = os.environ.get("FLOOR_DATABASE_URL")  # postgresql://…: the same statements through psycopg
JWT_KEY = os.environ["FLOOR_JWT_SECRET_KEY"]
PRODUCT_PATH = re.compile(r"^/api/products/(\d+)$")
_conn = None


def _load_statements() -> dict[str, list[tuple[str, str]]]:
    """{"list": [(kind, sql)], "get": [...]}: kind names the parameters each statement takes."""
    with open(os.environ["FLOOR_SQL_FILE"]) as fh:
        recorded = json.load(fh)
    plans = {}
    for scenario, statements in recorded.items():
        plan = []
        for sql in statements:
            if sql.strip().upper().startswith("BEGIN"):
                kind = "begin"
            elif "FROM revoked_tokens" in sql:
                kind = "revoked"
            elif "FROM users" in sql:
                kind = "user"
            elif "count(" in sql.lower():
                kind = "count"
            elif "LIMIT" in sql:
                kind = "page"
            elif "WHERE products.id" in sql:
                kind = "row"
            else:
                raise SystemExit(f"floor: no parameters known for {sql!r}")
            if DB_URL:
                # psycopg (pyformat) names its parameters; each kind passes them in order of appearance.
                sql = re.sub(r"%\(\w+\)s", "%s", sql)
            plan.append((kind, sql))
        plans[scenario] = plan
    return plans


PLANS = _load_statements()


def _db():
    global _conn
    if _conn is None:
        # Autocommit mode: the recorded BEGIN starts the transaction, as in the app.
        if DB_URL:
            import psycopg

            _conn = psycopg.connect(DB_URL, autocommit=True)
        else:
            _conn = sqlite3.connect(DB_PATH, check_same_thread=False, isolation_level=None)
            _conn.execute("PRAGMA journal_mode=WAL")
    return _conn


def _iso(value):
    # The app's iso(): stored naive UTC "YYYY-MM-DD HH:MM:SS.ffffff" → "YYYY-MM-DDTHH:MM:SS.fffZ"
    # (PostgreSQL hands back datetimes, whose str() is the same up to the milliseconds).
    return None if value is None else str(value).replace(" ", "T")[:23] + "Z"


def _product(columns, row):
    item = dict(zip(columns, row))
    item["price"] = float(Decimal(str(item["price"])))
    item["low_stock"] = item["quantity"] <= item["reorder_level"]
    item["created_at"] = _iso(item["created_at"])
    item["updated_at"] = _iso(item["updated_at"])
    return item


def _respond(start_response, status, body, headers=()):
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data))), *headers])
    return [data]


def _unauthorized(start_response):
    return _respond(start_response, "401 Unauthorized", {"title": "Unauthorized"})


def app(environ, start_response):
    auth = environ.get("HTTP_AUTHORIZATION", "")
    try:
        claims = jwt.decode(auth.removeprefix("Bearer "), JWT_KEY, algorithms=["HS256"])
    except jwt.PyJWTError:
        return _unauthorized(start_response)
    path = environ.get("PATH_INFO", "")
    match = PRODUCT_PATH.match(path)
    if path == "/api/products":
        query = parse_qs(environ.get("QUERY_STRING", ""))
        args = {"page": (int(query.get("limit", ["1000"])[0]), int(query.get("offset", ["0"])[0]))}
        plan = PLANS["list"]
    elif match:
        args = {"row": (int(match.group(1)),)}
        plan = PLANS["get"]
    else:
        return _respond(start_response, "404 Not Found", {"title": "Not Found"})
    args.update(begin=(), count=(), revoked=(claims["jti"],), user=(int(claims["sub"]),))
    cur = _db().cursor()
    results = {}
    try:
        for kind, sql in plan:
            cur.execute(sql, args[kind])
            if kind == "revoked" and cur.fetchone() is not None:
                return _unauthorized(start_response)
            if kind == "user":
                user = cur.fetchone()
                columns = [d[0] for d in cur.description]
                if user is None:
                    return _unauthorized(start_response)
                user = dict(zip(columns, user))
                if not user["users_is_active"] or user["users_token_version"] != claims["tv"]:
                    return _unauthorized(start_response)
            elif kind in ("count", "page", "row"):
                results[kind] = (cur.fetchall(), [d[0].removeprefix("products_") for d in cur.description])
    finally:
        cur.execute("ROLLBACK")
    if "page" in results:
        rows, columns = results["page"]
        return _respond(start_response, "200 OK", [_product(columns, r) for r in rows],
                        [("X-Total-Count", str(results["count"][0][0][0]))])
    rows, columns = results["row"]
    if not rows:
        return _respond(start_response, "404 Not Found", {"title": "Not Found"})
    product = _product(columns, rows[0])
    return _respond(start_response, "200 OK", product, [("ETag", f'"{product["version"]}"')])
