"""`me`'s permissions are exactly what the server enforces: every guarded route, every role."""
from __future__ import annotations

import re

import pytest

ROLES = ("user", "manager", "admin")
NO_SUCH_ID = "2000000001"


def guarded_routes(app):
    """(method, path, resource, verb) of every documented route of app the role matrix guards."""
    from erp_admin.api.registry import routes_of

    for spec in routes_of(app):
        if spec.permission is None:
            continue
        path = re.sub(r"<(?:[^:<>]+:)?[^<>]+>", NO_SUCH_ID, spec.rule)  # a record that does not exist
        for method in spec.methods:
            yield method, path, *spec.permission


@pytest.mark.parametrize("role", ROLES)
def test_me_lists_exactly_the_verbs_the_server_allows(client, tokens, role):
    from erp_admin.auth.roles import ROLE_MATRIX

    headers = tokens(role)
    permissions = client.get("/api/auth/me", headers=headers).get_json()["permissions"]
    # The contract's keys, every one of them (API.md, `permissions` in `me`).
    assert set(permissions) == {"products", "customers", "users", "movements", "audit_log", "stats"} == set(ROLE_MATRIX)
    for resource, verbs in permissions.items():
        assert set(verbs) <= set(v for r in ROLE_MATRIX[resource].values() for v in r)
    checked = set()
    for method, path, resource, verb in guarded_routes(client.application):
        # An empty body and an id that does not exist: an allowed call fails later (400/404/415/422),
        # a refused one is a 403 before anything else is looked at.
        response = client.open(path, method=method, data=b"", headers=headers, content_type="text/csv")
        allowed = verb in permissions[resource]
        assert (response.status_code == 403) != allowed, (role, method, path, response.status_code)
        checked.add((resource, verb))
    # Every import and export verb of the matrix has a route that enforces it.
    assert {("products", "import"), ("products", "export"), ("customers", "import"),
            ("customers", "export")} <= checked
