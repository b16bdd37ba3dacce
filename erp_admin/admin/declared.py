"""The panel's views derived from the resource declarations: one view per resource, a custom class only where registered.

A declaration's panel part (resources.Panel) names columns, labels, sort,
filters, inline edits and form fields only where they differ from the
defaults derived here; a custom view class (products' Adjust stock, users'
passwords, the read-only ledgers) adds behaviour, and whatever it sets
itself wins over what is derived.
"""
from __future__ import annotations

from datetime import datetime

from flask_admin.contrib.sqla.filters import (
    BooleanEqualFilter, DateTimeBetweenFilter, DateTimeEqualFilter, DateTimeGreaterFilter, DateTimeSmallerFilter,
    FilterEmpty, FilterEqual, FilterLike, IntEqualFilter, IntGreaterFilter, IntSmallerFilter,
)
from flask_admin.form import BaseForm
from sqlalchemy import inspect
from wtforms import StringField, TextAreaField

from erp_admin.admin.csv_views import CSV_ENDPOINT_VERBS, CsvViewMixin
from erp_admin.admin.formatting import when
from erp_admin.admin.records import RecordView, to_int, version_field
from erp_admin.extensions import db
from erp_admin.resources import Resource

# Text fields allowing more characters than this get a text area (an address, a description).
LONG_TEXT = 200
# A panel filter operation -> the Flask-Admin filter for the column's Python type (None: any type).
FILTERS = {
    "equal": {str: FilterEqual, int: IntEqualFilter, bool: BooleanEqualFilter, datetime: DateTimeEqualFilter},
    "like": {str: FilterLike},
    "empty": {None: FilterEmpty},
    "greater": {int: IntGreaterFilter, datetime: DateTimeGreaterFilter},
    "smaller": {int: IntSmallerFilter, datetime: DateTimeSmallerFilter},
    "between": {datetime: DateTimeBetweenFilter},
}


def label(declaration: Resource, name: str) -> str:
    """The panel's name for a field: the declared label, else the field name as words ("Reorder level")."""
    return declaration.panel.labels.get(name) or name.replace("_", " ").capitalize()


def python_type(model, name: str) -> type | None:
    """The Python type of model's column name (None for anything that is no plain column)."""
    column = inspect(model).columns.get(name)
    if column is None:
        return None
    try:
        # A TypeDecorator (UTCDateTime) does not say; the type it decorates does.
        return getattr(column.type, "impl_instance", column.type).python_type
    except NotImplementedError:
        return None


def panel_filter(declaration: Resource, name: str, operation: str):
    """The Flask-Admin filter for one (column, operation) pair of a panel's filter spec."""
    kinds = FILTERS[operation]
    kind = kinds.get(python_type(declaration.model, name), kinds.get(None))
    if kind is None:
        raise ValueError(f"resource {declaration.name!r}: no {operation!r} filter for column {name!r}")
    allowed = declaration.filters.get(name)
    options = [(value, value) for value in allowed] if isinstance(allowed, tuple) else None
    return kind(getattr(declaration.model, name), label(declaration, name), options=options)


def is_long_text(declaration: Resource, name: str) -> bool:
    """True for a free-text field allowing more than LONG_TEXT characters (not an email address or such)."""
    schema = declaration.schema.adapter(name).json_schema()
    for shape in [schema, *schema.get("anyOf", ())]:
        if shape.get("type") == "string" and "format" not in shape and shape.get("maxLength", 0) > LONG_TEXT:
            return True
    return False


def form_classes(declaration: Resource) -> tuple[type, type]:
    """The create form and the edit form (the same fields plus the version it was opened with)."""
    names = declaration.panel.form or tuple(declaration.schema.model_fields)
    fields = {
        name: (TextAreaField if is_long_text(declaration, name) else StringField)(label(declaration, name))
        for name in names
    }
    # Through WTForms' metaclass (not type()), so each form class collects its own fields.
    form_type = type(BaseForm)
    create = form_type(f"{declaration.component}Form", (BaseForm,), fields)
    edit = form_type(f"{declaration.component}EditForm", (create,), {"version": version_field()})
    return create, edit


def _when(view, context, model, name):
    return when(getattr(model, name))


def derived_attributes(declaration: Resource) -> dict:
    """The Flask-Admin attributes of a view of declaration, each from the declaration or its default."""
    panel = declaration.panel
    columns = panel.columns or tuple(f for f in declaration.fields if f not in ("id", "version"))
    details = panel.details or declaration.fields
    formatters = {name: _when for name in dict.fromkeys(columns + details)
                  if python_type(declaration.model, name) is datetime}
    attributes = {
        "resource": declaration.name,
        "column_list": columns,
        "column_details_list": details,
        "column_labels": dict(panel.labels),
        "column_searchable_list": declaration.search,
        # Only the declaration's sortable fields: they are the indexed ones.
        "column_sortable_list": tuple(c for c in columns if c in declaration.sortable),
        "column_default_sort": panel.sort,
        "column_filters": tuple(panel_filter(declaration, n, op) for n, op in panel.filters) or None,
        "named_filter_urls": True,
        "column_formatters": formatters,
        "column_formatters_detail": formatters,
        "column_editable_list": panel.editable,
        "converters": {name: to_int for name in declaration.integer_fields},
    }
    if declaration.schema is not None:
        attributes["create_form_class"], attributes["edit_form_class"] = form_classes(declaration)
    return attributes


class DeclaredView(RecordView):
    """A RecordView whose forms come from its declaration (derived_attributes sets them)."""

    create_form_class: type[BaseForm] | None = None  # None (a read-only resource): Flask-Admin's own
    edit_form_class: type[BaseForm] | None = None
    defaults: dict = {}

    def get_create_form(self):
        return self.create_form_class or super().get_create_form()

    def get_edit_form(self):
        return self.edit_form_class or super().get_edit_form()

    def omit_when_blank(self, name: str, creating: bool) -> bool:
        # A blank field means "no value", except on create where the field has a default of its own.
        return creating and self.defaults.get(name) is not None


def view_class(declaration: Resource, custom: type[RecordView] | None = None) -> type[RecordView]:
    """The view class of declaration: DeclaredView (with Import/Export when it has an import key) or custom.

    What custom sets itself (below RecordView) stays; everything else is derived from the declaration.
    """
    attributes = derived_attributes(declaration)
    if custom is not None:
        own = {name for cls in custom.__mro__ if cls not in RecordView.__mro__ for name in vars(cls)}
        attributes = {name: value for name, value in attributes.items() if name not in own}
        return type(custom.__name__, (custom,), {"__module__": custom.__module__, **attributes})
    bases: tuple[type, ...] = (DeclaredView,)
    if declaration.import_key is not None and declaration.schema is not None:
        bases = (CsvViewMixin, DeclaredView)
        attributes["extra_endpoint_verbs"] = CSV_ENDPOINT_VERBS
    if declaration.schema is not None:
        attributes["defaults"] = declaration.schema.defaults()
    return type(f"{declaration.component}View", bases, {"__module__": __name__, **attributes})


def view_for(declaration: Resource, custom: type[RecordView] | None = None) -> RecordView:
    """The panel view of declaration, under its endpoint (the resource name), menu label and URL."""
    panel = declaration.panel
    return view_class(declaration, custom)(
        declaration.model, db,
        name=panel.label or declaration.name.replace("_", " ").title(),
        endpoint=declaration.name,
        url=panel.url or declaration.name.replace("_", "-"),
    )
