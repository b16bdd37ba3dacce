"""Pending CSV uploads in the database: any app instance can Confirm, only the uploader, only in time, once."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from erp_admin.extensions import db
from erp_admin.models import AuditEntry, PendingUpload
from erp_admin.models.base import utcnow
from tests.admin.conftest import Panel
from tests.admin.test_csv_panel import GOOD, token_of, upload, uploads
from tests.conftest import test_config
from tests.csvio.helpers import csv_bytes, products

GONE = "no longer available"


@pytest.fixture
def second_app(database_url, tmp_path):
    """Another app on the same database with an instance folder of its own (another host)."""
    from erp_admin import create_app

    other = create_app(test_config(database_url, str(tmp_path / "other-host")))
    yield other
    with other.app_context():
        db.engine.dispose()


def same_browser(panel: Panel, app) -> Panel:
    """A client of app carrying panel's session cookie: the same browser reaching another host."""
    client = app.test_client()
    cookie = panel.client.get_cookie("session")
    client.set_cookie("session", cookie.value)
    return Panel(client)


def test_confirm_on_another_host_imports_the_upload(app, second_app, signed_in):
    assert app.instance_path != second_app.instance_path
    first = signed_in("manager")
    token = token_of(upload(first, "products", GOOD["products"]))
    other = same_browser(first, second_app)
    response = other.post("/admin/products/import/confirm/", {"token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/products/")
    with app.app_context():
        assert set(products()) == {"N-1", "S-1"}
    assert uploads(app) == []


def test_an_expired_upload_is_refused_and_purged_at_the_next_upload(app, signed_in):
    from erp_admin.admin.csv_views import UPLOAD_TTL

    panel = signed_in("manager")
    token = token_of(upload(panel, "products", GOOD["products"]))
    with app.app_context():
        db.session.execute(update(PendingUpload).values(created_at=utcnow() - timedelta(seconds=UPLOAD_TTL + 1)))
        db.session.commit()
    response = panel.post("/admin/products/import/confirm/", {"token": token}, follow_redirects=True)
    assert GONE in response.get_data(as_text=True)
    with app.app_context():
        assert products() == {}
    fresh = token_of(upload(panel, "products", GOOD["products"]))
    assert [u.token for u in uploads(app)] == [fresh]  # the stale one went with the new upload


def test_another_users_token_is_no_longer_available_to_them(app, signed_in):
    owner = signed_in("manager", username="owner")
    token = token_of(upload(owner, "products", GOOD["products"]))
    other = signed_in("manager", username="other")
    response = other.post("/admin/products/import/confirm/", {"token": token}, follow_redirects=True)
    assert GONE in response.get_data(as_text=True)
    with app.app_context():
        assert products() == {}
    assert [u.token for u in uploads(app)] == [token]  # still the owner's to confirm
    owner.post("/admin/products/import/confirm/", {"token": token})
    with app.app_context():
        assert set(products()) == {"N-1", "S-1"}
    assert uploads(app) == []


def test_a_rejected_confirm_deletes_the_upload(app, signed_in):
    """A line that passed the preview fails at Confirm (a duplicate appeared meanwhile): 422, upload gone."""
    from tests.factories import create_product

    panel = signed_in("manager")
    data = csv_bytes("sku,name,price,quantity", "R-1,Rope,1,-1")
    with app.app_context():
        create_product(sku="R-1", name="Rope", price="1", quantity=0)
    token = token_of(upload(panel, "products", csv_bytes("sku,name,price,quantity", "R-1,Rope,2,0")))
    with app.app_context():
        db.session.execute(update(PendingUpload).values(data=data))
        db.session.commit()
    response = panel.post("/admin/products/import/confirm/", {"token": token})
    assert response.status_code == 422
    assert uploads(app) == []


def test_pending_uploads_are_not_in_the_audit_trail(app, signed_in):
    def entries():
        with app.app_context():
            return db.session.execute(select(AuditEntry.action, AuditEntry.entity).order_by(AuditEntry.id)).all()

    panel = signed_in("manager")
    before = entries()  # the user's creation and login
    token = token_of(upload(panel, "products", GOOD["products"]))
    assert entries() == before
    panel.post("/admin/products/import/confirm/", {"token": token})
    assert sorted(entries()[len(before):]) == [("create", "product"), ("create", "product")]


def test_only_a_preview_with_something_to_confirm_is_kept(app, signed_in):
    panel = signed_in("manager")
    upload(panel, "products", csv_bytes("sku,name,price", "N-1,Nail,abc"))  # rejected
    assert uploads(app) == []
    token_of(upload(panel, "products", GOOD["products"]))
    assert len(uploads(app)) == 1


def test_the_file_name_is_stored_without_control_characters(app, signed_in):
    import io

    panel = signed_in("manager")
    form = {"file": (io.BytesIO(GOOD["products"]), "price\x00list\x1b.csv"), "csrf_token": panel.token()}
    response = panel.client.post("/admin/products/import/", data=form, content_type="multipart/form-data")
    assert response.status_code == 200
    assert [u.filename for u in uploads(app)] == ["pricelist.csv"]


def test_deleting_a_user_drops_their_pending_uploads(app, signed_in):
    from erp_admin.models import User

    panel = signed_in("manager", username="leaver")
    token_of(upload(panel, "products", GOOD["products"]))
    with app.app_context():
        db.session.delete(db.session.scalars(select(User).where(User.username == "leaver")).one())
        db.session.commit()
    assert uploads(app) == []

