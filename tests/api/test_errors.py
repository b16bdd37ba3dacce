"""One problem+json shape for every error under /api, with the contract's statuses."""
from __future__ import annotations

import html
import logging

import pytest

from tests.api.conftest import assert_problem

MiB = 1024 * 1024


@pytest.fixture
def h(tokens):
    return tokens("user")


@pytest.mark.parametrize("raw", [b"{", b"[1, 2]", b'"text"', b"null", b"", b'{"name": NaN, "price": 1}',
                                 b'{"price": Infinity}', b"\xff\xfe{}", b'{"a": 1}garbage',
                                 b'{"name": "x", "price": ' + b"9" * 5000 + b"}", b"[" * 5000 + b"]" * 5000,
                                 b'{"a":' * 40 + b"1" + b"}" * 40])
def test_malformed_bodies_are_400(client, h, raw):
    response = client.post("/api/products", data=raw, content_type="application/json", headers=h)
    assert_problem(response, 400)


def test_non_json_media_type_is_415(app, client, h):
    from tests.factories import create_product

    with app.app_context():
        product = create_product()
    assert_problem(client.post("/api/products", data="name=x&price=1", headers=h,
                               content_type="application/x-www-form-urlencoded"), 415)
    assert_problem(client.put(f"/api/products/{product.id}", data="x", content_type="text/plain", headers=h), 415)
    assert_problem(client.patch(f"/api/products/{product.id}", data='{"name": "x"}', headers=h), 415)


def test_body_over_the_limit_is_413(client, h):
    big = b'{"name": "' + b"x" * (MiB + 10) + b'", "price": 1}'
    assert_problem(client.post("/api/products", data=big, content_type="application/json", headers=h), 413)


def test_multipart_over_the_limit_is_413(client, h):
    # Encoded by hand: werkzeug's test encoder spools big bodies to a file it never closes.
    body = (b'--BOUNDARY\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
            b"Content-Type: text/csv\r\n\r\n" + b"x" * (MiB + 10) + b"\r\n--BOUNDARY--\r\n")
    response = client.post("/api/products", data=body, content_type="multipart/form-data; boundary=BOUNDARY", headers=h)
    assert_problem(response, 413)


def test_a_route_can_allow_a_larger_body(app, client, h):
    """The per-route limit (route(max_body=...)) the CSV import uses is honoured by the size check."""
    app.view_functions["api.products_create"].max_body = 3 * MiB
    try:
        big = b'{"name": "' + b"x" * (2 * MiB) + b'", "price": 1}'
        body = assert_problem(client.post("/api/products", data=big, content_type="application/json", headers=h), 422)
        assert body["errors"][0]["field"] == "name"  # parsed, then refused by validation, not by size
    finally:
        del app.view_functions["api.products_create"].max_body


def test_unknown_route_is_404_problem_even_for_writes_without_csrf(client):
    assert_problem(client.get("/api/nope"), 404)
    assert_problem(client.post("/api/nope/deeper", json={}), 404)
    assert_problem(client.get("/api"), 404)


def test_method_not_allowed_is_405_with_allow(client, h):
    response = client.delete("/api/products", headers=h)
    body = assert_problem(response, 405)
    assert {"GET", "POST"} <= {m.strip() for m in response.headers["Allow"].split(",")}
    assert body["title"] == "Method Not Allowed"


def test_validation_failure_is_422_with_errors(client, h):
    body = assert_problem(client.post("/api/products", json={"price": "abc"}, headers=h), 422)
    assert {"field": "name", "message": "field required"} in body["errors"]
    assert any(e["field"] == "price" for e in body["errors"])


def test_integrity_race_is_409_not_500(client, h, monkeypatch):
    """Two creates with one SKU that both pass the pre-check: the database refuses the second, 409."""
    from erp_admin.services import records

    monkeypatch.setattr(records, "_check_unique", lambda *a, **k: None)
    assert client.post("/api/products", json={"name": "A", "price": 1, "sku": "RACE"}, headers=h).status_code == 201
    assert_problem(client.post("/api/products", json={"name": "B", "price": 1, "sku": "RACE"}, headers=h), 409)


def test_integrity_error_escaping_a_view_is_409(client, h, monkeypatch):
    from sqlalchemy.exc import IntegrityError

    from erp_admin.api import resources

    def boom(*args, **kwargs):
        raise IntegrityError("INSERT ...", {}, Exception("UNIQUE constraint failed"))

    monkeypatch.setattr(resources, "create_record", boom)
    body = assert_problem(client.post("/api/products", json={"name": "A", "price": 1}, headers=h), 409)
    assert "UNIQUE" not in body["detail"] and "INSERT" not in body["detail"]


def test_unexpected_exception_is_a_generic_500_logged_with_traceback(client, h, monkeypatch, caplog):
    from erp_admin.api import stats

    def broken():
        raise RuntimeError("secret internal detail 42")

    monkeypatch.setattr(stats, "inventory_stats", broken)
    with caplog.at_level(logging.ERROR):
        response = client.get("/api/stats", headers=h)
    body = assert_problem(response, 500)
    assert "secret internal detail" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
    assert set(body) == {"type", "title", "status", "detail"}
    logged = [r for r in caplog.records if r.exc_info]
    assert logged and "secret internal detail 42" in str(logged[0].exc_info[1])


def test_the_app_still_answers_after_a_500(client, h, monkeypatch):
    from erp_admin.api import stats

    monkeypatch.setattr(stats, "inventory_stats", lambda: 1 / 0)
    assert_problem(client.get("/api/stats", headers=h), 500)
    monkeypatch.undo()
    assert client.get("/api/stats", headers=h).status_code == 200


