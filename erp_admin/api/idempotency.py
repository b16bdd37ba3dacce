"""Idempotency-Key: a retried POST returns the first response and writes nothing.

    @route("/products", ["POST"], ..., commit=False)
    @requires("products", "create")
    def create_product():
        return run_idempotent(lambda: ...)

The key is scoped per user, method and path. The lookup of the key, the
change and the first successful response (status, body, Location/ETag,
stored in an IdempotencyRecord) are one transaction, so no crash can keep
one without the other. Requests with the same key run one after the other
(PostgreSQL: a transaction-level advisory lock on the key; SQLite: the write
lock), so a retry sent while the first is still running waits for it and
gets its response instead of a conflict of its own. A retry with the same key
and the same body replays it; with another body it is a 422. Keys live
IDEMPOTENCY_TTL (24 h). Error responses are not stored (their transaction is
rolled back), so a failed request may be retried with the same key.
"""
from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta

from flask import current_app, g, make_response, request
from sqlalchemy import delete, select, text
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import BadRequest

from erp_admin.api.registry import Param
from erp_admin.extensions import db
from erp_admin.models import IdempotencyRecord
from erp_admin.models.base import utcnow
from erp_admin.errors import ServiceError

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
STORED_HEADERS = ("Location", "ETag", "Content-Type")
_VALID_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")

IDEMPOTENCY_PARAM = Param(
    HEADER, location="header", schema={"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
    description="Retry-safe key: the same key with the same body replays the first response for 24 hours.",
)


class KeyReused(ServiceError):
    status = 422
    title = "Unprocessable Content"
    problem_kind = "idempotency-key-reused"  # api.errors.PROBLEM_KINDS


def run_idempotent(work):
    """Run work() (returning a response) as one run_in_transaction unit that honours Idempotency-Key.

    For views that manage their own transaction (route(..., commit=False)):
    creates and adjust-stock. The unit is retried as a whole on a
    serialization failure or a busy database.
    """
    from erp_admin.services.transactions import run_in_transaction

    key = request.headers.get(HEADER)
    if key is None:
        return run_in_transaction(lambda: make_response(work()))
    if not _VALID_KEY.match(key):
        raise BadRequest(f"{HEADER} must be 1-255 visible ASCII characters.")
    scope = _scope(key)
    digest = _request_hash()

    def unit():
        _wait_for_same_key(scope)
        stored = _find(scope)
        if stored is not None:
            return _replay(stored, digest)
        response = make_response(work())
        db.session.add(IdempotencyRecord(
            scope=scope, request_hash=digest, status=response.status_code,
            body=response.get_data(as_text=True),
            headers=json.dumps({h: response.headers[h] for h in STORED_HEADERS if h in response.headers}),
        ))
        db.session.flush()
        return response

    try:
        return run_in_transaction(unit)
    except IntegrityError:
        # run_in_transaction rolled back: the same key was committed by a writer that
        # did not wait for the key's lock; answer with its response.
        stored = _find(scope)
        if stored is None:
            raise
        response = _replay(stored, digest)
        db.session.rollback()
        return response


def _wait_for_same_key(scope: str) -> None:
    # PostgreSQL: until the transaction ends, a request with the same key waits here, then finds
    # the first one's record (READ COMMITTED reads what committed meanwhile). SQLite needs
    # nothing: the unit's transaction holds the write lock from its first statement.
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": int(scope[:16], 16) - 2**63})


def _scope(key: str) -> str:
    from erp_admin.auth.access import current_principal

    user = current_principal()
    parts = [str(user.id) if user is not None else "-", request.method, request.path, key]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def _request_hash() -> str:
    raw = request.get_data(cache=True)
    try:  # the same JSON object in another key order or spacing is the same request
        canonical = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, RecursionError):
        canonical = raw
    return hashlib.sha256((request.mimetype or "").encode() + b"\n" + canonical).hexdigest()


def _find(scope: str) -> IdempotencyRecord | None:
    cutoff = utcnow() - timedelta(seconds=current_app.config["IDEMPOTENCY_TTL"])
    record = db.session.scalar(select(IdempotencyRecord).where(IdempotencyRecord.scope == scope))
    if record is not None and record.created_at < cutoff:
        db.session.delete(record)  # expired: the key is free again (committed with the new use)
        db.session.flush()
        return None
    return record


def _replay(record: IdempotencyRecord, digest: str):
    if record.request_hash != digest:
        raise KeyReused(f"This {HEADER} was already used with a different request body.", field=HEADER)
    response = current_app.response_class(record.body, status=record.status)
    for name, value in json.loads(record.headers).items():
        response.headers[name] = value
    response.headers[REPLAYED_HEADER] = "true"
    g.erp_idempotent_replay = True
    return response


def purge_expired() -> int:
    """Delete expired keys (the caller commits); return how many."""
    cutoff = utcnow() - timedelta(seconds=current_app.config["IDEMPOTENCY_TTL"])
    return db.session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < cutoff)).rowcount
