"""Import progress: every phase reported with growing counts to a store any worker can read, and its endpoint."""
from __future__ import annotations

import io
import os
import uuid

import pytest
from erp_admin.csvio import progress
from erp_admin.extensions import db
from tests.admin.test_csv_panel import token_of
from tests.admin.test_csv_uploads import same_browser
from tests.conftest import empty_database, require, test_config
from tests.csvio.helpers import csv_bytes, products

REDIS_URL = os.environ.get("ERP_TEST_REDIS_URL", "redis://127.0.0.1:6379/1")
PID = "ab" * 16
ROWS = 95


def big_csv(rows: int = ROWS) -> bytes:
    return csv_bytes("sku,name,price,quantity", *(f"G-{i:04d},Gadget {i},1.50,{i}" for i in range(rows)))


def _redis_available() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture(autouse=True)
def no_progress_files(instance_path):
    """The SQLite store's files live in the session's instance folder: none may outlive a test (ids repeat)."""
    import shutil

    yield
    shutil.rmtree(os.path.join(instance_path, progress.FILE_STORE_DIR), ignore_errors=True)


@pytest.fixture(params=["database", "redis"])
def store_app(request, database_url, instance_path):
    """The app with its default progress store (file on SQLite, table on PostgreSQL), or with Redis."""
    from erp_admin import create_app

    extra = {}
    if request.param == "redis":
        require(_redis_available(), f"Redis is not reachable at {REDIS_URL} (apt-get install redis-server)")
        extra = {"REDIS_URL": REDIS_URL, "REDIS_KEY_PREFIX": f"erp-test-progress-{uuid.uuid4().hex}:"}
    app = create_app(test_config(database_url, instance_path, **extra))
    yield app
    if request.param == "redis":
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(match=extra["REDIS_KEY_PREFIX"] + "*"))
        if keys:
            client.delete(*keys)
    empty_database(app)


def expected_store(app) -> str:
    if app.config.get("REDIS_URL"):
        return "redis"
    return "file" if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") else "table"


def sign_in(app, username="progress", role="manager"):
    from tests.admin.conftest import Panel
    from tests.factories import create_user

    with app.app_context():
        user = create_user(username, role=role)
    panel = Panel(app.test_client())
    assert panel.login(username).status_code == 302
    return panel, user.id


def post_upload(panel, data: bytes, progress_id: str | None = PID):
    form = {"file": (io.BytesIO(data), "gadgets.csv"), "csrf_token": panel.token()}
    if progress_id:
        form["progress"] = progress_id
    return panel.client.post("/admin/products/import/", data=form, content_type="multipart/form-data")


@pytest.fixture
def recorded(monkeypatch):
    """(saved, hooks): every state written to the progress store as (store name, key, state), and
    callables run with each state just after it was written. Small chunks, no throttling."""
    from erp_admin.csvio import importer, validation

    monkeypatch.setattr(validation, "CHUNK_ROWS", 10)
    monkeypatch.setattr(importer, "WRITE_CHUNK", 10)
    monkeypatch.setattr(progress, "WRITE_INTERVAL", 0)
    saved, hooks = [], []
    real = progress.progress_store

    def recording_store():
        store = real()
        save = store.save

        def recording_save(key, state):
            save(key, state)
            saved.append((store.name, key, dict(state)))
            for hook in hooks:
                hook(state)

        store.save = recording_save
        return store

    monkeypatch.setattr(progress, "progress_store", recording_store)
    return saved, hooks


def phases(saved) -> list[tuple[str, int, int | None]]:
    return [(s["phase"], s["done"], s["total"]) for _, _, s in saved]


def assert_grows(states, phase, total):
    counts = [done for p, done, _ in states if p == phase]
    assert len(counts) >= 3, states
    assert counts == sorted(counts) and len(set(counts)) == len(counts) and counts[-1] == total
    assert {t for p, _, t in states if p == phase} == {total}


def test_preview_and_confirm_report_every_phase_with_growing_counts(store_app, recorded, tmp_path, database_url):
    """...and each state can be read by a poll to another app instance (another worker or host) while it runs."""
    from erp_admin import create_app

    saved, hooks = recorded
    panel, user_id = sign_in(store_app)
    other_app = create_app(test_config(database_url, store_app.instance_path if expected_store(store_app) == "file"
                                       else str(tmp_path / "other-host"), REDIS_URL=store_app.config.get("REDIS_URL"),
                                       REDIS_KEY_PREFIX=store_app.config["REDIS_KEY_PREFIX"]))
    poll = same_browser(panel, other_app)
    polled = []
    hooks.append(lambda state: polled.append((state, poll.client.get(f"/admin/products/import/progress/{PID}/"))))

    preview = post_upload(panel, big_csv())
    assert preview.status_code == 200
    states = phases(saved)
    assert {name for name, _, _ in saved} == {expected_store(store_app)}
    assert {key for _, key, _ in saved} == {f"{user_id}:{PID}"}
    assert states[0][0] == "read" and states[-1][0] == "done"
    assert [p for p, _, _ in states] == sorted((p for p, _, _ in states), key=progress.PHASES.index)
    assert_grows(states, "validate", ROWS)
    assert "write" not in {p for p, _, _ in states}  # a preview writes nothing

    saved.clear()
    confirm = panel.post("/admin/products/import/confirm/", {"token": token_of(preview), "progress": PID})
    assert confirm.status_code == 302
    states = phases(saved)
    assert [p for p, _, _ in states] == sorted((p for p, _, _ in states), key=progress.PHASES.index)
    assert_grows(states, "validate", ROWS)
    assert_grows(states, "write", ROWS)
    with store_app.app_context():
        assert len(products()) == ROWS
    # Every state was visible to the other instance at once, the write phase's while its transaction was open.
    assert any(state["phase"] == "write" for state, _ in polled)
    for state, response in polled:
        assert response.status_code == 200 and response.get_json() == state
    with other_app.app_context():
        db.engine.dispose()


