"""Request body limits beyond the API's JSON routes: login forms, the panel, bodies without a length.

(The API's 1 MiB JSON and multipart limits and per-route max_body are in
tests/api/test_errors.py; the list cap in tests/api/test_lists.py.)
"""
from __future__ import annotations

import io

from tests.admin.conftest import csrf_from
from tests.api.conftest import assert_problem

MiB = 1024 * 1024


def _multipart(size: int) -> bytes:
    # Encoded by hand: werkzeug's test encoder spools big bodies to a file it never closes.
    return (b'--B\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
            b"Content-Type: text/csv\r\n\r\n" + b"x" * size + b"\r\n--B--\r\n")


def test_api_login_form_over_1_mib_is_413(client):
    body = b"username=rosa&password=" + b"x" * MiB
    assert_problem(client.post("/api/auth/login", data=body, content_type="application/x-www-form-urlencoded"), 413)
    assert_problem(client.post("/api/auth/login", data=_multipart(MiB), content_type="multipart/form-data; boundary=B"),
                   413)


def test_api_body_without_a_length_is_cut_at_the_limit(client, tokens):
    """A chunked body (no Content-Length) is refused once it passes the limit, not read to the end."""
    big = b'{"name": "' + b"x" * (MiB + 10) + b'", "price": 1}'
    response = client.post("/api/products", input_stream=io.BytesIO(big), content_type="application/json",
                           headers=tokens("admin"), environ_overrides={"wsgi.input_terminated": True})
    assert_problem(response, 413)


def test_panel_forms_are_held_to_1_mib(client, make_user):
    make_user("manager")
    page = client.get("/admin/login/")
    token = csrf_from(page.get_data(as_text=True))
    # Three fields of 400 kB: each under Flask's per-field limit, together over 1 MiB.
    padding = b"".join(b"&pad%d=" % i + b"x" * 400_000 for i in range(3))
    padded = f"csrf_token={token}&username=manager&password=password123".encode() + padding
    response = client.post("/admin/login/", data=padded, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert "Traceback" not in response.get_data(as_text=True)
    # The same form below the limit signs in.
    small = f"csrf_token={token}&username=manager&password=password123".encode()
    assert client.post("/admin/login/", data=small, content_type="application/x-www-form-urlencoded").status_code == 302


def test_panel_uploads_may_reach_max_content_length(app, client):
    """Multipart (a CSV upload) is allowed up to MAX_CONTENT_LENGTH (10 MiB), refused beyond."""
    kind = "multipart/form-data; boundary=B"
    assert client.post("/admin/login/", data=_multipart(2 * MiB), content_type=kind).status_code != 413
    assert client.post("/admin/login/", data=_multipart(app.config["MAX_CONTENT_LENGTH"]), content_type=kind
                       ).status_code == 413


def test_form_limit_is_a_setting(app, client):
    app.config["FORM_MAX_BODY"] = 1000
    body = b"username=a&password=" + b"x" * 1000
    assert client.post("/admin/login/", data=body, content_type="application/x-www-form-urlencoded").status_code == 413
