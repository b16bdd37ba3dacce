"""`flask erp adjust-stock`, `verify-stock` and `audit-tail`."""
import json

import pytest
from sqlalchemy import select, text

from erp_admin.extensions import db
from erp_admin.models import AuditEntry, Product, StockMovement
from tests.factories import create_product


@pytest.fixture
def product(app):
    with app.app_context():
        return create_product(sku="CLI-1", name="Crate", quantity=5)


def movements(app):
    with app.app_context():
        return [(m.delta, m.reason, m.username) for m in db.session.scalars(select(StockMovement).order_by(StockMovement.id))]


def quantity(app, sku="CLI-1"):
    with app.app_context():
        return db.session.scalar(select(Product.quantity).where(Product.sku == sku))


@pytest.mark.parametrize("command", ["adjust-stock", "verify-stock", "audit-tail"])
def test_help(runner, command):
    result = runner.invoke(args=["erp", command, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output and len(result.output.splitlines()) > 4


def test_adjust_stock_up_and_down_with_user(app, runner, make_user, product):
    make_user("clerk")
    result = runner.invoke(args=["erp", "adjust-stock", "CLI-1", "3", "--reason", "delivery"])
    assert result.exit_code == 0, result.output
    assert "5 → 8" in result.output
    result = runner.invoke(args=["erp", "adjust-stock", "CLI-1", "-2", "--reason", "broken", "--user", "clerk"])
    assert result.exit_code == 0, result.output
    assert quantity(app) == 6
    assert movements(app) == [(5, "create", None), (3, "delivery", None), (-2, "broken", "clerk")]
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert (entry.channel, entry.username, entry.changes) == ("cli", "clerk", {"quantity": [8, 6]})


@pytest.mark.parametrize("args, message", [
    (["CLI-1", "-6", "--reason", "x"], "below zero"),
    (["NOPE", "1", "--reason", "x"], "No product with SKU"),
    (["CLI-1", "0", "--reason", "x"], "delta"),
    (["CLI-1", "1", "--reason", "  "], "reason"),
    (["CLI-1", "abc", "--reason", "x"], "not a valid integer"),
    (["CLI-1", "1"], "--reason"),
    (["CLI-1", "1", "--reason", "x", "--user", "ghost"], "no user named"),
])
def test_adjust_stock_refusals_write_nothing(app, runner, product, args, message):
    result = runner.invoke(args=["erp", "adjust-stock", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert quantity(app) == 5 and movements(app) == [(5, "create", None)]


def test_verify_stock_passes_on_a_consistent_ledger(app, runner, product):
    runner.invoke(args=["erp", "adjust-stock", "CLI-1", "2", "--reason", "delivery"])
    with app.app_context():
        create_product(sku="CLI-2", quantity=0)
    result = runner.invoke(args=["erp", "verify-stock"])
    assert result.exit_code == 0
    assert "OK" in result.output and "2 products" in result.output


def test_verify_stock_reports_drift_with_exit_code_1(app, runner, product):
    with app.app_context():
        create_product(sku="CLI-2", quantity=4)
        db.session.execute(text("UPDATE products SET quantity = quantity + 3 WHERE sku = 'CLI-1'"))
        db.session.execute(text("DELETE FROM stock_movements WHERE sku = 'CLI-2'"))
        db.session.commit()
    result = runner.invoke(args=["erp", "verify-stock"])
    assert result.exit_code == 1
    assert "CLI-1: quantity 8, movements add up to 5 (difference +3)" in result.output
    assert "CLI-2: quantity 4, movements add up to 0 (difference +4)" in result.output
    assert "OK" not in result.output


def test_audit_tail_prints_the_latest_entries(app, runner, make_user, product):
    make_user("clerk")
    runner.invoke(args=["erp", "adjust-stock", "CLI-1", "1", "--reason", "x", "--user", "clerk"])
    result = runner.invoke(args=["erp", "audit-tail", "-n", "2"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 2
    assert "create" in lines[0] and "user" in lines[0]  # clerk's creation, oldest of the two first
    assert "cli" in lines[1] and "clerk" in lines[1] and "product" in lines[1] and "quantity: 5 → 6" in lines[1]
    assert "***" in lines[0] and "$argon2" not in result.output

    result = runner.invoke(args=["erp", "audit-tail", "--entity", "product", "--json"])
    rows = [json.loads(line) for line in result.output.strip().splitlines()]
    assert [(r["entity"], r["action"]) for r in rows] == [("product", "create"), ("product", "update")]
    assert runner.invoke(args=["erp", "audit-tail", "--entity", "customer"]).output.strip() == "No audit entries match."
    assert runner.invoke(args=["erp", "audit-tail", "--entity", "order"]).exit_code != 0


def test_cli_user_commands_are_audited_as_cli(app, runner, make_user):
    make_user("boss", role="admin")
    result = runner.invoke(args=["erp", "create-user", "newbie", "--email", "n@example.com",
                                 "--password", "password-123", "--user", "boss"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert (entry.action, entry.channel, entry.username) == ("create", "cli", "boss")
        # The actor is scoped to the command: later work is not filed under it.
        create_product(sku="AFTER")
        entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert (entry.entity, entry.channel, entry.username) == ("product", "shell", None)
