"""Headless Chromium for the browser tests: one launch with the flags this machine needs."""
from __future__ import annotations

from contextlib import contextmanager

from tests.conftest import require, require_chromium

# No background traffic: the machine's network is closed, and a test counts every request.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@contextmanager
def chromium(*extra_args: str):
    """Yield a Playwright browser on Debian's Chromium (skip, or fail under ERP_TEST_REQUIRE_ALL, without it)."""
    path = require_chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # reported by require() below
        sync_playwright = None
    require(sync_playwright is not None, "Playwright for Python is not installed (pip install -r tests/requirements.txt)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, headless=True, args=[*CHROMIUM_ARGS, *extra_args])
        try:
            yield browser
        finally:
            browser.close()
