"""The panel's custom view classes, one module per area, for the resources whose panel needs more than its declaration."""
from __future__ import annotations


def custom_views() -> dict[str, type]:
    """Resource name -> the view class that adds behaviour to its derived view (admin/declared.py)."""
    from erp_admin.admin.views.ledger import AuditLogView, StockMovementView
    from erp_admin.admin.views.products import ProductView
    from erp_admin.admin.views.users import UserView

    return {"products": ProductView, "users": UserView, "movements": StockMovementView, "audit_log": AuditLogView}
