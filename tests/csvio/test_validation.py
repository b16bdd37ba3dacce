"""Every row is checked with the API's rules; keys decide between update and create."""
from decimal import Decimal

import pytest

from erp_admin.csvio import import_csv
from tests.csvio.helpers import csv_bytes, customers, products
from tests.factories import create_customer, create_product


def dry_run(app, resource, *lines):
    with app.app_context():
        return import_csv(resource, csv_bytes(*lines), dry_run=True)


@pytest.mark.parametrize("row, field, message", [
    ("A 1,Widget,1,1,0", "sku", "String should match pattern '^[A-Za-z0-9._-]+$'"),
    ("A-1,,1,1,0", "name", "may not be null"),
    ("A-1," + "n" * 101 + ",1,1,0", "name", "String should have at most 100 characters"),
    ("A-1,Widget,,1,0", "price", "may not be null"),
    ("A-1,Widget,abc,1,0", "price", "must be a number"),
    ("A-1,Widget,-1,1,0", "price", "must be at least 0"),
    ("A-1,Widget,1.999,1,0", "price", "must have at most 2 decimal places"),
    ("A-1,Widget,NaN,1,0", "price", "must be a finite number"),
    ("A-1,Widget,1,abc,0", "quantity", "Input should be a valid integer"),
    ("A-1,Widget,1,1.5,0", "quantity", "Input should be a valid integer"),
    ("A-1,Widget,1,-3,0", "quantity", "Input should be greater than or equal to 0"),
    ("A-1,Widget,1,99999999999,0", "quantity", "Input should be less than or equal to 2147483647"),
    ("A-1,Widget,1,,0", "quantity", "may not be null"),
    ("A-1,Widget,1,1,x", "reorder_level", "Input should be a valid integer"),
])
def test_each_product_rule_rejects_the_line_with_field_and_message(app, row, field, message):
    report = dry_run(app, "products", "sku,name,price,quantity,reorder_level", "OK-1,Fine,1,1,0", row)
    assert report.rejected == [{"line": 3, "field": field, "message": message}]
    assert report.created == 1


def test_every_failing_field_of_a_line_is_listed(app):
    report = dry_run(app, "products", "sku,name,price,quantity", "A-1,,abc,1.5")
    assert report.rejected == [
        {"line": 2, "field": "name", "message": "may not be null"},
        {"line": 2, "field": "price", "message": "must be a number"},
        {"line": 2, "field": "quantity", "message": "Input should be a valid integer"},
    ]


def test_a_new_product_needs_name_and_price(app):
    report = dry_run(app, "products", "sku,category", "A-1,Tools")
    assert report.rejected == [
        {"line": 2, "field": "name", "message": "field required"},
        {"line": 2, "field": "price", "message": "field required"},
    ]


@pytest.mark.parametrize("row, field, message_start", [
    ("Ada,not-an-email,,", "email", "is not a valid email address"),
    (",ada@example.com,,", "name", "may not be null"),
    ("Ada,ada@example.com," + "1" * 31 + ",", "phone", "String should have at most 30 characters"),
    ("Ada,ada@example.com,,\x00", "company", "must not contain NUL characters"),
])
def test_each_customer_rule_rejects_the_line(app, row, field, message_start):
    report = dry_run(app, "customers", "name,email,phone,company", row)
    assert len(report.rejected) == 1
    assert report.rejected[0]["line"] == 2 and report.rejected[0]["field"] == field
    assert report.rejected[0]["message"].startswith(message_start)


def test_customers_without_an_email_column_are_rejected(app):
    report = dry_run(app, "customers", "name,phone", "Ada,123")
    assert report.rejected == [{"line": 2, "field": "email", "message": "field required"}]


def test_numbers_are_read_from_text(app):
    with app.app_context():
        report = import_csv("products", csv_bytes("sku,name,price,quantity,reorder_level",
                                                   "A-1,One,19.99,5,2", "A-2,Two,0,0,0", "A-3,Three, 7 , +4 ,1"))
        assert report.created == 3 and report.rejected == []
        stored = products()
        assert (stored["A-1"].price, stored["A-1"].quantity, stored["A-1"].reorder_level) == (Decimal("19.99"), 5, 2)
        assert (stored["A-2"].price, stored["A-2"].quantity) == (Decimal("0.00"), 0)
        assert (stored["A-3"].price, stored["A-3"].quantity) == (Decimal("7.00"), 4)


