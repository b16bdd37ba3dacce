"""Customers through the API: shape, validation, case-insensitive unique email, partial update."""
from __future__ import annotations

from tests.api.conftest import assert_problem

CUSTOMER_KEYS = ["id", "name", "email", "phone", "company", "address", "created_at", "updated_at", "version"]


def test_crud_cycle(client, tokens):
    h = tokens("user")
    response = client.post("/api/customers", json={"name": "Ann", "email": "Ann@Example.com", "phone": "+1 555 0100"}, headers=h)
    assert response.status_code == 201
    body = response.get_json()
    assert list(body) == CUSTOMER_KEYS and body["email"] == "ann@example.com"
    url = response.headers["Location"]
    assert client.get(url, headers=h).headers["ETag"] == '"1"'
    updated = client.put(url, json={"company": "Acme"}, headers=h).get_json()
    assert updated["company"] == "Acme" and updated["phone"] == "+1 555 0100" and updated["version"] == 2
    cleared = client.patch(url, json={"phone": None}, headers=h).get_json()
    assert cleared["phone"] is None
    assert client.delete(url, headers=h).status_code == 204
    assert_problem(client.get(url, headers=h), 404)


def test_email_is_unique_case_insensitively(client, tokens):
    h = tokens("user")
    client.post("/api/customers", json={"name": "A", "email": "same@example.com"}, headers=h)
    body = assert_problem(client.post("/api/customers", json={"name": "B", "email": "SAME@example.com"}, headers=h), 409)
    assert body["errors"] == [{"field": "email", "message": body["detail"]}]


def test_validation_errors(client, tokens):
    body = assert_problem(client.post("/api/customers", json={"email": "not-an-email", "phone": "1" * 31},
                                      headers=tokens("user")), 422)
    assert {e["field"] for e in body["errors"]} == {"name", "email", "phone"}
