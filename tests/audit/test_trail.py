"""One mechanism logs every create, update and delete of products, customers and users, from any channel."""
import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, insert, select, update

from erp_admin.audit.context import Actor, acting_as
from erp_admin.audit.queries import audit_query
from erp_admin.audit.trail import AppendOnlyViolation, UnauditedWrite
from erp_admin.auth.signin import authenticate
from erp_admin.extensions import db
from erp_admin.inventory.stock import adjust_stock
from erp_admin.models import AuditEntry, Customer, Product, StockMovement, User
from erp_admin.schemas.audit import serialize_audit_entry
from erp_admin.services.records import create_record, delete_record, update_record

RECORDS = {
    "product": ("products", Product, {"sku": "AUD-1", "name": "Lamp", "price": "12.50", "quantity": 3},
                {"price": "13.00", "name": "Desk lamp"}, {"price": [12.5, 13.0], "name": ["Lamp", "Desk lamp"]}),
    "customer": ("customers", Customer, {"name": "Ada", "email": "ada@example.com"},
                 {"company": "Analytical"}, {"company": [None, "Analytical"]}),
    "user": ("users", User, {"username": "grace", "email": "grace@example.com", "password": "s3cret-pass"},
             {"role": "manager"}, {"role": ["user", "manager"], "token_version": ["***", "***"]}),
}
ACTORS = {
    "cli": lambda boss: Actor(channel="cli", user_id=boss.id, username=boss.username),
    "shell": lambda boss: Actor(channel="shell"),
    "api": lambda boss: Actor(channel="api", user_id=boss.id, username=boss.username,
                              request_id="req-1", client_addr="203.0.113.9"),
    "admin": lambda boss: Actor(channel="admin", user_id=boss.id, username=boss.username, client_addr="198.51.100.4"),
}


def entries(entity=None):
    return db.session.scalars(audit_query(entity=entity).order_by(None).order_by(AuditEntry.id)).all()


@pytest.mark.parametrize("channel", sorted(ACTORS))
@pytest.mark.parametrize("entity", sorted(RECORDS))
def test_create_update_delete_each_log_one_entry(app, make_user, entity, channel):
    boss = make_user("boss", role="admin")
    resource, model, data, change, expected = RECORDS[entity]
    with app.app_context(), acting_as(ACTORS[channel](boss)) as actor:
        obj = create_record(resource, data)
        db.session.commit()
        update_record(obj, change)
        db.session.commit()
        obj_id = obj.id
        delete_record(obj)
        db.session.commit()

        logged = [e for e in entries(entity) if e.entity_id == obj_id]
        assert [e.action for e in logged] == ["create", "update", "delete"]
        for e in logged:
            assert (e.channel, e.username, e.user_id) == (channel, actor.username, actor.user_id)
            assert (e.request_id, e.client_addr) == (actor.request_id, actor.client_addr)
        created, updated, deleted = (e.changes for e in logged)
        assert updated == expected
        assert all(old is None for old, _ in created.values())
        assert all(new is None for _, new in deleted.values())
        assert created.keys() == deleted.keys()
        # The delete entry keeps the record as it was when deleted.
        for field, value in {**data, **change}.items():
            if field != "password":
                stored = deleted[field][0]
                assert stored == (float(Decimal(value)) if field == "price" else value)


def test_secrets_are_masked_everywhere(app):
    with app.app_context():
        user = create_record("users", {"username": "ann", "email": "ann@example.com", "password": "first-pass-1"})
        db.session.commit()
        hashes = [user.password_hash]
        update_record(user, {"password": "second-pass-2"})
        db.session.commit()
        hashes.append(user.password_hash)
        delete_record(user)
        db.session.commit()
        logged = entries("user")
        assert [e.action for e in logged] == ["create", "update", "delete"]
        assert logged[0].changes["password_hash"] == [None, "***"]
        assert logged[1].changes == {"password_hash": ["***", "***"], "token_version": ["***", "***"]}
        assert logged[2].changes["password_hash"] == ["***", None]
        dumped = json.dumps([serialize_audit_entry(e) for e in logged])
        for secret in hashes + ["first-pass-1", "second-pass-2"]:
            assert secret not in dumped
        assert "password" not in logged[0].changes


@pytest.mark.parametrize("change", [{}, {"name": "Lamp"}, {"price": "12.5"}, {"quantity": 3, "category": None}])
def test_no_op_update_logs_nothing(app, change):
    with app.app_context():
        product = create_record("products", {"name": "Lamp", "price": "12.50", "quantity": 3})
        db.session.commit()
        update_record(product, change)
        db.session.commit()
        assert [e.action for e in entries()] == ["create"]


def test_values_are_json_safe(app):
    with app.app_context():
        product = create_record("products", {"name": "Lamp", "price": "1234567890.99"})
        db.session.commit()
        create_record("users", {"username": "zed", "email": "zed@example.com", "password": "password-1"})
        db.session.commit()
        user = db.session.scalar(select(User).where(User.username == "zed"))
        user.last_login_at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
        user.full_name = "Zed"  # a real edit in the same flush: logged, the login time is not
        db.session.commit()
        delete_record(user)
        delete_record(product)
        db.session.commit()
        by_action = {(e.entity, e.action): e.changes for e in entries()}
        assert by_action[("product", "create")]["price"] == [None, 1234567890.99]
        assert by_action[("user", "update")] == {"full_name": [None, "Zed"]}
        assert by_action[("user", "delete")]["last_login_at"] == ["2026-01-02T03:04:05.000Z", None]
        json.dumps([e.changes for e in entries()], allow_nan=False)


