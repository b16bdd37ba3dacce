"""First run of the development server: demo data on an empty database, and a welcome message."""
from __future__ import annotations

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
