"""CORS for the SPA: configured origins, the contract's allowed and exposed headers."""
from __future__ import annotations

import pytest

ORIGIN = "http://localhost:5173"


def test_preflight_allows_the_contract_headers(client):
    response = client.options("/api/products/1", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "PATCH",
        "Access-Control-Request-Headers": "Authorization, Content-Type, If-Match, Idempotency-Key",
    })
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    allowed = {h.strip().lower() for h in response.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", "if-match", "idempotency-key"} <= allowed
    assert "PATCH" in response.headers["Access-Control-Allow-Methods"]


def test_responses_expose_the_contract_headers(client, tokens):
    response = client.get("/api/products", headers={**tokens("user"), "Origin": ORIGIN})
    exposed = {h.strip() for h in response.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"X-Total-Count", "Link", "ETag", "Location", "Retry-After", "X-Request-ID"} <= exposed
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_errors_carry_cors_headers_too(client):
    response = client.get("/api/products", headers={"Origin": ORIGIN})
    assert response.status_code == 401 and response.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_other_origins_get_no_cors_grant(client):
    response = client.options("/api/products", headers={"Origin": "https://evil.example",
                                                        "Access-Control-Request-Method": "GET"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_origins_come_from_configuration(make_app):
    app = make_app(CORS_ORIGINS="https://spa.example, https://b.example")
    response = app.test_client().get("/api/health", headers={"Origin": "https://b.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "https://b.example"
    assert "Access-Control-Allow-Origin" not in app.test_client().get(
        "/api/health", headers={"Origin": ORIGIN}).headers


def test_requests_without_origin_get_no_cors_headers(client, tokens):
    response = client.get("/api/products", headers=tokens("user"))
    assert response.status_code == 200
    assert not [name for name in response.headers.keys() if name.lower().startswith("access-control-")]


def test_cors_is_limited_to_the_api(client):
    response = client.get("/admin/", headers={"Origin": ORIGIN})
    assert "Access-Control-Allow-Origin" not in response.headers


def _vary(response) -> set[str]:
    return {v.strip().lower() for value in response.headers.getlist("Vary") for v in value.split(",")}


@pytest.mark.parametrize("origins", ["https://spa.example", "https://spa.example, https://b.example"])
def test_answers_that_echo_an_origin_vary_on_it(make_app, make_user, origins):
    """A shared cache must not hand one origin's grant (or an error) to another, even with one origin configured."""
    from tests.api.conftest import bearer
    from tests.factories import create_user

    app = make_app(CORS_ORIGINS=origins)
    client = app.test_client()
    with app.app_context():
        create_user("vary_user")
    token = client.post("/api/auth/login", json={"username": "vary_user", "password": "password123"}).get_json()
    preflight = client.options("/api/products", headers={"Origin": "https://spa.example",
                                                         "Access-Control-Request-Method": "GET"})
    actual = client.get("/api/products", headers={**bearer(token["access_token"]), "Origin": "https://spa.example"})
    error = client.get("/api/products", headers={"Origin": "https://spa.example"})
    for response in (preflight, actual, error):
        assert response.headers["Access-Control-Allow-Origin"] == "https://spa.example"
        assert "origin" in _vary(response), response.headers


def test_answers_without_origin_vary_on_it_too(client, tokens):
    """A cached answer without CORS headers must not be served to a browser's cross-origin request."""
    assert "origin" in _vary(client.get("/api/products", headers=tokens("user")))
    assert "origin" not in _vary(client.get("/admin/login/"))


def test_the_flask_cors_hook_reach_in_is_pinned():
    """api._cors_only_for_cross_origin_requests finds flask-cors's hook by name: re-check it on upgrade."""
    from importlib.metadata import version

    assert version("flask-cors") == "6.0.5"


def test_vary_stays_one_header_naming_origin_once(make_app):
    app = make_app(CORS_ORIGINS="https://spa.example, https://b.example")  # flask-cors adds its own Vary here
    response = app.test_client().get("/api/health", headers={"Origin": "https://b.example"})
    assert response.headers.getlist("Vary") == ["Origin"]
    assert "origin" not in _vary(app.test_client().get("/admin/login/", headers={"Origin": "https://b.example"}))
