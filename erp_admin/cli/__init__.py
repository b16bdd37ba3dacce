"""`flask erp …` operator commands and the `flask shell` context."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

erp = AppGroup("erp", help="ERP Admin operator commands (database, users, demo data, imports).")


def init_app(app: Flask) -> None:
    """Register the erp command group and the shell context on app."""
    from erp_admin.cli import audit, csv, database, legacy, stock, users  # noqa: F401  (commands register on import)
    from erp_admin.cli.shell import shell_context

    app.cli.add_command(erp)
    app.shell_context_processor(shell_context)


def echo_ok(message: str) -> None:
    click.secho(message, fg="green")
