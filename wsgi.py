"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi …`, or `python wsgi.py` for development."""
import os
import sys

from erp_admin import ConfigError, create_app

try:
    app = create_app()
except ConfigError as exc:
    sys.exit(f"ERP Admin refuses to start: {exc}")

if os.environ.get("FLASK_RUN_FROM_CLI") == "true":
    # `flask --app wsgi run`: demo data on an empty database, and where to go.
    # Other flask commands (and gunicorn, which never sets this) seed nothing.
    from erp_admin.first_run import flask_run_url, prepare_dev_server

    dev_url = flask_run_url(sys.argv, os.environ)
    # The reloader's child (WERKZEUG_RUN_MAIN) re-imports this file: greet once, in the parent.
    if dev_url is not None and os.environ.get("WERKZEUG_RUN_MAIN") != "true":
        prepare_dev_server(app, dev_url)

if __name__ == "__main__":
    from erp_admin.first_run import prepare_dev_server

    prepare_dev_server(app, "http://127.0.0.1:8000")
    app.run(host="127.0.0.1", port=8000)
