"""Progress of a running CSV import, stored where every worker (and host) serving the polls can read it.

The import reports (phase, done, total) through csvio's Progress callbacks;
a ProgressReporter turns them into at most one store write per
WRITE_INTERVAL seconds (plus every change of phase) in one of three stores,
chosen per app:

- Redis, when REDIS_URL is set: one key per import, expiring after PROGRESS_TTL;
- PostgreSQL: the import_progress table, written on its own short autocommit
  connection, so a poll sees it while the import's transaction is still open;
- SQLite: one small JSON file per import under instance/import-progress/. The
  database file is write-locked during the import's write phase, so progress
  cannot go there; SQLite is single-host, so the instance folder is shared by
  every worker that could serve the poll.

Progress is a convenience: a store that fails (Redis down, a full disk) never
fails the import, the poll just sees no news. Each record is keyed by the
user id and a random progress id, so a user can only ever read their own.
"""
from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import redis
from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.exc import SQLAlchemyError

from erp_admin.extensions import db
from erp_admin.db.redis_store import redis_call, redis_enabled, redis_key
from erp_admin.models import ImportProgress
from erp_admin.models.base import utcnow

log = logging.getLogger(__name__)

PROGRESS_ID = re.compile(r"^[0-9a-f]{32}$")
PROGRESS_TTL = 3600  # seconds a progress record is kept after its last write
WRITE_INTERVAL = 0.2  # seconds between two writes within one phase
FILE_STORE_DIR = "import-progress"
PHASES = ("read", "validate", "write", "done")
_STORE_ERRORS = (redis.RedisError, SQLAlchemyError, OSError)


class ProgressUnavailable(RuntimeError):
    """The progress store cannot be read right now (e.g. Redis is down)."""


def is_progress_id(value) -> bool:
    """True for a well-formed progress id (32 lower-case hex digits)."""
    return isinstance(value, str) and bool(PROGRESS_ID.match(value))


def _key(user_id: int, progress_id: str) -> str:
    return f"{int(user_id)}:{progress_id}"


class RedisStore:
    name = "redis"

    def save(self, key: str, state: dict) -> None:
        redis_call(lambda client: client.set(redis_key("import-progress", key), json.dumps(state), ex=PROGRESS_TTL))

    def load(self, key: str) -> dict | None:
        raw = redis_call(lambda client: client.get(redis_key("import-progress", key)))
        return json.loads(raw) if raw else None

    def purge(self) -> None:
        pass  # keys expire by themselves


class TableStore:
    """The import_progress table, written outside the request's session and transaction."""

    name = "table"

    def save(self, key: str, state: dict) -> None:
        from sqlalchemy.dialects.postgresql import insert

        values = {"phase": state["phase"], "done": state["done"], "total": state["total"], "updated_at": utcnow()}
        statement = insert(ImportProgress).values(key=key, **values)
        statement = statement.on_conflict_do_update(index_elements=[ImportProgress.key], set_=values)
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(statement)

    def load(self, key: str) -> dict | None:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            row = conn.execute(select(ImportProgress.phase, ImportProgress.done, ImportProgress.total)
                               .where(ImportProgress.key == key)).first()
        return {"phase": row.phase, "done": row.done, "total": row.total} if row else None

    def purge(self) -> None:
        cutoff = utcnow() - timedelta(seconds=PROGRESS_TTL)
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(delete(ImportProgress).where(ImportProgress.updated_at < cutoff))


class FileStore:
    """One JSON file per import in the instance folder, replaced atomically at each write."""

    name = "file"

    def __init__(self, folder: Path):
        self.folder = folder

    def _path(self, key: str) -> Path:
        return self.folder / (key.replace(":", "-") + ".json")

    def save(self, key: str, state: dict) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        # Write beside the target, then rename: a reader sees the old or the new file, never half of one.
        fd, temporary = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        try:
            with os.fdopen(fd, "w") as handle:
                json.dump(state, handle)
            os.replace(temporary, self._path(key))
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def load(self, key: str) -> dict | None:
        try:
            return json.loads(self._path(key).read_text())
        except FileNotFoundError:
            return None

    def purge(self) -> None:
        if not self.folder.is_dir():
            return
        cutoff = time.time() - PROGRESS_TTL
        for path in self.folder.iterdir():
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
            except FileNotFoundError:  # another worker got there first
                pass


def progress_store():
    """The store this app's imports report to (see the module docstring)."""
    if redis_enabled():
        return RedisStore()
    if db.engine.dialect.name == "sqlite":
        return FileStore(Path(current_app.instance_path) / FILE_STORE_DIR)
    return TableStore()


def read_progress(user_id: int, progress_id: str) -> dict | None:
    """The last reported state {"phase", "done", "total"} of the user's import, or None.

    Raises ProgressUnavailable when the store cannot be read.
    """
    if not is_progress_id(progress_id):
        return None
    try:
        return progress_store().load(_key(user_id, progress_id))
    except _STORE_ERRORS as exc:
        raise ProgressUnavailable(type(exc).__name__) from None


class ProgressReporter:
    """A csvio Progress callback that writes the state of one import to the store, throttled."""

    def __init__(self, user_id: int, progress_id: str, *, rows_hint: int | None = None):
        self.store = progress_store()
        self.key = _key(user_id, progress_id)
        self.rows_hint = rows_hint  # estimated rows, the total shown while validating
        self._phase: str | None = None
        self._counts: tuple[int, int | None] = (0, None)
        self._last_write = 0.0
        try:
            self.store.purge()
        except _STORE_ERRORS as exc:
            log.warning("import progress: cannot purge old records (%s)", type(exc).__name__)

    def phase(self, phase: str, done: int = 0, total: int | None = None) -> None:
        """Enter phase now (always written)."""
        self._save(phase, done, total)

    def finish(self) -> None:
        """Record that the request is done (its answer is on its way), with the last counts reported."""
        self._save("done", *self._counts)

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        if phase == "validate" and total is None and self.rows_hint is not None:
            total = max(self.rows_hint, done)
        self._counts = (done, total)
        now = time.monotonic()
        if phase == self._phase and done != total and now - self._last_write < WRITE_INTERVAL:
            return
        self._save(phase, done, total)

    def _save(self, phase: str, done: int, total: int | None) -> None:
        self._phase = phase
        self._counts = (done, total)
        self._last_write = time.monotonic()
        try:
            self.store.save(self.key, {"phase": phase, "done": done, "total": total})
        except _STORE_ERRORS as exc:
            # Progress is a convenience: the import goes on, the poll sees no news.
            log.warning("import progress: cannot record %s (%s)", phase, type(exc).__name__)


def estimate_rows(data: bytes) -> int:
    """Data rows in a CSV file, counted as lines after the header (quoted line breaks count extra)."""
    lines = data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
    return max(lines - 1, 0)
