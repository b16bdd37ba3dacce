"""Swagger UI at /api/docs: served by the app, no external URL in the page or its asset references."""
from __future__ import annotations

import re

import pytest

URL = re.compile(r"""(?:https?:)?//[^\s"'<>)]+""")


@pytest.mark.parametrize("path", ["/api/docs", "/api/docs/"])
def test_docs_page_has_no_external_urls(client, path):
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "swagger-ui" in html and '"/api/openapi.json"' in html
    assert URL.findall(html) == []
    assert '"validatorUrl": null' in html and '"persistAuthorization": true' in html
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(a.startswith("/api/docs/") for a in assets)
    for asset in assets:
        with client.get(asset) as served:  # closes the file send_from_directory opened
            assert served.status_code == 200 and len(served.data) > 100, asset


def test_css_assets_reference_nothing_external(client):
    for asset in ("/api/docs/swagger-ui.css", "/api/docs/index.css"):
        with client.get(asset) as served:
            css = served.get_data(as_text=True)
        assert re.findall(r"url\(\s*['\"]?(?:https?:)?//", css) == []


def test_missing_docs_asset_is_a_404_problem(client):
    response = client.get("/api/docs/nope.js")
    assert response.status_code == 404 and response.mimetype == "application/problem+json"


@pytest.mark.slow  # a live server driven by Chromium
def test_docs_work_in_a_real_browser_offline(app, tmp_path):
    """The page renders the operations with every request to the app itself (none elsewhere)."""
    from tests.conftest import require_chromium

    chromium = require_chromium()
    from tests.api.live import live_server

    playwright = pytest.importorskip("playwright.sync_api")
    with live_server(app) as base, playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync"])
        page = browser.new_page()
        requested = []
        page.on("request", lambda request: requested.append(request.url))
        page.goto(base + "/api/docs")
        page.wait_for_selector(".opblock-summary-path", timeout=20_000)
        paths = page.locator(".opblock-summary-path").all_inner_texts()
        assert any("/api/products" in t for t in paths)
        assert page.locator("button.authorize").count() == 1
        browser.close()
    assert requested and all(url.startswith(base) for url in requested), requested


@pytest.mark.slow  # a live server driven by Chromium
def test_authorize_then_try_it_out_in_a_real_browser(app, tokens):
    """'Authorize' with a bearer token works, survives a reload (persistAuthorization) and calls the API."""
    from tests.conftest import require_chromium

    chromium = require_chromium()
    from tests.api.live import live_server

    playwright = pytest.importorskip("playwright.sync_api")
    token = tokens.access("manager")
    with live_server(app) as base, playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync"])
        page = browser.new_page()
        page.goto(base + "/api/docs")
        page.click("button.authorize")
        page.fill(".modal-ux input", token)
        page.click(".modal-ux button.authorize")
        page.click(".modal-ux button.btn-done")
        page.reload()  # the authorisation is kept (persistAuthorization)
        page.click("#operations-auth-api_me .opblock-summary-control")
        # tryItOutEnabled: the operation opens ready to execute.
        with page.expect_response(lambda r: r.url.endswith("/api/auth/me")) as info:
            page.click("#operations-auth-api_me button.execute")
        response = info.value
        assert response.status == 200 and response.json()["username"] == "manager_api"
        assert response.request.headers["authorization"] == f"Bearer {token}"
        browser.close()
