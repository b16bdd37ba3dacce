"""Cookie sessions belong to the panel only (erp_admin/auth/sessions.py): the API neither reads nor sets one."""
from __future__ import annotations

import pytest
from flask import session
from flask.sessions import NullSession

from tests.admin.conftest import Panel


def test_the_panel_signs_in_with_a_session_cookie(app, make_user):
    make_user("clerk", role="user")
    panel = Panel(app.test_client())
    response = panel.login("clerk")
    assert response.status_code == 302
    assert "session=" in response.headers.get("Set-Cookie", "")


@pytest.mark.own_app  # registers an after_request hook
def test_api_requests_get_a_null_session_and_no_cookie(app, make_user):
    seen = {}

    @app.after_request
    def capture(response):
        seen["session"] = session._get_current_object()
        return response

    make_user("clerk", role="user")
    client = app.test_client()
    Panel(client).login("clerk")  # the browser holds a panel session cookie

    for path in ("/api/health", "/api/products", "/api/nowhere"):
        response = client.get(path)
        assert isinstance(seen["session"], NullSession), path
        assert "Set-Cookie" not in response.headers, path
    # The cookie does not sign anyone in to the API: bearer tokens only.
    assert client.get("/api/products").status_code == 401
    # …and the panel session is untouched by the API requests.
    assert client.get("/admin/").status_code == 200
