"""User: writable fields with their rules, and the JSON shape (never a password or hash)."""
from __future__ import annotations

from typing import Any

from erp_admin.models import User
from erp_admin.schemas.base import RecordSchema
from erp_admin.schemas.fields import Email, Password, Role, StrictBool, Username, optional_text
from erp_admin.schemas.serialize import iso

USER_FIELDS = ("id", "username", "email", "full_name", "role", "is_active", "created_at", "last_login_at", "version")
# Changing one of these revokes the user's existing tokens and sessions.
SECURITY_FIELDS = frozenset({"password", "role", "is_active"})


class UserSchema(RecordSchema):
    required_on_create = frozenset({"username", "email", "password"})
    not_nullable = frozenset({"username", "email", "password", "role", "is_active"})

    username: Username
    email: Email
    full_name: optional_text(100) = None
    role: Role = "user"
    is_active: StrictBool = True
    password: Password  # write-only: hashed on save, never serialised


def serialize_user(user: User) -> dict[str, Any]:
    """Return the API representation of a user."""
    return {
        "id": user.id,
        "username": user.username,
        "email": user.email,
        "full_name": user.full_name,
        "role": user.role,
        "is_active": user.is_active,
        "created_at": iso(user.created_at),
        "last_login_at": iso(user.last_login_at),
        "version": user.version,
    }
