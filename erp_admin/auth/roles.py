"""The role matrix: the single source of truth for who may do what.

The API, the admin panel, the CLI and the SPA's permission hints all ask
`can()`; hiding a button is never the enforcement.
"""
from __future__ import annotations

RESOURCES = ("products", "customers", "users", "movements", "audit_log", "stats")

_CRUD = ("read", "create", "update", "delete")
_PRODUCTS = _CRUD + ("adjust_stock", "import", "export")
_CUSTOMERS = _CRUD + ("import", "export")

# resource -> role -> allowed verbs. Tests may monkeypatch entries; every
# caller reads this dict at request time.
ROLE_MATRIX: dict[str, dict[str, tuple[str, ...]]] = {
    "products": {"user": _PRODUCTS, "manager": _PRODUCTS, "admin": _PRODUCTS},
    "customers": {"user": _CUSTOMERS, "manager": _CUSTOMERS, "admin": _CUSTOMERS},
    "users": {"user": (), "manager": ("read",), "admin": _CRUD},
    "movements": {"user": ("read",), "manager": ("read",), "admin": ("read",)},
    "audit_log": {"user": (), "manager": ("read",), "admin": ("read",)},
    "stats": {"user": ("read",), "manager": ("read",), "admin": ("read",)},
}


def can(role: str | None, resource: str, verb: str) -> bool:
    """Return True when role may perform verb on resource."""
    if not role:
        return False
    return verb in ROLE_MATRIX.get(resource, {}).get(role, ())


def permissions_for(role: str | None) -> dict[str, list[str]]:
    """Return {resource: [verbs]} for role, every resource present."""
    return {
        resource: [verb for verb in ROLE_MATRIX[resource].get(role or "", ())]
        for resource in RESOURCES
    }
