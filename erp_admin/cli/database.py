"""`flask erp init-db`, `flask erp seed` and `flask erp verify-counts`: the schema, the demo data, the row counters."""
from __future__ import annotations

import time

import click
from flask import current_app

from erp_admin.cli import echo_ok, erp
from erp_admin.cli.actor import with_cli_actor
from erp_admin.config import is_production
from erp_admin.db.engine import upgrade_database


@erp.command("init-db")
def init_db() -> None:
    """Create the database, or upgrade it to the newest schema."""
    migrated = upgrade_database(current_app)
    url = current_app.extensions["sqlalchemy"].engine.url.render_as_string(hide_password=True)
    echo_ok(f"Database {'migrated to the newest schema' if migrated else 'is up to date'}: {url}")


@erp.command("seed")
@click.option("--products", "synthetic", type=click.IntRange(min=0), default=0, show_default=True,
              help="Also add this many synthetic products (varied names, categories, prices, stock).")
@with_cli_actor
def seed(synthetic: int) -> None:
    """Add the demo data: users and a few records of each resource (refused in production).

    With --products N, also add N synthetic products for trying the app at scale.
    """
    from erp_admin.services.demo import load_demo_data

    if is_production(current_app):
        raise click.ClickException("Demo data (with well-known passwords) is never loaded in production.")
    added = load_demo_data()
    counts = ", ".join(f"{count} {name}" for name, count in added.items())
    echo_ok(f"Demo data: {counts} added (existing ones kept).")
    click.echo("Logins: admin/admin123 (admin), manager/manager123 (manager), johndoe/password123 (user)")
    if synthetic:
        from erp_admin.services.synthetic import add_synthetic_products

        started = time.perf_counter()
        with click.progressbar(length=synthetic, label="Synthetic products", show_pos=True) as bar:
            added_count = add_synthetic_products(synthetic, progress=bar.update)
        echo_ok(f"Added {added_count} synthetic products in {time.perf_counter() - started:.1f} s.")


@erp.command("verify-counts")
@click.option("--fix", is_flag=True, help="Set the drifted counters to the real row counts (writers wait meanwhile).")
def verify_counts(fix: bool) -> None:
    """Check PostgreSQL's row counters (the lists' X-Total-Count) against count(*).

    Prints OK and exits 0, or one DRIFT line per table and exits 1; with --fix
    the counters are set right and it exits 0. SQLite keeps no counters.
    """
    from erp_admin.extensions import db
    from erp_admin.db.row_counts import counter_drift, recount
    from erp_admin.resources import declared

    engine = db.engine
    if engine.dialect.name != "postgresql":
        echo_ok(f"No row counters on {engine.dialect.name}: lists count their rows directly.")
        return
    tables = [r.model.__tablename__ for r in declared() if r.counted]
    with engine.begin() as conn:
        drift = recount(conn, tables) if fix else counter_drift(conn, tables)
    if not drift:
        echo_ok("OK: every row counter equals its table's row count.")
        return
    for table, (counter, actual) in drift.items():
        click.secho(f"{'FIXED' if fix else 'DRIFT'} {table}: counter {counter}, rows {actual}",
                    fg="yellow" if fix else "red", err=True)
    if not fix:
        raise SystemExit(1)
