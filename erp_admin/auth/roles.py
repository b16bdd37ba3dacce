"""The role matrix: the single source of truth for who may do what.

The API, the admin panel, the CLI and the SPA's permission hints all ask
`can()`; hiding a button is never the enforcement.
"""
from __future__ import annotations

# resource -> role -> allowed verbs. Each resource's row comes from its declaration
# (erp_admin.resources, through grant); the dashboard figures, which are no table, are
# granted here. Tests may monkeypatch entries; every caller reads this dict at request time.
STATS = "stats"
ROLE_MATRIX: dict[str, dict[str, tuple[str, ...]]] = {
    STATS: {"user": ("read",), "manager": ("read",), "admin": ("read",)},
}


# resource -> field -> the roles that may set it, beyond the verb (a manager allowed to update
# users must still not make anyone an admin). Filled from the declarations like the matrix.
FIELD_GRANTS: dict[str, dict[str, tuple[str, ...]]] = {}


def grant(resource: str, permissions, field_grants=None) -> None:
    """Give resource its row of the matrix, {role: verbs}, and its field grants (resources.declare calls this)."""
    stats = ROLE_MATRIX.pop(STATS)
    ROLE_MATRIX[resource] = {role: tuple(verbs) for role, verbs in permissions.items()}
    ROLE_MATRIX[STATS] = stats  # stays last, as the contract lists it
    FIELD_GRANTS[resource] = {name: tuple(roles) for name, roles in (field_grants or {}).items()}


def revoke(resource: str) -> None:
    """Take resource's row out of the matrix and its field grants (resources.undeclare calls this)."""
    ROLE_MATRIX.pop(resource, None)
    FIELD_GRANTS.pop(resource, None)


def may_set(role: str | None, resource: str, field: str) -> bool:
    """Return True when role may give field of resource a value (fields without a grant: any role)."""
    roles = FIELD_GRANTS.get(resource, {}).get(field)
    return roles is None or role in roles


def resources() -> tuple[str, ...]:
    """Every resource of the matrix, in the contract's order."""
    return tuple(ROLE_MATRIX)


def can(role: str | None, resource: str, verb: str) -> bool:
    """Return True when role may perform verb on resource."""
    if not role:
        return False
    return verb in ROLE_MATRIX.get(resource, {}).get(role, ())


def permissions_for(role: str | None) -> dict[str, list[str]]:
    """Return {resource: [verbs]} for role, every resource present."""
    return {
        resource: [verb for verb in ROLE_MATRIX[resource].get(role or "", ())]
        for resource in ROLE_MATRIX
    }
