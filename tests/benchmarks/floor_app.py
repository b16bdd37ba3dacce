"""The performance floor: a bare WSGI app (no framework) running exactly the SQL ERP Admin runs.

bench_http.py records the statements the app sends to the database for
GET /api/products?limit=&offset= and GET /api/products/<id> (see its
--show-sql) and hands them over in the JSON file FLOOR_SQL_FILE; this app
runs those very statements, in the same order, with the same parameters
(the recording names each one: jti, user_id, limit, offset, row_id, table_name):
BEGIN, the per-request user lookup with the revocation flag, the count (on
PostgreSQL: the table's row counter) and the page
(list) or the row (get), then ROLLBACK as the app's session does. It
decodes the bearer token with PyJWT, refuses inactive users and stale token
versions like the app, uses one sqlite3 connection per worker and `json`.
With FLOOR_DATABASE_URL (PostgreSQL) instead of FLOOR_SQLITE_PATH it runs
the statements recorded on PostgreSQL (placeholders made positional by the
recording) through one psycopg connection per worker, the app's driver.
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


def _load_statements() -> dict[str, list[dict]]:
    """{"list": [{"sql": ..., "params": ["jti", "user_id", ...]}], "get": [...]}, in the app's order."""
    with open(os.environ["FLOOR_SQL_FILE"]) as fh:
        return json.load(fh)


PLANS = _load_statements()


def _db():
    global _conn
    if _conn is None:
        # Autocommit mode: the recorded BEGIN starts the transaction, as in the app.
        if DB_URL:
            import psycopg

            # Not autocommit: psycopg sends BEGIN before the first statement, as under the app's
            # SQLAlchemy (nothing recorded); the ROLLBACK below ends it.
            _conn = psycopg.connect(DB_URL)
        else:
            _conn = sqlite3.connect(DB_PATH, check_same_thread=False, isolation_level=None)
            _conn.execute("PRAGMA journal_mode=WAL")
    return _conn


def _iso(value):
    # The app's iso(): stored naive UTC "YYYY-MM-DD HH:MM:SS.ffffff" → "YYYY-MM-DDTHH:MM:SS.fffZ".
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
        values = {"limit": int(query.get("limit", ["1000"])[0]), "offset": int(query.get("offset", ["0"])[0])}
        plan = PLANS["list"]
    elif match:
        values = {"row_id": int(match.group(1))}
        plan = PLANS["get"]
    else:
        return _respond(start_response, "404 Not Found", {"title": "Not Found"})
    values = dict(values, jti=claims["jti"], user_id=int(claims["sub"]), table_name="products")
    cur = _db().cursor()
    results = {}
    try:
        for statement in plan:
            sql = statement["sql"]
            cur.execute(sql, [values[name] for name in statement["params"]])
            if sql.lstrip().upper().startswith("BEGIN"):
                continue
            columns = [d[0].removeprefix("products_").removeprefix("users_") for d in cur.description]
            rows = cur.fetchall()
            if "FROM users" in sql:  # the per-request user lookup (with the revocation flag)
                if not rows:
                    return _unauthorized(start_response)
                user = dict(zip(columns, rows[0]))
                if user.get("revoked") or not user["is_active"] or user["token_version"] != claims["tv"]:
                    return _unauthorized(start_response)
            elif "FROM revoked_tokens" in sql:
                if rows:
                    return _unauthorized(start_response)
            elif "count(" in sql.lower() or "FROM row_counts" in sql:  # the total (PostgreSQL: its counter)
                results["count"] = rows[0][0]
            else:
                results["rows"] = (rows, columns)
    finally:
        cur.execute("ROLLBACK")
    rows, columns = results["rows"]
    if "count" in results:
        return _respond(start_response, "200 OK", [_product(columns, r) for r in rows],
                        [("X-Total-Count", str(results["count"]))])
    if not rows:
        return _respond(start_response, "404 Not Found", {"title": "Not Found"})
    product = _product(columns, rows[0])
    return _respond(start_response, "200 OK", product, [("ETag", f'"{product["version"]}"')])
