"""The --user option of CLI commands: who the audit trail names for CLI work."""
from __future__ import annotations

import functools

import click
from sqlalchemy import select

from erp_admin.audit.context import Actor, acting_as
from erp_admin.extensions import db
from erp_admin.models import User


def with_cli_actor(command):
    """Add --user NAME to a command and record its work under channel 'cli'."""

    @click.option("--user", "acting_username", metavar="NAME", default=None,
                  help="Username the audit log records for this change (default: none).")
    @functools.wraps(command)
    def wrapper(*args, acting_username=None, **kwargs):
        user = None
        if acting_username:
            user = db.session.scalar(select(User).where(User.username == acting_username))
            if user is None:
                raise click.BadParameter(f"no user named {acting_username!r}", param_hint="--user")
        # Scoped to the command, so a test runner's later work is not filed under it.
        with acting_as(Actor(channel="cli", user_id=user.id if user else None,
                             username=user.username if user else None)):
            return command(*args, **kwargs)

    return wrapper
