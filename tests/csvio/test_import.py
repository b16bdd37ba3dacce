"""A dry run writes nothing; a real import writes every row or none, in one short transaction."""
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, text

from erp_admin.csvio import ImportRejected, import_csv
from erp_admin.errors import Conflict
from tests.csvio.helpers import csv_bytes, customers, products
from tests.factories import create_customer, create_product

FILE = ("sku,name,price,quantity", "A-1,Changed,2,9", "B-1,New,1,1")


def test_a_dry_run_writes_nothing_and_reports_what_would_change(app):
    with app.app_context():
        create_product(sku="A-1", name="Widget", price=Decimal("1.00"), quantity=1)
        report = import_csv("products", csv_bytes(*FILE, "C-1,Bad,x,1"), dry_run=True)
        assert report.as_dict() == {
            "created": 1, "updated": 1, "ignored_columns": [],
            "rejected": [{"line": 4, "field": "price", "message": "must be a number"}],
        }
        assert not report.written
        stored = products()
        assert set(stored) == {"A-1"}
        assert (stored["A-1"].name, stored["A-1"].quantity, stored["A-1"].version) == ("Widget", 1, 1)


def test_one_bad_row_and_a_real_import_writes_nothing(app):
    with app.app_context():
        create_product(sku="A-1", name="Widget", price=Decimal("1.00"), quantity=1)
        with pytest.raises(ImportRejected) as caught:
            import_csv("products", csv_bytes(*FILE, "C-1,Bad,1,1.5"))
        assert caught.value.status == 422
        assert caught.value.report.as_dict()["rejected"] == [
            {"line": 4, "field": "quantity", "message": "Input should be a valid integer"}
        ]
        assert caught.value.report.created == 1 and caught.value.report.updated == 1
        stored = products()
        assert set(stored) == {"A-1"} and stored["A-1"].name == "Widget"


def test_a_real_import_writes_every_row(app):
    with app.app_context():
        create_product(sku="A-1", name="Widget", price=Decimal("1.00"), quantity=1)
        report = import_csv("products", csv_bytes(*FILE))
        assert report.written and (report.created, report.updated) == (1, 1)
        stored = products()
        assert (stored["A-1"].name, stored["A-1"].quantity) == ("Changed", 9)
        assert (stored["B-1"].name, stored["B-1"].price) == ("New", Decimal("1.00"))


def test_formula_looking_cells_are_stored_as_text(app):
    with app.app_context():
        report = import_csv("customers", csv_bytes(
            "name,email,phone,company",
            "Ada,ada@example.com,'+1 555 0100,=HYPERLINK(\"http://evil\")",
            "Bob,bob@example.com,+44 20,'hello",
        ))
        assert report.created == 2
        stored = customers()
        assert (stored["ada@example.com"].phone, stored["ada@example.com"].company) == (
            "+1 555 0100", '=HYPERLINK("http://evil")')
        assert (stored["bob@example.com"].phone, stored["bob@example.com"].company) == ("+44 20", "'hello")


def test_a_record_changed_between_check_and_write_stops_the_import(app, database_url):
    with app.app_context():
        create_product(sku="A-1", name="Widget", price=Decimal("1.00"), quantity=1)
        other_writer = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])

        def meanwhile(phase, done, total):
            if phase == "validate":
                with other_writer.begin() as conn:
                    conn.execute(text("UPDATE products SET name = 'Theirs', version = version + 1 WHERE sku = 'A-1'"))

        with pytest.raises(Conflict, match="Line 2: the product it updates was changed or deleted") as caught:
            import_csv("products", csv_bytes(*FILE), progress=meanwhile)
        assert caught.value.status == 409
        other_writer.dispose()
        stored = products()
        assert set(stored) == {"A-1"} and stored["A-1"].name == "Theirs"


def test_a_key_created_between_check_and_write_stops_the_import(app):
    with app.app_context():
        other_writer = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])

        def meanwhile(phase, done, total):
            if phase == "validate":
                with other_writer.begin() as conn:
                    conn.execute(text("INSERT INTO customers (name, email, version, created_at, updated_at) "
                                      "VALUES ('Theirs', 'bob@example.com', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))

        with pytest.raises(Conflict, match="Line 3: a customer with email 'bob@example.com' was created"):
            import_csv("customers", csv_bytes("name,email", "Ada,ada@example.com", "Bob,bob@example.com"),
                       progress=meanwhile)
        other_writer.dispose()
        assert set(customers()) == {"bob@example.com"}


def test_no_write_lock_is_held_while_the_file_is_validated(app):
    """Another writer commits during validation without waiting (SQLite: no BEGIN IMMEDIATE held)."""
    with app.app_context():
        create_customer(name="Ada", email="ada@example.com")
        uri = app.config["SQLALCHEMY_DATABASE_URI"]
        # A busy timeout of 0: if the import held the write lock, this writer would fail at once.
        options = {"connect_args": {"timeout": 0}} if uri.startswith("sqlite") else {}
        other_writer = create_engine(uri, **options)
        written = []

        def meanwhile(phase, done, total):
            if phase == "validate":
                with other_writer.begin() as conn:
                    conn.execute(text("UPDATE customers SET phone = '42' WHERE email = 'ada@example.com'"))
                written.append(True)

        import_csv("customers", csv_bytes("name,email", "Bob,bob@example.com"), progress=meanwhile)
        other_writer.dispose()
        assert written == [True]
        assert set(customers()) == {"ada@example.com", "bob@example.com"}


def test_an_open_session_transaction_is_ended_before_validation(app):
    with app.app_context():
        from sqlalchemy import select

        from erp_admin.extensions import db
        from erp_admin.models import Customer

        create_customer(name="Ada", email="ada@example.com")
        db.session.scalars(select(Customer)).all()  # the session now holds a transaction (SQLite: the write lock)
        uri = app.config["SQLALCHEMY_DATABASE_URI"]
        options = {"connect_args": {"timeout": 0}} if uri.startswith("sqlite") else {}
        other_writer = create_engine(uri, **options)

        def meanwhile(phase, done, total):
            with other_writer.begin() as conn:
                conn.execute(text("UPDATE customers SET phone = '42' WHERE email = 'ada@example.com'"))

        report = import_csv("customers", csv_bytes("name,email", "Bob,bob@example.com"), dry_run=True, progress=meanwhile)
        other_writer.dispose()
        assert report.created == 1
        assert customers()["ada@example.com"].phone == "42"
