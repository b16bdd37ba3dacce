"""State that every worker must share: revoked tokens, login throttling, idempotency keys.

Redis holds revocations and throttle counters when configured; these tables
are the default store, so several workers agree even without Redis.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from erp_admin.models.base import Base, UTCDateTime, utcnow


class RevokedToken(Base):
    __tablename__ = "revoked_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)


class ThrottleCounter(Base):
    """Failed-login counter for one key (client address or username) in one window."""

    __tablename__ = "throttle_counters"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class IdempotencyRecord(Base):
    """First response to a request carrying an Idempotency-Key, stored with the change it guards."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (Index("ix_idempotency_keys_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Scope = user id + method + path + the client's key, so keys never collide across users.
    scope: Mapped[str] = mapped_column(String(400), unique=True, nullable=False)
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    status: Mapped[int] = mapped_column(Integer, nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    headers: Mapped[str] = mapped_column(Text, nullable=False, default="{}")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
