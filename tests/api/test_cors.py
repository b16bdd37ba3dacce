"""CORS for the SPA: configured origins, the contract's allowed and exposed headers."""
from __future__ import annotations

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
