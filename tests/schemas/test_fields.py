"""Field types: the one place a price is validated, whatever channel (API, CSV, panel form) it came from."""
from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import TypeAdapter

from erp_admin.schemas.fields import Price


@pytest.mark.parametrize("value", [-0, -0.0, "-0", "-0.00", Decimal("-0"), Decimal("-0.00")])
def test_a_negative_zero_price_is_plain_zero(value):
    price = TypeAdapter(Price).validate_python(value)
    assert price == 0 and not price.is_signed() and str(price) == "0.00"
