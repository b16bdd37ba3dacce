"""Customers in the panel: list, search, filter, create, edit (with version), delete."""
from __future__ import annotations

from sqlalchemy import select

from erp_admin.extensions import db
from erp_admin.models import Customer
from tests.factories import create_customer


def get_customer(app, **where):
    with app.app_context():
        query = select(Customer)
        for key, value in where.items():
            query = query.where(getattr(Customer, key) == value)
        return db.session.scalar(query)


def test_create_edit_delete(app, signed_in):
    panel = signed_in("user")
    response = panel.post("/admin/customers/new/", {"name": "Dora", "email": "DORA@Example.com", "phone": "",
                                                    "company": "Acme", "address": ""})
    assert response.status_code == 302
    dora = get_customer(app, email="dora@example.com")
    assert dora.company == "Acme" and dora.phone is None

    response = panel.post(f"/admin/customers/edit/?id={dora.id}", {
        "name": "Dora X", "email": "dora@example.com", "phone": "+1 555 0100", "company": "", "address": "",
        "version": str(dora.version)})
    assert response.status_code == 302
    saved = get_customer(app, id=dora.id)
    assert saved.name == "Dora X" and saved.company is None and saved.phone == "+1 555 0100"

    assert panel.post("/admin/customers/delete/", {"id": str(dora.id)}).status_code == 302
    assert get_customer(app, id=dora.id) is None


def test_invalid_email_is_shown(app, signed_in):
    panel = signed_in("user")
    html = panel.post("/admin/customers/new/", {"name": "X", "email": "not-an-email"}).get_data(as_text=True)
    assert "is not a valid email address" in html
    assert get_customer(app, name="X") is None


def test_search_and_filter(app, signed_in):
    panel = signed_in("user")
    with app.app_context():
        create_customer(name="Alice", email="alice@acme.example", company="Acme")
        create_customer(name="Bob", email="bob@globex.example", company="Globex", phone="123")
    html = panel.client.get("/admin/customers/?search=globex").get_data(as_text=True)
    assert "Bob" in html and "Alice" not in html
    html = panel.client.get("/admin/customers/?flt0_company_equals=Acme").get_data(as_text=True)
    assert "Alice" in html and "Bob" not in html
    html = panel.client.get("/admin/customers/?flt0_phone_empty=1").get_data(as_text=True)
    assert "Alice" in html and "Bob" not in html


def test_stale_edit_overwrites_nothing(app, signed_in):
    from erp_admin.services.records import update_record

    panel = signed_in("user")
    with app.app_context():
        ada = create_customer()
        update_record(db.session.get(Customer, ada.id), {"company": "Elsewhere"})
        db.session.commit()
    html = panel.post(f"/admin/customers/edit/?id={ada.id}", {
        "name": "Mine", "email": ada.email, "version": str(ada.version)}).get_data(as_text=True)
    assert "changed by someone else" in html
    saved = get_customer(app, id=ada.id)
    assert saved.name == "Ada" and saved.company == "Elsewhere"
