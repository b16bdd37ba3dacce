"""UTCDateTime: naive UTC stored, aware UTC read back, whatever text SQLite holds."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select, text

from erp_admin.models.base import UTCDateTime

UTC = timezone.utc


@pytest.fixture
def sqlite_table(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'ts.db'}")
    table = Table("stamps", MetaData(), Column("id", Integer, primary_key=True), Column("at", UTCDateTime()))
    table.metadata.create_all(engine)
    yield engine, table
    engine.dispose()


def test_written_values_come_back_aware_and_equal(sqlite_table):
    engine, table = sqlite_table
    values = [datetime(2026, 11, 26, 17, 7, 41, 664163, tzinfo=UTC), datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
              datetime(2026, 6, 1, 12, 0, tzinfo=timezone(timedelta(hours=2))), None]
    with engine.begin() as conn:
        conn.execute(insert(table), [{"at": v} for v in values])
        read = conn.execute(select(table.c.at).order_by(table.c.id)).scalars().all()
    assert read == values
    assert all(v.tzinfo is UTC for v in read if v is not None)


@pytest.mark.parametrize("stored, expected", [
    ("2026-11-26 17:07:41.664163", datetime(2026, 11, 26, 17, 7, 41, 664163, tzinfo=UTC)),  # SQLAlchemy's format
    ("2026-11-26 17:07:41", datetime(2026, 11, 26, 17, 7, 41, tzinfo=UTC)),  # CURRENT_TIMESTAMP's
    ("2026-11-26 17:07:41.5", datetime(2026, 11, 26, 17, 7, 41, 500000, tzinfo=UTC)),
    ("2026-11-26", datetime(2026, 11, 26, tzinfo=UTC)),  # not ISO with a time: SQLAlchemy's parser
])
def test_text_that_sqlite_holds_is_read_as_utc(sqlite_table, stored, expected):
    engine, table = sqlite_table
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO stamps (id, at) VALUES (1, :at)"), {"at": stored})
        value = conn.execute(select(table.c.at)).scalar()
    assert value == expected and value.tzinfo is UTC
