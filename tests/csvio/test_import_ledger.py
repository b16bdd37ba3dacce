"""An import's quantity changes are stock movements with reason "import"; every written row is audited.

These need the ledger branch (session events that turn ORM changes into
movements and audit entries); the import only labels its writes with
movement_reason("import") and the caller's channel.
"""
from contextlib import contextmanager
from decimal import Decimal

import pytest
from sqlalchemy import select

from erp_admin.audit.context import Actor, begin_request_scope, set_actor
from erp_admin.csvio import ImportRejected, import_csv
from erp_admin.extensions import db
from erp_admin.models import AuditEntry, Product, StockMovement
from tests.csvio.helpers import csv_bytes
from tests.factories import create_customer, create_product


@contextmanager
def acting(app, channel, user):
    """A request scope whose actor is user on channel (it ends with the block, leaking into no other test)."""
    with app.test_request_context(method="POST"):
        begin_request_scope()
        set_actor(Actor(channel=channel, user_id=user.id, username=user.username))
        yield


def movements():
    return [(m.sku, m.delta, m.quantity_after, m.reason)
            for m in db.session.scalars(select(StockMovement).order_by(StockMovement.id))]


def test_quantity_changes_from_an_import_are_movements_with_reason_import(app, make_user):
    manager = make_user("manager")
    with acting(app, "cli", manager):
        create_product(sku="A-1", name="Widget", quantity=5)
        create_product(sku="A-2", name="Gadget", quantity=3)
        before = len(movements())
        import_csv("products", csv_bytes("sku,name,price,quantity", "A-1,Widget,9.99,8", "A-2,Gadget renamed,9.99,3",
                                         "B-1,New,1,4", "B-2,Empty,1,0"))
        new = movements()[before:]
        assert sorted(new) == sorted([("A-1", 3, 8, "import"), ("B-1", 4, 4, "import")])
        by_user = db.session.scalars(select(StockMovement.username).where(StockMovement.reason == "import")).all()
        assert set(by_user) == {"manager"}
        for sku in ("A-1", "A-2", "B-1", "B-2"):
            product = db.session.scalars(select(Product).where(Product.sku == sku)).one()
            total = sum(db.session.scalars(select(StockMovement.delta).where(StockMovement.product_id == product.id)))
            assert total == product.quantity


def test_every_created_or_changed_row_is_in_the_audit_log_with_the_callers_channel(app, make_user):
    admin = make_user("admin")
    with acting(app, "api", admin):
        create_customer(name="Ada", email="ada@example.com")
        create_customer(name="Bob", email="bob@example.com")
        start = db.session.scalar(select(db.func.max(AuditEntry.id))) or 0
        import_csv("customers", csv_bytes("name,email", "Ada Lovelace,ada@example.com", "Bob,bob@example.com",
                                          "Cy,cy@example.com"))
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.id > start, AuditEntry.entity == "customer")
                                     .order_by(AuditEntry.id)).all()
        assert sorted((e.action, e.channel, e.username) for e in entries) == [
            ("create", "api", "admin"), ("update", "api", "admin"),
        ]
        update = next(e for e in entries if e.action == "update")
        assert update.changes == {"name": ["Ada", "Ada Lovelace"]}


def test_a_dry_run_or_rejected_import_leaves_no_movement_and_no_audit_entry(app):
    with app.app_context():
        create_product(sku="A-1", name="Widget", price=Decimal("1.00"), quantity=1)
        counts = (len(movements()), db.session.scalar(select(db.func.count(AuditEntry.id))))
        import_csv("products", csv_bytes("sku,name,price,quantity", "A-1,Widget,1,7"), dry_run=True)
        with pytest.raises(ImportRejected):
            import_csv("products", csv_bytes("sku,name,price,quantity", "A-1,Widget,1,7", "A-2,Bad,x,1"))
        assert (len(movements()), db.session.scalar(select(db.func.count(AuditEntry.id)))) == counts


def test_the_cli_import_is_audited_as_channel_cli_under_the_given_user(app, runner, make_user, tmp_path):
    make_user("manager")
    path = tmp_path / "stock.csv"
    path.write_text("sku,name,price,quantity\nA-1,Widget,1,6\n", encoding="utf-8")
    result = runner.invoke(args=["erp", "import-csv", "products", str(path), "--user", "manager"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "product")).all()
        assert [(e.action, e.channel, e.username) for e in entries] == [("create", "cli", "manager")]
        assert movements() == [("A-1", 6, 6, "import")]
