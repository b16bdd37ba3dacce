"""Importing the old backend's SQLite file: what is copied, generated, converted and skipped."""
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from erp_admin.services import legacy_import as legacy
from erp_admin.auth.passwords import hash_parameters
from erp_admin.auth.signin import authenticate
from erp_admin.extensions import db
from erp_admin.services.legacy_import import LegacyImportError, import_legacy
from erp_admin.models import Customer, Product, StockMovement, User
from tests.legacy_db import build_legacy_db, sha256


@pytest.fixture
def legacy_file(tmp_path):
    return build_legacy_db(tmp_path / "old.db")


def _run(app, path, **kwargs):
    with app.app_context():
        return import_legacy(path, **kwargs)


def test_counts_of_imported_and_skipped_rows(app, legacy_file):
    report = _run(app, legacy_file)
    counts = {name: (t.imported, len(t.skipped)) for name, t in report.tables.items()}
    assert counts == {"products": (3, 2), "customers": (2, 2), "users": (3, 2)}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Product)) == 3
        assert db.session.scalar(select(func.count()).select_from(Customer)) == 2
        assert db.session.scalar(select(func.count()).select_from(User)) == 3


def test_products_get_legacy_skus_and_exact_prices(app, legacy_file):
    _run(app, legacy_file)
    with app.app_context():
        rows = {p.sku: p for p in db.session.scalars(select(Product))}
    assert set(rows) == {"LEGACY-1", "LEGACY-2", "LEGACY-3"}
    assert rows["LEGACY-1"].price == Decimal("999.99") and rows["LEGACY-1"].quantity == 10
    assert rows["LEGACY-2"].price == Decimal("19.99")
    assert str(rows["LEGACY-2"].price) == "19.99"
    # 0.1 + 0.2 is 0.30000000000000004 as a float: stored as exactly 0.30.
    assert rows["LEGACY-3"].price == Decimal("0.30") and rows["LEGACY-3"].category is None
    assert rows["LEGACY-1"].description == "14-inch" and rows["LEGACY-1"].category == "Electronics"


def test_a_sku_column_in_the_old_file_is_used(app, tmp_path):
    path = build_legacy_db(tmp_path / "old.db", products=[], customers=[], users=[])
    import sqlite3

    conn = sqlite3.connect(path)
    with conn:
        conn.execute("ALTER TABLE products ADD COLUMN sku VARCHAR")
        conn.execute("INSERT INTO products (id, name, price, quantity, sku) VALUES (7, 'Desk', 449.0, 2, 'DSK-7')")
        conn.execute("INSERT INTO products (id, name, price, quantity, sku) VALUES (8, 'Lamp', 20.5, 0, NULL)")
    conn.close()
    _run(app, path)
    with app.app_context():
        assert sorted(db.session.scalars(select(Product.sku))) == ["DSK-7", "LEGACY-8"]


def test_customers_keep_their_fields_with_emails_lowercased(app, legacy_file):
    _run(app, legacy_file)
    with app.app_context():
        alice = db.session.scalar(select(Customer).where(Customer.email == "alice@acme.example"))
        assert (alice.name, alice.phone, alice.address, alice.company) == ("Alice Johnson", "+1 555 0100", "1 Main St", "Acme")


def test_users_keep_role_active_flag_and_their_legacy_hash(app, legacy_file):
    _run(app, legacy_file)
    with app.app_context():
        users = {u.username: u for u in db.session.scalars(select(User))}
    assert set(users) == {"olduser", "gone", "manny"}
    assert users["olduser"].role == "admin" and users["olduser"].is_active is True
    assert users["gone"].is_active is False
    assert users["manny"].role == "manager"
    # Stored as is, not re-hashed: argon2 runs at the first login, not during the import.
    assert users["olduser"].password_hash == sha256("oldpass123")
    assert users["olduser"].full_name == "Old Admin"


def test_skipped_rows_are_reported_with_their_reasons(app, legacy_file):
    report = _run(app, legacy_file)
    reasons = {(name, s.old_id): s.reason for name, t in report.tables.items() for s in t.skipped}
    assert set(reasons) == {("products", 4), ("products", 5), ("customers", 2), ("customers", 3),
                            ("users", 3), ("users", 4)}
    assert reasons[("products", 4)].startswith("invalid: price")
    assert reasons[("products", 5)].startswith("invalid: name")
    assert reasons[("customers", 2)].startswith("invalid: email is not a valid email address")
    assert reasons[("customers", 3)] == "duplicate: email alice@acme.example already imported from legacy row 1"
    assert reasons[("users", 3)].startswith("invalid: username")
    assert reasons[("users", 4)] == "duplicate: email old@example.com already imported from legacy row 1"


def test_second_run_imports_nothing_twice(app, legacy_file):
    _run(app, legacy_file)
    with app.app_context():
        before = [db.session.scalar(select(func.count()).select_from(m)) for m in (Product, Customer, User)]
    report = _run(app, legacy_file)
    assert report.imported == 0
    with app.app_context():
        after = [db.session.scalar(select(func.count()).select_from(m)) for m in (Product, Customer, User)]
    assert after == before
    assert report.tables["products"].skip_summary() == {"already present": 3, "invalid": 2}
    assert "already present: a user with username olduser exists" in [s.reason for s in report.tables["users"].skipped]


def test_existing_records_of_this_app_are_not_overwritten(app, legacy_file, make_user):
    make_user("manny", role="user", password="newpassword1", email="manny@example.com")
    report = _run(app, legacy_file)
    assert report.tables["users"].imported == 2
    with app.app_context():
        manny = db.session.scalar(select(User).where(User.username == "manny"))
        assert manny.role == "user" and manny.password_hash.startswith("$argon2id$")


