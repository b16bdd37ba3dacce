"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi …`, or `python wsgi.py` for development."""
import os
import sys

from erp_admin import ConfigError, create_app

try:
    app = create_app()
except ConfigError as exc:
    sys.exit(f"ERP Admin refuses to start: {exc}")

if os.environ.get("FLASK_RUN_FROM_CLI") == "true" and sys.argv[1:2] == ["run"]:
    # `flask --app wsgi run`: demo data on an empty database, and where to go.
    from erp_admin.first_run import prepare_dev_server

    prepare_dev_server(app, "http://127.0.0.1:5000")

if __name__ == "__main__":
    from erp_admin.first_run import prepare_dev_server

    prepare_dev_server(app, "http://127.0.0.1:8000")
    app.run(host="127.0.0.1", port=8000)
