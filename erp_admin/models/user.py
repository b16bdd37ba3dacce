"""The User table: accounts for the panel, the API and the CLI."""
from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from erp_admin.models.base import NEVER_REUSE_IDS, Base, TimestampMixin, UTCDateTime

ROLES = ("admin", "manager", "user")
IDENTITY_KEY_LENGTH = 32


def new_identity_key() -> str:
    """Return a fresh random identity key for a new user."""
    return secrets.token_hex(IDENTITY_KEY_LENGTH // 2)


class User(TimestampMixin, Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'manager', 'user')", name="role_valid"),
        Index("ix_users_created_at", "created_at"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(50), unique=True, nullable=False)
    # Stored lower-cased by validation (unique case-insensitively).
    email: Mapped[str] = mapped_column(String(254), unique=True, nullable=False)
    full_name: Mapped[str | None] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16), nullable=False, default="user", server_default="user", index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True, server_default="1", index=True)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    # Bumped on password, role or active-flag change: tokens carrying an older
    # value (and panel sessions) stop working at once.
    token_version: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    # Random, set once at creation, never shown or edited: tokens and panel sessions carry it,
    # so they are honoured only for this user, even if a restored backup or a reset sequence
    # hands the same id to someone else.
    identity_key: Mapped[str] = mapped_column(String(IDENTITY_KEY_LENGTH), nullable=False, default=new_identity_key)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    # Flask-Login protocol (kept explicit rather than via UserMixin, whose
    # is_active property would shadow the column).
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        # The session stores id, token version and identity key, so a password/role change
        # or deactivation logs out every browser session too, and no other user can answer to it.
        return f"{self.id}:{self.token_version}:{self.identity_key}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.username!r} {self.role}>"
