"""Panel sign-in and sign-out (blueprint `panel_auth`): the login form, safe `next`, server-side logout."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length

from erp_admin.admin.errors import answer
from erp_admin.admin.sessions import end_session, start_session
from erp_admin.audit.log import record
from erp_admin.auth.signin import authenticate
from erp_admin.errors import ServiceError
from erp_admin.extensions import db

bp = Blueprint("panel_auth", __name__, static_folder="static", static_url_path="/panel-static")

BAD_CREDENTIALS = "Invalid username or password."


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[InputRequired(), Length(max=150)])
    password = PasswordField("Password", validators=[InputRequired(), Length(max=256)])


def safe_next(target) -> str | None:
    """Return target when it is a path on this site, else None.

    Refuses absolute and scheme-relative URLs (`//evil.example`), backslash
    tricks (`/\\evil.example`, which browsers read as `//`), `javascript:`
    and control characters (browsers drop tabs and newlines, turning
    `/\\t/evil.example` into `//evil.example`).
    """
    if not isinstance(target, str) or not target.startswith("/") or len(target) > 2000:
        return None
    if target.startswith("//") or "\\" in target or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def home_url() -> str:
    return url_for("admin.index")


@bp.route("/login/", methods=("GET", "POST"))
def login():
    """Show the sign-in form; sign in with a new session and go to a safe `next`."""
    next_url = safe_next(request.values.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or home_url())
    form = LoginForm()
    error, status = None, 200
    if form.validate_on_submit():
        try:
            result = authenticate(form.username.data, form.password.data, client_addr=request.remote_addr)
        except ServiceError as exc:  # too many failures: LoginThrottled, a 429 with Retry-After
            status, headers = answer(exc, form)
            return render_template("panel_auth/login.html", form=form, next_url=next_url), status, headers
        if result.ok:
            start_session(result.user)
            db.session.commit()
            return redirect(next_url or home_url())
        error, status = BAD_CREDENTIALS, 200
    elif request.method == "POST":
        error, status = "Please enter your username and password.", 400
    return render_template("panel_auth/login.html", form=form, error=error, next_url=next_url), status


@bp.route("/logout/", methods=("POST",))
def logout():
    """End the session on the server (a copied cookie stops working) and in the browser."""
    if current_user.is_authenticated:
        record("logout", "user", current_user.id)
        end_session()
        db.session.commit()
    flash("You have been signed out.", "info")
    return redirect(url_for("panel_auth.login"))
