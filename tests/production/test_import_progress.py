"""Import progress under a real `gunicorn -w 2`: what the importing worker records, another worker answers.

With sync workers the importing worker serves nothing else until it is done,
so a poll is always answered by another process: the store must be shared
(a file beside the SQLite database, the import_progress table on PostgreSQL,
or Redis). gunicorn's access log names the worker pid behind each answer.
"""
from __future__ import annotations

import secrets
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from erp_admin.csvio.progress import FILE_STORE_DIR
from tests.admin.conftest import csrf_from
from tests.conftest import require
from tests.production.servers import REDIS_URL, delete_redis_prefix, gunicorn, redis_available, unique_prefix

pytestmark = pytest.mark.slow  # gunicorn workers

ROWS = 2000
POLLS = 32


@pytest.fixture(params=["database", "redis"])
def server(request, database_url, instance_path, tmp_path):
    redis_url = prefix = None
    if request.param == "redis":
        require(redis_available(), f"Redis is not reachable at {REDIS_URL} (apt-get install redis-server)")
        redis_url, prefix = REDIS_URL, unique_prefix("progress")
    try:
        with gunicorn(database_url, instance_path, tmp_path, workers=2, redis_url=redis_url,
                      redis_prefix=prefix) as running:
            yield running
    finally:
        if prefix:
            delete_redis_prefix(prefix)
        shutil.rmtree(Path(instance_path) / FILE_STORE_DIR, ignore_errors=True)


def test_progress_recorded_by_the_importing_worker_is_answered_by_another(server, app, make_user):
    make_user("bulk", role="manager", password="bulk-password-1")
    base = f"http://127.0.0.1:{server.port}"
    browser = requests.Session()
    login = browser.get(f"{base}/admin/login/", timeout=30)
    signed = browser.post(f"{base}/admin/login/", timeout=30, allow_redirects=False, data={
        "username": "bulk", "password": "bulk-password-1", "csrf_token": csrf_from(login.text)})
    assert signed.status_code == 302
    csrf = csrf_from(browser.get(f"{base}/admin/products/import/", timeout=30).text)
    progress_id = secrets.token_hex(16)
    data = "sku,name,price\n" + "".join(f"W-{i:05d},Widget {i},2.50\n" for i in range(ROWS))

    preview = browser.post(f"{base}/admin/products/import/", timeout=60,
                           data={"csrf_token": csrf, "progress": progress_id},
                           files={"file": ("widgets.csv", data.encode(), "text/csv")})
    assert preview.status_code == 200 and f'data-testid="to-create">{ROWS}<' in preview.text
    (importer,) = server.worker_pids("POST", "/admin/products/import/", 200)

    path = f"/admin/products/import/progress/{progress_id}/"

    def poll(_):
        # A fresh connection each time, so the polls spread over both workers.
        response = requests.get(base + path, cookies=browser.cookies, headers={"Connection": "close"}, timeout=30)
        return response.status_code, response.json()

    with ThreadPoolExecutor(8) as pool:
        answers = set(map(lambda a: (a[0], tuple(sorted(a[1].items()))), pool.map(poll, range(POLLS))))
    assert answers == {(200, (("done", ROWS), ("phase", "done"), ("total", ROWS)))}
    answered_by = set(server.worker_pids("GET", path, 200, count=POLLS))
    assert answered_by - {importer}, "no other worker answered a poll"
