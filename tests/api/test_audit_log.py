"""GET /api/audit-log: the contract's shape, newest first, every filter, paging, 400 for bad values; logout is logged."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.api.conftest import assert_problem
from tests.conftest import api_login

ENTRY_KEYS = ["id", "at", "user", "channel", "action", "entity", "entity_id", "changes"]


@pytest.fixture
def history(client, tokens):
    """Manager creates and renames a product, a user creates a customer; returns the manager's headers."""
    boss = tokens("manager")
    clerk = tokens("user")
    product = client.post("/api/products", json={"name": "Lamp", "price": 1}, headers=boss).get_json()
    client.put(f"/api/products/{product['id']}", json={"name": "Lamp 2"}, headers=boss)
    client.post("/api/customers", json={"name": "Ada", "email": "ada@example.com"}, headers=clerk)
    return {"headers": boss, "product": product["id"]}


def entries(client, headers, query=""):
    response = client.get(f"/api/audit-log{query}", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def test_shape_and_newest_first(client, history):
    body = entries(client, history["headers"]).get_json()
    # The two users behind the tokens were created first (by the test, channel shell).
    assert [(e["entity"], e["action"]) for e in body] == [
        ("customer", "create"), ("product", "update"), ("product", "create"), ("user", "create"), ("user", "create")]
    assert [e["channel"] for e in body] == ["api", "api", "api", "shell", "shell"]
    assert all(list(e) == ENTRY_KEYS for e in body)
    rename = body[1]
    assert rename["user"] == "manager_api" and rename["channel"] == "api" and rename["at"].endswith("Z")
    assert rename["entity_id"] == history["product"] and rename["changes"] == {"name": ["Lamp", "Lamp 2"]}


@pytest.mark.parametrize("query,expected", [
    ("?entity=product", [("product", "update"), ("product", "create")]),
    ("?entity=customer", [("customer", "create")]),
    ("?action=create", [("customer", "create"), ("product", "create"), ("user", "create"), ("user", "create")]),
    ("?action=update", [("product", "update")]),
    ("?user=user_api", [("customer", "create")]),
    ("?user=nobody", []),
    ("?entity=product&action=update", [("product", "update")]),
])
def test_filters(client, history, query, expected):
    assert [(e["entity"], e["action"]) for e in entries(client, history["headers"], query).get_json()] == expected


def test_entity_id_filter(client, history):
    body = entries(client, history["headers"], f"?entity=product&entity_id={history['product']}").get_json()
    assert len(body) == 2 and {e["entity_id"] for e in body} == {history["product"]}
    assert entries(client, history["headers"], "?entity_id=987654").get_json() == []


def test_time_range(client, history):
    now = datetime.now(timezone.utc)
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    recent = f"?since={(now - timedelta(minutes=5)).strftime(fmt)}&until={(now + timedelta(minutes=5)).strftime(fmt)}"
    assert len(entries(client, history["headers"], recent).get_json()) == 5
    later = (now + timedelta(minutes=5)).isoformat()  # +00:00 offset form
    assert entries(client, history["headers"], "?since=" + later.replace("+", "%2B")).get_json() == []
    naive_past = (now - timedelta(minutes=5)).replace(tzinfo=None).isoformat()
    assert entries(client, history["headers"], "?until=" + naive_past).get_json() == []
    # Another offset names the same instant.
    shifted = (now - timedelta(minutes=5)).astimezone(timezone(timedelta(hours=2))).isoformat()
    assert len(entries(client, history["headers"], "?since=" + shifted.replace("+", "%2B")).get_json()) == 5


def test_paging_headers(client, history):
    page = entries(client, history["headers"], "?limit=1&offset=1")
    assert [e["action"] for e in page.get_json()] == ["update"]
    assert page.headers["X-Total-Count"] == "5"
    assert 'rel="next"' in page.headers["Link"] and 'rel="prev"' in page.headers["Link"]


@pytest.mark.parametrize("query", [
    "?since=yesterday", "?until=2026-13-01", "?since=", "?entity=order", "?action=explode", "?entity_id=abc",
    "?entity_id=-1", "?entity_id=2147483648", "?entity_id=99999999999999999999", "?user=a%00b", "?limit=0", "?offset=x",
])
def test_bad_query_values_are_400(client, history, query):
    assert_problem(client.get(f"/api/audit-log{query}", headers=history["headers"]), 400)


@pytest.mark.parametrize("role,status", [("user", 403), ("manager", 200), ("admin", 200)])
def test_roles(client, tokens, role, status):
    assert client.get("/api/audit-log", headers=tokens(role)).status_code == status


def test_login_and_logout_are_logged(client, make_user, tokens):
    make_user("leaver", role="user")
    login = api_login(client, "leaver", "password123")
    assert login.status_code == 200
    access = login.get_json()["access_token"]
    assert client.post("/api/auth/logout", headers={"Authorization": f"Bearer {access}"}).status_code == 204
    body = entries(client, tokens("admin"), "?user=leaver").get_json()
    assert [(e["action"], e["entity"], e["channel"]) for e in body] == [("logout", "user", "api"), ("login", "user", "api")]
    assert body[0]["entity_id"] == login.get_json()["user"]["id"]


def test_failed_logout_logs_nothing(client, make_user, tokens):
    make_user("stayer", role="user")
    access = api_login(client, "stayer", "password123").get_json()["access_token"]
    assert_problem(client.post("/api/auth/logout", json={"refresh_token": "nonsense"},
                               headers={"Authorization": f"Bearer {access}"}), 422)
    assert [e["action"] for e in entries(client, tokens("admin"), "?user=stayer").get_json()] == ["login"]
