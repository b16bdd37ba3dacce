"""Read-only panel lists: the stock movements ledger and the audit log."""
from __future__ import annotations

from flask import url_for
from flask_admin.contrib.sqla.filters import (
    DateTimeBetweenFilter, FilterEqual, FilterLike, IntEqualFilter, IntGreaterFilter, IntSmallerFilter,
)
from markupsafe import Markup

from erp_admin.admin.formatting import changes, signed, when
from erp_admin.admin.records import RecordView
from erp_admin.models import AuditEntry, StockMovement
from erp_admin.models.audit import ACTIONS, CHANNELS
from erp_admin.resources import audited_entities


def _product_link(view, context, model, name):
    if model.product_id is None:
        return Markup("{} <small class=\"text-muted\">(deleted)</small>").format(model.product_name)
    return Markup('<a href="{}">{}</a>').format(url_for("products.details_view", id=model.product_id), model.product_name)


class ReadOnlyView(RecordView):
    """A list with details and filters; the role matrix grants nothing but read here."""

    column_editable_list = ()


class StockMovementView(ReadOnlyView):
    resource = "movements"

    # Columns, labels and sort: its declaration. The panel searches more than the API's q.
    column_searchable_list = ("sku", "product_name", "reason")
    column_sortable_list = ("created_at",)  # indexed; the ledger grows without bound
    column_filters = (
        FilterEqual(StockMovement.sku, "SKU"),
        FilterLike(StockMovement.reason, "Reason"),
        FilterEqual(StockMovement.username, "User"),
        IntGreaterFilter(StockMovement.delta, "Change"),
        IntSmallerFilter(StockMovement.delta, "Change"),
        DateTimeBetweenFilter(StockMovement.created_at, "When"),
    )
    named_filter_urls = True
    column_formatters = {
        "created_at": lambda v, c, m, n: when(m.created_at),
        "delta": lambda v, c, m, n: signed(m.delta),
        "product_name": _product_link,
    }
    column_formatters_detail = column_formatters


class AuditLogView(ReadOnlyView):
    resource = "audit_log"

    # Columns, labels and sort: its declaration.
    column_searchable_list = ("username", "entity")
    column_sortable_list = ("at", "username", "action")  # indexed
    column_filters = (
        FilterEqual(AuditEntry.action, "Action", options=[(a, a) for a in ACTIONS]),
        FilterEqual(AuditEntry.entity, "Entity", options=[(e, e) for e in audited_entities()]),
        FilterEqual(AuditEntry.channel, "Channel", options=[(c, c) for c in CHANNELS]),
        FilterEqual(AuditEntry.username, "User"),
        IntEqualFilter(AuditEntry.entity_id, "Id"),
        DateTimeBetweenFilter(AuditEntry.at, "When"),
    )
    named_filter_urls = True
    column_formatters = {
        "at": lambda v, c, m, n: when(m.at),
        "changes": lambda v, c, m, n: changes(m.changes),
    }
    column_formatters_detail = column_formatters
