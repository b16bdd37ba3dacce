"""Moving over from the old FastAPI backend: products, customers and users out of its SQLite file.

Every row goes through the same validation as the API; products and customers
are written a batch at a time by the bulk writer (with their movements and
audit entries), users one by one (they are few). A value this app
needs that the old backend never had (products had no SKU) is generated
(LEGACY-<old id>); a row that still fails is skipped with its reason. Rows
already present (same SKU, email or username) are skipped too, so running
the import twice imports nothing twice. Legacy SHA-256 password hashes are
stored as they are and upgraded to argon2id at the user's first login.
"""
from __future__ import annotations

import re
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from erp_admin.extensions import db
from erp_admin.models import Customer, Product, User
from erp_admin.schemas import CustomerSchema, ProductSchema, UserSchema, ValidationFailed, validate_record
from erp_admin.services.bulk import bulk_create
from erp_admin.errors import LegacyImportError, ServiceError

TABLES = ("products", "customers", "users")
BATCH_SIZE = 2000  # rows per commit: a crash loses at most one batch, and a rerun resumes
MOVEMENT_REASON = "legacy import"

# Columns copied when the old table has them (matched by name, case ignored).
COPIED_COLUMNS = {
    "products": ("sku", "name", "description", "category", "price", "quantity", "reorder_level"),
    "customers": ("name", "email", "phone", "company", "address"),
    "users": ("username", "email", "full_name", "role", "is_active", "password_hash"),
}
# Read to name a row (and derive a SKU), not copied: ids are this app's own.
KNOWN_COLUMNS = {"id"}
TEXT_FIELDS = {"sku", "name", "description", "category", "email", "phone", "company", "address", "username", "full_name"}
# Hash formats auth.passwords can verify (and upgrade at the next login).
VERIFIABLE_HASH = re.compile(r"^(?:[0-9a-f]{64}|\$argon2id?\$.+|(?:scrypt|pbkdf2):.+)$")


@dataclass
class Skipped:
    old_id: Any
    reason: str


@dataclass
class TableReport:
    table: str
    found: bool = False
    total: int = 0
    imported: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    def skip_summary(self) -> Counter:
        """Count skipped rows by the first word of their reason (e.g. already present, invalid)."""
        return Counter(s.reason.split(":", 1)[0] for s in self.skipped)


@dataclass
class ImportReport:
    tables: dict[str, TableReport]

    @property
    def imported(self) -> int:
        return sum(t.imported for t in self.tables.values())

    @property
    def skipped(self) -> int:
        return sum(len(t.skipped) for t in self.tables.values())


Progress = Callable[[str, int, int], None]  # (table, rows done, rows in table)


def import_legacy(path: str | Path, *, progress: Progress | None = None) -> ImportReport:
    """Copy products, customers and users from the old backend's SQLite file; commit in batches."""
    source = _open(path)
    try:
        present = _tables_of(source)
        if not present & set(TABLES):
            raise LegacyImportError(f"{path} has none of the tables {', '.join(TABLES)}.")
        report = ImportReport({t: TableReport(t) for t in TABLES})
        for table in TABLES:
            if table in present:
                _import_table(source, report.tables[table], progress)
        return report
    finally:
        source.close()


def _open(path: str | Path) -> sqlite3.Connection:
    path = Path(path)
    if not path.is_file():
        raise LegacyImportError(f"{path} is not a file.")
    # Read-only: the old database is never changed, even by accident.
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise LegacyImportError(f"{path} is not an SQLite database ({exc}).") from None
    return conn


def _tables_of(source: sqlite3.Connection) -> set[str]:
    rows = source.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {r[0].lower() for r in rows}


def _import_table(source: sqlite3.Connection, report: TableReport, progress: Progress | None) -> None:
    table = report.table
    report.found = True
    columns = [r["name"] for r in source.execute(f'PRAGMA table_info("{table}")')]
    by_lower = {c.lower(): c for c in columns}
    wanted = COPIED_COLUMNS[table]
    report.ignored_columns = [c for c in columns if c.lower() not in set(wanted) | KNOWN_COLUMNS]
    report.total = source.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
    order = ' ORDER BY "id"' if "id" in by_lower else ""
    seen = _Keys()

    done = 0
    pending: list[dict[str, Any]] = []  # validated rows for the bulk writer
    for row in _rows(source, f'SELECT * FROM "{table}"{order}'):
        old = {k.lower(): row[k] for k in row.keys()}
        old_id = old.get("id")
        data = {name: old[name] for name in wanted if name in old}
        try:
            cleaned = IMPORTERS[table](old_id, data, seen)
            if cleaned is not None:
                pending.append(cleaned)
            report.imported += 1
        except _Skip as exc:
            report.skipped.append(Skipped(old_id, exc.reason))
        except ValidationFailed as exc:
            report.skipped.append(Skipped(old_id, "invalid: " + "; ".join(f"{e['field']} {e['message']}" for e in exc.errors)))
        done += 1
        if done % BATCH_SIZE == 0:
            _write(table, pending)
            pending = []
            db.session.commit()
        if progress is not None:
            progress(table, done, report.total)
    _write(table, pending)
    db.session.commit()


