"""The factory builds an app bound to the test database."""
from erp_admin.extensions import db


def test_app_uses_the_requested_database(app, database_url):
    with app.app_context():
        assert db.engine.url.render_as_string(hide_password=False) == database_url.replace("postgresql://", "postgresql+psycopg://")


def test_make_user_creates_active_user(app, make_user):
    user = make_user("manager")
    assert user.role == "manager" and user.is_active
