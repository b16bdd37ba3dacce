"""substring search indexes: FTS5 trigram on SQLite, pg_trgm on PostgreSQL

Revision ID: 0003_search
Revises: 0001
Create Date: 2026-11-26 12:00:00
"""
from alembic import op

revision = "0003_search"
down_revision = "0001"
branch_labels = None
depends_on = None

SQLITE_UP = [
    """CREATE VIRTUAL TABLE products_search USING fts5(
        sku, name, category, content='products', content_rowid='id', tokenize='trigram')""",
    """CREATE TRIGGER products_search_ai AFTER INSERT ON products BEGIN
        INSERT INTO products_search(rowid, sku, name, category) VALUES (new.id, new.sku, new.name, new.category);
    END""",
    """CREATE TRIGGER products_search_ad AFTER DELETE ON products BEGIN
        INSERT INTO products_search(products_search, rowid, sku, name, category)
        VALUES ('delete', old.id, old.sku, old.name, old.category);
    END""",
    """CREATE TRIGGER products_search_au AFTER UPDATE OF sku, name, category ON products BEGIN
        INSERT INTO products_search(products_search, rowid, sku, name, category)
        VALUES ('delete', old.id, old.sku, old.name, old.category);
        INSERT INTO products_search(rowid, sku, name, category) VALUES (new.id, new.sku, new.name, new.category);
    END""",
    "INSERT INTO products_search(products_search) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS products_search_au",
    "DROP TRIGGER IF EXISTS products_search_ad",
    "DROP TRIGGER IF EXISTS products_search_ai",
    "DROP TABLE IF EXISTS products_search",
]
PG_COLUMNS = {"products": ("sku", "name", "category"), "customers": ("name", "email", "company")}


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in SQLITE_UP:
            op.execute(statement)
    elif dialect == "postgresql":
        # Needs a role allowed to create the extension (the README says so).
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for table, columns in PG_COLUMNS.items():
            for column in columns:
                op.execute(
                    f"CREATE INDEX IF NOT EXISTS ix_{table}_{column}_trgm ON {table} "
                    f"USING gin ({column} gin_trgm_ops)"
                )


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in SQLITE_DOWN:
            op.execute(statement)
    elif dialect == "postgresql":
        for table, columns in PG_COLUMNS.items():
            for column in columns:
                op.execute(f"DROP INDEX IF EXISTS ix_{table}_{column}_trgm")