def _write(resource: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    try:
        bulk_create(resource, rows, reason=MOVEMENT_REASON, validated=True)
    except ServiceError as exc:
        # The pre-check found no clash, so another writer raced us: stop; a rerun resumes where this stopped.
        db.session.rollback()
        raise _Aborted(f"{exc.detail} (written by another process meanwhile); run the import again (it resumes)") from None


def _rows(source: sqlite3.Connection, query: str) -> Iterator[sqlite3.Row]:
    cursor = source.execute(query)
    while batch := cursor.fetchmany(BATCH_SIZE):
        yield from batch


class _Skip(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class _Aborted(LegacyImportError):
    pass


def _import_product(old_id, data: dict[str, Any], seen) -> dict[str, Any]:
    data = _convert(data)
    if not data.get("sku"):
        if old_id is None:
            raise _Skip("invalid: sku missing and no id to derive one from")
        data["sku"] = f"LEGACY-{old_id}"  # the old backend had no SKU
    for name in ("quantity", "reorder_level"):
        if data.get(name) is None:
            data.pop(name, None)  # absent or null: this app's default (0)
    cleaned = validate_record(ProductSchema, data, partial=False)
    _skip_if_present(Product, "sku", cleaned["sku"], seen, old_id)
    seen[("sku", cleaned["sku"])] = old_id
    return cleaned


def _import_customer(old_id, data: dict[str, Any], seen) -> dict[str, Any]:
    data = _convert(data)
    cleaned = validate_record(CustomerSchema, data, partial=False)
    _skip_if_present(Customer, "email", cleaned["email"], seen, old_id)
    seen[("email", cleaned["email"])] = old_id
    return cleaned


def _import_user(old_id, data: dict[str, Any], seen) -> None:
    """Add the user to the session (users are few, and need no bulk writer)."""
    data = _convert(data)
    password_hash = data.pop("password_hash", None)
    for name in ("role", "is_active"):
        if data.get(name) is None:
            data.pop(name, None)  # absent or null: this app's default (role user, active)
    if isinstance(data.get("role"), str):
        data["role"] = data["role"].strip().lower()
    cleaned = validate_record(UserSchema, data, partial=True)
    missing = [{"field": f, "message": "field required"} for f in ("username", "email") if f not in cleaned]
    if missing:
        raise ValidationFailed(missing)
    password_hash = _legacy_hash(password_hash)
    _skip_if_present(User, "username", cleaned["username"], seen, old_id)
    _skip_if_present(User, "email", cleaned["email"], seen, old_id)
    user = User(**{**UserSchema.defaults(), **cleaned})
    user.password_hash = password_hash  # stored as is: verified and upgraded at the first login
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise _Aborted("another process wrote the same user meanwhile; run the import again (it resumes)") from None
    seen[("username", cleaned["username"])] = old_id
    seen[("email", cleaned["email"])] = old_id


IMPORTERS = {"products": _import_product, "customers": _import_customer, "users": _import_user}


def _convert(data: dict[str, Any]) -> dict[str, Any]:
    """Turn SQLite's loose values into what the schemas expect."""
    out = {}
    for name, value in data.items():
        if name == "price" and isinstance(value, float):
            # Exact 2-place decimal from the float's shortest repr: 19.99 stays 19.99.
            value = Decimal(str(round(value, 2)))
        elif name == "price" and isinstance(value, int) and not isinstance(value, bool):
            value = Decimal(value)
        elif name in ("quantity", "reorder_level") and isinstance(value, float) and value.is_integer():
            value = int(value)
        elif name == "is_active":
            value = _to_bool(value)
        elif name in TEXT_FIELDS and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)  # a phone number stored with numeric affinity, say
        out[name] = value
    return out


def _to_bool(value):
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("0", "1", "true", "false"):
        return value.strip().lower() in ("1", "true")
    return value  # anything else fails validation with its own message


def _legacy_hash(value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Skip("invalid: password_hash missing")
    value = value.strip()
    if re.fullmatch(r"[0-9A-Fa-f]{64}", value):
        value = value.lower()
    if not VERIFIABLE_HASH.match(value) or len(value) > 255:
        raise _Skip("invalid: password_hash is not a SHA-256 hex digest or another known hash format")
    return value


class _Keys(dict):
    """Keys imported in this run (-> old id, to name duplicates), and those stored before it."""

    def __init__(self):
        super().__init__()
        self._stored: dict[tuple[type, str], set] = {}

    def stored(self, model, column: str) -> set:
        # One query per key column instead of one per row: the import is the
        # only writer it expects, and a racing one still ends as a Conflict.
        key = (model, column)
        if key not in self._stored:
            self._stored[key] = set(db.session.scalars(select(getattr(model, column))))
        return self._stored[key]


def _skip_if_present(model, column: str, value, seen: _Keys, old_id) -> None:
    if (column, value) in seen:
        raise _Skip(f"duplicate: {column} {value} already imported from legacy row {seen[(column, value)]}")
    if value in seen.stored(model, column):
        raise _Skip(f"already present: a {model.__name__.lower()} with {column} {value} exists")
