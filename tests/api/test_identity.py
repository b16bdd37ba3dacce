"""Identity is never reused: ids are never handed out twice, tokens answer only for their own user, stale ETags miss.

The scenarios of issue 12, item 1, through the API as a client meets them.
"""
from __future__ import annotations

from sqlalchemy import select

from erp_admin.extensions import db
from erp_admin.models import AuditEntry
from tests.api.conftest import assert_problem, bearer
from tests.factories import reuse_user_id

PASSWORD = "password123"


def _login(client, username: str) -> dict:
    response = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def _new_user(client, headers, username: str, role: str = "user") -> int:
    response = client.post("/api/users", json={"username": username, "email": f"{username}@example.com",
                                                "password": PASSWORD, "role": role}, headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["id"]


def test_a_deleted_users_id_goes_to_nobody_and_their_tokens_die_with_them(client, admin_headers):
    # The scenario: victim has the highest id, is deleted, then a new admin is created.
    victim_id = _new_user(client, admin_headers, "victim")
    victim = _login(client, "victim")
    assert client.delete(f"/api/users/{victim_id}", headers=admin_headers).status_code == 204
    new_admin_id = _new_user(client, admin_headers, "newadmin", role="admin")
    assert new_admin_id > victim_id
    assert_problem(client.get("/api/auth/me", headers=bearer(victim["access_token"])), 401)
    assert_problem(client.post("/api/auth/refresh", headers=bearer(victim["refresh_token"])), 401)


def test_tokens_are_refused_when_their_users_id_comes_back_for_someone_else(app, client, admin_headers):
    victim_id = _new_user(client, admin_headers, "victim")
    victim = _login(client, "victim")
    assert client.get("/api/auth/me", headers=bearer(victim["access_token"])).get_json()["username"] == "victim"
    assert client.delete(f"/api/users/{victim_id}", headers=admin_headers).status_code == 204
    with app.app_context():
        reuse_user_id(victim_id)
    assert_problem(client.get("/api/auth/me", headers=bearer(victim["access_token"])), 401)
    assert_problem(client.post("/api/auth/refresh", headers=bearer(victim["refresh_token"])), 401)
    # The user who now holds the id signs in and is served as themselves.
    usurper = _login(client, "usurper")
    me = client.get("/api/auth/me", headers=bearer(usurper["access_token"])).get_json()
    assert (me["id"], me["username"]) == (victim_id, "usurper")


def test_the_identity_key_is_never_shown_nor_writable(client, admin_headers):
    user_id = _new_user(client, admin_headers, "clerk")
    shown = client.get(f"/api/users/{user_id}", headers=admin_headers)
    assert "identity_key" not in shown.get_json()
    body = assert_problem(client.put(f"/api/users/{user_id}", json={"identity_key": "0" * 32}, headers=admin_headers),
                          422)
    assert [e["field"] for e in body["errors"]] == ["identity_key"]
    assert "identity_key" not in str(client.get("/api/audit-log", headers=admin_headers).get_json())


def _create(client, headers, resource: str, n: int) -> dict:
    bodies = {"products": {"name": f"Thing {n}", "price": 5},
              "customers": {"name": f"C{n}", "email": f"c{n}@example.com"},
              "users": {"username": f"person{n}", "email": f"person{n}@example.com", "password": PASSWORD}}
    response = client.post(f"/api/{resource}", json=bodies[resource], headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def test_a_stale_etag_never_deletes_or_updates_the_next_record(client, tokens):
    # The scenario: a second user still shows the first product and deletes "it".
    alice, bob = tokens("user", "alice"), tokens("user", "bob")
    first = _create(client, alice, "products", 1)
    etag = client.get(f"/api/products/{first['id']}", headers=bob).headers["ETag"]
    assert etag == '"1"'
    assert client.delete(f"/api/products/{first['id']}", headers={**alice, "If-Match": etag}).status_code == 204
    second = _create(client, alice, "products", 2)
    assert second["id"] != first["id"] and second["sku"] != first["sku"] and second["version"] == 1
    assert_problem(client.put(f"/api/products/{first['id']}", json={"name": "Stale"},
                              headers={**bob, "If-Match": etag}), 404)
    assert_problem(client.delete(f"/api/products/{first['id']}", headers={**bob, "If-Match": etag}), 404)
    still = client.get(f"/api/products/{second['id']}", headers=alice)
    assert still.status_code == 200 and still.get_json()["name"] == "Thing 2"


def test_no_resource_hands_out_a_deleted_records_id_again(app, client, admin_headers):
    for resource in ("products", "customers", "users"):
        first = _create(client, admin_headers, resource, 1)
        assert client.delete(f"/api/{resource}/{first['id']}", headers=admin_headers).status_code == 204
        second = _create(client, admin_headers, resource, 2)
        assert second["id"] > first["id"], resource
    with app.app_context():
        creates = db.session.execute(
            select(AuditEntry.entity, AuditEntry.entity_id).where(AuditEntry.action == "create")).all()
    # One create per record in the audit log, each naming its own record.
    assert len(creates) == len(set(creates))


def test_generated_skus_never_repeat(client, admin_headers):
    skus = []
    for n in range(3):
        product = _create(client, admin_headers, "products", n)
        skus.append(product["sku"])
        assert client.delete(f"/api/products/{product['id']}", headers=admin_headers).status_code == 204
    assert len(set(skus)) == 3
