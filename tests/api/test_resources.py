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
