"""Request ids and the access log: one line per request, with the id, and no secrets."""
import json
import logging

import pytest

from tests.conftest import api_login


@pytest.fixture
def access_lines(caplog):
    caplog.set_level(logging.INFO, logger="erp_admin.access")
    logger = logging.getLogger("erp_admin.access")
    logger.addHandler(caplog.handler)  # the logger does not propagate to the root
    yield lambda: [json.loads(r.getMessage()) for r in caplog.records if r.name == "erp_admin.access"]
    logger.removeHandler(caplog.handler)


def test_every_response_has_a_request_id_and_one_log_line(client, access_lines):
    response = client.get("/no-such-page?token=secret-in-query")
    request_id = response.headers["X-Request-ID"]
    assert len(request_id) == 32
    (line,) = access_lines()
    assert line["request_id"] == request_id
    assert line["method"] == "GET" and line["path"] == "/no-such-page" and line["status"] == 404
    assert isinstance(line["duration_ms"], float)
    assert "secret-in-query" not in json.dumps(line)


def test_a_sane_incoming_request_id_is_kept_and_a_hostile_one_replaced(client, access_lines):
    assert client.get("/x", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    hostile = client.get("/x", headers={"X-Request-ID": "<script>" + "z" * 100})
    assert hostile.headers["X-Request-ID"] != "abc-123"
    assert len(hostile.headers["X-Request-ID"]) == 32
    assert [line["request_id"] for line in access_lines()] == ["abc-123", hostile.headers["X-Request-ID"]]


def test_passwords_in_bodies_never_reach_the_log(client, access_lines):
    api_login(client, "admin", "hunter2-secret")
    assert "hunter2-secret" not in json.dumps(access_lines())
