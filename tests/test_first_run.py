"""First run: migrate, seed an empty database, say where everything is; never seed or migrate by itself in production."""
import os
import queue
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from erp_admin import create_app
from erp_admin.extensions import db
from erp_admin.first_run import flask_run_url, prepare_dev_server
from erp_admin.models import Customer, Product, User
from tests import conftest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STRONG = {"ERP_SECRET_KEY": "s" * 40, "ERP_JWT_SECRET_KEY": "j" * 40}


def _counts(app):
    with app.app_context():
        return [db.session.scalar(select(func.count()).select_from(m)) for m in (User, Product, Customer)]


def _env(instance: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ERP_", "FLASK_", "WERKZEUG_")) and k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(ERP_INSTANCE_PATH=str(instance), PYTHONUNBUFFERED="1", **extra)
    return env


def _users_in(db_file: Path) -> int:
    conn = sqlite3.connect(db_file)
    try:
        return conn.execute("SELECT count(*) FROM users").fetchone()[0]
    finally:
        conn.close()


def test_empty_database_is_seeded_and_the_way_in_printed(app, capsys):
    prepare_dev_server(app, "http://127.0.0.1:8000")
    out = capsys.readouterr().out
    assert _counts(app) == [3, 4, 3]
    assert "Admin panel : http://127.0.0.1:8000/admin/" in out
    assert "API docs    : http://127.0.0.1:8000/api/docs" in out
    assert "Demo data loaded" in out
    assert "admin / admin123   manager / manager123   johndoe / password123" in out


def test_a_database_with_data_is_not_seeded(app, make_user, capsys):
    make_user("someone")
    prepare_dev_server(app, "http://127.0.0.1:8000")
    out = capsys.readouterr().out
    assert _counts(app) == [1, 0, 0]
    assert "http://127.0.0.1:8000/admin/" in out and "Demo data loaded" not in out


def test_production_never_seeds(database_url, instance_path, capsys):
    app = create_app(conftest.test_config(database_url, instance_path, ENV="production",
                                          ARGON2_TIME_COST=2, ARGON2_MEMORY_COST=19456))
    try:
        prepare_dev_server(app, "http://127.0.0.1:8000")
        assert _counts(app) == [0, 0, 0]
        assert capsys.readouterr().out == ""
    finally:
        conftest.empty_database(app)  # also closes this app's connections


@pytest.mark.parametrize("argv, environ, url", [
    (["flask", "--app", "wsgi", "run"], {}, "http://127.0.0.1:5000"),
    (["flask", "--app", "wsgi", "run", "--port", "9000", "--host", "0.0.0.0"], {}, "http://0.0.0.0:9000"),
    (["flask", "--app", "wsgi", "run", "-p", "9001"], {}, "http://127.0.0.1:9001"),
    (["flask", "--app", "wsgi", "run", "--port=9002"], {}, "http://127.0.0.1:9002"),
    (["flask", "--app", "wsgi", "run"], {"FLASK_RUN_PORT": "7000"}, "http://127.0.0.1:7000"),
    (["flask", "--app", "wsgi", "shell"], {}, None),
    (["flask", "--app", "wsgi", "erp", "seed"], {}, None),
])
def test_flask_run_url(argv, environ, url):
    assert flask_run_url(argv, environ) == url


def test_auto_migrate_creates_the_sqlite_file_on_first_run(tmp_path):
    config = conftest.test_config(None, str(tmp_path), AUTO_MIGRATE=None)
    app = create_app(config)
    assert app.config["AUTO_MIGRATE"] is True
    assert _users_in(tmp_path / "erp_admin.db") == 0  # the schema is there, and empty


def test_production_never_auto_migrates(tmp_path):
    config = conftest.test_config(None, str(tmp_path), AUTO_MIGRATE=None, ENV="production",
                                  ARGON2_TIME_COST=2, ARGON2_MEMORY_COST=19456)
    app = create_app(config)
    assert app.config["AUTO_MIGRATE"] is False
    assert not (tmp_path / "erp_admin.db").exists()


@pytest.mark.slow  # the app in a fresh process
def test_the_app_as_gunicorn_loads_it_migrates_in_development_but_never_seeds(tmp_path):
    result = subprocess.run([sys.executable, "-c", "import wsgi; print(wsgi.app.name)"], cwd=PROJECT_ROOT,
                            env=_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "erp_admin\n"
    assert _users_in(tmp_path / "erp_admin.db") == 0


@pytest.mark.slow  # the app in a fresh process
def test_the_app_as_gunicorn_loads_it_in_production_does_not_migrate(tmp_path):
    result = subprocess.run([sys.executable, "-c", "import wsgi; print(wsgi.app.config['ENV'])"], cwd=PROJECT_ROOT,
                            env=_env(tmp_path, ERP_ENV="production", **STRONG), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "production\n"
    assert not (tmp_path / "erp_admin.db").exists()


@pytest.mark.slow  # the app in a fresh process
def test_other_flask_commands_do_not_seed(tmp_path):
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "erp", "init-db"], cwd=PROJECT_ROOT,
                            env=_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Admin panel" not in result.stdout
    assert _users_in(tmp_path / "erp_admin.db") == 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow  # the app in a fresh process
def test_flask_run_on_a_fresh_clone_migrates_seeds_and_greets(tmp_path):
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "run", "--port", str(port)],
                            cwd=PROJECT_ROOT, env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True)
    reader.start()
    seen = []
    try:
        deadline = time.monotonic() + 60
        while not any("admin / admin123" in line for line in seen) and time.monotonic() < deadline:
            try:
                seen.append(lines.get(timeout=1))
            except queue.Empty:
                assert proc.poll() is None, "".join(seen)
    finally:
        proc.terminate()
        proc.wait(10)
        reader.join(10)
        proc.stdout.close()
    out = "".join(seen)
    assert f"Admin panel : http://127.0.0.1:{port}/admin/" in out
    assert f"API docs    : http://127.0.0.1:{port}/api/docs" in out
    assert "Demo data loaded" in out
    assert _users_in(tmp_path / "erp_admin.db") == 3
