"""A crafted return address in real headless Chromium: the browser stays on the panel's site."""
from __future__ import annotations

import pytest

from tests.admin.test_browser import live_server, sign_in  # noqa: F401 (fixtures)
from tests.support.browser import chromium

# Chromium resolves no name but this machine's: a slip off the site fails here instead of going out.
NO_DNS = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"


@pytest.fixture
def page():
    with chromium(NO_DNS) as browser:
        context = browser.new_context()
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
        context.close()


@pytest.mark.parametrize("target", ["http:evil.example", "//evil.example", "/\\evil.example"])
def test_details_of_a_missing_record_with_an_off_site_return_address(make_user, live_server, page, target):  # noqa: F811
    from playwright.sync_api import Error

    make_user("admin", role="admin", password="admin-password")
    sign_in(page, live_server, "admin", "admin-password")
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    try:
        page.goto(f"{live_server}/admin/products/details/?id=987654&url={target}")
        page.wait_for_load_state("load")
    except Error as exc:  # e.g. net::ERR_NAME_NOT_RESOLVED after following the crafted address
        pytest.fail(f"the browser left the site: {exc}")
    assert page.url.startswith(f"{live_server}/admin/products/"), page.url
    assert [url for url in requested if not url.startswith(live_server + "/")] == []
    assert "Record does not exist" in page.inner_text("body")
