"""The panel's adapter for the error family: roll back, show the field errors on the form, flash, give the status."""
from __future__ import annotations

from flask import flash, g, request
from markupsafe import Markup

from erp_admin.errors import PreconditionFailed, ServiceError
from erp_admin.extensions import db

CORRECT_FIELDS = "Please correct the highlighted fields."
STALE_MESSAGE = Markup(
    "This record was changed by someone else since you opened it; nothing was saved. "
    '<a href="{}" class="alert-link">Reload it</a> and apply your change again.'
)


def put_errors_on_form(form, errors) -> list[str]:
    """Attach [{"field", "message"}] errors to the form's fields; return those no field shows."""
    leftover = []
    for error in errors:
        name = error.get("field")
        field = form._fields.get(name) if form is not None and name else None
        if field is not None:
            if not isinstance(field.errors, list):
                field.errors = list(field.errors)
            field.errors.append(error["message"])
        else:
            leftover.append(f"{name}: {error['message']}" if name else error["message"])
    return leftover


def answer(exc: ServiceError, form=None, *, field: str | None = None) -> tuple[int, dict[str, str]]:
    """Answer exc on a panel page; return the status and headers to re-render the page with.

    Rolls the session back; puts exc's field errors on form's fields (an
    error naming no field goes on field, when given) and flashes its
    message. A validation error's message only lists the field errors: with
    a form, those no field shows are flashed instead, then "Please correct
    the highlighted fields." if any is shown; without one (nothing on screen
    to mark, e.g. an inline edit) the message, listing them, is flashed.
    """
    db.session.rollback()
    errors = exc.field_errors or ([{"field": field, "message": exc.detail}] if field else [])
    leftover = put_errors_on_form(form, errors) if form is not None else []
    if isinstance(exc, PreconditionFailed):
        flash(STALE_MESSAGE.format(request.full_path), "error")
    elif exc.summary is None or form is None:
        flash(exc.detail, "error")
    else:
        for message in leftover:
            flash(message, "error")
        if len(leftover) < len(errors):
            flash(CORRECT_FIELDS, "error")
    # Flask-Admin re-renders its own create and edit forms (200); an inline edit answers with this status.
    g.panel_error_status = exc.status
    return exc.status, exc.headers
