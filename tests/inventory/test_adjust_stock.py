"""adjust_stock: one conditional update, its movement and its audit entry; refusals write nothing."""
import pytest
from sqlalchemy import func, select

from erp_admin.audit.context import Actor, acting_as
from erp_admin.extensions import db
from erp_admin.inventory.stock import adjust_stock
from erp_admin.models import AuditEntry, Product, StockMovement, User
from erp_admin.schemas import ValidationFailed
from erp_admin.schemas.fields import INT32_MAX
from erp_admin.errors import Conflict, NotFound
from erp_admin.services.records import update_record
from tests.factories import create_product


def counts():
    return (db.session.scalar(select(func.count()).select_from(StockMovement)),
            db.session.scalar(select(func.count()).select_from(AuditEntry)))


def test_adjust_changes_quantity_with_one_movement_and_one_audit_entry(app):
    with app.app_context():
        product = create_product(quantity=10)
        before = counts()
        result = adjust_stock(product.id, -3, "  sold  ")
        db.session.commit()
        assert (result.quantity, result.version) == (7, product.version + 1)
        assert counts() == (before[0] + 1, before[1] + 1)
        movement = db.session.scalars(select(StockMovement).order_by(StockMovement.id.desc())).first()
        assert (movement.product_id, movement.delta, movement.quantity_after, movement.reason) == (product.id, -3, 7, "sold")
        entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert (entry.action, entry.entity, entry.entity_id, entry.changes) == ("update", "product", product.id, {"quantity": [10, 7]})


def test_adjust_names_the_actor_or_the_given_user(app, make_user):
    clerk = make_user("clerk")
    with app.app_context():
        product = create_product(quantity=1)
        with acting_as(Actor(channel="api", user_id=clerk.id, username="clerk")):
            adjust_stock(product.id, 2, "delivery")
            db.session.commit()
        user = db.session.get(User, clerk.id)
        adjust_stock(product.id, 1, "recount", user=user)
        db.session.commit()
        movements = db.session.scalars(select(StockMovement).where(StockMovement.reason != "create").order_by(StockMovement.id)).all()
        assert [(m.username, m.user_id) for m in movements] == [("clerk", clerk.id), ("clerk", clerk.id)]
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "update").order_by(AuditEntry.id)).all()
        assert [(e.username, e.channel) for e in entries] == [("clerk", "api"), ("clerk", "shell")]


def test_below_zero_is_a_conflict_and_writes_nothing(app):
    with app.app_context():
        product = create_product(quantity=2)
        before = counts()
        with pytest.raises(Conflict) as info:
            adjust_stock(product.id, -3, "sold")
        assert info.value.status == 409 and info.value.field == "delta"
        db.session.rollback()
        assert counts() == before
        stored = db.session.get(Product, product.id)
        assert (stored.quantity, stored.version) == (2, product.version)


def test_above_the_integer_range_is_a_conflict_not_an_overflow(app):
    with app.app_context():
        product = create_product(quantity=INT32_MAX - 5)
        with pytest.raises(Conflict):
            adjust_stock(product.id, INT32_MAX, "huge")
        db.session.rollback()
        assert db.session.get(Product, product.id).quantity == INT32_MAX - 5


@pytest.mark.parametrize("delta", [0, 1.5, 2.0, True, "3", None, INT32_MAX + 1, -(INT32_MAX + 1)])
def test_bad_delta_is_a_validation_error(app, delta):
    with app.app_context():
        product = create_product(quantity=5)
        with pytest.raises(ValidationFailed) as info:
            adjust_stock(product.id, delta, "x")
        assert [e["field"] for e in info.value.errors] == ["delta"]


@pytest.mark.parametrize("reason", ["", "   ", None, 5, "x" * 201, "a\x00b"])
def test_bad_reason_is_a_validation_error(app, reason):
    with app.app_context():
        product = create_product(quantity=5)
        with pytest.raises(ValidationFailed) as info:
            adjust_stock(product.id, 1, reason)
        assert [e["field"] for e in info.value.errors] == ["reason"]
        db.session.rollback()
        assert counts() == (1, 1)  # the creation's movement and audit entry only


@pytest.mark.parametrize("product_id", [999_999, 0, -1, 2**70, "1", None])
def test_unknown_product_is_not_found(app, product_id):
    with app.app_context():
        create_product(quantity=5)
        with pytest.raises(NotFound):
            adjust_stock(product_id, 1, "x")


def test_loaded_product_is_refreshed_so_a_later_edit_is_not_stale(app):
    with app.app_context():
        product_id = create_product(quantity=5).id
        product = db.session.get(Product, product_id)
        assert product.quantity == 5
        adjust_stock(product_id, 4, "delivery")
        assert product.quantity == 9  # the identity map's copy, not a second object
        update_record(product, {"quantity": 12})
        db.session.commit()
        deltas = db.session.scalars(select(StockMovement.delta).order_by(StockMovement.id)).all()
        assert deltas == [5, 4, 3]
