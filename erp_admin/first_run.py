"""First run of the development server: demo data on an empty database, and a welcome message."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import click
from flask import Flask

from erp_admin.config import is_production


def prepare_dev_server(app: Flask, base_url: str) -> None:
    """Seed the demo data into an empty database and print where everything is."""
    if is_production(app):
        return
    from erp_admin.services.demo import database_is_empty, load_demo_data

    with app.app_context():
        seeded = database_is_empty()
        if seeded:
            load_demo_data()
    click.secho("\nERP Admin is starting", fg="green", bold=True)
    click.echo(f"  Admin panel : {base_url}/admin/")
    click.echo(f"  API docs    : {base_url}/api/docs")
    click.echo(f"  Database    : {app.config['SQLALCHEMY_DATABASE_URI']}")
    if seeded:
        click.echo("  Demo data loaded. Sign in as:")
    else:
        click.echo("  Demo logins (if the demo data was loaded):")
    click.echo("    admin / admin123   manager / manager123   johndoe / password123\n")


def flask_run_url(argv: Sequence[str], environ: Mapping[str, str]) -> str | None:
    """Return the URL `flask … run` serves on, or None when argv is another flask command."""
    from erp_admin.cli.argv import command_args, flask_command

    if flask_command(argv) != "run":
        return None
    host = environ.get("FLASK_RUN_HOST") or "127.0.0.1"
    port = environ.get("FLASK_RUN_PORT") or "5000"
    args = iter(command_args(argv))
    for arg in args:
        for name, short in (("--host", "-h"), ("--port", "-p")):
            if arg in (name, short):
                value = next(args, None)
            elif arg.startswith(name + "="):
                value = arg.split("=", 1)[1]
            else:
                continue
            if value is not None:
                host, port = (value, port) if name == "--host" else (host, value)
    return f"http://{host}:{port}"
