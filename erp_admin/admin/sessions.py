"""Server-side panel sessions: started at login, checked on every request, ended at logout.

Flask's session is a signed cookie, so without a server-side record a copy of
it would stay valid after logout. Each login stores the digest of a fresh
random nonce; the cookie carries the nonce; logout deletes the record.
"""
from __future__ import annotations

import hashlib
import secrets

from flask import current_app, session
from flask_login import login_user, logout_user
from sqlalchemy import delete, select

from erp_admin.extensions import db
from erp_admin.models import PanelSession, User
from erp_admin.models.base import utcnow

SESSION_KEY = "panel_sid"


def _digest(nonce: str) -> str:
    return hashlib.sha256(nonce.encode("utf-8")).hexdigest()


def start_session(user: User) -> None:
    """Sign user in with a brand-new session id (the old session's data is dropped); the caller commits."""
    # A fresh session at login: nothing planted before sign-in (fixation) survives.
    session.clear()
    cutoff = utcnow() - current_app.config["PANEL_SESSION_LIFETIME"]
    # Expired records are of no further use: prune them as we go (indexed on created_at).
    db.session.execute(delete(PanelSession).where(PanelSession.created_at < cutoff))
    nonce = secrets.token_urlsafe(32)
    db.session.add(PanelSession(id=_digest(nonce), user_id=user.id, created_at=utcnow()))
    session[SESSION_KEY] = nonce
    login_user(user)


def end_session() -> None:
    """Forget the current session on the server and in the cookie; the caller commits."""
    nonce = session.get(SESSION_KEY)
    if isinstance(nonce, str):
        db.session.execute(delete(PanelSession).where(PanelSession.id == _digest(nonce)))
    logout_user()
    session.clear()


def session_is_live() -> bool:
    """True when the cookie names a session the server still holds for the same user."""
    nonce = session.get(SESSION_KEY)
    user_part = str(session.get("_user_id", "")).partition(":")[0]
    if not isinstance(nonce, str) or not user_part.isdigit():
        return False
    row = db.session.execute(
        select(PanelSession.user_id, PanelSession.created_at).where(PanelSession.id == _digest(nonce))
    ).first()
    if row is None or row.user_id != int(user_part):
        return False
    return row.created_at > utcnow() - current_app.config["PANEL_SESSION_LIFETIME"]


def drop_dead_session() -> None:
    """Before Flask-Login reads the cookie: clear a session the server no longer holds."""
    if "_user_id" in session and not session_is_live():
        session.clear()
