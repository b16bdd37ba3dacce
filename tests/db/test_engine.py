"""The engine the suite runs on, and what migrating on start-up prints."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from erp_admin.extensions import db

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_engine_dialect_is_the_one_requested(app):
    # Proves that the PostgreSQL pass of .ci/run really ran on PostgreSQL.
    requested = os.environ.get("ERP_TEST_DATABASE_URL")
    expected = make_url(requested).get_backend_name() if requested else "sqlite"
    with app.app_context():
        assert db.engine.dialect.name == expected
        with db.engine.connect() as conn:
            if expected == "postgresql":
                assert conn.execute(text("SELECT version()")).scalar().startswith("PostgreSQL")
            else:
                assert conn.execute(text("SELECT sqlite_version()")).scalar()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(app):
    with app.app_context(), db.engine.connect() as conn:
        if conn.dialect.name != "sqlite":
            return  # PostgreSQL has neither pragma; nothing to check there
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == app.config["SQLITE_BUSY_TIMEOUT_MS"]


def _flask(args, instance: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ERP_", "FLASK_")) and k not in ("DATABASE_URL", "REDIS_URL")}
    env["ERP_INSTANCE_PATH"] = str(instance)
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.slow  # flask in a fresh process
def test_alembic_speaks_only_when_a_migration_runs(tmp_path):
    first = _flask(["erp", "init-db"], tmp_path)
    assert first.returncode == 0, first.stderr
    assert "Running upgrade  -> 0001" in first.stderr
    second = _flask(["erp", "init-db"], tmp_path)
    assert second.returncode == 0, second.stderr
    assert second.stderr == ""
    assert second.stdout.startswith("Database is up to date")


@pytest.mark.slow  # flask in a fresh process
def test_flask_db_upgrade_still_shows_alembic_output(tmp_path):
    result = _flask(["db", "upgrade"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Running upgrade  -> 0001" in result.stderr
