"""Migrations and models never drift, and the schema builds from nothing."""
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from erp_admin.database import include_in_migrations, pending_migrations, upgrade_database
from erp_admin.extensions import db
from erp_admin.search import is_search_object
from tests import conftest


def test_models_and_migrations_do_not_drift(app):
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={
            "compare_type": True, "render_as_batch": True, "include_object": include_in_migrations,
        })
        diffs = compare_metadata(context, db.metadata)
    assert diffs == []


def test_the_test_database_is_at_the_newest_migration(app):
    with app.app_context():
        assert pending_migrations() is False


def test_upgrade_builds_every_table_from_nothing(tmp_path):
    from erp_admin import create_app

    url = f"sqlite:///{tmp_path / 'new.db'}"
    app = create_app(conftest.test_config(url, str(tmp_path)))
    assert upgrade_database(app) is True
    assert upgrade_database(app) is False  # already at the head: nothing runs
    engine = create_engine(url)
    try:
        tables = {t for t in inspect(engine).get_table_names() if not is_search_object(t, "table")}
    finally:
        engine.dispose()
    assert tables == {t.name for t in db.metadata.sorted_tables} | {"alembic_version"}
