"""The contract's role matrix, route by route: anonymous / user / manager / admin."""
from __future__ import annotations

import pytest

from tests.api.conftest import assert_problem
from tests.factories import create_customer, create_product, create_user

ALL = ("user", "manager", "admin")
MANAGERS = ("manager", "admin")
ADMIN = ("admin",)

# (method, path, body, roles allowed by API.md, success status)
ROUTES = [
    ("GET", "/api/products", None, ALL, 200),
    ("GET", "/api/products/{product}", None, ALL, 200),
    ("POST", "/api/products", {"name": "New", "price": 2}, ALL, 201),
    ("PUT", "/api/products/{product}", {"name": "Renamed"}, ALL, 200),
    ("PATCH", "/api/products/{product}", {"price": "3.50"}, ALL, 200),
    ("DELETE", "/api/products/{product}", None, ALL, 204),
    ("GET", "/api/customers", None, ALL, 200),
    ("GET", "/api/customers/{customer}", None, ALL, 200),
    ("POST", "/api/customers", {"name": "Bo", "email": "bo@example.com"}, ALL, 201),
    ("PUT", "/api/customers/{customer}", {"phone": "+1 555"}, ALL, 200),
    ("PATCH", "/api/customers/{customer}", {"company": "Acme"}, ALL, 200),
    ("DELETE", "/api/customers/{customer}", None, ALL, 204),
    ("GET", "/api/users", None, MANAGERS, 200),
    ("GET", "/api/users/{target}", None, MANAGERS, 200),
    ("POST", "/api/users", {"username": "newbie", "email": "newbie@example.com", "password": "longenough"}, ADMIN, 201),
    ("PUT", "/api/users/{target}", {"full_name": "Tee"}, ADMIN, 200),
    ("PATCH", "/api/users/{target}", {"full_name": "Tee"}, ADMIN, 200),
    ("DELETE", "/api/users/{target}", None, ADMIN, 204),
    ("GET", "/api/stats", None, ALL, 200),
    ("POST", "/api/products/{product}/adjust-stock", {"delta": 1, "reason": "matrix"}, ALL, 200),
    ("GET", "/api/products/{product}/movements", None, ALL, 200),
    ("GET", "/api/audit-log", None, MANAGERS, 200),
    ("GET", "/api/auth/me", None, ALL, 200),
    ("POST", "/api/auth/refresh", None, ALL, 200),
    ("POST", "/api/auth/logout", None, ALL, 204),
]


@pytest.fixture
def targets(app):
    with app.app_context():
        return {
            "product": create_product(name="Matrix widget").id,
            "customer": create_customer(email="matrix@example.com").id,
            "target": create_user("target", role="user").id,
        }


@pytest.mark.parametrize("role", (None, *ALL), ids=lambda r: r or "anonymous")
@pytest.mark.parametrize("method,path,body,allowed,success", ROUTES, ids=[f"{r[0]} {r[1]}" for r in ROUTES])
def test_role_matrix(client, tokens, targets, role, method, path, body, allowed, success):
    url = path.format(**targets)
    if role is None:
        headers = {}
    elif path == "/api/auth/refresh":
        headers = {"Authorization": "Bearer " + tokens.pair(role)["refresh_token"]}
    else:
        headers = tokens(role)
    response = client.open(url, method=method, json=body, headers=headers)
    if role is None:
        assert_problem(response, 401)
        assert response.headers["WWW-Authenticate"] == "Bearer"
    elif role in allowed:
        assert response.status_code == success, response.get_data(as_text=True)
    else:
        assert_problem(response, 403)


@pytest.mark.parametrize("path", ["/api/health", "/api/openapi.json", "/api/docs", "/api/docs/"])
def test_public_routes_need_no_token(client, path):
    assert client.get(path).status_code == 200


def test_forbidden_write_changes_nothing(client, tokens, targets, app):
    response = client.patch(f"/api/users/{targets['target']}", json={"role": "admin"}, headers=tokens("manager"))
    assert_problem(response, 403)
    read = client.get(f"/api/users/{targets['target']}", headers=tokens("admin"))
    assert read.get_json()["role"] == "user"


def test_matrix_change_is_enforced_at_request_time(client, tokens, targets, monkeypatch):
    """The API asks roles.can on every request: editing the matrix changes the answer."""
    from erp_admin.auth import roles

    monkeypatch.setitem(roles.ROLE_MATRIX, "stats", {"user": (), "manager": ("read",), "admin": ("read",)})
    assert_problem(client.get("/api/stats", headers=tokens("user")), 403)
    assert client.get("/api/stats", headers=tokens("manager")).status_code == 200
