"""Products in the panel: searchable list with a low-stock badge, forms through the services, stock adjustment."""
from __future__ import annotations

from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_admin.contrib.sqla.filters import BaseSQLAFilter, FilterEqual, FilterLike
from flask_admin.form import BaseForm
from flask_admin.model import filters as base_filters
from flask_login import current_user
from markupsafe import Markup
from wtforms import StringField, TextAreaField

from erp_admin.admin.csv_views import CSV_ENDPOINT_VERBS, CsvViewMixin
from erp_admin.admin.formatting import money, when
from erp_admin.admin.errors import answer
from erp_admin.admin.records import RecordView, badge, to_int, version_field
from erp_admin.admin.security import allowed, return_target
from erp_admin.admin.widgets import FastEndpointRowAction
from erp_admin.inventory.stock import adjust_stock
from erp_admin.models import Product
from erp_admin.models.product import is_low_stock
from erp_admin.errors import ServiceError
from erp_admin.services.transactions import run_in_transaction


class LowStockFilter(BaseSQLAFilter, base_filters.BaseBooleanFilter):
    """Low stock: quantity at or below the reorder level."""

    def apply(self, query, value, alias=None):
        low = Product.low_stock
        return query.filter(low if value == "1" else ~low)

    def operation(self):
        return "is"


class ProductCreateForm(BaseForm):
    sku = StringField("SKU", description="Leave empty to have one generated (e.g. P-000123).")
    name = StringField("Name")
    description = TextAreaField("Description")
    category = StringField("Category")
    price = StringField("Price", description="At most 2 decimal places.")
    quantity = StringField("Quantity", description="Stock on hand at creation.")
    reorder_level = StringField("Reorder level", description="Low stock at or below this quantity.")


class ProductEditForm(BaseForm):
    # Stock changes after creation go through "Adjust stock", with a reason in the ledger.
    sku = StringField("SKU")
    name = StringField("Name")
    description = TextAreaField("Description")
    category = StringField("Category")
    price = StringField("Price", description="At most 2 decimal places.")
    reorder_level = StringField("Reorder level", description="Low stock at or below this quantity.")
    version = version_field()


class AdjustStockForm(BaseForm):
    delta = StringField("Change (delta)", description="Positive to add stock, negative to remove it.")
    reason = StringField("Reason", description="Shown in the stock ledger, e.g. 'delivery', 'count correction'.")


def _quantity(view, context, model, name):
    if is_low_stock(model.quantity, model.reorder_level):
        return Markup("{} {}").format(model.quantity, badge("Low stock", "warning"))
    return model.quantity


class ProductView(CsvViewMixin, RecordView):
    resource = "products"
    extra_endpoint_verbs = {"adjust_view": "adjust_stock", **CSV_ENDPOINT_VERBS}

    # Columns, labels, sort and inline edits: its declaration (resources/catalog.py).
    # Only indexed columns sort, so a sorted page of a huge table stays an index scan.
    column_sortable_list = ("sku", "name", "category", "price", "quantity", "updated_at")
    column_filters = (
        FilterEqual(Product.category, "Category"),
        FilterLike(Product.category, "Category"),
        LowStockFilter(Product.quantity, "Low stock"),
    )
    named_filter_urls = True
    column_formatters = {
        "price": lambda v, c, m, n: money(m.price),
        "quantity": _quantity,
        "updated_at": lambda v, c, m, n: when(m.updated_at),
        "created_at": lambda v, c, m, n: when(m.created_at),
    }
    column_formatters_detail = {
        "price": lambda v, c, m, n: money(m.price),
        "quantity": _quantity,
        "updated_at": lambda v, c, m, n: when(m.updated_at),
        "created_at": lambda v, c, m, n: when(m.created_at),
    }
    converters = {"price": str, "quantity": to_int, "reorder_level": to_int}

    def get_create_form(self):
        return ProductCreateForm

    def get_edit_form(self):
        return ProductEditForm

    def get_list_row_actions(self):
        actions = super().get_list_row_actions()
        if allowed(self.resource, "adjust_stock"):
            actions.append(FastEndpointRowAction(".adjust_view", "fa fa-exchange", "Adjust stock",
                                                 return_to_full_path=True))
        return actions

    @expose("/adjust/", methods=("GET", "POST"))
    def adjust_view(self):
        """Add or remove stock with a reason, through the same rule as the API."""
        return_url = return_target() or self.get_url(".index_view")
        product = self.get_one(request.args.get("id", ""))
        if product is None:
            abort(404)
        form = AdjustStockForm(request.form if request.method == "POST" else None)
        status, headers = 200, {}
        if request.method == "POST":
            user, product_id = current_user._get_current_object(), product.id
            delta, reason = to_int(form.delta.data or ""), form.reason.data or ""
            try:
                # One unit, retried on a serialization failure or a busy database (503 if it stays busy).
                product = run_in_transaction(lambda: adjust_stock(product_id, delta, reason, user=user))
            except ServiceError as exc:  # 422 bad input, 409 below zero, 503 when the database stayed busy
                status, headers = answer(exc, form, field="delta")
            else:
                flash(Markup("Stock of <strong>{}</strong> is now {}.").format(product.name, product.quantity), "success")
                return redirect(return_url)
        page = self.render("admin/erp/adjust_stock.html", form=form, product=product, return_url=return_url)
        return page, status, headers
