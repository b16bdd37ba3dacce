"""The audit trail over the API: GET /api/audit-log, filtered and paged, newest first.

The query is audit.queries.audit_query (shared with the panel and `flask erp
audit-tail`); this module parses the query string (a bad value is a 400).
"""
from __future__ import annotations

import re

from flask import request
from werkzeug.exceptions import BadRequest

from erp_admin.api.filtering import parse_time
from erp_admin.api.listing import MAX_FILTER_LENGTH, NO_NUL, page_params, query_response
from erp_admin.api.registry import Param, Reply, component, route
from erp_admin.audit.queries import ACTIONS, audit_query
from erp_admin.resources import audited_entities
from erp_admin.auth.access import requires
from erp_admin.models.audit import CHANNELS
from erp_admin.schemas.audit import serialize_audit_entry
from erp_admin.schemas.fields import INT32_MAX

# Record ids are 32-bit integers (the entity_id column too): PostgreSQL refuses a larger value in the query.
MAX_ENTITY_ID = INT32_MAX  # ids are 32-bit
_UINT = re.compile(r"^[0-9]{1,19}$")
_NULLABLE_TEXT = {"anyOf": [{"type": "string"}, {"type": "null"}]}


def _entities() -> dict:
    """The entity filter's schema: the audited resources declared when the document is built."""
    return {"type": "string", "enum": list(audited_entities())}


AUDIT_ENTRY = component("AuditEntry", lambda: {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "at": {"type": "string", "format": "date-time"},
        "user": {**_NULLABLE_TEXT, "description": "Username (null: unknown user, or CLI/shell work without --user)."},
        "channel": {"type": "string", "enum": list(CHANNELS)},
        "action": {"type": "string", "enum": list(ACTIONS)},
        "entity": _entities(),
        "entity_id": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
        "changes": {
            "type": "object",
            "description": "{field: [old, new]}, secrets masked (null: no value before, or none after).",
            "additionalProperties": {"type": "array", "prefixItems": [{"description": "old"}, {"description": "new"}],
                                     "items": False, "minItems": 2, "maxItems": 2},
        },
    },
    "required": ["id", "at", "user", "channel", "action", "entity", "entity_id", "changes"],
    "additionalProperties": False,
})
TIME = {"type": "string", "format": "date-time"}
PARAMS = (
    *page_params(),
    Param("entity", schema=_entities, description="Only entries about this kind of record."),
    Param("entity_id", schema={"type": "integer", "minimum": 0, "maximum": MAX_ENTITY_ID},
          description="Only entries about this record id."),
    Param("user", schema={"type": "string", "maxLength": MAX_FILTER_LENGTH, "pattern": NO_NUL},
          description="Only entries made by this username."),
    Param("action", schema={"type": "string", "enum": list(ACTIONS)}, description="Only this action."),
    Param("since", schema=TIME, description="Entries at or after this time (ISO 8601; no offset means UTC)."),
    Param("until", schema=TIME, description="Entries at or before this time (ISO 8601; no offset means UTC)."),
)


def _choice(name: str, choices: tuple[str, ...]) -> str | None:
    raw = request.args.get(name)
    if raw is not None and raw not in choices:
        raise BadRequest(f"{name} must be one of: {', '.join(choices)}.")
    return raw


def _filters() -> dict:
    args = request.args
    entity_id = args.get("entity_id")
    if entity_id is not None:
        if not _UINT.match(entity_id) or int(entity_id) > MAX_ENTITY_ID:
            raise BadRequest(f"entity_id must be a whole number between 0 and {MAX_ENTITY_ID}.")
        entity_id = int(entity_id)
    username = args.get("user")
    if username is not None and (len(username) > MAX_FILTER_LENGTH or "\x00" in username):
        raise BadRequest(f"user must be at most {MAX_FILTER_LENGTH} characters, without NUL.")
    times = {name: parse_time(name, args[name]) if args.get(name) is not None else None for name in ("since", "until")}
    return {"entity": _choice("entity", audited_entities()), "entity_id": entity_id, "username": username,
            "action": _choice("action", ACTIONS), **times}


@route("/audit-log", ["GET"], summary="The audit trail, newest first", tags=["audit"], params=PARAMS,
       responses={200: Reply({"type": "array", "items": AUDIT_ENTRY}, headers=("X-Total-Count", "Link"))},
       errors=(400,))
@requires("audit_log", "read")
def audit_log():
    """Every create, update and delete of an audited resource, and sign-in events, from every channel."""
    return query_response(audit_query(**_filters()), serialize_audit_entry)
