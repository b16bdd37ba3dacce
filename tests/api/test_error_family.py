"""Every business error (the ServiceError family) raised by a service gets its problem+json answer, with no per-class code."""
from __future__ import annotations

import pytest

from erp_admin.api.errors import PROBLEM_KINDS
from tests.support.error_family import example, ids, members


@pytest.mark.parametrize("cls", members(), ids=ids)
def test_every_member_names_a_problem_kind_of_its_status(cls):
    exc = example(cls)
    assert exc.problem_kind in PROBLEM_KINDS
    assert PROBLEM_KINDS[exc.problem_kind].status == exc.status


@pytest.mark.parametrize("cls", members(), ids=ids)
def test_the_api_answers_every_member_from_the_family_alone(client, monkeypatch, cls):
    exc = example(cls)

    def failing_service(*args, **kwargs):
        raise exc

    monkeypatch.setattr("erp_admin.api.auth.authenticate", failing_service)
    response = client.post("/api/auth/login", json={"username": "manager", "password": "password123"})
    body = response.get_json()
    assert response.status_code == exc.status
    assert response.mimetype == "application/problem+json"
    assert body["type"].endswith(f"/problems/{exc.problem_kind}")
    assert body["status"] == exc.status
    retry_after = getattr(exc, "retry_after", None)
    assert response.headers.get("Retry-After") == (str(retry_after) if retry_after else None)
    fields = {error["field"] for error in body.get("errors") or []}
    if getattr(exc, "field", None) or getattr(exc, "errors", None):
        assert "name" in fields
        assert "must not be blank" in str(body["errors"]) or body["detail"] == exc.detail
    if cls.__name__ == "ImportRejected":
        assert fields == {"name"} and body["report"]["rejected"][0]["line"] == 3