def test_request_id_is_echoed_when_sane_and_generated_otherwise(client):
    assert client.get("/api/health", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    generated = client.get("/api/health", headers={"X-Request-ID": "<script>" + "x" * 100}).headers["X-Request-ID"]
    assert generated and "<" not in generated and len(generated) <= 64
    assert client.get("/api/nope").headers["X-Request-ID"]  # errors carry one too


def test_audit_actor_is_the_api_user_with_request_id(app, client, tokens):
    """Writes through the API are attributed to the token's user, channel api, with the request id."""
    from flask import g

    from erp_admin.api import resources
    from erp_admin.audit.context import get_actor

    seen = {}
    original = resources.create_record

    def spy(*args, **kwargs):
        seen["actor"] = get_actor()
        seen["request_id"] = g.erp_request_id
        return original(*args, **kwargs)

    resources.create_record = spy
    try:
        client.post("/api/products", json={"name": "A", "price": 1}, headers={**tokens("manager"), "X-Request-ID": "req-7"})
    finally:
        resources.create_record = original
    actor = seen["actor"]
    assert actor.channel == "api" and actor.username == "manager_api" and actor.request_id == "req-7"
    assert actor.client_addr == "127.0.0.1"


def _problem_case(app, client, tokens, case):
    """Provoke one kind of problem; return the response."""
    from tests.factories import create_product

    h = tokens("user")
    with app.app_context():
        product = create_product(sku="KIND-1")
    url = f"/api/products/{product.id}"
    requests = {
        "bad-request": lambda: client.post("/api/products", data=b"{", content_type="application/json", headers=h),
        "forbidden": lambda: client.get("/api/users", headers=h),
        "not-found": lambda: client.get("/api/products/999999", headers=h),
        "method-not-allowed": lambda: client.delete("/api/products", headers=h),
        "conflict": lambda: client.post("/api/products", json={"name": "x", "price": 1, "sku": "KIND-1"}, headers=h),
        "precondition-failed": lambda: client.patch(url, json={"name": "y"}, headers={**h, "If-Match": '"9"'}),
        "payload-too-large": lambda: client.post("/api/products", data=b"{" + b" " * (MiB + 10) + b"}",
                                                 content_type="application/json", headers=h),
        "unsupported-media-type": lambda: client.post("/api/products", data="x", content_type="text/plain", headers=h),
        "validation-failed": lambda: client.post("/api/products", json={"name": ""}, headers=h),
        "idempotency-key-reused": lambda: [client.post("/api/products", json={"name": n, "price": 1},
                                                       headers={**h, "Idempotency-Key": "k-1"}) for n in "ab"][-1],
        "token-missing": lambda: client.get("/api/products"),
        "token-invalid": lambda: client.get("/api/products", headers={"Authorization": "Bearer not.a.jwt"}),
    }
    return requests[case]()


PROBLEM_CASES = ["bad-request", "forbidden", "not-found", "method-not-allowed", "conflict", "precondition-failed",
                 "payload-too-large", "unsupported-media-type", "validation-failed", "idempotency-key-reused",
                 "token-missing", "token-invalid"]


@pytest.mark.parametrize("case", PROBLEM_CASES)
def test_each_kind_of_problem_has_its_own_type_uri_from_the_one_table(app, client, tokens, case):
    from erp_admin.api.errors import PROBLEM_KINDS

    kind = PROBLEM_KINDS[case]
    body = assert_problem(_problem_case(app, client, tokens, case), kind.status)
    assert body["type"] == f"http://localhost/api/problems/{case}"
    assert body["title"] == kind.title


def test_throttled_logins_are_their_own_kind(make_app, make_user):
    client = make_app(LOGIN_RATE_LIMIT=1).test_client()
    for _ in range(2):
        response = client.post("/api/auth/login", json={"username": "nobody", "password": "wrong-password"})
    assert assert_problem(response, 429)["type"] == "http://localhost/api/problems/throttled"


def test_an_unexpected_error_is_the_server_error_kind(app, client, tokens, monkeypatch):
    import erp_admin.api.stats as stats

    monkeypatch.setattr(stats, "jsonify", lambda *a, **k: 1 / 0)
    body = assert_problem(client.get("/api/stats", headers=tokens("user")), 500)
    assert body["type"] == "http://localhost/api/problems/server-error"


def test_every_problem_type_uri_serves_a_page_saying_what_it_means(client):
    from erp_admin.api.errors import PROBLEM_KINDS

    for slug, kind in PROBLEM_KINDS.items():
        page = client.get(f"/api/problems/{slug}")
        assert page.status_code == 200 and page.mimetype == "text/html"
        text = html.unescape(page.get_data(as_text=True))
        assert kind.title in text and kind.description.split(";")[0] in text
    assert_problem(client.get("/api/problems/no-such-kind"), 404)


def test_problem_types_follow_the_host_like_location(client, tokens):
    response = client.get("/api/products/999999", headers=tokens("user"), base_url="https://erp.example")
    assert assert_problem(response, 404)["type"] == "https://erp.example/api/problems/not-found"


def test_the_openapi_document_lists_the_problem_kinds(client):
    from erp_admin.api.errors import PROBLEM_KINDS

    problem = client.get("/api/openapi.json").get_json()["components"]["schemas"]["Problem"]
    described = problem["properties"]["type"]["description"]
    assert all(f"`{slug}`" in described for slug in PROBLEM_KINDS)


def test_docs_list_every_problem_kind_as_defined():
    from pathlib import Path

    from erp_admin.api.errors import PROBLEM_KINDS

    page = (Path(__file__).resolve().parents[2] / "docs" / "api-problems.md").read_text()
    for kind in PROBLEM_KINDS.values():
        assert f"| `{kind.slug}` | {kind.status} | {kind.title} | {kind.description} |" in page
