"""Customers under /api/customers: list (search name/email/company) and CRUD."""
from erp_admin.api.listing import ListSpec
from erp_admin.api.resources import ResourceAPI, register_resource
from erp_admin.models import Customer
from erp_admin.schemas import CustomerSchema, serialize_customer

CUSTOMERS = ResourceAPI(
    name="customers", model=Customer, schema=CustomerSchema, serialize=serialize_customer, component="Customer",
    list_spec=ListSpec(
        sort_fields={
            "id": Customer.id, "name": Customer.name, "email": Customer.email, "company": Customer.company,
            "created_at": Customer.created_at, "updated_at": Customer.updated_at,
        },
        search=(Customer.name, Customer.email, Customer.company),
        search_resource="customers",
        search_description="Case-insensitive substring of name, email or company (% and _ match themselves).",
        tiebreak=Customer.id,
    ),
)

register_resource(CUSTOMERS)
