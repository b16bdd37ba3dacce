"""Revoked tokens, shared by every worker: the revoked_tokens table is the record, Redis a copy.

Every revocation is written to the database, and to Redis too when REDIS_URL
is set; every check reads the database (folded into the per-request user
lookup) and, with Redis, Redis as well. So adding or removing REDIS_URL, or
Redis losing its data (it keeps nothing on disk), never brings a revoked
token back, and revocations that live only in Redis (written by an earlier
release) still count.

A Redis outage fails closed: checking a token raises RevocationUnavailable,
and the request is refused (401) instead of accepting a token that may have
been revoked. Logout during the outage answers 503 (its own token cannot be
checked), so the client knows it is not signed out.
"""
from __future__ import annotations

from datetime import datetime, timezone

import redis
from sqlalchemy import ColumnElement, bindparam, delete, exists, select

from erp_admin.errors import NotAuthenticated

from erp_admin.extensions import db
from erp_admin.db.redis_store import redis_call, redis_enabled, redis_key
from erp_admin.models import RevokedToken
from erp_admin.models.base import utcnow


# EXISTS(the revoked token :jti), for the per-request user lookup to read in the same statement.
REVOKED: ColumnElement[bool] = exists().where(RevokedToken.jti == bindparam("jti"))


class RevocationUnavailable(NotAuthenticated):
    """The revocation store cannot be read: the token is refused (fail closed)."""

    problem_kind = "token-invalid"  # api.errors.PROBLEM_KINDS


def revoke(jti: str, expires_at: datetime) -> None:
    """Revoke the token jti until it would have expired anyway (the caller commits)."""
    if db.session.get(RevokedToken, jti) is None:
        db.session.add(RevokedToken(jti=jti, expires_at=expires_at))
    # Expired entries can go: their tokens fail the expiry check anyway.
    db.session.execute(delete(RevokedToken).where(RevokedToken.expires_at < utcnow()))
    if redis_enabled():
        ttl = max(1, int((expires_at - utcnow()).total_seconds()) + 1)
        try:
            redis_call(lambda client: client.set(redis_key("revoked", jti), b"1", ex=ttl))
        except redis.RedisError:
            pass  # the database holds the revocation, and every check reads it


def revoked_in_redis(jti: str) -> bool:
    """With REDIS_URL: True when Redis holds a revocation of jti (raises RevocationUnavailable when down)."""
    if not redis_enabled():
        return False
    try:
        return bool(redis_call(lambda client: client.exists(redis_key("revoked", jti))))
    except redis.RedisError:
        raise RevocationUnavailable("The token cannot be checked right now; sign in again shortly.") from None


def revoked_in_database(jti: str) -> bool:
    """True when the revoked_tokens table holds jti (the per-request lookup reads REVOKED in its own statement)."""
    return db.session.scalar(select(RevokedToken.jti).where(RevokedToken.jti == jti)) is not None


def expiry_of(claims: dict) -> datetime:
    """Return a token's exp claim as an aware datetime."""
    return datetime.fromtimestamp(int(claims["exp"]), tz=timezone.utc)
