"""Signing in with a username and password: the one routine behind the API and the panel login."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from erp_admin.audit.log import record
from erp_admin.audit.trail import mark_bookkeeping
from erp_admin.auth import throttle
from erp_admin.auth.passwords import burn_dummy_hash, verify_password
from erp_admin.extensions import db
from erp_admin.models import User
from erp_admin.models.base import utcnow


class LoginThrottled(Exception):
    """Too many failed logins for this client address or username."""

    def __init__(self, retry_after: int):
        super().__init__(f"Too many failed logins; retry in {retry_after} s.")
        self.retry_after = retry_after


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
    username = username if isinstance(username, str) else ""
    password = password if isinstance(password, str) else ""
    keys = throttle.throttle_keys(client_addr, username)
    wait = throttle.retry_after(keys)
    if wait is not None:
        raise LoginThrottled(wait)

    user = db.session.scalar(select(User).where(User.username == username)) if username else None
    if user is None:
        burn_dummy_hash(password)  # same cost as a real check: timing reveals nothing
        ok, new_hash = False, None
    else:
        ok, new_hash = verify_password(user.password_hash, password)

    if ok and user.is_active:
        if new_hash:
            # Same password, stronger hash: bookkeeping, not an edit (the login entry says enough).
            user.password_hash = new_hash
            mark_bookkeeping(user, "password_hash")
        user.last_login_at = utcnow()
        record("login", "user", user.id, user=user)
        db.session.commit()
        return SignInResult(user)

    throttle.record_failure(keys)
    record("login_failed", "user", user.id if user else None, {"username": [None, username[:50]]}, user=user)
    db.session.commit()
    return SignInResult(None)
