"""The panel's CSV import in real headless Chromium: a bad row shown in the preview, fixed, imported, found."""
from __future__ import annotations

import pytest

from tests.admin.test_browser import SCREENSHOTS, browser, expect, live_server, page, sign_in  # noqa: F401 (fixtures)

pytestmark = pytest.mark.slow  # a live server driven by Chromium

BAD = "sku,name,price,quantity\nBRW-1,Browser Bolt,1.50,10\nBRW-2,Browser Bracket,not-a-price,5\n"
FIXED = BAD.replace("not-a-price", "2.75")


def test_upload_preview_fix_and_import(app, live_server, page, make_user, tmp_path):  # noqa: F811
    make_user("csvmanager", role="manager", password="password123")
    bad, fixed = tmp_path / "bad.csv", tmp_path / "fixed.csv"
    bad.write_text(BAD)
    fixed.write_text(FIXED)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.accept()))

    sign_in(page, live_server, "csvmanager", "password123")
    page.click("nav >> text=Products")
    page.click("[data-testid=csv-import]")

    # A file with one bad row: the preview names it, and offers no Confirm.
    page.set_input_files("[data-testid=csv-file]", str(bad))
    page.click("[data-testid=preview-import]")  # sent in the background; the answer replaces the page
    rejected = page.locator("[data-testid=rejected] tbody tr")
    expect(rejected).to_have_count(1)
    assert rejected.first.locator("td").nth(0).inner_text() == "3"
    assert rejected.first.locator("td").nth(1).inner_text() == "price"
    expect(page.locator("[data-testid=confirm-import]")).to_have_count(0)
    page.screenshot(path=str(SCREENSHOTS / "import-rejected.png"), full_page=True)

    # The fixed file: two to create, then Confirm.
    page.set_input_files("[data-testid=csv-file]", str(fixed))
    page.click("[data-testid=preview-import]")  # sent in the background; the answer replaces the page
    expect(page.locator("[data-testid=to-create]")).to_have_text("2")
    expect(page.locator("[data-testid=rejected]")).to_have_count(0)
    page.screenshot(path=str(SCREENSHOTS / "import-preview.png"), full_page=True)
    page.click("[data-testid=confirm-import]")
    expect(page.locator("body")).to_contain_text("2 created")
    assert page.url.endswith("/admin/products/")

    # Both products are in the list.
    page.fill("input[name=search]", "browser b")
    with page.expect_navigation():
        page.press("input[name=search]", "Enter")
    rows = page.locator("table.model-list tbody tr")
    expect(rows).to_have_count(2)
    text = rows.all_inner_texts()
    assert any("Browser Bolt" in t for t in text) and any("Browser Bracket" in t for t in text)
    assert dialogs == []
