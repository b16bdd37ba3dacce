"""identity is never reused: AUTOINCREMENT on SQLite, and a random identity key per user

SQLite without AUTOINCREMENT hands out max(id) + 1, so deleting the newest
row freed its id for the next insert (a deleted user's tokens then answered
for the next user created; a stale ETag deleted the next product). Each table
whose ids the outside world sees is rebuilt with `INTEGER PRIMARY KEY
AUTOINCREMENT`, following SQLite's own procedure (create the new table, copy
every row with its id, drop the old, rename, recreate its indexes and
triggers); env.py runs SQLite migrations with foreign-key enforcement off, as
that procedure requires, and this migration checks every reference with
`PRAGMA foreign_key_check` before it commits. sqlite_sequence then starts
above the highest id the database shows was ever handed out: the current
max, or an id the audit log names for a record since deleted, whichever is
higher (ids freed and reused before the audit log recorded them cannot be
known).

PostgreSQL needs no rebuild: its serial sequences never hand a value out
twice. Tables with ids nobody outside sees (idempotency_keys) or random keys
(panel_sessions, csv_uploads, revoked_tokens...) are left as they are.

Every user gets a random identity key (`users.identity_key`), carried by
access and refresh tokens and by panel sessions: they are honoured only for
the user they were issued to, even if an id comes back (a restored backup, a
reset sequence). Tokens and panel sessions issued before this migration carry
no key and are refused: everyone signs in again once.

Downgrading drops the identity key and leaves AUTOINCREMENT in place (the
older code works with it).

Revision ID: 0008_identity
Revises: 0007_search_document
Create Date: 2026-11-27 10:00:00
"""
import re
import secrets

import sqlalchemy as sa
from alembic import op

revision = "0008_identity"
down_revision = "0007_search_document"
branch_labels = None
depends_on = None

# Copied at this revision: each table whose ids are exposed, with the audit entity that names its ids.
TABLES = {"users": "user", "products": "product", "customers": "customer", "stock_movements": None, "audit_log": None}
KEY_LENGTH = 32


def upgrade():
    bind = op.get_bind()
    op.add_column("users", sa.Column("identity_key", sa.String(length=KEY_LENGTH), nullable=True))
    ids = bind.execute(sa.text("SELECT id FROM users")).scalars().all()
    if ids:
        bind.execute(sa.text("UPDATE users SET identity_key = :key WHERE id = :id"),
                     [{"id": user_id, "key": secrets.token_hex(KEY_LENGTH // 2)} for user_id in ids])
    if bind.dialect.name != "sqlite":
        op.alter_column("users", "identity_key", existing_type=sa.String(length=KEY_LENGTH), nullable=False)
        return
    for table, entity in TABLES.items():
        _rebuild_with_autoincrement(bind, table, entity)
    broken = bind.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        raise RuntimeError(f"foreign key check failed after rebuilding the tables: {broken[:10]}")


def downgrade():
    op.drop_column("users", "identity_key")


def _rebuild_with_autoincrement(bind, table: str, entity: str | None) -> None:
    ddl = bind.execute(sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :t"),
                       {"t": table}).scalar_one()
    if "AUTOINCREMENT" not in ddl:
        dependants = bind.execute(sa.text(
            "SELECT sql FROM sqlite_master WHERE tbl_name = :t AND type IN ('index', 'trigger') AND sql IS NOT NULL"
        ), {"t": table}).scalars().all()
        columns = ", ".join(f'"{row[1]}"' for row in bind.exec_driver_sql(f'PRAGMA table_info("{table}")'))
        new = f"_new_{table}"
        bind.exec_driver_sql(_autoincrement_ddl(ddl, table, new))
        bind.exec_driver_sql(f"INSERT INTO {new} ({columns}) SELECT {columns} FROM {table}")
        bind.exec_driver_sql(f"DROP TABLE {table}")
        bind.exec_driver_sql(f"ALTER TABLE {new} RENAME TO {table}")
        for statement in dependants:
            bind.exec_driver_sql(statement)
    # The next id goes above every id this database shows was handed out.
    handed_out = [f"(SELECT max(id) FROM {table})"]
    if entity is not None:
        handed_out.append(f"(SELECT max(entity_id) FROM audit_log WHERE entity = '{entity}')")
    if table == "users":
        handed_out.append("(SELECT max(user_id) FROM audit_log)")
    last = bind.exec_driver_sql("SELECT max(" + ", ".join(f"coalesce({q}, 0)" for q in handed_out) + ", 0)").scalar()
    bind.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = :t"), {"t": table})
    bind.execute(sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES (:t, :seq)"), {"t": table, "seq": last})


def _autoincrement_ddl(ddl: str, table: str, new: str) -> str:
    """table's CREATE TABLE statement, for a table named new whose id is INTEGER PRIMARY KEY AUTOINCREMENT."""
    edits = (
        (rf'^CREATE TABLE "?{table}"? \(', f"CREATE TABLE {new} ("),
        (r"(\(\s*)id INTEGER NOT NULL,", rf"\1id INTEGER NOT NULL CONSTRAINT pk_{table} PRIMARY KEY AUTOINCREMENT,"),
        (rf",\s*CONSTRAINT pk_{table} PRIMARY KEY \(id\)", ""),
    )
    if table == "users":  # the column added above, now filled for every row
        edits += ((rf"\bidentity_key VARCHAR\({KEY_LENGTH}\)", f"identity_key VARCHAR({KEY_LENGTH}) NOT NULL"),)
    for pattern, replacement in edits:
        ddl, found = re.subn(pattern, replacement, ddl, count=1)
        if found != 1:
            raise RuntimeError(f"unexpected definition of table {table}: no match for {pattern!r}")
    return ddl
