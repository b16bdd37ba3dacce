"""exact row counts kept by triggers on PostgreSQL, so unfiltered lists need no count(*)

See erp_admin/db/row_counts.py. PostgreSQL only: SQLite counts fast over the
narrow id indexes of 0004. The triggers are created before the counters are
filled, in the same transaction: CREATE TRIGGER locks out writers of the
table until the migration commits, so no row is missed or counted twice.

Revision ID: 0006_row_counts
Revises: 0005_csv_uploads
Create Date: 2026-11-26 18:20:00
"""
from alembic import op

revision = "0006_row_counts"
down_revision = "0005_csv_uploads"
branch_labels = None
depends_on = None

TABLES = ("products", "customers")


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE TABLE row_counts (table_name text PRIMARY KEY, row_count bigint NOT NULL)")
    # Statement-level, with transition tables: one UPDATE per statement, however many rows it touched
    # (an import's batched INSERT included), and none for a statement that touched no row.
    for event, sign, rows in (("inserted", "+", "new_rows"), ("deleted", "-", "old_rows")):
        op.execute(f"""
            CREATE FUNCTION erp_count_{event}() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE n bigint;
            BEGIN
                SELECT count(*) INTO n FROM {rows};
                IF n > 0 THEN
                    UPDATE row_counts SET row_count = row_count {sign} n WHERE table_name = TG_TABLE_NAME;
                END IF;
                RETURN NULL;
            END $$""")
    op.execute("""
        CREATE FUNCTION erp_count_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE row_counts SET row_count = 0 WHERE table_name = TG_TABLE_NAME;
            RETURN NULL;
        END $$""")
    for table in TABLES:
        op.execute(f"CREATE TRIGGER {table}_count_inserted AFTER INSERT ON {table} "
                   "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION erp_count_inserted()")
        op.execute(f"CREATE TRIGGER {table}_count_deleted AFTER DELETE ON {table} "
                   "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION erp_count_deleted()")
        op.execute(f"CREATE TRIGGER {table}_count_truncated AFTER TRUNCATE ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION erp_count_truncated()")
        op.execute(f"INSERT INTO row_counts (table_name, row_count) SELECT '{table}', count(*) FROM {table}")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        for event in ("inserted", "deleted", "truncated"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_count_{event} ON {table}")
    for event in ("inserted", "deleted", "truncated"):
        op.execute(f"DROP FUNCTION IF EXISTS erp_count_{event}()")
    op.execute("DROP TABLE IF EXISTS row_counts")
