"""The same change through every path: exactly one audit entry (right channel and user) and, for a quantity
change, exactly one movement; afterwards `flask erp verify-stock` finds no drift.

Paths: the API (PUT and adjust-stock), the panel (adjust form, edit form, inline edit), the CLI
(adjust-stock, import-csv) and a `flask shell` session in a subprocess. Each path changes what it
can: the panel's forms and inline edit cannot set the quantity (stock changes there go through
the adjust form, with a reason), so they rename the product.
"""
from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from erp_admin.extensions import db
from erp_admin.models import AuditEntry, Product, StockMovement
from tests.admin.conftest import Panel
from tests.concurrency.gunicorn_server import ROOT, server_env
from tests.factories import create_product

SKU = "PATH-1"
START = 5
DELTA = 3


@dataclass
class Expected:
    channel: str
    user: str | None
    changes: dict  # the audit entry's changes
    delta: int | None = None  # the movement's delta, None: no quantity change, no movement
    reason: str | None = None


QUANTITY = {"quantity": [START, START + DELTA]}
RENAMED = {"name": ["Path widget", "Renamed widget"]}


def _panel(app, make_user) -> Panel:
    make_user("clerk", role="user")
    panel = Panel(app.test_client())
    assert panel.login("clerk").status_code == 302
    return panel


def api_put(ctx):
    response = ctx.client.put(f"/api/products/{ctx.product.id}", json={"quantity": START + DELTA},
                              headers=ctx.tokens("user", "clerk"))
    assert response.status_code == 200, response.get_data(as_text=True)
    return Expected("api", "clerk", QUANTITY, DELTA, "edit")


def api_adjust(ctx):
    response = ctx.client.post(f"/api/products/{ctx.product.id}/adjust-stock", json={"delta": DELTA, "reason": "delivery"},
                               headers=ctx.tokens("user", "clerk"))
    assert response.status_code == 200, response.get_data(as_text=True)
    return Expected("api", "clerk", QUANTITY, DELTA, "delivery")


def panel_adjust_form(ctx):
    response = _panel(ctx.app, ctx.make_user).post(f"/admin/products/adjust/?id={ctx.product.id}",
                                                    {"delta": str(DELTA), "reason": "delivery"})
    assert response.status_code == 302, response.get_data(as_text=True)
    return Expected("admin", "clerk", QUANTITY, DELTA, "delivery")


def panel_edit_form(ctx):
    p = ctx.product
    response = _panel(ctx.app, ctx.make_user).post(f"/admin/products/edit/?id={p.id}", {
        "sku": SKU, "name": "Renamed widget", "description": "", "category": "", "price": "9.99",
        "reorder_level": "0", "version": str(p.version)})
    assert response.status_code == 302, response.get_data(as_text=True)
    return Expected("admin", "clerk", RENAMED)


def panel_inline_edit(ctx):
    response = _panel(ctx.app, ctx.make_user).post("/admin/products/ajax/update/",
                                                    {"list_form_pk": str(ctx.product.id), "name": "Renamed widget"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return Expected("admin", "clerk", RENAMED)


def cli_adjust_stock(ctx):
    ctx.make_user("clerk", role="user")
    result = ctx.runner.invoke(args=["erp", "adjust-stock", SKU, str(DELTA), "--reason", "delivery", "--user", "clerk"])
    assert result.exit_code == 0, result.output
    return Expected("cli", "clerk", QUANTITY, DELTA, "delivery")


def cli_import_csv(ctx):
    ctx.make_user("clerk", role="user")
    path = ctx.tmp_path / "stock.csv"
    path.write_text(f"sku,quantity\n{SKU},{START + DELTA}\n")
    result = ctx.runner.invoke(args=["erp", "import-csv", "products", str(path), "--user", "clerk"])
    assert result.exit_code == 0, result.output
    return Expected("cli", "clerk", QUANTITY, DELTA, "import")


SHELL_SESSION = f"""
p = db.session.scalar(select(Product).where(Product.sku == "{SKU}"))
p.quantity = {START + DELTA}
db.session.commit()
print("SHELL-DONE")
"""


def flask_shell(ctx):
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "shell"], input=SHELL_SESSION, cwd=ROOT,
                            env=server_env(ctx.database_url, ctx.instance_path), capture_output=True, text=True,
                            timeout=60)
    assert "SHELL-DONE" in result.stdout, result.stdout + result.stderr
    return Expected("shell", None, QUANTITY, DELTA, "edit")


PATHS = [api_put, api_adjust, panel_adjust_form, panel_edit_form, panel_inline_edit, cli_adjust_stock, cli_import_csv,
         flask_shell]


@dataclass
class Context:
    app: object
    client: object
    runner: object
    tokens: object
    make_user: object
    tmp_path: object
    database_url: str
    instance_path: str
    product: object = None


# flask_shell starts a fresh process: slow.
@pytest.mark.parametrize("path", [pytest.param(p, marks=pytest.mark.slow) if p is flask_shell else p for p in PATHS],
                         ids=[p.__name__ for p in PATHS])
def test_one_change_one_audit_entry_and_one_movement(app, client, runner, tokens, make_user, tmp_path, database_url,
                                                     instance_path, path):
    ctx = Context(app, client, runner, tokens, make_user, tmp_path, database_url, instance_path)
    with app.app_context():
        ctx.product = create_product(sku=SKU, name="Path widget", quantity=START)
        last_entry = db.session.scalar(select(db.func.max(AuditEntry.id)))
        last_move = db.session.scalar(select(db.func.max(StockMovement.id)))

    expected = path(ctx)

    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.id > last_entry, AuditEntry.entity == "product")).all()
        assert [(e.action, e.entity_id, e.channel, e.username) for e in entries] == [
            ("update", ctx.product.id, expected.channel, expected.user)]
        changes = {k: v for k, v in entries[0].changes.items() if k not in ("updated_at", "version")}
        assert changes == expected.changes
        moves = db.session.scalars(select(StockMovement).where(StockMovement.id > last_move)).all()
        if expected.delta is None:
            assert moves == []
        else:
            assert [(m.product_id, m.delta, m.quantity_after, m.reason, m.username) for m in moves] == [
                (ctx.product.id, expected.delta, START + expected.delta, expected.reason, expected.user)]
        assert db.session.get(Product, ctx.product.id).quantity == START + (expected.delta or 0)
    verify = runner.invoke(args=["erp", "verify-stock"])
    assert verify.exit_code == 0, verify.output
