"""A model view whose writes go through the service layer, with the API's validation and rules.

Forms here only collect text: `services.records` validates it (the same
rules as the API), and its errors are put back on the form's fields.
Edit forms carry the version the user saw; saving over a newer one is
refused ("changed meanwhile") and nothing is overwritten.
"""
from __future__ import annotations

import copy
import re
from functools import cache

from flask import current_app, flash, g, request
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla import ModelView
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import func, select
from wtforms import HiddenField

from erp_admin.admin.errors import answer
from erp_admin.extensions import db
from erp_admin.models.ranges import fits_column
from erp_admin.db.search import indexed_matches, search_clause
from erp_admin.errors import ServiceError
from erp_admin.resources import resource as declared_resource
from erp_admin.services.records import create_record, delete_record, update_record
from erp_admin.admin.security import SecuredModelMixin
from erp_admin.admin.widgets import FastXEditableWidget, fast_row_actions

INTEGER = re.compile(r"^\s*[+-]?\d{1,15}\s*$")


def to_int(value):
    """An integer for integer-looking text; anything else is passed on for the schema to reject."""
    if isinstance(value, str) and INTEGER.match(value):
        return int(value)
    return value


def link_args(args) -> dict:
    """The query arguments a panel link may carry over from args.

    Flask-Admin 2.2.1 passes a list's unknown query arguments on to url_for
    (view_args.extra_args, and our Export link): `endpoint=` or a route's own
    argument (`export_type=`) collide with url_for's parameters (a TypeError,
    a 500), and `_external=1` or `_scheme=` make links absolute from the Host header.
    """
    routes = {name for rule in current_app.url_map.iter_rules() for name in rule.arguments}
    return {name: value for name, value in args.items()
            if not name.startswith("_") and name not in ("endpoint", "self") and name not in routes}


class ColumnCheckedFilter:
    """A filter whose value must fit its column's type (see models.ranges); one that does not is invalid."""

    def validate(self, value) -> bool:
        if not super().validate(value):
            return False
        try:
            cleaned = self.clean(value)
        except (ValueError, TypeError, OverflowError):
            return False
        return fits_column(self.column, cleaned)


@cache
def _column_checked(cls: type) -> type:
    return type(cls.__name__, (ColumnCheckedFilter, cls), {"__module__": cls.__module__, "__doc__": cls.__doc__})


def column_checked(flt):
    """A copy of a Flask-Admin SQLAlchemy filter that refuses values its column cannot hold."""
    if isinstance(flt, ColumnCheckedFilter) or getattr(flt, "column", None) is None:
        return flt
    checked = copy.copy(flt)
    checked.__class__ = _column_checked(type(flt))
    return checked


def version_field():
    """The hidden field that carries the version the form was opened with."""
    return HiddenField("version")


