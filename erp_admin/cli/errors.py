"""The CLI's adapter for the error family: every `flask erp` command answers a ServiceError with `Error: <detail>` and exit status 1."""
from __future__ import annotations

from functools import wraps

import click

from erp_admin.errors import ServiceError
from erp_admin.extensions import db


def answers_errors(command):
    """Decorate a command so a ServiceError rolls back and ends it as `Error: <detail>` on stderr, exit status 1."""

    @wraps(command)
    def run(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except ServiceError as exc:
            db.session.rollback()
            # A validation error's detail lists each field: "email: is not a valid email address; ...".
            raise click.ClickException(exc.detail) from None

    run.answers_service_errors = True  # kept by the decorators above it (functools.wraps copies it)
    return run
