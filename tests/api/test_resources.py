"""The CRUD routes every record resource shares: conditional writes answer 412 with the current ETag."""
from __future__ import annotations

import pytest

from tests.api.conftest import assert_problem

BODIES = {
    "products": ({"name": "V", "price": 1}, {"name": "V2"}),
    "customers": ({"name": "V", "email": "v@example.com"}, {"name": "V2"}),
    "users": ({"username": "victor", "email": "victor@example.com", "password": "password123"}, {"full_name": "V2"}),
}


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("resource", list(BODIES))
def test_a_stale_if_match_is_412_with_the_current_etag(client, admin_headers, resource, method):
    """The client can show the conflict (and retry against the current version) without another GET."""
    create, change = BODIES[resource]
    url = client.post(f"/api/{resource}", json=create, headers=admin_headers).headers["Location"]
    assert client.patch(url, json=change, headers={**admin_headers, "If-Match": '"1"'}).status_code == 200
    stale = client.open(url, method=method, json=None if method == "DELETE" else change,
                        headers={**admin_headers, "If-Match": '"1"'})
    assert_problem(stale, 412)
    assert stale.headers["ETag"] == '"2"' == client.get(url, headers=admin_headers).headers["ETag"]
    retried = client.open(url, method=method, json=None if method == "DELETE" else change,
                          headers={**admin_headers, "If-Match": stale.headers["ETag"]})
    assert retried.status_code in (200, 204)


@pytest.mark.parametrize("resource", list(BODIES))
def test_location_of_a_201_is_an_absolute_url(client, admin_headers, resource):
    """A SPA on another origin would resolve a relative Location against its own page."""
    response = client.post(f"/api/{resource}", json=BODIES[resource][0], headers=admin_headers)
    assert response.status_code == 201
    assert response.headers["Location"] == f"http://localhost/api/{resource}/{response.get_json()['id']}"
    assert client.get(response.headers["Location"], headers=admin_headers).status_code == 200


def test_every_documented_201_is_a_create_with_location(client):
    """The routes above are every 201 the API documents (a new one needs its own Location test)."""
    doc = client.get("/api/openapi.json").get_json()
    created = sorted((path, method) for path, item in doc["paths"].items() for method, op in item.items()
                     if "201" in op["responses"])
    assert created == sorted((f"/api/{r}", "post") for r in BODIES)
    assert all("Location" in doc["paths"][p][m]["responses"]["201"]["headers"] for p, m in created)


def _create_product(app, base_url="http://erp.example", headers=None, username="loc_admin"):
    from tests.api.conftest import bearer
    from tests.factories import create_user

    client = app.test_client()
    with app.app_context():
        create_user(username, role="admin")
    token = client.post("/api/auth/login", json={"username": username, "password": "password123"},
                        base_url=base_url).get_json()
    return client.post("/api/products", json={"name": "Lamp", "price": 1}, base_url=base_url,
                       headers={**bearer(token["access_token"]), **(headers or {})})


def test_location_honours_the_trusted_proxy_scheme_only(make_app):
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"}
    behind_proxy = _create_product(make_app(TRUSTED_PROXIES=1), headers=forwarded)
    # The proxy's scheme is trusted (ProxyFix x_proto); X-Forwarded-Host is not (the proxy passes Host on).
    assert behind_proxy.headers["Location"].startswith("https://erp.example/api/products/")
    direct = _create_product(make_app(), headers=forwarded, username="loc_admin2")
    assert direct.headers["Location"].startswith("http://erp.example/api/products/")


def test_a_host_outside_trusted_hosts_is_refused_not_echoed(make_app):
    app = make_app(TRUSTED_HOSTS=["erp.example"])
    assert _create_product(app).headers["Location"].startswith("http://erp.example/")
    spoofed = app.test_client().post("/api/products", json={"name": "Lamp", "price": 1},
                                     base_url="http://evil.example")
    assert assert_problem(spoofed, 400)["type"] == "/api/problems/bad-request"  # no host to build it on
    assert "evil.example" not in spoofed.headers.get("Location", "")
