"""What `flask shell` opens with: db, select and every model."""
from __future__ import annotations

from sqlalchemy import select

from erp_admin import models
from erp_admin.audit.context import Actor, set_actor
from erp_admin.extensions import db


def shell_context() -> dict:
    """Return the names `flask shell` starts with; work there is audited as channel 'shell'."""
    set_actor(Actor(channel="shell"))
    context = {"db": db, "select": select}
    context.update({name: getattr(models, name) for name in models.__all__ if name not in ("Base", "ROLES")})
    return context
