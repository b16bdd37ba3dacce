"""CSV in the panel: the Import page (preview, Confirm), the streamed Export, roles and CSRF."""
from __future__ import annotations

import io
import re
import pytest

from erp_admin.auth.roles import can
from tests.admin.conftest import Panel
from tests.api.conftest import tokens  # noqa: F401  (fixture: bearer tokens per role)
from tests.csvio.helpers import csv_bytes, customers, products
from tests.factories import create_customer, create_product

ROLES = ("user", "manager", "admin")
VIEWS = {"products": "products", "customers": "customers"}
GOOD = {"products": csv_bytes("sku,name,price,quantity", "N-1,Nail,0.10,100", "S-1,Screw,0.20,50"),
        "customers": csv_bytes("name,email", "Ada,ada@example.com")}


def upload(panel: Panel, resource: str, data: bytes, **extra):
    form = {"file": (io.BytesIO(data), "upload.csv"), **extra}
    if "csrf_token" not in extra:
        form["csrf_token"] = panel.token()
    return panel.client.post(f"/admin/{VIEWS[resource]}/import/", data=form, content_type="multipart/form-data")


def token_of(response) -> str:
    match = re.search(r'name="token" value="([0-9a-f]{32})"', response.get_data(as_text=True))
    assert match, "no Confirm form on the preview"
    return match.group(1)


def uploads(app) -> list:
    """The pending uploads kept in the database: (token, user id, resource, filename, size)."""
    from sqlalchemy import select

    from erp_admin.extensions import db
    from erp_admin.models import PendingUpload

    with app.app_context():
        return db.session.execute(select(PendingUpload.token, PendingUpload.user_id, PendingUpload.resource,
                                         PendingUpload.filename, PendingUpload.size)).all()


def endpoints(resource: str):
    """(method, url, verb) of every CSV endpoint of a view."""
    base = f"/admin/{VIEWS[resource]}"
    return [("GET", f"{base}/import/", "import"), ("POST", f"{base}/import/", "import"),
            ("POST", f"{base}/import/confirm/", "import"), ("GET", f"{base}/export/csv/", "export")]


def call(panel: Panel, resource, method, url):
    if method == "GET":
        return panel.client.get(url)
    if url.endswith("/confirm/"):
        return panel.post(url, {"token": "0" * 32})
    return upload(panel, resource, GOOD[resource])


