"""The JSON API blueprint at /api."""
from flask import Flask


def init_app(app: Flask) -> None:
    """Register the API blueprint and its error handling on app."""
