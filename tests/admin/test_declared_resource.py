"""A resource declared in this file alone gets its whole panel view: list, search, create, edit, roles, audit, CSV.

Nothing in erp_admin/ knows suppliers: the model (on a table of its own,
created and dropped here), schema, serializer and declaration live in this
file, are declared before the app is built and taken out again afterwards.
"""
from __future__ import annotations

from typing import Annotated, Any

import pytest
from pydantic import Field
from sqlalchemy import Integer, String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from erp_admin.auth.roles import ROLE_MATRIX, can
from erp_admin.extensions import db
from erp_admin.models import AuditEntry
from erp_admin.models.base import TimestampMixin
from erp_admin.resources import Resource, audited_entities, declare, declared, resource, resource_of, undeclare
from erp_admin.schemas import RecordSchema
from erp_admin.schemas.fields import Email, optional_text, text
from erp_admin.schemas.serialize import iso
from tests.admin.conftest import csrf_from


class SupplierBase(DeclarativeBase):
    """A metadata of its own: the suite's table list (and its reset) never sees this table."""


class Supplier(TimestampMixin, SupplierBase):
    __tablename__ = "test_suppliers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    email: Mapped[str] = mapped_column(String(254), unique=True, nullable=False)
    rating: Mapped[int] = mapped_column(Integer, nullable=False)
    notes: Mapped[str | None] = mapped_column(String(1000))
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}


class SupplierSchema(RecordSchema):
    required_on_create = frozenset({"name", "email"})
    not_nullable = frozenset({"name", "email", "rating"})

    name: text(100, min_length=1)
    email: Email
    rating: Annotated[int, Field(strict=True, ge=1, le=5)] = 3
    notes: optional_text(1000, strip=False) = None


SUPPLIER_FIELDS = ("id", "name", "email", "rating", "notes", "created_at", "updated_at", "version")


def serialize_supplier(supplier: Supplier) -> dict[str, Any]:
    return {"id": supplier.id, "name": supplier.name, "email": supplier.email, "rating": supplier.rating,
            "notes": supplier.notes, "created_at": iso(supplier.created_at), "updated_at": iso(supplier.updated_at),
            "version": supplier.version}


CRUD = ("read", "create", "update", "delete", "import", "export")


def supplier_resource() -> Resource:
    return Resource(
        name="suppliers", entity="supplier", model=Supplier, schema=SupplierSchema, serialize=serialize_supplier,
        fields=SUPPLIER_FIELDS, component="Supplier", unique=("email",), import_key="email",
        search=("name", "email"), sortable=("id", "name", "rating", "updated_at"),
        permissions={"user": ("read",), "manager": CRUD, "admin": CRUD},
    )


@pytest.fixture
def suppliers(database_url):
    """The suppliers table and declaration, for one test; both gone afterwards."""
    engine = create_engine(database_url)
    SupplierBase.metadata.drop_all(engine)  # left over by an interrupted run
    SupplierBase.metadata.create_all(engine)
    declaration = declare(supplier_resource())
    yield declaration
    undeclare("suppliers")
    SupplierBase.metadata.drop_all(engine)
    engine.dispose()


@pytest.fixture
def app(suppliers, app):
    # The declaration must exist before the app (and its panel) is built: the own_app is built after it.
    return app


def stored(app, **where) -> Supplier | None:
    with app.app_context():
        return db.session.scalar(select(Supplier).filter_by(**where))


def audit_trail(app) -> list[tuple[str, str | None, str]]:
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "supplier").order_by(AuditEntry.id))
        return [(e.action, e.username, e.channel) for e in entries]


