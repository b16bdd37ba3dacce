"""Reading uploads: header matching, BOM, delimiter, encoding, line numbers, limits."""
import pytest

from erp_admin.csvio import CsvFormatError, ImportTooLarge, import_csv
from tests.conftest import test_config as build_config
from tests.csvio.helpers import csv_bytes, products


def dry_run(app, data, resource="products"):
    with app.app_context():
        return import_csv(resource, data, dry_run=True)


@pytest.mark.parametrize("header", [
    "sku,name,price,reorder_level",
    "SKU,Name,PRICE,Reorder_Level",
    " sku , name ,price, reorder level",
    "Sku,NAME,Price,REORDER-LEVEL",
    "sku,name,price,ReorderLevel",
])
def test_header_names_match_whatever_the_case_and_spacing(app, header):
    with app.app_context():
        report = import_csv("products", csv_bytes(header, "A-1,Widget,2.50,4"))
        assert report.as_dict() == {"created": 1, "updated": 0, "rejected": [], "ignored_columns": []}
        widget = products()["A-1"]
        assert (widget.name, str(widget.price), widget.reorder_level) == ("Widget", "2.50", 4)


def test_unknown_columns_are_reported_and_ignored(app):
    report = dry_run(app, csv_bytes("sku,Colour,name,price,password_hash", "A-1,red,Widget,1,x"))
    assert report.ignored_columns == ["Colour", "password_hash"]
    assert report.created == 1 and report.rejected == []


def test_read_only_columns_are_ignored_silently(app):
    data = csv_bytes("id,sku,name,price,low_stock,created_at,updated_at,version",
                     "99,A-1,Widget,1,maybe,yesterday,never,abc")
    with app.app_context():
        report = import_csv("products", data)
        assert report.as_dict() == {"created": 1, "updated": 0, "rejected": [], "ignored_columns": []}
        widget = products()["A-1"]
        assert widget.id != 99 and widget.version == 1


@pytest.mark.parametrize("bom", [False, True])
@pytest.mark.parametrize("delimiter", [",", ";"])
def test_utf8_with_or_without_bom_and_either_delimiter(app, bom, delimiter):
    lines = [delimiter.join(row) for row in (["sku", "name", "price", "category"], ["A-1", "Crème brûlée", "1.5", "Café, bar"])]
    if delimiter == ",":
        lines[1] = 'A-1,Crème brûlée,1.5,"Café, bar"'
    with app.app_context():
        report = import_csv("products", csv_bytes(*lines, bom=bom))
        assert report.created == 1 and report.rejected == [] and report.ignored_columns == []
        product = products()["A-1"]
        assert (product.name, product.category) == ("Crème brûlée", "Café, bar")


def test_semicolon_file_with_comma_decimals_reports_the_price(app):
    report = dry_run(app, csv_bytes("sku;name;price", "A-1;Widget;1,50"))
    assert report.rejected == [{"line": 2, "field": "price", "message": "must be a number"}]


def test_a_file_that_is_not_utf8_is_a_clear_error(app):
    data = "sku,name,price\nA-1,Crème,1\n".encode("latin-1")
    with pytest.raises(CsvFormatError, match="not UTF-8") as caught:
        dry_run(app, data)
    assert caught.value.status == 400


@pytest.mark.parametrize("data", [b"", b"\n\n", b"\xef\xbb\xbf"])
def test_an_empty_file_is_a_clear_error(app, data):
    with pytest.raises(CsvFormatError, match="empty"):
        dry_run(app, data)


def test_a_column_named_twice_is_a_clear_error(app):
    with pytest.raises(CsvFormatError, match="'name' appears twice"):
        dry_run(app, csv_bytes("sku,name,Name,price", "A-1,a,b,1"))


def test_broken_quoting_is_a_clear_error_with_its_line(app):
    with pytest.raises(CsvFormatError, match="Line 3"):
        dry_run(app, csv_bytes("sku,name,price", "A-1,ok,1", 'A-2,"bad"x,1'))


def test_line_numbers_count_file_lines_with_blank_lines_and_quoted_line_breaks(app):
    data = csv_bytes(
        "sku,name,description,price",
        "A-1,One,,1",
        "",
        'A-2,Two,"first line',
        'second line",abc',
        "A-3,Three,,-1",
    )
    report = dry_run(app, data)
    assert report.rejected == [
        {"line": 4, "field": "price", "message": "must be a number"},
        {"line": 6, "field": "price", "message": "must be at least 0"},
    ]


def test_windows_line_endings(app):
    report = dry_run(app, b"sku,name,price\r\nA-1,One,1\r\nA-2,Two,x\r\n")
    assert report.created == 1
    assert report.rejected == [{"line": 3, "field": "price", "message": "must be a number"}]


def test_a_row_with_the_wrong_number_of_cells_is_rejected_with_its_line(app):
    report = dry_run(app, csv_bytes("sku,name,price", "A-1,One", "A-2,Two,1,surplus", "A-3,Three,1,,"))
    assert report.rejected == [
        {"line": 2, "field": None, "message": "expected 3 cells like the header, found 2"},
        {"line": 3, "field": None, "message": "expected 3 cells like the header, found 4"},
    ]
    assert report.created == 1  # empty trailing cells are harmless


@pytest.fixture
def small_limits_app(database_url, instance_path):
    from erp_admin import create_app
    from tests.conftest import empty_database

    app = create_app(build_config(database_url, instance_path, IMPORT_MAX_BYTES=200, IMPORT_MAX_ROWS=3))
    yield app
    empty_database(app)


@pytest.mark.parametrize("dry", [True, False])
def test_more_rows_than_the_limit_is_too_large(small_limits_app, dry):
    data = csv_bytes("sku,name,price", *(f"A-{i},P,1" for i in range(4)))
    with small_limits_app.app_context():
        with pytest.raises(ImportTooLarge, match="more than the limit of 3 rows") as caught:
            import_csv("products", data, dry_run=dry)
        assert caught.value.status == 413
        assert products() == {}


def test_rows_up_to_the_limit_are_accepted(small_limits_app):
    data = csv_bytes("sku,name,price", *(f"A-{i},P,1" for i in range(3)), "", "")
    with small_limits_app.app_context():
        assert import_csv("products", data).created == 3


@pytest.mark.parametrize("as_stream", [False, True])
@pytest.mark.parametrize("dry", [True, False])
def test_a_file_over_the_byte_limit_is_too_large(small_limits_app, dry, as_stream):
    import io

    data = csv_bytes("sku,name,description,price", "A-1,P," + "x" * 200 + ",1")
    with small_limits_app.app_context():
        with pytest.raises(ImportTooLarge, match="larger than the limit of 200 bytes"):
            import_csv("products", io.BytesIO(data) if as_stream else data, dry_run=dry)
        assert products() == {}
