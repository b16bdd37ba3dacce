"""Database engine behaviour: SQLite pragmas and write locking, and migrating on first run."""
from __future__ import annotations

import fcntl
import logging
import sqlite3
from contextlib import contextmanager
from pathlib import Path

from flask import Flask, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import Pool

from erp_admin.extensions import db, migrate
from erp_admin.db.row_counts import is_counts_object
from erp_admin.db.search import is_search_object
from erp_admin.db.sqlite_lock import LockingConnection, WriteLockTimeout
from erp_admin.db.connection_health import ping_idle_connections

MIGRATIONS_DIR = str(Path(__file__).parent.parent / "migrations")
READ_ONLY_METHODS = {"GET", "HEAD", "OPTIONS"}
# Execution option marking a connection that only reads (e.g. the CSV import's validation):
# on SQLite it begins with a plain BEGIN, so it never holds the write lock.
READ_ONLY_OPTION = "erp_read_only"
_READ_PHASE = "_erp_read_phase"  # flask.g flag: the write request's reads before its write transaction


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, connection_record):
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Take transaction control from pysqlite so the "begin" hook below decides how to BEGIN.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(conn):
    if conn.dialect.name != "sqlite":
        return
    # A deferred BEGIN that later writes can fail with "database is locked"
    # under several workers even with a busy timeout; write transactions take
    # the write lock up front (and queue on busy_timeout) instead.
    if (has_request_context() and (request.method in READ_ONLY_METHODS or g.get(_READ_PHASE))
            or conn.get_execution_options().get(READ_ONLY_OPTION)):
        conn.exec_driver_sql("BEGIN")
        return
    # The lock file queues writers fairly and wakes them at once (see sqlite_lock);
    # the connection releases it after COMMIT or ROLLBACK.
    write_lock = getattr(conn.connection.dbapi_connection, "write_lock", None)
    if write_lock is not None:
        try:
            write_lock.acquire()
        except WriteLockTimeout:
            # The same error SQLite gives past its busy timeout: retried, then a 503.
            raise OperationalError("BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked")) from None
    try:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    except BaseException:
        if write_lock is not None:
            write_lock.release()
        raise


@event.listens_for(Pool, "checkin")
def _release_write_lock(dbapi_connection, connection_record):
    # A safety net: the pool's reset rolled back already, which released it.
    write_lock = getattr(dbapi_connection, "write_lock", None)
    if write_lock is not None and write_lock.held and not dbapi_connection.in_transaction:
        write_lock.release()


@contextmanager
def read_phase():
    """Run a write request's preliminary reads (the token checks) in a read transaction, ended after the block.

    On SQLite, a write request would otherwise take the write lock at its first
    statement, and every other writer would wait while it checks its token.
    The objects loaded stay as they are (nothing was written, nothing expires),
    and the request's writes begin a new transaction, with BEGIN IMMEDIATE.
    The check and the write are then two transactions, as on PostgreSQL under
    READ COMMITTED, where a token revoked in between is not seen either.
    Elsewhere (PostgreSQL, reads, a transaction already open) it changes nothing.
    """
    session = db.session()
    if (not has_request_context() or request.method in READ_ONLY_METHODS or session.in_transaction()
            or session.get_bind().dialect.name != "sqlite"):
        yield
        return
    setattr(g, _READ_PHASE, True)
    try:
        yield
    finally:
        g.pop(_READ_PHASE, None)
    if session.in_transaction() and not (session.new or session.dirty or session.deleted):
        expire, session.expire_on_commit = session.expire_on_commit, False
        try:
            session.commit()
        finally:
            session.expire_on_commit = expire


def init_app(app: Flask) -> None:
    """Bind SQLAlchemy and Alembic to the app (create_app migrates on first run where allowed)."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") and app.config["SQLITE_WRITE_LOCK"]:
        options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
        options["connect_args"] = {"factory": LockingConnection, **options.get("connect_args", {})}
    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            ping_idle_connections(engine, app.config["DB_PING_IDLE_AFTER"])
    migrate.init_app(
        app, db, directory=MIGRATIONS_DIR, render_as_batch=True, compare_type=True,
        include_object=include_in_migrations,
    )


# SQLite-only indexes on id alone (migration 0004) that serve list paging and counts.
SCAN_INDEX_SUFFIX = "_id_scan"


def include_in_migrations(obj, name, type_, reflected, compare_to) -> bool:
    """Leave what migrations own but models do not declare (search, id scans, row counts) out of autogenerate."""
    if type_ == "index" and name and name.endswith(SCAN_INDEX_SUFFIX):
        return False
    return not (is_search_object(name, type_) or is_counts_object(name, type_))


def upgrade_database(app: Flask) -> bool:
    """Create or upgrade the schema to the newest migration, one process at a time.

    Returns True when a migration ran. An up-to-date database is left alone,
    so Alembic (and its log lines) only run when there is work to do.
    """
    from flask_migrate import upgrade

    with app.app_context():
        if not pending_migrations():
            return False
    lock_path = Path(app.instance_path) / ".migrate.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as lock, app.app_context():
        # Several workers starting together must not race on the same DDL.
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            upgrade(directory=MIGRATIONS_DIR)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
            # No pooled connection of the migration outlives it (e.g. into forked workers).
            db.engine.dispose()
    return True


def pending_migrations() -> bool:
    """True when the database (in the current app context) is not at the newest migration."""
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", MIGRATIONS_DIR)
    heads = set(ScriptDirectory.from_config(config).get_heads())
    # Only a real upgrade should print Alembic's INFO lines, not this check.
    migration_log = logging.getLogger("alembic.runtime.migration")
    level = migration_log.level
    migration_log.setLevel(logging.WARNING)
    try:
        with db.engine.connect() as conn:
            current = set(MigrationContext.configure(conn).get_current_heads())
    finally:
        migration_log.setLevel(level)
    db.engine.dispose()
    return current != heads
