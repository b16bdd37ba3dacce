"""Pooled connections are pinged before use only after sitting idle (erp_admin.db.connection_health)."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from erp_admin import create_app
from erp_admin.db import connection_health as stale_connections
from erp_admin.config import ConfigError
from erp_admin.db.connection_health import ping_idle_connections
from tests.conftest import test_config as make_config
from tests.support.clock import shift_clock


@pytest.fixture
def clock(monkeypatch):
    """The idle times are measured on a clock the tests move on by hand, not by sleeping."""
    return shift_clock(monkeypatch, stale_connections)


def _engine(tmp_path, idle_after, monkeypatch, alive=True):
    engine = create_engine(f"sqlite:///{tmp_path / 'ping.db'}", pool_size=1, max_overflow=0)
    ping_idle_connections(engine, idle_after)
    pings = []

    def do_ping(dbapi_connection):
        pings.append(dbapi_connection)
        return alive

    monkeypatch.setattr(engine.dialect, "do_ping", do_ping)
    return engine, pings


def _use(engine):
    with engine.connect() as conn:
        return conn.connection.dbapi_connection, conn.execute(text("SELECT 1")).scalar()


def test_a_connection_used_a_moment_ago_is_not_pinged(tmp_path, monkeypatch):
    engine, pings = _engine(tmp_path, 60, monkeypatch)
    for _ in range(3):
        assert _use(engine)[1] == 1
    assert pings == []  # fresh, then given back a moment before each checkout


def test_a_connection_idle_longer_than_the_limit_is_pinged(tmp_path, monkeypatch, clock):
    engine, pings = _engine(tmp_path, 0.05, monkeypatch)
    first, _ = _use(engine)
    clock.advance(0.1)
    second, _ = _use(engine)
    assert pings == [first] and second is first  # alive: kept
    _use(engine)
    assert len(pings) == 1  # used a moment ago: not pinged again


def test_zero_pings_at_every_checkout(tmp_path, monkeypatch):
    engine, pings = _engine(tmp_path, 0, monkeypatch)
    for _ in range(3):
        _use(engine)
    assert len(pings) == 3


def test_a_dead_idle_connection_is_replaced_by_a_new_one(tmp_path, monkeypatch, clock):
    engine, pings = _engine(tmp_path, 0.05, monkeypatch, alive=False)
    first, _ = _use(engine)
    clock.advance(0.1)
    second, value = _use(engine)  # the ping says dead: the pool opens another connection
    assert value == 1 and second is not first and pings == [first]


def test_a_ping_that_fails_with_a_disconnect_replaces_the_connection(tmp_path, monkeypatch, clock):
    engine, _ = _engine(tmp_path, 0.05, monkeypatch)
    first, _ = _use(engine)

    def broken(dbapi_connection):
        raise engine.dialect.loaded_dbapi.OperationalError("server closed the connection")

    monkeypatch.setattr(engine.dialect, "do_ping", broken)
    monkeypatch.setattr(engine.dialect, "is_disconnect", lambda exc, conn, cursor: True)
    clock.advance(0.1)
    second, value = _use(engine)  # the new connection is fresh: used without a ping
    assert value == 1 and second is not first


def test_a_ping_error_that_is_no_disconnect_is_raised(tmp_path, monkeypatch):
    engine, _ = _engine(tmp_path, 0, monkeypatch)

    def broken(dbapi_connection):
        raise engine.dialect.loaded_dbapi.ProgrammingError("not a disconnect")

    monkeypatch.setattr(engine.dialect, "do_ping", broken)
    with pytest.raises(Exception, match="not a disconnect"):
        _use(engine)


@pytest.mark.parametrize("value", [-1, "soon", True])
def test_a_bad_idle_limit_is_refused_at_startup(instance_path, database_url, value):
    with pytest.raises(ConfigError, match="DB_PING_IDLE_AFTER"):
        create_app(make_config(database_url, instance_path, DB_PING_IDLE_AFTER=value))
