"""Failed-login throttling per client address and per username, shared by every worker.

The scheme (docs/security.md): failures are counted per client address and per
username in fixed windows of LOGIN_RATE_WINDOW seconds.

- An address with LOGIN_RATE_LIMIT failures (any usernames) is refused (429)
  for the rest of the window, whichever username it tries.
- A username with USER_LIMIT_FACTOR x LOGIN_RATE_LIMIT failures (from any
  addresses) is refused only to addresses that have not signed in as that user
  within KNOWN_ADDRESS_LIFETIME: one address can never reach it alone (it is
  stopped at LOGIN_RATE_LIMIT), so an attacker cannot lock a known user out,
  while stuffing one account from many addresses is still slowed.

Counters and known addresses live in Redis when REDIS_URL is set, otherwise in
the database (table throttle_counters, keyed by strings), so every worker and
process agrees. During a Redis outage they fall back to the database (logged
once per outage), so logins stay throttled and possible.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import timedelta

import redis
from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from erp_admin.extensions import db
from erp_admin.db.redis_store import redis_call, redis_enabled, redis_key
from erp_admin.models import ThrottleCounter
from erp_admin.models.base import utcnow

USER_LIMIT_FACTOR = 3  # a username's threshold, in LOGIN_RATE_LIMITs: above what one address may do
KNOWN_ADDRESS_LIFETIME = timedelta(days=30)  # a successful sign-in keeps its address "known" this long


@dataclass(frozen=True)
class LoginKeys:
    """The store keys one login attempt reads and writes."""

    address: str
    user: str | None  # None without a username
    known: str | None  # (username, address) signed in successfully lately


def throttle_keys(client_addr: str | None, username: str | None) -> LoginKeys:
    """Return the keys of a login attempt by username from client_addr."""
    addr = client_addr or "unknown"
    name = username.strip().lower()[:150] if username else ""
    if not name:
        return LoginKeys(f"login:addr:{addr}", None, None)
    pair = hashlib.sha256(f"{name}\n{addr}".encode()).hexdigest()  # bounded key length
    return LoginKeys(f"login:addr:{addr}", f"login:user:{name}", f"login:known:{pair}")


def retry_after(keys: LoginKeys) -> int | None:
    """Return seconds to wait when this attempt is throttled, else None."""
    if redis_enabled():
        try:
            return _decide(*redis_call(lambda client: _redis_state(client, keys)))
        except redis.RedisError:
            pass  # counted in the database meanwhile (redis_call has logged the outage)
    return _decide(*_db_state(keys))


def record_failure(keys: LoginKeys) -> None:
    """Count one failed login against the address and the username (atomic per key; the caller commits)."""
    counters = [k for k in (keys.address, keys.user) if k]
    if redis_enabled():
        try:
            redis_call(lambda client: _redis_record_failure(client, counters))
            return
        except redis.RedisError:
            pass
    window = timedelta(seconds=current_app.config["LOGIN_RATE_WINDOW"])
    now = utcnow()
    for key in counters:
        bumped = db.session.execute(
            update(ThrottleCounter)
            .where(ThrottleCounter.key == key, ThrottleCounter.window_start > now - window)
            .values(count=ThrottleCounter.count + 1)
        ).rowcount
        if not bumped:
            _db_upsert(key, 1)


def record_success(keys: LoginKeys) -> None:
    """Remember the address as known for the username (the caller commits)."""
    if keys.known is None:
        return
    if redis_enabled():
        seconds = int(KNOWN_ADDRESS_LIFETIME.total_seconds())
        try:
            redis_call(lambda client: client.set(redis_key(keys.known), b"1", ex=seconds))
            return
        except redis.RedisError:
            pass
    _db_upsert(keys.known, 1)  # window_start: when it signed in


def _decide(address: tuple[int, float], user: tuple[int, float], known: bool) -> int | None:
    """From (failures, seconds left in the window) of the address and the username: the wait, or None."""
    limit = int(current_app.config["LOGIN_RATE_LIMIT"])
    waits = []
    if address[0] >= limit:
        waits.append(address[1])
    if user[0] >= limit * USER_LIMIT_FACTOR and not known:
        waits.append(user[1])
    waits = [w for w in waits if w > 0]
    return max(1, math.ceil(max(waits))) if waits else None


def _db_state(keys: LoginKeys) -> tuple[tuple[int, float], tuple[int, float], bool]:
    window = timedelta(seconds=current_app.config["LOGIN_RATE_WINDOW"])
    now = utcnow()
    wanted = [k for k in (keys.address, keys.user, keys.known) if k]
    rows = {key: (start, count) for key, start, count in db.session.execute(
        select(ThrottleCounter.key, ThrottleCounter.window_start, ThrottleCounter.count)
        .where(ThrottleCounter.key.in_(wanted))
    )}
    def counter(key):
        if key not in rows or rows[key][0] + window <= now:
            return 0, 0.0
        start, count = rows[key]
        return count, (start + window - now).total_seconds()

    known = keys.known in rows and rows[keys.known][0] + KNOWN_ADDRESS_LIFETIME > now
    return counter(keys.address), counter(keys.user), known


def _db_upsert(key: str, count: int) -> None:
    now = utcnow()
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    stmt = insert(ThrottleCounter).values(key=key, window_start=now, count=count)
    db.session.execute(stmt.on_conflict_do_update(index_elements=["key"], set_={"window_start": now, "count": count}))


def _redis_state(client, keys: LoginKeys) -> tuple[tuple[int, float], tuple[int, float], bool]:
    counters = [k for k in (keys.address, keys.user) if k]
    pipe = client.pipeline(transaction=False)
    for key in counters:
        pipe.get(redis_key(key))
        pipe.pttl(redis_key(key))
    if keys.known:
        pipe.exists(redis_key(keys.known))
    values = pipe.execute()
    found = {key: (int(count), ttl_ms / 1000) for key, count, ttl_ms in zip(counters, values[0::2], values[1::2])
             if count is not None and ttl_ms > 0}
    known = bool(keys.known) and bool(values[-1])
    return found.get(keys.address, (0, 0.0)), found.get(keys.user, (0, 0.0)), known


def _redis_record_failure(client, keys: list[str]) -> None:
    window = int(current_app.config["LOGIN_RATE_WINDOW"])
    pipe = client.pipeline(transaction=True)
    for key in keys:
        # INCR then EXPIRE NX: the first failure opens the window, later ones keep its end.
        pipe.incr(redis_key(key))
        pipe.expire(redis_key(key), window, nx=True)
    pipe.execute()
