"""Users in the panel: admins edit, managers read; passwords are hashed by the services and never shown."""
from __future__ import annotations

from flask_admin.contrib.sqla.filters import BooleanEqualFilter, FilterEqual
from flask_admin.form import BaseForm
from wtforms import BooleanField, PasswordField, SelectChoice, SelectField, StringField

from erp_admin.admin.formatting import when
from erp_admin.admin.records import RecordView, badge, version_field
from erp_admin.models import ROLES, User

ROLE_CHOICES = [(role, role.capitalize()) for role in ROLES]


class UserCreateForm(BaseForm):
    username = StringField("Username")
    email = StringField("Email")
    full_name = StringField("Full name")
    role = SelectField("Role", choices=[SelectChoice(value, label) for value, label in ROLE_CHOICES], default="user")
    is_active = BooleanField("Active", default=True)
    # PasswordField never renders its value back into the page.
    password = PasswordField("Password", description="At least 8 characters.")


class UserEditForm(UserCreateForm):
    password = PasswordField("New password", description="Leave empty to keep the current password.")
    version = version_field()


def _active(view, context, model, name):
    return badge("active", "success") if model.is_active else badge("inactive", "secondary")


class UserView(RecordView):
    resource = "users"

    # Columns (never password_hash or token_version), labels, sort, inline edits: its declaration.
    column_filters = (
        FilterEqual(User.role, "Role", options=ROLE_CHOICES),
        BooleanEqualFilter(User.is_active, "Active"),
    )
    named_filter_urls = True
    column_formatters = {
        "is_active": _active,
        "last_login_at": lambda v, c, m, n: when(m.last_login_at),
        "created_at": lambda v, c, m, n: when(m.created_at),
    }
    column_formatters_detail = column_formatters
    # Browsers must not fill in the signed-in admin's own password here.
    form_widget_args = {"password": {"autocomplete": "new-password"}}

    def get_create_form(self):
        return UserCreateForm

    def get_edit_form(self):
        return UserEditForm

    def omit_when_blank(self, name: str, creating: bool) -> bool:
        # An empty password on edit keeps the old one; on create the schema says it is required.
        return name == "password"

    def on_form_prefill(self, form, id):
        form.password.data = ""
