"""Stale pooled connections: pinged before use when they sat idle, replaced when the database went away.

SQLAlchemy's `pool_pre_ping` pings on every checkout, which on PostgreSQL is
one more round trip per request (about 5 % of a worker's CPU on a read, and
the wait). A connection given back to the pool a moment ago is as alive as
a ping would show, so only connections idle for DB_PING_IDLE_AFTER seconds
are pinged (0: every checkout, like pool_pre_ping). What this leaves out is
a database that restarts between two requests less than that apart: the
next request fails with a 503 (api.errors), SQLAlchemy sees the disconnect
and discards the whole pool, and the one after it runs on new connections.
During an outage every request fails and discards its connection the same
way, so when the database is back the workers recover without a restart.
"""
from __future__ import annotations

import time

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError

_LAST_USED = "erp_last_used"  # key in the connection record's info: time.monotonic() at check-in


def ping_idle_connections(engine: Engine, idle_after: float) -> None:
    """Ping engine's pooled connections at checkout when they were idle more than idle_after seconds."""
    dialect = engine.dialect

    @event.listens_for(engine, "connect")
    def _fresh(dbapi_connection, record):
        record.info[_LAST_USED] = time.monotonic()  # just opened: alive

    @event.listens_for(engine, "checkin")
    def _given_back(dbapi_connection, record):
        if dbapi_connection is not None:
            record.info[_LAST_USED] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, proxy):
        last_used = record.info.get(_LAST_USED)
        if last_used is not None and time.monotonic() - last_used < idle_after:
            return
        try:
            alive = dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as exc:
            if not dialect.is_disconnect(exc, dbapi_connection, None):
                raise
            alive = False
        if not alive:
            # The pool drops this connection and checks out another (a new one if need be).
            raise DisconnectionError("the pooled connection is gone")
        record.info[_LAST_USED] = time.monotonic()