def test_products_update_by_sku_and_create_new_ones(app):
    with app.app_context():
        create_product(sku="A-1", name="Old", price=Decimal("1.00"), quantity=2)
        report = import_csv("products", csv_bytes("sku,name,price", "A-1,New name,3.50", "B-1,Brand new,2"))
        assert (report.created, report.updated) == (1, 1)
        stored = products()
        assert (stored["A-1"].name, stored["A-1"].price, stored["A-1"].quantity) == ("New name", Decimal("3.50"), 2)
        assert stored["A-1"].version == 2
        assert stored["B-1"].name == "Brand new"


def test_a_product_row_without_sku_creates_one_with_a_generated_sku(app):
    with app.app_context():
        create_product(sku="P-000002", name="Holds the next generated SKU")
        report = import_csv("products", csv_bytes("sku,name,price", ",First,1", ",Second,2"))
        assert report.created == 2
        generated = {p.name: p.sku for p in products().values()}
        assert generated["First"] != generated["Second"]
        assert all(sku.startswith("P-") for sku in generated.values())
        assert len(set(generated.values())) == 3


def test_a_file_without_sku_column_creates_every_row(app):
    with app.app_context():
        report = import_csv("products", csv_bytes("name,price", "One,1", "Two,2"))
        assert report.created == 2 and len(products()) == 2


def test_customers_update_by_email_whatever_its_case(app):
    with app.app_context():
        create_customer(name="Ada", email="ada@example.com", phone="1")
        report = import_csv("customers", csv_bytes("name,email,phone", "Ada Lovelace,ADA@Example.COM,2",
                                                   "Bob,bob@example.com,3"))
        assert (report.created, report.updated) == (1, 1)
        stored = customers()
        assert set(stored) == {"ada@example.com", "bob@example.com"}
        assert (stored["ada@example.com"].name, stored["ada@example.com"].phone) == ("Ada Lovelace", "2")


def test_a_key_repeated_in_the_file_rejects_the_later_line(app):
    report = dry_run(app, "products", "sku,name,price", "A-1,One,1", "A-2,Two,2", "A-1,Again,3")
    assert report.rejected == [{"line": 4, "field": "sku", "message": "duplicate sku 'A-1': already on line 2"}]
    assert report.created == 2


def test_an_email_repeated_in_another_case_rejects_the_later_line(app):
    report = dry_run(app, "customers", "name,email", "Ada,ada@example.com", "Ada 2,Ada@Example.com")
    assert report.rejected == [
        {"line": 3, "field": "email", "message": "duplicate email 'ada@example.com': already on line 2"}
    ]


def test_a_row_identical_to_the_stored_record_is_neither_created_nor_updated(app):
    with app.app_context():
        create_product(sku="A-1", name="Widget", price=Decimal("1.50"), quantity=3, category="Tools")
        report = import_csv("products", csv_bytes("sku,name,price,quantity,category", "A-1,Widget,1.5,3,Tools"))
        assert report.as_dict() == {"created": 0, "updated": 0, "rejected": [], "ignored_columns": []}
        assert report.unchanged == 1
        assert products()["A-1"].version == 1


def test_an_empty_cell_clears_an_optional_field(app):
    with app.app_context():
        create_product(sku="A-1", name="Widget", category="Tools", description="Long text")
        create_customer(name="Ada", email="ada@example.com", phone="123", company="ACME")
        assert import_csv("products", csv_bytes("sku,category,description", "A-1,,")).updated == 1
        assert import_csv("customers", csv_bytes("email,phone,company", "ada@example.com,,ACME")).updated == 1
        product = products()["A-1"]
        assert (product.category, product.description, product.name) == (None, None, "Widget")
        customer = customers()["ada@example.com"]
        assert (customer.phone, customer.company, customer.name) == (None, "ACME", "Ada")


def test_an_empty_cell_of_a_required_field_is_rejected_on_update(app):
    with app.app_context():
        create_product(sku="A-1", name="Widget")
    report = dry_run(app, "products", "sku,name", "A-1,")
    assert report.rejected == [{"line": 2, "field": "name", "message": "may not be null"}]


def test_a_column_absent_from_the_file_keeps_the_field(app):
    with app.app_context():
        create_product(sku="A-1", name="Widget", price=Decimal("4.00"), quantity=7, category="Tools")
        report = import_csv("products", csv_bytes("sku,price", "A-1,5"))
        assert report.updated == 1
        product = products()["A-1"]
        assert (product.name, product.price, product.quantity, product.category) == ("Widget", Decimal("5.00"), 7, "Tools")
