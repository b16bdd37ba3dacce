"""Resources: one declaration per table the outside world sees, and the registry every face reads."""
from erp_admin.resources.declaration import (
    Panel, Resource, audited_entities, declare, declared, resource, resource_of, undeclare, writable_resources,
)

__all__ = ["Panel", "Resource", "audited_entities", "declare", "declared", "resource", "resource_of", "undeclare",
           "writable_resources"]

# The built-in resources are declared as soon as the registry is imported.
from erp_admin.resources import catalog  # noqa: E402,F401
