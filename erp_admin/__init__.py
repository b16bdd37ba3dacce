"""ERP Admin: the application factory.

create_app() wires configuration, extensions, the models, the JSON API, the
admin panel, error handling and the CLI. Nothing here runs at import time.
"""
from __future__ import annotations

import os

from flask import Flask

from erp_admin.config import ConfigError

__all__ = ["ConfigError", "create_app"]


def create_app(test_config: dict | None = None) -> Flask:
    """Build and return a configured ERP Admin application."""
    from erp_admin import admin, api, audit, cli, error_pages, inventory
    from erp_admin import resources  # noqa: F401  (declares the built-in resources)
    from erp_admin.db import engine as database
    from erp_admin.web import body_limits, json, observability, proxy
    from erp_admin.auth import sessions
    from erp_admin.cli.argv import flask_command
    from erp_admin.config import load_config
    from erp_admin.extensions import csrf
    from erp_admin.paths import INSTANCE_DIR, TEMPLATES_DIR

    # The instance folder can be moved (tests, containers); by default it is ./instance.
    instance_path = (test_config or {}).get("INSTANCE_PATH") or os.environ.get("ERP_INSTANCE_PATH") or INSTANCE_DIR
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True, template_folder=TEMPLATES_DIR)
    load_config(app, test_config)

    json.init_app(app)
    proxy.init_app(app)
    observability.init_app(app)
    body_limits.init_app(app)
    database.init_app(app)
    # `flask db …` manages the migrations by hand: upgrading first would undo a downgrade.
    if app.config["AUTO_MIGRATE"] and flask_command() != "db":
        database.upgrade_database(app)
    csrf.init_app(app)
    sessions.init_app(app)
    audit.init_app(app)
    inventory.init_app(app)
    api.init_app(app)
    admin.init_app(app)
    error_pages.init_app(app)
    cli.init_app(app)
    return app
