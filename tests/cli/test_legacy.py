"""`flask erp import-legacy PATH` through the CLI runner."""
from sqlalchemy import func, select

from erp_admin.audit.context import get_actor
from erp_admin.cli import legacy as legacy_cli
from erp_admin.extensions import db
from erp_admin.models import AuditEntry, Product, User
from tests.legacy_db import build_legacy_db


def test_import_reports_what_was_imported_and_skipped(app, runner, tmp_path):
    path = build_legacy_db(tmp_path / "old.db")
    result = runner.invoke(args=["erp", "import-legacy", str(path)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "products: 3 imported, 2 skipped (2 invalid)" in out
    assert "customers: 2 imported, 2 skipped (1 duplicate, 1 invalid)" in out
    assert "users: 3 imported, 2 skipped (1 duplicate, 1 invalid)" in out
    assert "skipped customer id 2: invalid: email is not a valid email address" in out
    assert "skipped user id 4: duplicate: email old@example.com already imported from legacy row 1" in out
    assert "columns not carried over: created_at" in out
    assert "Done: 8 imported, 6 skipped." in out
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 3


def test_second_run_imports_nothing(app, runner, tmp_path):
    path = build_legacy_db(tmp_path / "old.db")
    runner.invoke(args=["erp", "import-legacy", str(path)])
    result = runner.invoke(args=["erp", "import-legacy", str(path)])
    assert result.exit_code == 0, result.output
    assert "products: 0 imported, 5 skipped (3 already present, 2 invalid)" in result.output
    assert "Done: 0 imported, 14 skipped." in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Product)) == 3


def test_progress_is_shown_for_big_tables(app, runner, tmp_path, monkeypatch):
    monkeypatch.setattr(legacy_cli, "PROGRESS_FROM_ROWS", 3)
    products = [(i, f"Item {i}", None, 2.5, 1, None) for i in range(1, 5)]
    path = build_legacy_db(tmp_path / "old.db", products=products, customers=[], users=[])
    result = runner.invoke(args=["erp", "import-legacy", str(path)])
    assert result.exit_code == 0, result.output
    assert "Importing products" in result.stderr
    assert "products: 4 imported, 0 skipped" in result.stdout


def test_work_is_recorded_under_channel_cli_and_the_given_user(app, runner, tmp_path, make_user):
    make_user("admin")
    products = [(1, "Old Lamp", None, 2.5, 3, None)]
    path = build_legacy_db(tmp_path / "old.db", products=products, customers=[], users=[])
    result = runner.invoke(args=["erp", "import-legacy", str(path), "--user", "admin"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.entity == "product"))
    assert (entry.action, entry.channel, entry.username) == ("create", "cli", "admin")
    assert get_actor().channel == "shell"  # the CLI actor ends with the command


def test_unknown_acting_user_is_an_error(app, runner, tmp_path):
    path = build_legacy_db(tmp_path / "old.db")
    result = runner.invoke(args=["erp", "import-legacy", str(path), "--user", "nobody"])
    assert result.exit_code == 2
    assert "no user named 'nobody'" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Product)) == 0


def test_bad_files_are_clean_errors(app, runner, tmp_path):
    text_file = tmp_path / "old.db"
    text_file.write_text("not a database")
    result = runner.invoke(args=["erp", "import-legacy", str(text_file)])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and "not an SQLite database" in result.output
    missing = runner.invoke(args=["erp", "import-legacy", str(tmp_path / "missing.db")])
    assert missing.exit_code == 2 and "does not exist" in missing.output
