"""Formula cells: exports neutralise them, imports undo exactly that, everything round-trips."""
import pytest

from erp_admin.csvio import neutralise_cell, restore_cell


@pytest.mark.parametrize("value", ["=1+1", "+1 555 0100", "-5", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://x","y")'])
def test_formula_cells_get_an_apostrophe_on_export(value):
    assert neutralise_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["Widget", "", "1 555 0100", "a=b", "'quoted", "19.99"])
def test_other_cells_are_exported_as_they_are(value):
    assert neutralise_cell(value) == value


@pytest.mark.parametrize("value", [
    "=1+1", "+1 555 0100", "-5", "@x", "\tx", "\rx", "Widget", "", "'quoted", "'=already quoted", "''+1", "'", "a'=b",
])
def test_every_value_survives_export_then_import(value):
    assert restore_cell(neutralise_cell(value)) == value


def test_import_strips_only_an_apostrophe_before_a_formula_character():
    assert restore_cell("'+1 555 0100") == "+1 555 0100"
    assert restore_cell("'=SUM(A1)") == "=SUM(A1)"
    assert restore_cell("'hello") == "'hello"
    assert restore_cell("=HYPERLINK(\"x\")") == "=HYPERLINK(\"x\")"  # literal text, never evaluated
