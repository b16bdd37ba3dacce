"""Every table of ERP Admin, importable from one place."""
from erp_admin.models.audit import AuditEntry
from erp_admin.models.base import Base
from erp_admin.models.csv_import import ImportProgress, PendingUpload
from erp_admin.models.customer import Customer
from erp_admin.models.panel_session import PanelSession
from erp_admin.models.product import Product
from erp_admin.models.security import IdempotencyRecord, RevokedToken, ThrottleCounter
from erp_admin.models.stock import StockMovement
from erp_admin.models.user import ROLES, User

__all__ = [
    "AuditEntry",
    "Base",
    "Customer",
    "IdempotencyRecord",
    "ImportProgress",
    "PanelSession",
    "PendingUpload",
    "Product",
    "ROLES",
    "RevokedToken",
    "StockMovement",
    "ThrottleCounter",
    "User",
]
