"""`flask erp adjust-stock` and `flask erp verify-stock`: the stock ledger from the command line."""
from __future__ import annotations

import click
from sqlalchemy import func, select

from erp_admin.cli import echo_ok, erp
from erp_admin.cli.actor import with_cli_actor
from erp_admin.extensions import db
from erp_admin.inventory.ledger import stock_drift
from erp_admin.inventory.stock import adjust_stock
from erp_admin.models import Product
from erp_admin.services.transactions import run_in_transaction


# ignore_unknown_options lets a negative DELTA ("-3") through as an argument.
@erp.command("adjust-stock", context_settings={"ignore_unknown_options": True})
@click.argument("sku")
@click.argument("delta", type=int)
@click.option("--reason", required=True, help="Why the stock changes (recorded on the movement), e.g. 'recount'.")
@with_cli_actor
def adjust_stock_command(sku: str, delta: int, reason: str) -> None:
    """Add DELTA (e.g. 5 or -3) to the stock of the product SKU, as one ledger movement.

    Refused, with nothing written, when the stock would go below zero.
    """
    def work():
        product_id = db.session.scalar(select(Product.id).where(Product.sku == sku))
        if product_id is None:
            raise click.ClickException(f"No product with SKU {sku!r}.")
        return adjust_stock(product_id, delta, reason)

    product = run_in_transaction(work)  # a ServiceError: `Error: <detail>`, exit 1 (cli.errors)
    echo_ok(f"{product.sku}: stock {product.quantity - delta} → {product.quantity} ({delta:+d}, {reason.strip()!r}).")


@erp.command("verify-stock")
def verify_stock_command() -> None:
    """Check that every product's stock movements add up to its quantity.

    Prints each product that drifts and exits with status 1; prints OK and exits 0 otherwise.
    """
    drifted = db.session.execute(stock_drift()).all()
    checked = db.session.scalar(select(func.count()).select_from(Product))
    db.session.rollback()
    if not drifted:
        echo_ok(f"OK: stock ledger consistent for all {checked} products (Σ movements = quantity).")
        return
    for product_id, sku, quantity, total in drifted:
        click.secho(
            f"DRIFT product {product_id} {sku}: quantity {quantity}, movements add up to {total} "
            f"(difference {quantity - total:+d})", fg="red", err=True,
        )
    click.secho(f"{len(drifted)} of {checked} products drift from their stock ledger.", fg="red", err=True)
    raise SystemExit(1)
