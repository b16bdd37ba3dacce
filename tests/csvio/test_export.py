"""The exporter: contract headers, importable cell formats, neutralised formulas, streaming, round trip."""
import csv
import io
from decimal import Decimal

from sqlalchemy import select

from erp_admin.csvio import export_csv, import_csv
from erp_admin.models import Customer, Product
from erp_admin.schemas import CUSTOMER_FIELDS, PRODUCT_FIELDS
from tests.factories import create_customer, create_product


def exported(resource, query=None, **options):
    text = "".join(export_csv(resource, query, **options))
    return text, list(csv.reader(io.StringIO(text)))


def test_export_headers_are_the_contract_fields_in_order(app):
    with app.app_context():
        assert exported("products")[1] == [list(PRODUCT_FIELDS)]
        assert exported("customers")[1] == [list(CUSTOMER_FIELDS)]
    assert PRODUCT_FIELDS == ("id", "sku", "name", "description", "category", "price", "quantity",
                              "reorder_level", "low_stock", "created_at", "updated_at", "version")
    assert CUSTOMER_FIELDS == ("id", "name", "email", "phone", "company", "address", "created_at", "updated_at", "version")


def test_product_cells_are_formatted_to_import_back(app):
    with app.app_context():
        product = create_product(sku="A-1", name="Widget", price=Decimal("10"), quantity=2, reorder_level=5)
        _, rows = exported("products")
    row = dict(zip(rows[0], rows[1]))
    assert row["id"] == str(product.id) and row["version"] == "1"
    assert row["price"] == "10.00"
    assert (row["quantity"], row["reorder_level"], row["low_stock"]) == ("2", "5", "true")
    assert (row["description"], row["category"]) == ("", "")
    assert row["created_at"].endswith("Z") and row["created_at"][:4].isdigit()


def test_formula_cells_are_neutralised_on_export(app):
    with app.app_context():
        create_product(sku="A-1", name='=HYPERLINK("http://evil","click")', description="@cmd", category="-x")
        create_customer(name="Ada", email="ada@example.com", phone="+1 555 0100", company="ACME")
        _, products = exported("products")
        _, customers = exported("customers")
    product = dict(zip(products[0], products[1]))
    assert product["name"] == "'=HYPERLINK(\"http://evil\",\"click\")"
    assert (product["description"], product["category"]) == ("'@cmd", "'-x")
    customer = dict(zip(customers[0], customers[1]))
    assert (customer["phone"], customer["company"]) == ("'+1 555 0100", "ACME")


def test_the_query_selects_and_orders_the_rows(app):
    with app.app_context():
        create_product(sku="A-1", name="One", category="Tools")
        create_product(sku="A-2", name="Two", category="Food")
        create_product(sku="A-3", name="Three", category="Tools")
        query = select(Product).where(Product.category == "Tools").order_by(Product.sku.desc())
        _, rows = exported("products", query)
    assert [r[1] for r in rows[1:]] == ["A-3", "A-1"]


def test_the_export_is_streamed_in_chunks(app):
    with app.app_context():
        for i in range(5):
            create_customer(name=f"C{i}", email=f"c{i}@example.com")
        chunks = list(export_csv("customers", chunk_rows=2))
    assert len(chunks) == 3
    assert chunks[0].startswith("id,name,email") and chunks[0].count("\n") == 3
    assert "".join(chunks).count("\n") == 6


def test_products_round_trip_export_then_dry_run_import_changes_nothing(app):
    with app.app_context():
        create_product(sku="A-1", name="Widget", price=Decimal("19.99"), quantity=5, reorder_level=2,
                       category="Tools", description="Line one\nline two, with \"quotes\"; and semicolons")
        create_product(sku="A-2", name="=HYPERLINK(\"x\")", price=Decimal("0"), description="-1", category="@home")
        create_product(sku="A-3", name="  Ünïcødé ’quoted’ ", price=Decimal("1234567.50"), quantity=0)
        text, _ = exported("products")
        report = import_csv("products", text.encode(), dry_run=True)
        assert report.as_dict() == {"created": 0, "updated": 0, "rejected": [], "ignored_columns": []}
        assert report.unchanged == 3


def test_customers_round_trip_export_then_dry_run_import_changes_nothing(app):
    with app.app_context():
        create_customer(name="Ada", email="ada@example.com", phone="+1 555 0100", company="=ACME",
                        address="1 Main St\nSpringfield")
        create_customer(name="Bob", email="bob@example.com")
        text, _ = exported("customers")
        report = import_csv("customers", text.encode(), dry_run=True)
        assert report.as_dict() == {"created": 0, "updated": 0, "rejected": [], "ignored_columns": []}
        assert report.unchanged == 2


def test_an_exported_phone_imports_back_as_the_same_phone(app):
    with app.app_context():
        create_customer(name="Ada", email="ada@example.com", phone="+1 555 0100")
        text, _ = exported("customers")
        assert "'+1 555 0100" in text
        edited = text.replace("Ada,", "Ada Lovelace,")
        assert import_csv("customers", edited.encode()).updated == 1
        from erp_admin.extensions import db

        db.session.expire_all()
        customer = db.session.scalars(select(Customer)).one()
        assert (customer.name, customer.phone) == ("Ada Lovelace", "+1 555 0100")
