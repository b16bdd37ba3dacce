"""Customers in the panel: list, search, filters, and forms through the services."""
from __future__ import annotations

from flask_admin.contrib.sqla.filters import FilterEmpty, FilterEqual, FilterLike
from flask_admin.form import BaseForm
from wtforms import StringField, TextAreaField

from erp_admin.admin.csv_views import CSV_ENDPOINT_VERBS, CsvViewMixin
from erp_admin.admin.formatting import when
from erp_admin.admin.records import RecordView, version_field
from erp_admin.models import Customer


class CustomerForm(BaseForm):
    name = StringField("Name")
    email = StringField("Email")
    phone = StringField("Phone")
    company = StringField("Company")
    address = TextAreaField("Address")


class CustomerEditForm(CustomerForm):
    version = version_field()


class CustomerView(CsvViewMixin, RecordView):
    resource = "customers"
    extra_endpoint_verbs = CSV_ENDPOINT_VERBS

    column_list = ("name", "email", "phone", "company", "updated_at")
    column_details_list = ("id", "name", "email", "phone", "company", "address", "created_at", "updated_at", "version")
    column_labels = {"updated_at": "Updated"}
    column_searchable_list = ("name", "email", "company")
    column_sortable_list = ("name", "email", "company", "updated_at")
    column_default_sort = ("name", False)
    column_filters = (
        FilterEqual(Customer.company, "Company"),
        FilterLike(Customer.company, "Company"),
        FilterEmpty(Customer.phone, "Phone"),
    )
    named_filter_urls = True
    column_formatters = {
        "updated_at": lambda v, c, m, n: when(m.updated_at),
        "created_at": lambda v, c, m, n: when(m.created_at),
    }
    column_formatters_detail = column_formatters
    column_editable_list = ("name", "phone", "company")

    def get_create_form(self):
        return CustomerForm

    def get_edit_form(self):
        return CustomerEditForm

    def omit_when_blank(self, name: str, creating: bool) -> bool:
        # A blank optional field means "no value" on create and on edit alike.
        return False
