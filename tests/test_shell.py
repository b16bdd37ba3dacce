"""`flask shell` opens with db, select and every model, and its work is audited as channel shell."""
from flask.cli import shell_command
from sqlalchemy import select

from erp_admin import models
from erp_admin.audit.context import Actor, get_actor, set_actor
from erp_admin.extensions import db

MODEL_NAMES = [name for name in models.__all__ if name not in ("Base", "ROLES")]


def test_shell_context_has_db_select_and_every_model(app):
    with app.app_context():
        context = app.make_shell_context()
    assert context["db"] is db
    assert context["select"] is select
    for name in MODEL_NAMES:
        assert context[name] is getattr(models, name)
    assert {"Product", "Customer", "User", "StockMovement", "AuditEntry"} <= set(context)


def test_shell_context_sets_channel_shell(app):
    set_actor(Actor(channel="cli", username="someone"))
    with app.app_context():
        app.make_shell_context()
    assert get_actor() == Actor(channel="shell")


def test_flask_shell_runs_queries_with_the_context(app, runner, make_user):
    make_user("ada")
    code = "print(sorted(db.session.scalars(select(User.username))))\n"
    result = runner.invoke(shell_command, input=code)
    assert result.exit_code == 0, result.output
    assert "['ada']" in result.output
