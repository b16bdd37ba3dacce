"""The secured base of every panel view: each endpoint asks the role matrix before it runs.

Flask-Admin's own switches (can_create, can_edit, ...) only hide buttons and
some of them are not checked by every endpoint (`ajax/update` ignores
`can_edit`). Here every exposed endpoint maps to a verb of the role matrix
and `_handle_view` refuses it before Flask-Admin sees the request; the
switches are derived from the same matrix so buttons follow it too.
"""
from __future__ import annotations

from flask import has_request_context, render_template, request
from flask_admin import AdminIndexView
from flask_login import current_user
from werkzeug.datastructures import ImmutableMultiDict

from erp_admin.admin.login import safe_next
from erp_admin.auth.roles import can
from erp_admin.extensions import login_manager

# Flask-Admin endpoint (view function name) -> verb of the role matrix.
ENDPOINT_VERBS = {
    "index": "read",
    "index_view": "read",
    "details_view": "read",
    "ajax_lookup": "read",
    "create_view": "create",
    "edit_view": "update",
    "ajax_update": "update",
    "delete_view": "delete",
    "export": "export",
}
# Bulk actions -> verb. An action missing here is refused (fail closed).
ACTION_VERBS = {"delete": "delete"}
# The parameter that carries a view's return address. Flask-Admin 2.2.1's model views read it
# with flask_admin.helpers.get_redirect_target(param_name="url") (pinned by tests/admin/test_return_urls.py).
RETURN_PARAM = "url"


def current_role() -> str | None:
    """The signed-in user's role, or None for a visitor."""
    if not has_request_context() or not current_user.is_authenticated:
        return None
    return current_user.role


def allowed(resource: str, verb: str) -> bool:
    """True when the signed-in user may perform verb on resource."""
    return can(current_role(), resource, verb)


def return_target() -> str | None:
    """The request's return address when it is a path on this site (the login's safe_next), else None."""
    return safe_next(request.values.get(RETURN_PARAM))


def drop_off_site_return_address() -> None:
    """Take a return address that is not a path on this site out of the request.

    Flask-Admin's views read `url=` themselves (after a save, on cancel, for a
    missing record) and its own check lets `http:evil.example` through; with the
    value gone, every view falls back to its list, as the login falls back to home.
    """
    cleaned = False
    for source in ("args", "form"):
        params = getattr(request, source)
        if any(safe_next(value) is None for value in params.getlist(RETURN_PARAM)):
            kept = [(key, value) for key, value in params.items(multi=True) if key != RETURN_PARAM]
            setattr(request, source, ImmutableMultiDict(kept))  # werkzeug's cached properties are settable
            cleaned = True
    if cleaned:
        request.__dict__.pop("values", None)  # rebuilt from the cleaned args and form when next read


def forbidden(view=None):
    """A friendly 403 page (with the menu the user may see) for signed-in users the matrix turns away."""
    if view is not None:
        return view.render("admin/erp/forbidden.html"), 403
    return render_template("panel_auth/forbidden.html"), 403


class SecuredViewMixin:
    """Role-matrix checks for a Flask-Admin view bound to one resource of the matrix."""

    resource: str = ""
    # Extra endpoints of a subclass -> verb, e.g. {"adjust_view": "adjust_stock"}.
    extra_endpoint_verbs: dict[str, str] = {}

    def allowed_verb(self, verb: str) -> bool:
        """For templates: may the signed-in user perform verb on this view's resource?"""
        return allowed(self.resource, verb)

    def is_accessible(self) -> bool:
        # Also decides the menu: an entry shows only to roles that may read.
        return allowed(self.resource, "read")

    def verb_for(self, name: str) -> str | None:
        """The matrix verb an endpoint needs; None means the endpoint is refused."""
        if name == "action_view":
            return ACTION_VERBS.get(request.form.get("action", ""))
        return self.extra_endpoint_verbs.get(name) or ENDPOINT_VERBS.get(name)

    def _handle_view(self, name, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        verb = self.verb_for(name)
        if verb is None or not allowed(self.resource, "read") or not allowed(self.resource, verb):
            return forbidden(self)
        drop_off_site_return_address()
        return None

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return forbidden(self)


class SecuredModelMixin(SecuredViewMixin):
    """Flask-Admin's can_* switches, read from the role matrix at request time."""

    @property
    def can_create(self) -> bool:
        return allowed(self.resource, "create")

    @property
    def can_edit(self) -> bool:
        return allowed(self.resource, "update")

    @property
    def can_delete(self) -> bool:
        return allowed(self.resource, "delete")

    def is_action_allowed(self, name: str) -> bool:
        verb = ACTION_VERBS.get(name)
        return verb is not None and allowed(self.resource, verb) and super().is_action_allowed(name)


class SecuredIndexView(SecuredViewMixin, AdminIndexView):
    """An AdminIndexView (the panel's home) under the same checks."""
