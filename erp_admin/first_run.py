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
    from erp_admin.demo import database_is_empty, load_demo_data

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


# Options of the `flask` group that take a value (they come before the command name).
_FLASK_VALUE_OPTIONS = {"--app", "-A", "--env-file", "-e"}


def flask_run_url(argv: Sequence[str], environ: Mapping[str, str]) -> str | None:
    """Return the URL `flask … run` serves on, or None when argv is another flask command."""
    args = iter(argv[1:])
    command = None
    for arg in args:
        if arg in _FLASK_VALUE_OPTIONS:
            next(args, None)
        elif not arg.startswith("-"):
            command = arg
            break
    if command != "run":
        return None
    host = environ.get("FLASK_RUN_HOST") or "127.0.0.1"
    port = environ.get("FLASK_RUN_PORT") or "5000"
    for arg in args:
        for names, kind in ((("--host", "-h"), "host"), (("--port", "-p"), "port")):
            for name in names:
                if arg == name:
                    value = next(args, None)
                elif name.startswith("--") and arg.startswith(name + "="):
                    value = arg.split("=", 1)[1]
                else:
                    continue
                if value is not None:
                    host, port = (value, port) if kind == "host" else (host, value)
    return f"http://{host}:{port}"
