"""The panel's import progress in real headless Chromium: upload percentage, then phases and counts, then the answer.

The server is held at one state of each phase (a gate in the progress store)
until the page has shown it, so what the test sees does not depend on timing.
Without JavaScript the same forms still work as plain posts.
"""
from __future__ import annotations

import threading

import pytest

from erp_admin.csvio import progress
from tests.admin.test_browser import SCREENSHOTS, browser, expect, live_server, page, sign_in  # noqa: F401 (fixtures)

pytestmark = pytest.mark.slow  # a live server driven by Chromium

ROWS = 3000
CHUNK = 500


class Gates:
    """Holds the import at the first state of a phase with done >= CHUNK, until the test opens the gate."""

    def __init__(self):
        self.open = {phase: threading.Event() for phase in ("validate", "write")}
        self.held: set[str] = set()

    def after_save(self, state):
        phase = state["phase"]
        if phase in self.open and phase not in self.held and state["done"] >= CHUNK:
            self.held.add(phase)
            self.open[phase].wait(timeout=15)  # never hang the suite if the test failed meanwhile


@pytest.fixture
def gates(monkeypatch):
    from erp_admin.csvio import importer, validation

    monkeypatch.setattr(validation, "CHUNK_ROWS", CHUNK)
    monkeypatch.setattr(importer, "WRITE_CHUNK", CHUNK)
    monkeypatch.setattr(progress, "WRITE_INTERVAL", 0)
    gates = Gates()
    real = progress.progress_store

    def gated_store():
        store = real()
        save = store.save

        def gated_save(key, state):
            save(key, state)
            gates.after_save(state)

        store.save = gated_save
        return store

    monkeypatch.setattr(progress, "progress_store", gated_store)
    yield gates
    for event in gates.open.values():
        event.set()


def test_preview_and_confirm_show_progress_then_the_answer(app, live_server, page, make_user, tmp_path, gates):  # noqa: F811
    make_user("bulkmanager", role="manager", password="password123")
    csv = tmp_path / "gadgets.csv"
    csv.write_text("sku,name,price,quantity\n" + "".join(f"GAD-{i:05d},Gadget {i},1.50,{i % 7}\n" for i in range(ROWS)))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    sign_in(page, live_server, "bulkmanager", "password123")
    page.goto(f"{live_server}/admin/products/import/")
    box = page.locator("[data-testid=import-progress]")
    expect(box).to_be_hidden()

    # Preview: the check's progress, then the preview replaces the page.
    page.set_input_files("[data-testid=csv-file]", str(csv))
    page.click("[data-testid=preview-import]")
    expect(box).to_have_attribute("data-phase", "validate")
    expect(box).to_contain_text("Checking rows: 500 of 3,000")
    expect(page.locator("[data-testid=preview-import]")).to_be_disabled()  # no second submit meanwhile
    page.screenshot(path=str(SCREENSHOTS / "import-progress.png"), full_page=True)
    gates.open["validate"].set()
    expect(page.locator("[data-testid=to-create]")).to_have_text("3000")
    assert page.url == f"{live_server}/admin/products/import/"

    # Confirm: the write's progress, then the list with the result message.
    page.click("[data-testid=confirm-import]")
    expect(box).to_have_attribute("data-phase", "write")
    expect(box).to_contain_text("Writing rows: 500 of 3,000")
    gates.open["write"].set()
    expect(page.locator("body")).to_contain_text("Imported Products: 3000 created, 0 updated")
    assert page.url == f"{live_server}/admin/products/"
    expect(page.locator("table.model-list")).to_contain_text("GAD-")
    # The page written in place is a working page: a reload shows the list (the message was shown once).
    page.reload()
    expect(page.locator("table.model-list")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("3000 created")


def test_without_javascript_the_forms_post_as_before(app, live_server, browser, make_user, tmp_path):  # noqa: F811
    make_user("plainmanager", role="manager", password="password123")
    csv = tmp_path / "two.csv"
    csv.write_text("sku,name,price\nNJS-1,No script one,1\nNJS-2,No script two,2\n")
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        sign_in(page, live_server, "plainmanager", "password123")
        page.goto(f"{live_server}/admin/products/import/")
        page.set_input_files("[data-testid=csv-file]", str(csv))
        with page.expect_navigation():
            page.click("[data-testid=preview-import]")
        expect(page.locator("[data-testid=to-create]")).to_have_text("2")
        expect(page.locator("[data-testid=import-progress]")).to_be_hidden()
        with page.expect_navigation():
            page.click("[data-testid=confirm-import]")
        assert page.url == f"{live_server}/admin/products/"
        expect(page.locator("body")).to_contain_text("Imported Products: 2 created")
    finally:
        context.close()


def test_upload_percentage_while_the_file_is_sent(app, live_server, page, make_user, tmp_path, gates):  # noqa: F811
    """A link throttled to 100 KiB/s (Chromium's network emulation) makes the 320 KB upload last about 3 s."""
    import re

    make_user("slowlink", role="manager", password="password123")
    csv = tmp_path / "slow.csv"
    csv.write_text("sku,name,price\n" + "".join(f"SLO-{i:05d},Slow {i} {'x' * 60},1\n" for i in range(4000)))
    sign_in(page, live_server, "slowlink", "password123")
    page.goto(f"{live_server}/admin/products/import/")
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                   "uploadThroughput": 100 * 1024})
    page.set_input_files("[data-testid=csv-file]", str(csv))
    page.click("[data-testid=preview-import]")
    box = page.locator("[data-testid=import-progress]")
    expect(box).to_have_attribute("data-phase", "upload")
    expect(box).to_contain_text(re.compile(r"Uploading: \d+ % \(\d+\.\d MiB of 0\.3 MiB\)"))
    gates.open["validate"].set()
    expect(page.locator("[data-testid=to-create]")).to_have_text("4000")