def test_login_and_rehash_are_not_logged_as_edits(app):
    with app.app_context():
        user = create_record("users", {"username": "old", "email": "old@example.com", "password": "password-1"})
        db.session.commit()
        # A legacy unsalted SHA-256 hash is replaced on the next login.
        import hashlib
        user.password_hash = hashlib.sha256(b"password-1").hexdigest()
        db.session.commit()
        before = len(entries())
        result = authenticate("old", "password-1", client_addr="192.0.2.1")
        assert result.ok
        assert db.session.get(User, user.id).password_hash.startswith("$argon2")
        new = entries()[before:]
        assert [(e.action, e.entity, e.entity_id) for e in new] == [("login", "user", user.id)]


def test_adjust_stock_is_logged_once(app):
    with app.app_context():
        product = create_record("products", {"name": "Lamp", "price": 1, "quantity": 3})
        db.session.commit()
        adjust_stock(product.id, 2, "delivery")
        db.session.commit()
        product.name = "Lamp 2"  # an ORM edit of the refreshed object afterwards: its own entry
        db.session.commit()
        assert [(e.action, e.changes) for e in entries()][1:] == [
            ("update", {"quantity": [3, 5]}), ("update", {"name": ["Lamp", "Lamp 2"]})]


def _first_entry():
    return db.session.scalars(select(AuditEntry)).first()


@pytest.mark.parametrize("tamper", [
    lambda: setattr(_first_entry(), "action", "delete"),
    lambda: db.session.delete(_first_entry()),
    lambda: db.session.execute(update(AuditEntry).values(username="x")),
    lambda: db.session.execute(delete(AuditEntry)),
    lambda: setattr(db.session.scalars(select(StockMovement)).first(), "delta", 99),
    lambda: db.session.delete(db.session.scalars(select(StockMovement)).first()),
    lambda: db.session.execute(delete(StockMovement)),
])
def test_audit_rows_and_movements_are_append_only(app, tamper):
    with app.app_context():
        create_record("products", {"name": "Lamp", "price": 1, "quantity": 3})
        db.session.commit()
        with pytest.raises(AppendOnlyViolation):
            tamper()
            db.session.commit()
        db.session.rollback()
        assert [(e.action, e.entity) for e in entries()] == [("create", "product")]
        assert db.session.scalar(select(func.count()).select_from(StockMovement)) == 1


@pytest.mark.parametrize("statement", [
    lambda: update(Product).values(name="x"),
    lambda: delete(Customer),
    lambda: insert(User).values(username="u", email="u@x.io", password_hash="h"),
    lambda: update(User.__table__).values(role="admin"),
])
def test_bulk_statements_that_would_bypass_the_trail_are_refused(app, statement):
    with app.app_context():
        with pytest.raises(UnauditedWrite):
            db.session.execute(statement())
        db.session.rollback()


def test_audit_query_filters_and_serialises_to_the_contract(app, make_user):
    boss = make_user("boss", role="admin")
    with app.app_context():
        with acting_as(Actor(channel="api", user_id=boss.id, username="boss")):
            product = create_record("products", {"name": "Lamp", "price": 1})
            db.session.commit()
            update_record(product, {"name": "Lamp 2"})
            db.session.commit()
        create_record("customers", {"name": "Ada", "email": "ada@example.com"})
        db.session.commit()

        def ids(**filters):
            return [(e.entity, e.action) for e in db.session.scalars(audit_query(**filters))]

        assert ids(entity="product") == [("product", "update"), ("product", "create")]
        assert ids(entity="product", entity_id=product.id, action="create") == [("product", "create")]
        assert ids(username="boss") == [("product", "update"), ("product", "create")]
        assert ids(entity="customer") == [("customer", "create")]
        now = datetime.now(timezone.utc)
        assert len(ids(since=now - timedelta(minutes=5), until=now + timedelta(minutes=5))) == 4  # + boss's creation
        assert ids(since=now + timedelta(minutes=5)) == []
        assert ids(until=(now - timedelta(minutes=5)).replace(tzinfo=None)) == []
        shape = serialize_audit_entry(db.session.scalars(audit_query(entity="product")).first())
        assert list(shape) == ["id", "at", "user", "channel", "action", "entity", "entity_id", "changes"]
        assert shape["user"] == "boss" and shape["channel"] == "api" and shape["at"].endswith("Z")
        assert shape["changes"] == {"name": ["Lamp", "Lamp 2"]}


def test_a_plain_sqlalchemy_session_is_covered_too(app):
    from sqlalchemy.orm import Session

    with app.app_context():
        with Session(db.engine) as session:
            session.add(Customer(name="Raw", email="raw@example.com"))
            session.add(Product(sku="RAW-1", name="Raw", price=Decimal("1.00"), quantity=2))
            session.commit()
        assert sorted((e.entity, e.action, e.channel) for e in entries()) == [
            ("customer", "create", "shell"), ("product", "create", "shell")]
        assert db.session.scalars(select(StockMovement.reason)).all() == ["create"]
