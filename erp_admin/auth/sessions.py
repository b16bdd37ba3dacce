"""Flask-Login wiring for the panel: loading the signed-in user from the session.

Only the panel has a cookie session: API requests authenticate with a bearer
token, so under /api Flask gets a null session (no cookie read, signed or set).
"""
from __future__ import annotations

from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from erp_admin.extensions import db, login_manager
from erp_admin.models import User


class PanelOnlySessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, for every path but the API's."""

    def open_session(self, app, request):
        if request.path == "/api" or request.path.startswith("/api/"):
            return self.make_null_session(app)
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    app.session_interface = PanelOnlySessionInterface()
    login_manager.init_app(app)
    login_manager.login_view = "panel_auth.login"
    login_manager.session_protection = "strong"


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """Return the active user named by a session id of the form '<id>:<token_version>:<identity_key>'."""
    user_id, token_version, identity_key = (session_id.split(":") + ["", ""])[:3]
    if not user_id.isdigit() or not token_version.isdigit() or not identity_key:
        return None
    user = db.session.get(User, int(user_id))
    # A password, role or active-flag change bumps token_version: old sessions end. The identity
    # key differs for any other user who gets the same id (a restored backup, a reset sequence).
    if (user is None or not user.is_active or user.token_version != int(token_version)
            or user.identity_key != identity_key):
        return None
    return user
