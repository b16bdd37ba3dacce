"""Failed-login throttling per client address and per username, shared by every worker.

Counters live in Redis when REDIS_URL is set, otherwise in the database (table
throttle_counters), so every worker and process agrees; fixed windows of
LOGIN_RATE_WINDOW seconds. During a Redis outage the counters fall back to
the database (logged once per outage), so logins stay throttled and possible.
"""
from __future__ import annotations

import math
from datetime import timedelta

import redis
from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from erp_admin.extensions import db
from erp_admin.kv import redis_call, redis_enabled, redis_key
from erp_admin.models import ThrottleCounter
from erp_admin.models.base import utcnow


def throttle_keys(client_addr: str | None, username: str | None) -> list[str]:
    """Return the counter keys one login attempt counts against."""
    keys = [f"login:addr:{client_addr or 'unknown'}"]
    if username:
        keys.append(f"login:user:{username.strip().lower()[:150]}")
    return keys


def retry_after(keys: list[str]) -> int | None:
    """Return seconds to wait when any key is over the limit, else None."""
    limit = current_app.config["LOGIN_RATE_LIMIT"]
    if redis_enabled():
        try:
            return redis_call(lambda client: _redis_retry_after(client, keys, limit))
        except redis.RedisError:
            pass  # counted in the database meanwhile (redis_call has logged the outage)
    window = timedelta(seconds=current_app.config["LOGIN_RATE_WINDOW"])
    now = utcnow()
    rows = db.session.execute(
        select(ThrottleCounter.window_start, ThrottleCounter.count).where(ThrottleCounter.key.in_(keys))
    ).all()
    waits = [
        (start + window - now).total_seconds()
        for start, count in rows
        if count >= limit and start + window > now
    ]
    return max(1, math.ceil(max(waits))) if waits else None


def record_failure(keys: list[str]) -> None:
    """Count one failed login against each key (atomic per key; the caller commits)."""
    if redis_enabled():
        try:
            redis_call(lambda client: _redis_record_failure(client, keys))
            return
        except redis.RedisError:
            pass
    window = timedelta(seconds=current_app.config["LOGIN_RATE_WINDOW"])
    now = utcnow()
    for key in keys:
        bumped = db.session.execute(
            update(ThrottleCounter)
            .where(ThrottleCounter.key == key, ThrottleCounter.window_start > now - window)
            .values(count=ThrottleCounter.count + 1)
        ).rowcount
        if bumped:
            continue
        insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
        stmt = insert(ThrottleCounter).values(key=key, window_start=now, count=1)
        db.session.execute(
            stmt.on_conflict_do_update(index_elements=["key"], set_={"window_start": now, "count": 1})
        )


def _redis_retry_after(client, keys: list[str], limit: int) -> int | None:
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.get(redis_key(key))
        pipe.pttl(redis_key(key))
    values = pipe.execute()
    waits = [
        ttl_ms / 1000
        for count, ttl_ms in zip(values[::2], values[1::2])
        if count is not None and int(count) >= limit and ttl_ms > 0
    ]
    return max(1, math.ceil(max(waits))) if waits else None


def _redis_record_failure(client, keys: list[str]) -> None:
    window = int(current_app.config["LOGIN_RATE_WINDOW"])
    pipe = client.pipeline(transaction=True)
    for key in keys:
        # INCR then EXPIRE NX: the first failure opens the window, later ones keep its end.
        pipe.incr(redis_key(key))
        pipe.expire(redis_key(key), window, nx=True)
    pipe.execute()
