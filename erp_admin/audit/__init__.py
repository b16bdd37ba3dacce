"""The audit trail: who changed what, when and through which channel."""
from flask import Flask


def init_app(app: Flask) -> None:
    """Make sure the write hooks are registered: the audit trail and the stock ledger.

    Both are SQLAlchemy session events registered on the Session class when
    their modules are first imported (once per process), so they cover every
    session of every app; importing them again is a no-op.
    """
    from erp_admin.audit import trail  # noqa: F401
    from erp_admin.inventory import ledger  # noqa: F401