def test_plain_form_posts_report_no_progress(app, recorded):
    saved, _ = recorded
    panel, _ = sign_in(app)
    preview = post_upload(panel, big_csv(), progress_id=None)
    panel.post("/admin/products/import/confirm/", {"token": token_of(preview)})
    with app.app_context():
        assert len(products()) == ROWS
    assert saved == []


@pytest.mark.parametrize("bad_id", ["../../x", "AB" * 16, "a" * 31, ""])
def test_a_malformed_progress_id_is_ignored(app, recorded, bad_id):
    saved, _ = recorded
    panel, _ = sign_in(app)
    assert post_upload(panel, big_csv(), progress_id=bad_id).status_code == 200
    assert saved == []


def test_the_endpoint_answers_the_owner_only(store_app, monkeypatch):
    from erp_admin.auth import roles

    owner, owner_id = sign_in(store_app, "owner")
    other, _ = sign_in(store_app, "other")
    url = f"/admin/products/import/progress/{PID}/"
    assert owner.client.get(url).status_code == 404  # nothing reported yet
    with store_app.app_context():
        progress.ProgressReporter(owner_id, PID).phase("write", 300, 1000)

    response = owner.client.get(url)
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.get_json() == {"phase": "write", "done": 300, "total": 1000}
    assert response.headers["Cache-Control"] == "no-store"
    assert owner.client.get(f"/admin/customers/import/progress/{PID}/").status_code == 200  # same user, any list

    missing = other.client.get(url)  # another user's import does not exist for them
    assert missing.status_code == 404 and missing.get_json() == {"error": "no such import in progress"}
    assert owner.client.get(f"/admin/products/import/progress/{'cd' * 16}/").status_code == 404
    assert owner.client.get("/admin/products/import/progress/not-an-id/").status_code == 404

    visitor = store_app.test_client().get(url)
    assert visitor.status_code == 302 and visitor.headers["Location"].startswith("/admin/login/")
    changed = {r: tuple(v for v in verbs if v != "import") for r, verbs in roles.ROLE_MATRIX["products"].items()}
    monkeypatch.setitem(roles.ROLE_MATRIX, "products", changed)
    assert owner.client.get(url).status_code == 403


def test_writes_are_throttled_within_a_phase(app, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(progress.time, "monotonic", lambda: clock[0])
    writes = []
    with app.app_context():
        reporter = progress.ProgressReporter(1, PID, rows_hint=500)
        monkeypatch.setattr(reporter.store, "save", lambda key, state: writes.append(dict(state)))
        for done in range(1, 500):
            reporter("validate", done, None)  # a burst: only the phase change is written
        clock[0] += progress.WRITE_INTERVAL
        reporter("validate", 500, None)  # the interval has passed
        reporter("write", 1, 500)  # a new phase is written at once
        reporter("write", 2, 500)
        reporter("write", 500, 500)  # and the end of a phase
    assert writes == [{"phase": "validate", "done": 1, "total": 500}, {"phase": "validate", "done": 500, "total": 500},
                      {"phase": "write", "done": 1, "total": 500}, {"phase": "write", "done": 500, "total": 500}]


def test_a_failing_store_never_fails_the_import(database_url, instance_path):
    """Redis down: the import goes through, the poll answers 503 (no news), never a 500."""
    from erp_admin import create_app

    app = create_app(test_config(database_url, instance_path, REDIS_URL="redis://127.0.0.1:1/0",
                                 REDIS_TIMEOUT=0.5))
    try:
        panel, _ = sign_in(app)
        preview = post_upload(panel, big_csv())
        assert preview.status_code == 200
        confirm = panel.post("/admin/products/import/confirm/", {"token": token_of(preview), "progress": PID})
        assert confirm.status_code == 302
        with app.app_context():
            assert len(products()) == ROWS
        poll = panel.client.get(f"/admin/products/import/progress/{PID}/")
        assert poll.status_code == 503 and poll.get_json() == {"error": "progress is unavailable right now"}
    finally:
        empty_database(app)


def test_old_progress_records_are_purged(app, monkeypatch):
    with app.app_context():
        progress.ProgressReporter(1, PID).phase("validate", 5, 10)
        monkeypatch.setattr(progress, "PROGRESS_TTL", -1)  # everything is old now
        progress.ProgressReporter(1, "cd" * 16)
        monkeypatch.setattr(progress, "PROGRESS_TTL", 3600)
        assert progress.read_progress(1, PID) is None


@pytest.mark.parametrize("data,rows", [(b"", 0), (b"sku\n", 0), (b"sku\nA\nB\n", 2), (b"sku\nA\nB", 2)])
def test_estimate_rows(data, rows):
    assert progress.estimate_rows(data) == rows
