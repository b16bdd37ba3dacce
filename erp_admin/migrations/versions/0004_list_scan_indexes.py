"""narrow id indexes that serve list paging and counts on SQLite

On SQLite a table with an INTEGER PRIMARY KEY is stored in id order with
its whole rows, so `ORDER BY id LIMIT 50 OFFSET 90000` and `count(*)` step
through every full row before the page. An index on id alone holds just
the ids: the lists read the page's ids from it (a deferred join, see
erp_admin/api/listing.py) and count from it, several times faster at
100 000 rows. PostgreSQL keeps its primary key in a separate index already,
so it gets nothing here. The models do not declare these indexes (they would
duplicate the primary key on PostgreSQL); the drift check skips them by
their `_id_scan` suffix (erp_admin.db.engine.include_in_migrations).

Revision ID: 0004_scan
Revises: 0003_search
Create Date: 2026-11-26 15:00:00
"""
from alembic import op

revision = "0004_scan"
down_revision = "0003_search"
branch_labels = None
depends_on = None

TABLES = ("products", "customers")


def upgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        op.execute(f"CREATE INDEX IF NOT EXISTS ix_{table}_id_scan ON {table} (id)")


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        op.execute(f"DROP INDEX IF EXISTS ix_{table}_id_scan")