class RecordView(SecuredModelMixin, ModelView):
    """List, create, edit and delete one resource through services.records."""

    # Flask-Admin's export loads everything into memory and writes formulas verbatim: it stays
    # off; importable views offer the shared streamed exporter instead (admin/csv_views.py).
    can_export = False
    can_view_details = True
    can_set_page_size = True
    page_size = 20
    page_size_options = (20, 50, 100)
    # The count is ours (capped, see get_list); Flask-Admin's own is a full count(*).
    simple_list_pager = True
    list_template = "admin/erp/list.html"
    edit_template = "admin/erp/edit.html"
    details_modal = False

    # Form field name -> converter applied before validation.
    converters: dict = {}

    def get_filters(self):
        # Every filter of every list checks its value against its column, so a huge
        # number is "Invalid Filter Value" (flashed, filter ignored) and never a 500.
        filters = super().get_filters()
        return [column_checked(flt) for flt in filters] if filters else filters

    def _get_list_extra_args(self):
        # Flask-Admin 2.2.1 internals: unknown query arguments go on to url_for; keep the harmless ones.
        view_args = super()._get_list_extra_args()
        view_args.extra_args = link_args(view_args.extra_args)
        return view_args

    def get_list_row_actions(self):
        # Flask-Admin's View / Edit / Delete, written without a macro per row (admin/widgets.py).
        return fast_row_actions(super().get_list_row_actions())

    def scaffold_list_form(self, widget=None, validators=None):
        # Flask-Admin's inline-edit form, with the same links rendered faster (see admin/widgets.py).
        return super().scaffold_list_form(widget or FastXEditableWidget(), validators)

    def form_data(self, form, *, creating: bool) -> dict:
        """The API-shaped record the form holds (only the schema's fields)."""
        fields = declared_resource(self.resource).schema.model_fields
        data = {}
        for field in form:
            if field.name not in fields:
                continue
            value = field.data
            if value is None:  # not sent at all: leave the stored value (or the default) alone
                continue
            if isinstance(value, str) and value.strip() == "" and self.omit_when_blank(field.name, creating):
                continue
            data[field.name] = self.converters.get(field.name, lambda v: v)(value)
        return data

    def omit_when_blank(self, name: str, creating: bool) -> bool:
        """A blank optional field on create means "use the default"."""
        return creating

    def _save(self, form, action):
        try:
            result = action()
            db.session.commit()
            return result
        except ServiceError as exc:
            # Inline edits have no form on screen: the message (listing the fields) is all the user sees.
            inline = (request.endpoint or "").endswith(".ajax_update")
            answer(exc, None if inline else form)
        return False

    def create_model(self, form):
        data = self.form_data(form, creating=True)
        model = self._save(form, lambda: create_record(self.resource, data, acting_user=self.acting_user()))
        if model:
            self.after_model_change(form, model, True)
        return model

    def update_model(self, form, model):
        data = self.form_data(form, creating=False)
        expected = None
        if hasattr(form, "version"):
            # Full edit form: the version it was opened with must come back with it.
            raw = request.form.get("version", "")
            if not raw.isdigit():
                flash("The form does not say which version of the record it edits; reload it and try again.", "error")
                return False
            expected = int(raw)
        ok = self._save(
            form, lambda: update_record(model, data, acting_user=self.acting_user(), expected_version=expected)
        )
        if ok:
            self.after_model_change(form, model, False)
            return True
        return False

    def delete_model(self, model):
        ok = self._save(None, lambda: delete_record(model, acting_user=self.acting_user()) or True)
        if ok:
            self.after_model_delete(model)
        return bool(ok)

    def record_id(self, text) -> int | None:
        """text as an id this model's id column can hold, else None (no such record can exist)."""
        # Ids arrive as text; PostgreSQL will not compare an integer column with text.
        text = str(text)
        if not text.isdigit() or len(text) > 20 or not fits_column(self.model.id, int(text)):
            return None
        return int(text)

    def get_one(self, id):
        record_id = self.record_id(id)
        return db.session.get(self.model, record_id) if record_id is not None else None

    @action("delete", "Delete", "Are you sure you want to delete the selected records?")
    def action_delete(self, ids):
        """Bulk delete, one record at a time through the services (so every rule applies)."""
        wanted = [i for i in map(self.record_id, ids) if i is not None]
        models = db.session.scalars(select(self.model).where(self.model.id.in_(wanted))).all() if wanted else []
        deleted = sum(1 for model in models if self.delete_model(model))
        if deleted:
            flash(f"{deleted} record{'s' if deleted != 1 else ''} deleted.", "success")

    @expose("/ajax/update/", methods=("POST",))
    def ajax_update(self):
        """Inline edit; Flask-Admin answers every failure with a 500, here they get their 4xx."""
        result = super().ajax_update()
        if isinstance(result, tuple) and len(result) == 2 and result[1] == 500:
            message = str(result[0])
            status = 404 if "does not exist" in message else g.get("panel_error_status", 400)
            return message, status
        return result

    @staticmethod
    def acting_user():
        return current_user._get_current_object() if current_user.is_authenticated else None

    # ---- lists: escaped search and a capped count ----------------------------------------

    def _apply_search(self, query, count_query, joins, count_joins, search):
        # The API's own search (db.search: literal, indexed where it can be); each word must match.
        for term in search.split():
            condition = search_clause(self.model, self.column_searchable_list, term, db.engine.dialect.name)
            query = query.filter(condition)
            if count_query is not None:
                count_query = count_query.filter(condition)
        return query, count_query, joins, count_joins

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        # ?page=-1 would become a negative OFFSET, which PostgreSQL rejects.
        page = min(max(page or 0, 0), 10_000_000)
        _, rows = super().get_list(page, sort_column, sort_desc, search, filters, execute=execute, page_size=page_size)
        return self.capped_count(search, filters), rows

    def capped_count(self, search, filters):
        """Exact number of matches up to PANEL_LIST_COUNT_CAP, else None (the simple pager).

        A full count(*) on every page of a huge table costs a scan each time;
        counting at most cap+1 rows costs a bounded amount however big it grows.
        """
        cap = current_app.config["PANEL_LIST_COUNT_CAP"]
        matches = self.indexed_search_only(search, filters)
        if matches is not None:  # one search word, no filter: count the index's matches alone
            limited = matches.limit(cap + 1).subquery()
        else:
            query = self.filtered_query(search, filters)
            limited = query.with_entities(self.model.id).order_by(None).limit(cap + 1).subquery()
        count = db.session.scalar(select(func.count()).select_from(limited))
        return count if count <= cap else None

    def indexed_search_only(self, search, filters):
        """The search index's matches for a one-word search without filters (None otherwise)."""
        terms = (search or "").split()
        if len(terms) != 1 or (filters and self._filters):
            return None
        return indexed_matches(self.model.__tablename__, self.column_searchable_list, terms[0], db.engine.dialect.name)

    def filtered_query(self, search, filters):
        """The list's query with its search and filters applied (no sort, no paging)."""
        query = self.get_query()
        joins, count_joins = {}, {}
        if self._search_supported and search:
            query, _, joins, count_joins = self._apply_search(query, None, joins, count_joins, search)
        if filters and self._filters:
            query, _, joins, count_joins = self._apply_filters(query, None, joins, count_joins, filters)
        return query

    def get_empty_list_message(self) -> str:
        return "Nothing here yet." if not request.args.get("search") else "No record matches your search."


def badge(text: str, kind: str) -> Markup:
    """A Bootstrap badge; text is escaped."""
    return Markup('<span class="badge badge-{}">{}</span>').format(kind, text)
