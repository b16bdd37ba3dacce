"""The shared Redis connection (when REDIS_URL is set) for state every worker must agree on."""
from __future__ import annotations

import redis
from flask import current_app


def redis_enabled() -> bool:
    """True when REDIS_URL is configured: revocations and throttle counters then live in Redis."""
    return bool(current_app.config.get("REDIS_URL"))


def redis_client() -> redis.Redis:
    """Return this app's Redis client (one connection pool per app)."""
    clients = current_app.extensions.setdefault("erp_redis", {})
    url = current_app.config["REDIS_URL"]
    if url not in clients:
        # Short timeouts: a dead Redis must fail a request fast (closed), not hang it.
        clients[url] = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    return clients[url]


def redis_key(*parts: str) -> str:
    """Return a key under the configured prefix, so several apps can share one Redis."""
    return current_app.config["REDIS_KEY_PREFIX"] + ":".join(parts)


# Per process: True while Redis is failing, so an outage is logged once, not on every request.
_outage = {"down": False}


def redis_failed(consequence: str, exc: Exception) -> None:
    """Note a failed Redis call; log a warning (with consequence) when an outage begins."""
    if not _outage["down"]:
        _outage["down"] = True
        current_app.logger.warning("Redis unavailable (%s): %s", type(exc).__name__, consequence)


def redis_succeeded() -> None:
    """Note a successful Redis call; log when an outage ends."""
    if _outage["down"]:
        _outage["down"] = False
        current_app.logger.warning("Redis reachable again: shared revocation and throttling are back in Redis")
