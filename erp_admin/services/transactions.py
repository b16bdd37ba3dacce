"""Running a unit of work as one transaction, retried when the database asks for a retry.

PostgreSQL aborts a transaction with a serialization failure (SQLSTATE 40001,
under REPEATABLE READ / SERIALIZABLE) or a deadlock (40P01); SQLite answers
"database is locked" when a writer waited longer than the busy timeout. In
each case the server has rolled the transaction back, so running the whole
unit again is safe and writes nothing twice. Any other error (including a
lost connection during COMMIT, whose outcome is unknown) is never retried.
A unit that keeps failing ends as ServiceUnavailable (503), never a 500.
"""
from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from flask import current_app, has_app_context
from sqlalchemy.exc import DBAPIError

from erp_admin.extensions import db
from erp_admin.errors import ServiceUnavailable

T = TypeVar("T")
log = logging.getLogger(__name__)

# serialization_failure, deadlock_detected, lock_not_available (NOWAIT / lock_timeout)
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01", "55P03"})
SQLITE_BUSY_MESSAGES = ("database is locked", "database table is locked", "database schema is locked")
DEFAULT_ATTEMPTS = 5
DEFAULT_BACKOFF_MS = 20
MAX_BACKOFF_S = 0.5


def is_retryable(exc: BaseException) -> bool:
    """True when exc means the database rolled the transaction back and a rerun may succeed."""
    if not isinstance(exc, DBAPIError) or exc.connection_invalidated:
        return False
    orig = exc.orig
    if getattr(orig, "sqlstate", None) in RETRYABLE_SQLSTATES:
        return True
    if type(orig).__module__.startswith("sqlite3"):
        if getattr(orig, "sqlite_errorname", None) in ("SQLITE_BUSY", "SQLITE_LOCKED"):
            return True
        return any(text in str(orig).lower() for text in SQLITE_BUSY_MESSAGES)
    return False


def run_in_transaction(work: Callable[[], T], *, attempts: int | None = None) -> T:
    """Run work() and commit; on a retryable database error roll back and run it again (bounded).

    work must do all its reads and writes through db.session and must not
    commit; it is called again from scratch after a rollback, so it should
    have no side effects outside the database. Any exception rolls the
    session back before it propagates. Start it with no pending changes in
    the session: a retry rolls back everything, which work alone cannot redo.
    """
    session = db.session
    if session.new or session.deleted or any(session.is_modified(obj) for obj in session.dirty):
        raise RuntimeError("run_in_transaction needs a session without pending changes: commit them first, "
                           "or do them inside work()")
    config = current_app.config if has_app_context() else {}
    attempts = attempts or config.get("DB_RETRY_ATTEMPTS", DEFAULT_ATTEMPTS)
    backoff = config.get("DB_RETRY_BACKOFF_MS", DEFAULT_BACKOFF_MS) / 1000
    for attempt in range(1, attempts + 1):
        try:
            result = work()
            db.session.commit()
            return result
        except Exception as exc:
            db.session.rollback()
            if not is_retryable(exc):
                raise
            if attempt == attempts:
                log.warning("giving up after %d attempts: %s", attempts, exc.orig)
                raise ServiceUnavailable(
                    "The database is busy with concurrent changes; nothing was saved. Try again."
                ) from None
            # Full jitter keeps the retrying writers from colliding again in lockstep.
            time.sleep(random.uniform(0, min(MAX_BACKOFF_S, backoff * 2 ** (attempt - 1))))
    raise AssertionError("unreachable")  # pragma: no cover
