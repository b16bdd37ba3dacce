"""Users under /api/users: list (search username/email/full_name; role, is_active filters) and CRUD.

The services enforce who may set a role or an active flag (the matrix's field
grants) and the self-delete, self-deactivate and last-admin rules (409).
"""
from erp_admin.api.listing import Filter, ListSpec
from erp_admin.api.resources import ResourceAPI, register_resource
from erp_admin.models import ROLES, User
from erp_admin.schemas import UserSchema, serialize_user

USERS = ResourceAPI(
    name="users", model=User, schema=UserSchema, serialize=serialize_user, component="User",
    list_spec=ListSpec(
        sort_fields={
            "id": User.id, "username": User.username, "email": User.email, "full_name": User.full_name,
            "role": User.role, "is_active": User.is_active, "created_at": User.created_at,
            "last_login_at": User.last_login_at,
        },
        search=(User.username, User.email, User.full_name),
        search_resource="users",
        search_description="Case-insensitive substring of username, email or full_name (% and _ match themselves).",
        filters={
            "role": Filter(User.role, kind="choice", choices=ROLES, description="Exact role."),
            "is_active": Filter(User.is_active, kind="boolean", description="true or false."),
        },
        tiebreak=User.id,
    ),
)

register_resource(USERS)
