"""Signing in with a username and password: the one routine behind the API and the panel login."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from erp_admin.audit.log import record
from erp_admin.audit.trail import mark_bookkeeping
from erp_admin.auth import throttle
from erp_admin.auth.passwords import burn_dummy_hash, check_password, hash_password
from erp_admin.db.engine import read_phase
from erp_admin.errors import LoginThrottled
from erp_admin.extensions import db
from erp_admin.models import User
from erp_admin.models.base import utcnow


@dataclass
class SignInResult:
    user: User | None

    @property
    def ok(self) -> bool:
        return self.user is not None


def authenticate(username, password, *, client_addr: str | None) -> SignInResult:
    """Check credentials, with throttling, rehashing and audit; commits its bookkeeping.

    Raises LoginThrottled when over the limit (right password or not).
    Unknown user, wrong password and inactive account are indistinguishable.
    """
    # A NUL cannot be in any stored username, and PostgreSQL refuses it in a query: treat as unknown.
    username = username if isinstance(username, str) and "\x00" not in username else ""
    password = password if isinstance(password, str) else ""
    keys = throttle.throttle_keys(client_addr, username)
    # The checks only read, and the password hash costs tens of milliseconds of CPU: neither
    # runs under SQLite's write lock (read_phase), so no other writer waits for a login.
    with read_phase():
        wait = throttle.retry_after(keys)
        if wait is not None:
            raise LoginThrottled(wait)
        user = db.session.scalar(select(User).where(User.username == username)) if username else None
    if user is None:
        burn_dummy_hash(password)  # same cost as a real check: timing reveals nothing
        ok, rehash = False, False
    else:
        checked_hash = user.password_hash
        ok, rehash = check_password(checked_hash, password)

    ok = ok and user.is_active
    # Only for an active account with the right password (a failure costs one verification,
    # nothing more), and before the write transaction: the hash is not made under its lock.
    new_hash = hash_password(password) if ok and rehash else None
    if ok:
        # Read again in the write transaction, under a row lock on PostgreSQL: a concurrent
        # login of the same user may have changed the row (its version) since, and a
        # password change must not be undone by the rehash below.
        db.session.refresh(user, with_for_update=True)
        ok = user.is_active and user.password_hash == checked_hash
    if ok:
        if new_hash:
            # Same password, stronger hash: bookkeeping, not an edit (the login entry says enough).
            user.password_hash = new_hash
            mark_bookkeeping(user, "password_hash")
        user.last_login_at = utcnow()
        throttle.record_success(keys)  # this address is now known for this user
        record("login", "user", user.id, user=user)
        db.session.commit()
        return SignInResult(user)

    throttle.record_failure(keys)
    record("login_failed", "user", user.id if user else None, {"username": [None, username[:50]]}, user=user)
    db.session.commit()
    return SignInResult(None)
