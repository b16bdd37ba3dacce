"""The shared Redis connection (when REDIS_URL is set) for state every worker must agree on.

Every call goes through redis_call(), which watches for outages: the first
failure logs one warning (per app and process) saying what the app does
meanwhile, and for REDIS_RECHECK_INTERVAL seconds after a failure Redis is
not tried at all, so a hung Redis costs one timeout per interval, not one per
request. The first success after an outage logs that Redis is back.
"""
from __future__ import annotations

import time
from typing import Callable, TypeVar

import redis
from flask import current_app
from redis.backoff import NoBackoff
from redis.retry import Retry

T = TypeVar("T")
OUTAGE_CONSEQUENCE = ("bearer tokens are refused with 401 (token revocation fails closed) and "
                      "login throttling falls back to the database until Redis is back")


class RedisSuspended(redis.ConnectionError):
    """Redis failed moments ago: it is not tried again before REDIS_RECHECK_INTERVAL has passed."""


def redis_enabled() -> bool:
    """True when REDIS_URL is configured: revocations and throttle counters then live in Redis."""
    return bool(current_app.config.get("REDIS_URL"))


def redis_client() -> redis.Redis:
    """Return this app's Redis client (one connection pool per app)."""
    clients = current_app.extensions.setdefault("erp_redis", {})
    url = current_app.config["REDIS_URL"]
    if url not in clients:
        # Short timeouts and one immediate retry (a pooled connection Redis closed on a
        # restart): a dead Redis must fail a request fast (closed), not hang it.
        timeout = float(current_app.config["REDIS_TIMEOUT"])
        clients[url] = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout,
                                            retry=Retry(NoBackoff(), 1))
    return clients[url]


def redis_key(*parts: str) -> str:
    """Return a key under the configured prefix, so several apps can share one Redis."""
    return current_app.config["REDIS_KEY_PREFIX"] + ":".join(parts)


def _state() -> dict:
    states = current_app.extensions.setdefault("erp_redis_state", {})
    return states.setdefault(current_app.config["REDIS_URL"], {"down": False, "failed_at": 0.0})


def redis_call(work: Callable[[redis.Redis], T]) -> T:
    """Run work(client); raise redis.RedisError on failure (RedisSuspended right after one)."""
    state = _state()
    if state["down"] and time.monotonic() - state["failed_at"] < float(current_app.config["REDIS_RECHECK_INTERVAL"]):
        raise RedisSuspended("Redis failed moments ago; not retried yet.")
    try:
        result = work(redis_client())
    except redis.RedisError as exc:
        state["failed_at"] = time.monotonic()
        if not state["down"]:
            state["down"] = True
            current_app.logger.warning("Redis unavailable (%s): %s", type(exc).__name__, OUTAGE_CONSEQUENCE)
        raise
    if state["down"]:
        state["down"] = False
        current_app.logger.warning("Redis reachable again: revocation checks and login throttling use Redis again")
    return result
