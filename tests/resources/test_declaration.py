"""The Resource declaration refuses what no face could derive from it."""
from __future__ import annotations

from dataclasses import replace

import pytest

from erp_admin.resources import resource


def test_a_filter_of_an_unknown_kind_is_refused_when_declared():
    with pytest.raises(ValueError, match="unknown filter kinds"):
        replace(resource("products"), filters={"price": "float"})
    assert replace(resource("products"), filters={"price": "decimal", "role": ("a", "b")}).filters["price"] == "decimal"
