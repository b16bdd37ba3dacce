"""Validation rules and JSON shapes of every resource: defined once, used by API, panel, CSV and CLI."""
from erp_admin.schemas.base import READ_ONLY_FIELDS, RecordSchema, ValidationFailed, validate_record
from erp_admin.schemas.customer import CUSTOMER_FIELDS, CustomerSchema, serialize_customer
from erp_admin.schemas.product import PRODUCT_FIELDS, ProductSchema, serialize_product
from erp_admin.schemas.user import SECURITY_FIELDS, USER_FIELDS, UserSchema, serialize_user

__all__ = [
    "CUSTOMER_FIELDS", "CustomerSchema", "PRODUCT_FIELDS", "ProductSchema", "READ_ONLY_FIELDS",
    "RecordSchema", "SECURITY_FIELDS", "USER_FIELDS", "UserSchema", "ValidationFailed",
    "serialize_customer", "serialize_product", "serialize_user", "validate_record",
]
