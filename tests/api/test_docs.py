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
    assert '"validatorUrl": null' in html and '"persistAuthorization": false' in html
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(a.startswith("/api/docs/") for a in assets)
    for asset in assets:
        with client.get(asset) as served:  # closes the file send_from_directory opened
            assert served.status_code == 200 and len(served.data) > 100, asset


@pytest.mark.parametrize("path", ["/api/docs", "/api/docs/"])
def test_docs_page_has_a_content_security_policy_and_no_framing(client, path):
    response = client.get(path)
    policy = dict(d.strip().split(" ", 1) for d in response.headers["Content-Security-Policy"].split(";") if d.strip())
    assert policy["default-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
    assert policy["style-src"].startswith("'self'") and "unsafe" not in policy["style-src"]
    assert policy["connect-src"] == "'self'"
    # Scripts: the app's own files plus the page's one inline start-up script, by its hash only.
    assert policy["script-src"].startswith("'self' 'sha256-") and "unsafe" not in policy["script-src"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


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
    from tests.api.live import live_server
    from tests.support.browser import chromium

    with live_server(app) as base, chromium() as browser:
        page = browser.new_page()
        requested, console = [], []
        page.on("request", lambda request: requested.append(request.url))
        page.on("console", lambda message: console.append(message.text))
        page.goto(base + "/api/docs")
        page.wait_for_selector(".opblock-summary-path", timeout=20_000)
        paths = page.locator(".opblock-summary-path").all_inner_texts()
        assert any("/api/products" in t for t in paths)
        assert page.locator("button.authorize").count() == 1
        page.click("#operations-auth-api_me .opblock-summary-control")  # an operation opens and renders
        page.wait_for_selector("#operations-auth-api_me button.execute", timeout=10_000)
    assert requested and all(url.startswith(base) for url in requested), requested
    # Rendered under the Content-Security-Policy without tripping it.
    assert not [m for m in console if "Content Security Policy" in m], console


@pytest.mark.slow  # a live server driven by Chromium
def test_authorize_then_try_it_out_in_a_real_browser(app, tokens):
    """'Authorize' with a bearer token works and calls the API; the token is kept in no browser storage."""
    from tests.api.live import live_server
    from tests.support.browser import chromium

    token = tokens.access("manager")
    with live_server(app) as base, chromium() as browser:
        page = browser.new_page()
        page.goto(base + "/api/docs")
        page.click("button.authorize")
        page.fill(".modal-ux input", token)
        page.click(".modal-ux button.authorize")
        page.click(".modal-ux button.btn-done")
        stored = page.evaluate("() => JSON.stringify([{...localStorage}, {...sessionStorage}, document.cookie])")
        assert token not in stored and "authorized" not in stored, stored
        page.click("#operations-auth-api_me .opblock-summary-control")
        # tryItOutEnabled: the operation opens ready to execute.
        with page.expect_response(lambda r: r.url.endswith("/api/auth/me")) as info:
            page.click("#operations-auth-api_me button.execute")
        response = info.value
        assert response.status == 200 and response.json()["username"] == "manager_api"
        assert response.request.headers["authorization"] == f"Bearer {token}"
        page.reload()  # persistAuthorization is off: a reload forgets the token
        page.wait_for_selector("button.authorize", timeout=20_000)
        assert page.locator("button.authorize.locked").count() == 0
        assert token not in page.evaluate("() => JSON.stringify({...localStorage})")
