"""The performance floor: a bare WSGI app (no framework) doing the same SQL as ERP Admin.

It decodes the bearer token with PyJWT, looks the user up, checks revocation,
and runs the list / get queries ERP Admin runs, with one sqlite3 (or psycopg)
connection per worker, serialising with `json`. bench_http.py runs it under
the same `gunicorn -w 2` as the app and prints the app's ratio to it.
"""
from __future__ import annotations

import json
import os
import re
import sqlite3
from decimal import Decimal
from urllib.parse import parse_qs

import jwt

DB_PATH = os.environ["FLOOR_SQLITE_PATH"]
JWT_KEY = os.environ["FLOOR_JWT_SECRET_KEY"]
_conn = None

# The statements below are the ones ERP Admin logs for GET /api/products and
# GET /api/products/<id> (see bench_http.py --show-sql); keep them in step.
USER_SQL = ("SELECT users.id, users.username, users.email, users.full_name, users.role, users.is_active, "
            "users.password_hash, users.token_version, users.last_login_at, users.version, users.created_at, "
            "users.updated_at FROM users WHERE users.id = ?")
REVOKED_SQL = "SELECT revoked_tokens.jti FROM revoked_tokens WHERE revoked_tokens.jti = ?"
COLUMNS = ("id", "sku", "name", "description", "category", "price", "quantity", "reorder_level",
           "created_at", "updated_at", "version")
SELECT_PRODUCT = "SELECT " + ", ".join(f"products.{c}" for c in COLUMNS) + " FROM products"
COUNT_SQL = "SELECT count(*) AS count_1 FROM products"
LIST_SQL = SELECT_PRODUCT + " ORDER BY products.id LIMIT ? OFFSET ?"
GET_SQL = SELECT_PRODUCT + " WHERE products.id = ?"
PRODUCT_PATH = re.compile(r"^/api/products/(\d+)$")


def _db():
    global _conn
    if _conn is None:
        _conn = sqlite3.connect(DB_PATH, check_same_thread=False)
        _conn.execute("PRAGMA journal_mode=WAL")
    return _conn


def _iso(value):
    return None if value is None else str(value).replace(" ", "T")[:23] + "Z"


def _product(row):
    item = dict(zip(COLUMNS, row))
    item["price"] = float(Decimal(str(item["price"])))
    item["low_stock"] = item["quantity"] <= item["reorder_level"]
    item["created_at"] = _iso(item["created_at"])
    item["updated_at"] = _iso(item["updated_at"])
    return item


def _respond(start_response, status, body, headers=()):
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data))), *headers])
    return [data]


def app(environ, start_response):
    auth = environ.get("HTTP_AUTHORIZATION", "")
    try:
        claims = jwt.decode(auth.removeprefix("Bearer "), JWT_KEY, algorithms=["HS256"])
    except jwt.PyJWTError:
        return _respond(start_response, "401 Unauthorized", {"title": "Unauthorized"})
    conn = _db()
    cur = conn.cursor()
    cur.execute("BEGIN")
    user = cur.execute(USER_SQL, (int(claims["sub"]),)).fetchone()
    revoked = cur.execute(REVOKED_SQL, (claims["jti"],)).fetchone()
    if user is None or revoked is not None:
        cur.execute("ROLLBACK")
        return _respond(start_response, "401 Unauthorized", {"title": "Unauthorized"})
    path = environ.get("PATH_INFO", "")
    try:
        if path == "/api/products":
            query = parse_qs(environ.get("QUERY_STRING", ""))
            limit = int(query.get("limit", ["1000"])[0])
            offset = int(query.get("offset", ["0"])[0])
            total = cur.execute(COUNT_SQL).fetchone()[0]
            rows = cur.execute(LIST_SQL, (limit, offset)).fetchall()
            return _respond(start_response, "200 OK", [_product(r) for r in rows],
                            [("X-Total-Count", str(total))])
        match = PRODUCT_PATH.match(path)
        if match:
            row = cur.execute(GET_SQL, (int(match.group(1)),)).fetchone()
            if row is None:
                return _respond(start_response, "404 Not Found", {"title": "Not Found"})
            product = _product(row)
            return _respond(start_response, "200 OK", product, [("ETag", f'"{product["version"]}"')])
        return _respond(start_response, "404 Not Found", {"title": "Not Found"})
    finally:
        cur.execute("COMMIT")
