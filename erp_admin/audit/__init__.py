"""The audit trail: who changed what, when and through which channel."""
from flask import Flask


def init_app(app: Flask) -> None:
    """Make sure the audit trail's write hooks are registered.

    They are SQLAlchemy session events registered on the Session class when
    the module is first imported (once per process), so they cover every
    session of every app; importing it again is a no-op.
    """
    from erp_admin.audit import trail  # noqa: F401