def test_a_user_whose_email_belongs_to_another_account_is_skipped(app, legacy_file, make_user):
    make_user("someone", email="gone@example.com")
    report = _run(app, legacy_file)
    reasons = {s.old_id: s.reason for s in report.tables["users"].skipped}
    assert reasons[2] == "already present: a user with email gone@example.com exists"


def test_migrated_user_signs_in_with_the_old_password_and_is_upgraded(app, legacy_file):
    _run(app, legacy_file)
    with app.app_context():
        assert not authenticate("olduser", "wrong-password", client_addr="10.0.0.1").ok
        assert db.session.scalar(select(User.password_hash).where(User.username == "olduser")) == sha256("oldpass123")
        result = authenticate("olduser", "oldpass123", client_addr="10.0.0.1")
        assert result.ok and result.user.username == "olduser"
        stored = db.session.scalar(select(User.password_hash).where(User.username == "olduser"))
        assert stored.startswith("$argon2id$")
        assert hash_parameters(stored)["memory_cost"] == app.config["ARGON2_MEMORY_COST"]
        assert authenticate("olduser", "oldpass123", client_addr="10.0.0.1").ok


def test_migrated_inactive_user_cannot_sign_in(app, legacy_file):
    _run(app, legacy_file)
    with app.app_context():
        assert not authenticate("gone", "gonepass123", client_addr="10.0.0.1").ok


@pytest.mark.parametrize("stored, reason", [
    (None, "invalid: password_hash missing"),
    ("$2b$12$abcdefghijklmnopqrstuuHcBGMwd8OMiIT3iu1ZzJ8l2EJtVnDy", "invalid: password_hash is not a SHA-256"),
    ("abc123", "invalid: password_hash is not a SHA-256"),
])
def test_users_without_a_verifiable_hash_are_skipped(app, tmp_path, stored, reason):
    path = build_legacy_db(tmp_path / "old.db", products=[], customers=[], users=[])
    import sqlite3

    conn = sqlite3.connect(path)
    with conn:
        conn.execute("INSERT INTO users (id, username, email, password_hash, is_active, role) VALUES (1, 'user1', 'user1@example.com', ?, 1, 'user')", (stored,))
    conn.close()
    report = _run(app, path)
    assert report.tables["users"].imported == 0
    assert report.tables["users"].skipped[0].reason.startswith(reason)


def test_uppercase_sha256_digests_are_normalised(app, tmp_path):
    path = build_legacy_db(tmp_path / "old.db", products=[], customers=[], users=[])
    import sqlite3

    conn = sqlite3.connect(path)
    with conn:
        conn.execute("INSERT INTO users (id, username, email, password_hash, is_active, role) VALUES (1, 'user1', 'user1@example.com', ?, 1, 'USER')",
                     (sha256("secret-pass").upper(),))
    conn.close()
    _run(app, path)
    with app.app_context():
        assert authenticate("user1", "secret-pass", client_addr=None).ok


def test_commits_in_batches_and_reports_progress(app, tmp_path, monkeypatch):
    monkeypatch.setattr(legacy, "BATCH_SIZE", 2)
    products = [(i, f"Item {i}", None, 1.5, i, None) for i in range(1, 6)]
    path = build_legacy_db(tmp_path / "old.db", products=products, customers=[], users=[])
    seen = []
    report = _run(app, path, progress=lambda table, done, total: seen.append((table, done, total)))
    assert report.tables["products"].imported == 5
    assert seen == [("products", n, 5) for n in range(1, 6)]


def test_missing_tables_are_reported_not_fatal(app, tmp_path):
    import sqlite3

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name VARCHAR, email VARCHAR)")
        conn.execute("INSERT INTO customers VALUES (1, 'Eve', 'eve@example.com')")
    conn.close()
    report = _run(app, path)
    assert report.tables["customers"].imported == 1
    assert not report.tables["products"].found and not report.tables["users"].found


def test_not_an_sqlite_file_is_refused(app, tmp_path):
    path = tmp_path / "old.db"
    path.write_text("id,name\n1,Laptop\n")
    with pytest.raises(LegacyImportError, match="not an SQLite database"):
        _run(app, path)


def test_a_database_without_the_old_tables_is_refused(app, tmp_path):
    import sqlite3

    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY)")
    conn.close()
    with pytest.raises(LegacyImportError, match="none of the tables"):
        _run(app, path)


def test_the_old_file_is_not_changed(app, legacy_file):
    before = legacy_file.read_bytes()
    _run(app, legacy_file)
    assert legacy_file.read_bytes() == before


def test_products_and_customers_are_written_in_batches(app, tmp_path):
    # Row by row, 300 products and 300 customers took 600 INSERTs of records (plus their movements and audit
    # entries); the bulk writer sends one statement per chunk of each.
    from sqlalchemy import event

    products = [(i, f"Item {i}", None, 1.5, 1, None) for i in range(1, 301)]
    customers = [(i, f"C {i}", f"c{i}@example.com", None, None, None) for i in range(1, 301)]
    path = build_legacy_db(tmp_path / "old.db", products=products, customers=customers, users=[])
    inserts = []
    with app.app_context():
        def count(conn, cursor, statement, parameters, context, executemany):
            if statement.lstrip().upper().startswith("INSERT INTO"):
                inserts.append(statement.split()[2].strip('"'))

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            report = import_legacy(path)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        assert report.imported == 600
        assert db.session.scalar(select(func.count()).select_from(Product)) == 300
        movements = db.session.scalar(select(func.count()).select_from(StockMovement))
        assert movements == 300
    assert inserts.count("products") <= 3 and inserts.count("customers") <= 3, inserts[:10]