@pytest.mark.parametrize("resource", VIEWS)
def test_visitors_are_sent_to_login(app, resource):
    panel = Panel(app.test_client())
    for method, url, _ in endpoints(resource):
        response = call(panel, resource, method, url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/admin/login/"), url
    assert uploads(app) == []


@pytest.mark.parametrize("taken", [None, "import", "export"])
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("resource", VIEWS)
def test_role_matrix_on_every_csv_endpoint(app, signed_in, monkeypatch, resource, role, taken):
    """Each endpoint answers as can(role, resource, verb) says, also after a verb is taken away."""
    from erp_admin.auth import roles

    if taken:
        changed = {r: tuple(v for v in verbs if v != taken) for r, verbs in roles.ROLE_MATRIX[resource].items()}
        monkeypatch.setitem(roles.ROLE_MATRIX, resource, changed)
    panel = signed_in(role, username=f"{role}-csv")
    listing = panel.client.get(f"/admin/{VIEWS[resource]}/").get_data(as_text=True)
    assert ('data-testid="csv-import"' in listing) == can(role, resource, "import")
    assert ('data-testid="csv-export"' in listing) == can(role, resource, "export")
    for method, url, verb in endpoints(resource):
        response = call(panel, resource, method, url)
        if can(role, resource, verb):
            assert response.status_code < 400 or url.endswith("/confirm/"), (method, url, response.status_code)
            assert response.status_code != 403
        else:
            assert response.status_code == 403, (method, url)
    if not can(role, resource, "import"):
        assert uploads(app) == []
    with app.app_context():
        assert (customers() if resource == "customers" else products()) == {}  # previews write nothing


def test_upload_without_csrf_token_is_refused_and_nothing_is_kept(app, signed_in):
    panel = signed_in("manager")
    response = upload(panel, "products", GOOD["products"], csrf_token="forged")
    assert response.status_code == 400
    assert uploads(app) == []


def test_confirm_without_csrf_token_imports_nothing(app, signed_in):
    panel = signed_in("manager")
    token = token_of(upload(panel, "products", GOOD["products"]))
    response = panel.client.post("/admin/products/import/confirm/", data={"token": token})
    assert response.status_code == 400
    with app.app_context():
        assert products() == {}


def test_preview_names_rejected_lines_and_ignored_columns_and_writes_nothing(app, signed_in):
    panel = signed_in("user")
    data = csv_bytes("sku,name,price,colour", "N-1,Nail,0.10,grey", "S-1,,abc,red", "N-1,Again,1,blue")
    response = upload(panel, "products", data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    rejected = re.search(r'<table[^>]*data-testid="rejected".*?</table>', html, re.S).group(0)
    rows = [re.findall(r"<td>(.*?)</td>", row) for row in re.findall(r"<tr><td>.*?</tr>", rejected)]
    assert ["3", "name"] == rows[0][:2] and ["3", "price"] == rows[1][:2]
    assert rows[2][:2] == ["4", "sku"] and "already on line 2" in rows[2][2]
    assert 'data-testid="ignored-columns"' in html and "<code>colour</code>" in html
    assert 'name="token"' not in html  # no Confirm for a file with rejected lines
    assert uploads(app) == []
    with app.app_context():
        assert products() == {}


def test_preview_then_confirm_imports_and_removes_the_upload(app, signed_in):
    from sqlalchemy import select

    from erp_admin.extensions import db
    from erp_admin.models import AuditEntry, StockMovement

    with app.app_context():
        create_product(sku="S-1", name="Old screw", price="0.25")
    panel = signed_in("manager")
    preview = upload(panel, "products", GOOD["products"])
    html = preview.get_data(as_text=True)
    assert re.search(r'data-testid="to-create">1<', html) and re.search(r'data-testid="to-update">1<', html)
    token = token_of(preview)
    [kept] = uploads(app)
    assert kept.token == token and kept.resource == "products" and kept.filename == "upload.csv"
    assert kept.size == len(GOOD["products"])
    with app.app_context():
        assert products()["S-1"].name == "Old screw"  # the preview wrote nothing
    response = panel.post("/admin/products/import/confirm/", {"token": token}, follow_redirects=True)
    assert response.status_code == 200
    assert re.search(r"Imported Products: <strong>1</strong> created, <strong>1</strong> updated", response.get_data(as_text=True))
    assert uploads(app) == []
    with app.app_context():
        stored = products()
        assert stored["N-1"].quantity == 100 and stored["S-1"].name == "Screw"
        entries = db.session.execute(select(AuditEntry.action, AuditEntry.channel, AuditEntry.username)
                                     .where(AuditEntry.entity == "product", AuditEntry.channel == "admin")).all()
        assert sorted(entries) == [("create", "admin", "manager"), ("update", "admin", "manager")]
        reasons = set(db.session.scalars(select(StockMovement.reason).where(StockMovement.sku == "N-1")))
        assert reasons == {"import"}
    # The same token again: the upload is gone, nothing happens twice.
    again = panel.post("/admin/products/import/confirm/", {"token": token})
    assert again.status_code == 302 and again.headers["Location"].endswith("/admin/products/import/")


def test_customers_import_through_the_panel(app, signed_in):
    panel = signed_in("user")
    token = token_of(upload(panel, "customers", GOOD["customers"]))
    panel.post("/admin/customers/import/confirm/", {"token": token})
    with app.app_context():
        assert list(customers()) == ["ada@example.com"]


def test_an_upload_of_another_user_cannot_be_confirmed(app, signed_in):
    owner = signed_in("manager", username="owner")
    token = token_of(upload(owner, "products", GOOD["products"]))
    other = signed_in("manager", username="other")
    response = other.post("/admin/products/import/confirm/", {"token": token})
    assert response.status_code == 302
    # Nor for another list by the same user.
    owner.post("/admin/customers/import/confirm/", {"token": token})
    with app.app_context():
        assert products() == {} and customers() == {}
    assert len(uploads(app)) == 1


@pytest.mark.parametrize("token", ["../../etc/passwd", "0" * 31, "G" * 32, ""])
def test_a_malformed_token_is_a_400(app, signed_in, token):
    panel = signed_in("manager")
    assert panel.post("/admin/products/import/confirm/", {"token": token}).status_code == 400


@pytest.mark.parametrize("data,message", [
    (b"\xff\xfe\x00bad", "not UTF-8"),
    (b"", "empty"),
    (b"colour,size\nred,2\n", "names none of the products"),
])
def test_a_bad_file_is_a_clear_message(app, signed_in, data, message):
    panel = signed_in("manager")
    response = upload(panel, "products", data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert uploads(app) == []


def test_a_file_over_the_limit_is_a_413_page(make_user, database_url, instance_path):
    from erp_admin import create_app
    from tests.conftest import empty_database, test_config

    app = create_app(test_config(database_url, instance_path, IMPORT_MAX_BYTES=200))
    try:
        with app.app_context():
            from tests.factories import create_user

            create_user("big", role="manager")
        panel = Panel(app.test_client())
        panel.login("big")
        response = upload(panel, "products", csv_bytes("sku,name,price,description", "B-1,Big,1," + "x" * 300))
        assert response.status_code == 413
        assert "larger than the limit" in response.get_data(as_text=True)
        far = upload(panel, "products", b"sku,name,price\n" + b"B-1,Big,1\n" * 20_000)
        assert far.status_code == 413
        with app.app_context():
            assert products() == {}
    finally:
        empty_database(app)


def test_the_default_upload_limit_is_the_import_limit_not_the_form_limit(app, signed_in):
    """A file close to IMPORT_MAX_BYTES passes although the body then exceeds MAX_CONTENT_LENGTH."""
    app.config["MAX_CONTENT_LENGTH"] = 100_000
    panel = signed_in("manager")
    data = csv_bytes("sku,name,price", *(f"L-{i:05d},Lamp {i} {'x' * 40},1" for i in range(3000)))
    assert app.config["MAX_CONTENT_LENGTH"] < len(data) < app.config["IMPORT_MAX_BYTES"]
    response = upload(panel, "products", data)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert re.search(r'data-testid="to-create">3000<', response.get_data(as_text=True))


@pytest.mark.parametrize("panel_args,api_args", [
    ("", "sort=name"),
    ("?search=kit", "q=kit&sort=name"),
    ("?flt0_category_equals=Kitchen", "category=Kitchen&sort=name"),
    ("?flt0_low_stock_is=1&sort=1&desc=1", "low_stock=true&sort=-name"),
])
def test_the_panel_export_is_the_apis_export(app, signed_in, client, tokens, panel_args, api_args):
    with app.app_context():
        create_product(sku="K-1", name="Kettle", price="20", category="Kitchen", quantity=1, reorder_level=5)
        create_product(sku="K-2", name="Kit =SUM(1)", price="5", category="Kitchen", quantity=9, reorder_level=1)
        create_product(sku="G-1", name="Garden hose", price="15", category="Garden", quantity=0, reorder_level=2,
                       description="+kit")
    panel = signed_in("manager")
    listing = panel.client.get(f"/admin/products/{panel_args}").get_data(as_text=True)
    link = re.search(r'href="([^"]+)" data-testid="csv-export"', listing).group(1).replace("&amp;", "&")
    exported = panel.client.get(link)
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    assert exported.headers["Content-Disposition"].startswith('attachment; filename="products-')
    panel_file = exported.get_data(as_text=True)
    exported.close()  # ends the streamed response's request context before the next request
    api = client.get(f"/api/products/export?{api_args}", headers=tokens("manager"))
    api_file = api.get_data(as_text=True)
    api.close()
    assert panel_file == api_file
    assert len(panel_file.splitlines()) >= 2


def test_only_csv_is_exported(signed_in):
    panel = signed_in("manager")
    assert panel.client.get("/admin/products/export/xlsx/").status_code == 404


def test_a_change_between_preview_and_confirm_shows_a_fresh_preview(app, signed_in, monkeypatch):
    """A conflict while writing (409) writes nothing and previews the kept file again, Confirm included."""
    from erp_admin.admin import csv_views
    from erp_admin.errors import Conflict

    panel = signed_in("manager")
    token = token_of(upload(panel, "products", GOOD["products"]))
    real = csv_views.import_csv

    def conflicting(resource, source, *, dry_run=False, **kwargs):
        if not dry_run:
            raise Conflict("Line 2: the product it updates was changed after the file was checked.")
        return real(resource, source, dry_run=dry_run, **kwargs)

    monkeypatch.setattr(csv_views, "import_csv", conflicting)
    response = panel.post("/admin/products/import/confirm/", {"token": token})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "changed after the file was checked" in html and token_of(response) == token
    monkeypatch.setattr(csv_views, "import_csv", real)
    panel.post("/admin/products/import/confirm/", {"token": token})
    with app.app_context():
        assert set(products()) == {"N-1", "S-1"}
