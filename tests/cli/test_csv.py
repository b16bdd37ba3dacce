"""`flask erp import-csv` and `flask erp export-csv`."""
from decimal import Decimal

import pytest
from sqlalchemy import select

from erp_admin.extensions import db
from erp_admin.models import Customer, Product
from tests.factories import create_customer, create_product


def write(tmp_path, text, name="file.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return str(path)


def stored_products(app):
    with app.app_context():
        return {p.sku: (p.name, p.price, p.quantity) for p in db.session.scalars(select(Product))}


def test_import_creates_and_updates_and_prints_the_report(app, runner, tmp_path):
    with app.app_context():
        create_product(sku="A-1", name="Old", price=Decimal("1.00"))
    path = write(tmp_path, "SKU;Name;Price;Colour\nA-1;New;2.00;red\nB-1;Other;3;blue\n")
    result = runner.invoke(args=["erp", "import-csv", "products", path])
    assert result.exit_code == 0, result.output
    assert "created: 1" in result.output and "updated: 1" in result.output
    assert "ignored columns: Colour" in result.output
    assert "Imported products: 1 created, 1 updated." in result.output
    assert stored_products(app) == {"A-1": ("New", Decimal("2.00"), 0), "B-1": ("Other", Decimal("3.00"), 0)}


def test_dry_run_writes_nothing(app, runner, tmp_path):
    path = write(tmp_path, "sku,name,price\nA-1,New,2\n")
    result = runner.invoke(args=["erp", "import-csv", "products", path, "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "created: 1" in result.output and "Dry run: nothing was written." in result.output
    assert stored_products(app) == {}


@pytest.mark.parametrize("dry_run", [[], ["--dry-run"]])
def test_rejected_lines_are_listed_exit_1_and_nothing_is_written(app, runner, tmp_path, dry_run):
    path = write(tmp_path, "sku,name,price,quantity\nA-1,Fine,1,1\nA-2,Bad,abc,1.5\n")
    result = runner.invoke(args=["erp", "import-csv", "products", path, *dry_run])
    assert result.exit_code == 1
    assert "line 3, price: must be a number" in result.output
    assert "line 3, quantity: Input should be a valid integer" in result.output
    assert "rejected: 1 line(s)" in result.output
    assert stored_products(app) == {}


def test_a_file_that_is_not_csv_utf8_is_a_clear_error(app, runner, tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("name,email\nJosé,jose@example.com\n".encode("latin-1"))
    result = runner.invoke(args=["erp", "import-csv", "customers", str(path)])
    assert result.exit_code == 1
    assert "not UTF-8" in result.output and "Traceback" not in result.output


def test_import_of_customers_from_standard_input(app, runner):
    result = runner.invoke(args=["erp", "import-csv", "customers", "-"], input="name,email\nAda,ADA@example.com\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalars(select(Customer.email)).all() == ["ada@example.com"]


def test_unknown_acting_user_is_refused(app, runner, tmp_path):
    path = write(tmp_path, "sku,name,price\nA-1,New,2\n")
    result = runner.invoke(args=["erp", "import-csv", "products", path, "--user", "ghost"])
    assert result.exit_code == 2 and "no user named 'ghost'" in result.output
    assert stored_products(app) == {}


def test_unknown_resource_is_refused(runner, tmp_path):
    path = write(tmp_path, "username\nx\n")
    result = runner.invoke(args=["erp", "import-csv", "users", path])
    assert result.exit_code == 2 and "'users' is not one of" in result.output


def test_export_to_a_file_imports_back_unchanged(app, runner, tmp_path):
    with app.app_context():
        create_customer(name="Ada", email="ada@example.com", phone="+1 555 0100")
    target = tmp_path / "out.csv"
    result = runner.invoke(args=["erp", "export-csv", "customers", str(target)])
    assert result.exit_code == 0, result.output
    text = target.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "id,name,email,phone,company,address,created_at,updated_at,version"
    assert "'+1 555 0100" in text
    result = runner.invoke(args=["erp", "import-csv", "customers", str(target), "--dry-run"])
    assert result.exit_code == 0
    assert "created: 0\nupdated: 0\nunchanged: 1\nrejected: 0 line(s)" in result.output


def test_export_to_standard_output(app, runner):
    with app.app_context():
        create_product(sku="A-1", name="Widget", price=Decimal("2.5"))
    result = runner.invoke(args=["erp", "export-csv", "products"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].startswith("id,sku,name,") and ",A-1,Widget,,,2.50,0,0,true," in lines[1]


@pytest.mark.parametrize("command", ["import-csv", "export-csv"])
def test_commands_have_help(runner, command):
    result = runner.invoke(args=["erp", command, "--help"])
    assert result.exit_code == 0
    assert "{customers|products}" in result.output and "FILE" in result.output


def test_large_imports_show_progress(app, runner, tmp_path, monkeypatch):
    import erp_admin.cli.csv as commands
    import erp_admin.csvio.importer as importer
    import erp_admin.csvio.validation as validation

    monkeypatch.setattr(commands, "PROGRESS_EVERY", 2)
    monkeypatch.setattr(validation, "CHUNK_ROWS", 2)
    monkeypatch.setattr(importer, "WRITE_CHUNK", 2)
    path = write(tmp_path, "sku,name,price\n" + "".join(f"A-{i},P{i},1\n" for i in range(4)))
    result = runner.invoke(args=["erp", "import-csv", "products", path])
    assert result.exit_code == 0, result.output
    assert "Checked 2 rows…" in result.output and "Checked 4 rows…" in result.output
    assert "Written 2 of 4 rows…" in result.output and "Written 4 of 4 rows…" in result.output


def test_export_does_not_hold_the_sqlite_write_lock(app, runner, monkeypatch):
    """A long export must not block writers: it reads in a plain (deferred) transaction."""
    from sqlalchemy import event

    from erp_admin.extensions import db

    begins = []
    with app.app_context():
        engine = db.engine

        def record(conn, cursor, statement, *args):
            if statement.startswith("BEGIN"):
                begins.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        try:
            result = runner.invoke(args=["erp", "export-csv", "products", "-"])
        finally:
            event.remove(engine, "before_cursor_execute", record)
    assert result.exit_code == 0, result.output
    if engine.dialect.name == "sqlite":
        assert begins and "BEGIN IMMEDIATE" not in begins
