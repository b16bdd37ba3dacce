"""PostgreSQL search: one trigram index on a lower-cased search document per table, instead of one per column

A search for `q` was three ILIKEs (one per column, each with its pg_trgm
index); for common words the planner chose a sequential scan and paid three
case-insensitive matches per row (116 ms for "drill" at 100 000 products).
One GIN trigram index on lower(sku || US || name || US || category), US being
the unit separator (0x1f), which no searched text contains, so a match never
spans two columns: the same query costs 5 ms. erp_admin/db/search.py builds the
identical expression (search.pg_document); PostgreSQL uses an expression index only
for the same expression. SQLite is untouched (its FTS5 table serves it).

Revision ID: 0007_search_document
Revises: 0006_row_counts
Create Date: 2026-11-26 18:15:00
"""
from alembic import op

revision = "0007_search_document"
down_revision = "0006_row_counts"
branch_labels = None
depends_on = None

# Copied from erp_admin/db/search.py at this revision (a migration must not change when the app does).
DOCUMENTS = {
    "products": "lower(sku || E'\\x1f' || name || E'\\x1f' || coalesce(category, ''))",
    "customers": "lower(name || E'\\x1f' || email || E'\\x1f' || coalesce(company, ''))",
}
OLD_COLUMNS = {"products": ("sku", "name", "category"), "customers": ("name", "email", "company")}


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, document in DOCUMENTS.items():
        op.execute(f"CREATE INDEX IF NOT EXISTS ix_{table}_search_trgm ON {table} USING gin (({document}) gin_trgm_ops)")
        for column in OLD_COLUMNS[table]:
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_{column}_trgm")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, document in DOCUMENTS.items():
        for column in OLD_COLUMNS[table]:
            op.execute(f"CREATE INDEX IF NOT EXISTS ix_{table}_{column}_trgm ON {table} USING gin ({column} gin_trgm_ops)")
        op.execute(f"DROP INDEX IF EXISTS ix_{table}_search_trgm")