@pytest.mark.own_app
def test_a_resource_declared_outside_the_package_gets_its_panel(app, signed_in):
    manager = signed_in("manager")
    page = manager.client.get("/admin/suppliers/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'href="/admin/suppliers/"' in html and "Suppliers" in html  # in the menu
    assert "/admin/suppliers/new/" in html and "/admin/suppliers/import/" in html

    form = manager.client.get("/admin/suppliers/new/").get_data(as_text=True)
    assert '<textarea class="form-control" id="notes" name="notes"' in form  # long text: a text area
    assert 'id="email" name="email" type="text"' in form and 'name="version"' not in form

    response = manager.post("/admin/suppliers/new/", {"name": "Acme Parts", "email": "Sales@Acme.example",
                                                       "rating": "4", "notes": ""})
    assert response.status_code == 302, response.get_data(as_text=True)
    acme = stored(app, email="sales@acme.example")
    assert (acme.name, acme.rating, acme.notes) == ("Acme Parts", 4, None)
    # A blank field with a default of its own is left to the default on create.
    assert manager.post("/admin/suppliers/new/", {"name": "Bolt", "email": "b@bolt.example", "rating": ""}) \
        .status_code == 302
    assert stored(app, email="b@bolt.example").rating == 3

    # The schema's rules, on the form's field; a unique email is a conflict, nothing saved.
    html = manager.post("/admin/suppliers/new/", {"name": "X", "email": "x@x.example", "rating": "9"}) \
        .get_data(as_text=True)
    assert "less than or equal to 5" in html and stored(app, email="x@x.example") is None
    html = manager.post("/admin/suppliers/new/", {"name": "Dup", "email": "SALES@acme.example"}) \
        .get_data(as_text=True)
    assert "A supplier with this email already exists." in html

    edit = manager.client.get(f"/admin/suppliers/edit/?id={acme.id}").get_data(as_text=True)
    assert 'name="version" type="hidden" value="1"' in edit
    response = manager.post(f"/admin/suppliers/edit/?id={acme.id}", {
        "name": "Acme Parts Ltd", "email": "sales@acme.example", "rating": "5", "notes": "Ships on Mondays",
        "version": "1", "csrf_token": csrf_from(edit)})
    assert response.status_code == 302, response.get_data(as_text=True)
    acme = stored(app, id=acme.id)
    assert (acme.name, acme.rating, acme.notes, acme.version) == ("Acme Parts Ltd", 5, "Ships on Mondays", 2)

    listed = manager.client.get("/admin/suppliers/?search=ltd").get_data(as_text=True)
    assert "Acme Parts Ltd" in listed and "Bolt" not in listed
    assert " UTC" in listed  # timestamps formatted as everywhere in the panel
    exported = manager.client.get("/admin/suppliers/export/csv/")
    assert exported.status_code == 200 and "sales@acme.example" in exported.get_data(as_text=True)

    assert audit_trail(app) == [("create", "manager", "admin"), ("create", "manager", "admin"),
                                ("update", "manager", "admin")]


@pytest.mark.own_app
def test_a_role_without_the_verb_is_refused_and_sees_no_control(app, signed_in):
    user = signed_in("user")  # may read suppliers, nothing more
    html = user.client.get("/admin/suppliers/").get_data(as_text=True)
    assert "Suppliers" in html
    assert "/admin/suppliers/new/" not in html and "/admin/suppliers/import/" not in html
    assert user.client.get("/admin/suppliers/new/").status_code == 403
    assert user.post("/admin/suppliers/new/", {"name": "Nope", "email": "n@nope.example"}).status_code == 403
    assert stored(app, email="n@nope.example") is None and audit_trail(app) == []


def test_undeclare_takes_a_resource_out_of_every_registry():
    names = [r.name for r in declared()]
    declaration = declare(supplier_resource())
    assert resource("suppliers") is declaration and can("manager", "suppliers", "create")
    assert "supplier" in audited_entities()

    undeclare("suppliers")
    assert [r.name for r in declared()] == names
    with pytest.raises(ValueError):
        resource("suppliers")
    assert resource_of(Supplier) is None and "suppliers" not in ROLE_MATRIX
    assert "supplier" not in audited_entities()
