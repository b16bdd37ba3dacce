"""`flask erp create-user`, `set-password` and `deactivate-user`."""
from __future__ import annotations

import click
from sqlalchemy import select

from erp_admin.cli import echo_ok, erp
from erp_admin.cli.actor import with_cli_actor
from erp_admin.extensions import db
from erp_admin.models import ROLES, User
from erp_admin.services.records import create_record, update_record


def _find_user(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"No user named {username!r}.")
    return user


def _save(action):
    # A ServiceError ends the command as `Error: <detail>` (cli.errors, on every erp command).
    result = action()
    db.session.commit()
    return result


@erp.command("create-user")
@click.argument("username")
@click.option("--email", required=True, help="The user's email address.")
@click.option("--role", type=click.Choice(ROLES), default="user", show_default=True, help="Role.")
@click.option("--full-name", default=None, help="Display name.")
@click.password_option(help="Password (asked twice, hidden, when not given).")
@with_cli_actor
def create_user(username: str, email: str, role: str, full_name: str | None, password: str) -> None:
    """Create a user account."""
    user = _save(lambda: create_record(
        "users", {"username": username, "email": email, "role": role, "full_name": full_name, "password": password}
    ))
    echo_ok(f"Created {user.role} {user.username!r} (id {user.id}).")


@erp.command("set-password")
@click.argument("username")
@click.password_option(help="New password (asked twice, hidden, when not given).")
@with_cli_actor
def set_password(username: str, password: str) -> None:
    """Set a user's password; their existing tokens and sessions stop working."""
    user = _find_user(username)
    _save(lambda: update_record(user, {"password": password}))
    echo_ok(f"Password of {username!r} changed; existing tokens and sessions are revoked.")


@erp.command("deactivate-user")
@click.argument("username")
@with_cli_actor
def deactivate_user(username: str) -> None:
    """Deactivate a user: they cannot sign in and their tokens stop working at once."""
    user = _find_user(username)
    if not user.is_active:
        click.echo(f"{username!r} is already inactive.")
        return
    _save(lambda: update_record(user, {"is_active": False}))
    echo_ok(f"Deactivated {username!r}; their tokens and sessions are revoked.")
