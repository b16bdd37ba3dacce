"""Who is acting and through which channel: read by the audit trail and the stock ledger.

The API and the panel set the actor per request (stored on flask.g); the CLI
and `flask shell` set it for the whole process (a context variable).
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace

from flask import g, has_app_context


@dataclass(frozen=True)
class Actor:
    channel: str  # api, admin, cli or shell
    user_id: int | None = None
    username: str | None = None
    request_id: str | None = None
    client_addr: str | None = None


_process_actor: ContextVar[Actor | None] = ContextVar("erp_actor", default=None)


def set_actor(actor: Actor) -> None:
    """Record the acting user and channel for the current request, or for the process."""
    if has_app_context() and "_erp_request_scope" in g:
        g.erp_actor = actor
    else:
        _process_actor.set(actor)


@contextmanager
def acting_as(actor: Actor):
    """Make actor the current actor inside the block, restoring the previous one afterwards."""
    if has_app_context() and "_erp_request_scope" in g:
        previous = g.get("erp_actor")
        g.erp_actor = actor
        try:
            yield actor
        finally:
            if previous is None:
                g.pop("erp_actor", None)
            else:
                g.erp_actor = previous
    else:
        token = _process_actor.set(actor)
        try:
            yield actor
        finally:
            _process_actor.reset(token)


def begin_request_scope() -> None:
    """Mark the app context as a request, so set_actor stores the actor on flask.g."""
    g._erp_request_scope = True


def get_actor() -> Actor:
    """Return the current actor; work outside any channel counts as the shell."""
    if has_app_context() and "erp_actor" in g:
        return g.erp_actor
    return _process_actor.get() or Actor(channel="shell")


def with_user(actor: Actor, user) -> Actor:
    """Return actor with user (a User or None) filled in."""
    if user is None:
        return replace(actor, user_id=None, username=None)
    return replace(actor, user_id=user.id, username=user.username)
