"""Declarative base shared by every model: constraint naming and UTC timestamps."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import DateTime, MetaData, TypeDecorator, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Table options of every table whose ids the outside world sees (API, panel, audit entity_id,
# generated SKUs): on SQLite, AUTOINCREMENT, so deleting the newest row never frees its id for
# the next insert. PostgreSQL's serial sequences never hand a value out twice already.
NEVER_REUSE_IDS = {"sqlite_autoincrement": True}


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Store naive UTC on every backend; always hand back aware UTC datetimes.

    SQLite has no time zones, PostgreSQL has; normalising here keeps the API's
    `...Z` timestamps identical on both.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value

    def result_processor(self, dialect, coltype):
        # Naive values are UTC: made aware in one function with the driver's own parsing (a list
        # page reads 100 timestamps; TypeDecorator's process_result_value wrapper costs two more
        # Python calls for each). SQLite hands back the ISO text SQLAlchemy stored; fromisoformat reads
        # it as aware UTC in one C call, ten times faster than parsing it and then replacing
        # its tzinfo (SQLAlchemy's parser stays the fallback for any other text).
        parse = self.impl_instance.result_processor(dialect, coltype)
        utc = timezone.utc
        from_text = datetime.fromisoformat if dialect.name == "sqlite" else None

        def process(value):
            if value is None:
                return None
            if from_text is not None and value.__class__ is str:
                try:
                    parsed = from_text(value + "+00:00")
                except ValueError:
                    parsed = None
                if parsed is not None and parsed.tzinfo is utc:  # (a date alone parses, naive)
                    return parsed
            if parse is not None:
                value = parse(value)
            return value.replace(tzinfo=utc) if value.tzinfo is None else value

        return process


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class TimestampMixin:
    """created_at / updated_at columns maintained by the ORM."""

    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, server_default=func.current_timestamp(), nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, server_default=func.current_timestamp(), nullable=False
    )
