"""`flask erp init-db` and `flask erp seed`."""
import pytest
from sqlalchemy import func, select

from erp_admin import create_app
from erp_admin.auth.passwords import verify_password
from erp_admin.extensions import db
from erp_admin.models import Customer, Product, User
from tests import conftest


def _counts(app):
    with app.app_context():
        return [db.session.scalar(select(func.count()).select_from(m)) for m in (User, Product, Customer)]


def test_init_db_on_an_up_to_date_database(runner):
    result = runner.invoke(args=["erp", "init-db"])
    assert result.exit_code == 0, result.output
    assert "Database is up to date" in result.output


def test_init_db_creates_a_new_database(tmp_path):
    app = create_app(conftest.test_config(f"sqlite:///{tmp_path / 'new.db'}", str(tmp_path)))
    result = app.test_cli_runner().invoke(args=["erp", "init-db"])
    assert result.exit_code == 0, result.output
    assert "Database migrated to the newest schema" in result.output
    assert (tmp_path / "new.db").exists()


def test_seed_loads_the_demo_data_once(app, runner):
    result = runner.invoke(args=["erp", "seed"])
    assert result.exit_code == 0, result.output
    assert "Demo data: 3 users, 4 products, 3 customers added" in result.output
    assert _counts(app) == [3, 4, 3]
    with app.app_context():
        users = {u.username: u for u in db.session.scalars(select(User))}
        assert {name: u.role for name, u in users.items()} == {"admin": "admin", "manager": "manager", "johndoe": "user"}
        assert verify_password(users["admin"].password_hash, "admin123")[0]
        assert verify_password(users["johndoe"].password_hash, "password123")[0]
    again = runner.invoke(args=["erp", "seed"])
    assert again.exit_code == 0
    assert "Demo data: 0 users, 0 products, 0 customers added" in again.output
    assert _counts(app) == [3, 4, 3]


def test_seed_is_refused_in_production(database_url, instance_path):
    app = create_app(conftest.test_config(database_url, instance_path, ENV="production",
                                          ARGON2_TIME_COST=2, ARGON2_MEMORY_COST=19456))
    try:
        result = app.test_cli_runner().invoke(args=["erp", "seed"])
        assert result.exit_code == 1
        assert result.output == "Error: Demo data (with well-known passwords) is never loaded in production.\n"
        assert _counts(app) == [0, 0, 0]
    finally:
        conftest.empty_database(app)


@pytest.mark.parametrize("command", ["init-db", "seed", "create-user", "set-password", "deactivate-user", "import-legacy"])
def test_every_command_has_help(runner, command):
    result = runner.invoke(args=["erp", command, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output and len(result.output.splitlines()) > 3
