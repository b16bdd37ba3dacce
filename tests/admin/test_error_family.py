"""Every business error (the ServiceError family) raised by a service gets the panel's answer: status, flash, form."""
from __future__ import annotations

from html import escape

import pytest

from erp_admin.errors import PreconditionFailed, ValidationFailed
from tests.factories import create_product
from tests.support.error_family import example, ids, members


@pytest.fixture
def manager(signed_in):
    return signed_in("manager")


def _failing(exc):
    def service(*args, **kwargs):
        raise exc

    return service


def _headline(exc) -> str:
    """The flash the panel shows for exc on a page with a form."""
    if isinstance(exc, ValidationFailed):
        return "Please correct the highlighted fields."
    if isinstance(exc, PreconditionFailed):
        return "changed by someone else since you opened it"
    return escape(exc.detail)


def _field_errors(exc, field: str) -> list[str]:
    """The messages exc puts under the form's field."""
    errors = exc.errors if isinstance(exc, ValidationFailed) else [{"field": getattr(exc, "field", None),
                                                                     "message": exc.detail}]
    return [escape(e["message"]) for e in errors if e["field"] == field]


def _retry_after(exc) -> str | None:
    seconds = getattr(exc, "retry_after", None)
    return str(seconds) if seconds else None


@pytest.mark.parametrize("cls", members(), ids=ids)
def test_the_adjust_stock_form_answers_every_member_from_the_family_alone(app, manager, monkeypatch, cls):
    with app.app_context():
        product = create_product(name="Bolt", quantity=5)
    exc = example(cls, field="delta")
    monkeypatch.setattr("erp_admin.admin.views.products.adjust_stock", _failing(exc))
    response = manager.post(f"/admin/products/adjust/?id={product.id}", {"delta": "-3", "reason": "sold"})
    html = response.get_data(as_text=True)
    assert response.status_code == exc.status
    assert _headline(exc) in html
    assert 'name="delta"' in html and 'value="sold"' in html  # the form, re-rendered with what was typed
    for message in _field_errors(exc, "delta"):
        assert f'<div class="invalid-feedback">{message}</div>' in html
    assert response.headers.get("Retry-After") == _retry_after(exc)


@pytest.mark.parametrize("cls", members(), ids=ids)
def test_a_record_form_answers_every_member_from_the_family_alone(manager, monkeypatch, cls):
    exc = example(cls, field="name")
    monkeypatch.setattr("erp_admin.admin.records.create_record", _failing(exc))
    response = manager.post("/admin/products/new/", {"sku": "B-1", "name": "Bolt", "price": "1.50"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200  # Flask-Admin's own form page, as for every failed save
    assert _headline(exc) in html
    assert 'name="name"' in html and 'value="Bolt"' in html
    for message in _field_errors(exc, "name"):
        assert "is-invalid" in html and f"<li>{message}</li>" in html


@pytest.mark.parametrize("cls", members(), ids=ids)
def test_the_sign_in_page_answers_every_member_from_the_family_alone(panel, monkeypatch, cls):
    exc = example(cls, field="password")
    monkeypatch.setattr("erp_admin.admin.login.authenticate", _failing(exc))
    response = panel.login("manager", "password123")
    html = response.get_data(as_text=True)
    assert response.status_code == exc.status
    assert _headline(exc) in html
    assert 'name="username"' in html and 'value="manager"' in html
    assert response.headers.get("Retry-After") == _retry_after(exc)
