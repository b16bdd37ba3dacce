"""The audit trail: who changed what, when and through which channel."""
from flask import Flask


def init_app(app: Flask) -> None:
    """Register the audit trail's hooks on app."""
