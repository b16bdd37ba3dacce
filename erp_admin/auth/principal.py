"""The signed-in user of an API request: a read-only snapshot of the user's row.

A bearer token is checked on every request, so the lookup behind it is the
hottest statement the API runs. It reads the user's columns (never the
password hash) in one Core statement, together with the token's revocation
flag when revocations live in the database, and returns a `Principal`
instead of an ORM `User`: no identity map, no change tracking, nothing a
view could write back by accident. Everything downstream (the role check,
the audit actor, the services' self-rules, `/api/auth/me`) reads only these
attributes.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, bindparam, select

from erp_admin.models import User

USERS = User.__table__
# Every column but the password hash, in table order.
PRINCIPAL_COLUMNS = tuple(column for column in USERS.c if column.key != "password_hash")


@dataclass(frozen=True, slots=True)
class Principal:
    id: int
    username: str
    email: str
    full_name: str | None
    role: str
    is_active: bool
    token_version: int
    identity_key: str
    last_login_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime

    # The Flask-Login protocol, so the panel's and the API's users read alike.
    is_authenticated = True
    is_anonymous = False


def principal_statement(revoked: ColumnElement[bool] | None = None) -> Select:
    """SELECT the principal columns of the user :user_id (and `revoked` AS revoked, when given)."""
    columns = [*PRINCIPAL_COLUMNS]
    if revoked is not None:
        columns.append(revoked.label("revoked"))
    return select(*columns).where(USERS.c.id == bindparam("user_id"))


def principal_from_row(row) -> Principal:
    mapping = row._mapping
    return Principal(**{column.key: mapping[column.key] for column in PRINCIPAL_COLUMNS})
