"""Column ranges: which values a column's type holds on every database."""
from __future__ import annotations

import pytest
from sqlalchemy import BigInteger, Column, Integer, SmallInteger, String

from erp_admin.models.ranges import fits_column, integer_bounds


def test_integer_bounds_follow_the_column_type():
    assert integer_bounds(Integer()) == (-2**31, 2**31 - 1)
    assert integer_bounds(BigInteger()) == (-2**63, 2**63 - 1)
    assert integer_bounds(SmallInteger()) == (-2**15, 2**15 - 1)
    assert integer_bounds(String()) is None


@pytest.mark.parametrize("value,fits", [
    (2**31 - 1, True), (-2**31, True), (2**31, False), (-2**31 - 1, False), (10**20, False),
    ([1, 2], True), ([1, 2**31], False), (True, True), ("text", True), (1.5, True), (float("inf"), False),
])
def test_fits_an_integer_column(value, fits):
    assert fits_column(Column("n", Integer), value) is fits


def test_any_column_refuses_integers_beyond_64_bits():
    assert fits_column(Column("s", String), 2**63 - 1)
    assert not fits_column(Column("s", String), 2**63)
    assert not fits_column(object(), [2**70])
