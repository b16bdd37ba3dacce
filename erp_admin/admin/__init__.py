"""The Flask-Admin panel at /admin/."""
from flask import Flask


def init_app(app: Flask) -> None:
    """Build the panel and its views for app."""
