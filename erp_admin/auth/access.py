"""Authorisation for every channel: the `requires(resource, verb)` decorator built on `can()`.

The API and the panel both guard their views with it. Each channel signs the
user in its own way (a JWT, a session) and leaves the user where
`current_principal()` finds it; the decision is always `roles.can`.
"""
from __future__ import annotations

from functools import wraps

from flask import g

from erp_admin.auth.roles import can
from erp_admin.errors import NotAuthenticated, PermissionDenied


def set_principal(user) -> None:
    """Record the signed-in user of this request (called by the channel that authenticated it)."""
    g.erp_principal = user


def current_principal():
    """Return the user signed in to this request, or None."""
    user = g.get("erp_principal")
    if user is not None:
        return user
    try:  # the panel signs in with Flask-Login
        from flask_login import current_user
    except ImportError:  # pragma: no cover - Flask-Login is a dependency
        return None
    return current_user if getattr(current_user, "is_authenticated", False) else None


def authorize(user, resource: str, verb: str) -> None:
    """Raise NotAuthenticated or PermissionDenied unless user may perform verb on resource."""
    if user is None:
        raise NotAuthenticated("Sign in first.")
    if not can(user.role, resource, verb):
        raise PermissionDenied(f"Your role ({user.role}) may not {verb.replace('_', ' ')} {resource.replace('_', ' ')}.")


def requires(resource: str, verb: str):
    """Decorate a view so only roles allowed verb on resource (by the role matrix) reach it."""

    def decorator(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            authorize(current_principal(), resource, verb)
            return view(*args, **kwargs)

        guarded.required_permission = (resource, verb)
        return guarded

    return decorator
