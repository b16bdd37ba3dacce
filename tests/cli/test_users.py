"""`flask erp create-user`, `set-password` and `deactivate-user`."""
import pytest
from sqlalchemy import select

from erp_admin.audit.context import get_actor
from erp_admin.auth.passwords import verify_password
from erp_admin.extensions import db
from erp_admin.models import AuditEntry, User


def _user(app, username):
    with app.app_context():
        return db.session.scalar(select(User).where(User.username == username))


def test_create_user_asks_for_the_password_twice(app, runner):
    result = runner.invoke(args=["erp", "create-user", "clerk", "--email", "Clerk@Example.com", "--role", "manager",
                                 "--full-name", "Clerk Kent"], input="s3cret-pass\ns3cret-pass\n")
    assert result.exit_code == 0, result.output
    assert result.output.count("Password") == 1 and "Repeat for confirmation" in result.output
    assert "s3cret-pass" not in result.output  # hidden input
    assert "Created manager 'clerk'" in result.output
    user = _user(app, "clerk")
    assert (user.email, user.role, user.full_name, user.is_active) == ("clerk@example.com", "manager", "Clerk Kent", True)
    assert user.password_hash.startswith("$argon2id$")
    with app.app_context():
        assert verify_password(user.password_hash, "s3cret-pass")[0]


def test_create_user_asks_again_when_the_passwords_differ(app, runner):
    result = runner.invoke(args=["erp", "create-user", "clerk", "--email", "clerk@example.com"],
                           input="first-pass1\nother-pass1\ns3cret-pass\ns3cret-pass\n")
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output
    with app.app_context():
        assert verify_password(_user(app, "clerk").password_hash, "s3cret-pass")[0]


@pytest.mark.parametrize("args, message", [
    (["clerk", "--email", "not-an-email", "--password", "s3cret-pass"], "Error: email: is not a valid email address"),
    (["clerk", "--email", "clerk@example.com", "--password", "short"], "Error: password: String should have at least 8 characters"),
    (["no spaces", "--email", "clerk@example.com", "--password", "s3cret-pass"], "Error: username: String should match pattern"),
    (["taken", "--email", "clerk@example.com", "--password", "s3cret-pass"], "Error: A user with this username already exists."),
    (["clerk", "--email", "TAKEN@example.com", "--password", "s3cret-pass"], "Error: A user with this email already exists."),
])
def test_create_user_validation_errors_are_clean_messages(app, runner, make_user, args, message):
    make_user("taken")
    result = runner.invoke(args=["erp", "create-user", *args])
    assert result.exit_code == 1
    assert result.output.startswith(message)
    assert "Traceback" not in result.output and len(result.output.splitlines()) == 1
    assert _user(app, "clerk") is None


def test_create_user_refuses_an_unknown_role(runner):
    result = runner.invoke(args=["erp", "create-user", "clerk", "--email", "c@example.com", "--role", "root",
                                 "--password", "s3cret-pass"])
    assert result.exit_code == 2 and "'root' is not one of" in result.output


def test_set_password_changes_it_and_revokes_tokens(app, runner, make_user):
    make_user("ada", password="old-password1")
    before = _user(app, "ada").token_version
    result = runner.invoke(args=["erp", "set-password", "ada"], input="new-password1\nnew-password1\n")
    assert result.exit_code == 0, result.output
    assert "existing tokens and sessions are revoked" in result.output
    user = _user(app, "ada")
    assert user.token_version == before + 1
    with app.app_context():
        assert verify_password(user.password_hash, "new-password1")[0]
        assert not verify_password(user.password_hash, "old-password1")[0]


def test_set_password_validates_and_names_unknown_users(app, runner, make_user):
    make_user("ada", password="old-password1")
    short = runner.invoke(args=["erp", "set-password", "ada", "--password", "short"])
    assert short.exit_code == 1 and short.output.startswith("Error: password: String should have at least 8")
    assert _user(app, "ada").token_version == 0
    unknown = runner.invoke(args=["erp", "set-password", "nobody", "--password", "long-enough-1"])
    assert unknown.exit_code == 1 and unknown.output == "Error: No user named 'nobody'.\n"


def test_deactivate_user(app, runner, make_user):
    make_user("admin")
    make_user("ada")
    result = runner.invoke(args=["erp", "deactivate-user", "ada"])
    assert result.exit_code == 0, result.output
    user = _user(app, "ada")
    assert user.is_active is False and user.token_version == 1
    again = runner.invoke(args=["erp", "deactivate-user", "ada"])
    assert again.exit_code == 0 and "already inactive" in again.output
    assert _user(app, "ada").token_version == 1


def test_the_last_active_admin_cannot_be_deactivated(app, runner, make_user):
    make_user("admin")
    result = runner.invoke(args=["erp", "deactivate-user", "admin"])
    assert result.exit_code == 1
    assert result.output == "Error: The last active admin cannot be deactivated or demoted.\n"
    assert _user(app, "admin").is_active is True


@pytest.mark.parametrize("args", [
    ["seed"],
    ["create-user", "clerk", "--email", "clerk@example.com", "--password", "s3cret-pass"],
    ["set-password", "admin", "--password", "s3cret-pass"],
    ["deactivate-user", "admin"],
])
def test_unknown_acting_user_is_an_error(app, runner, make_user, args):
    make_user("admin")
    result = runner.invoke(args=["erp", *args, "--user", "ghost"])
    assert result.exit_code == 2
    assert "Invalid value for --user: no user named 'ghost'" in result.output
    assert _user(app, "clerk") is None and _user(app, "admin").token_version == 0


def test_commands_run_as_channel_cli_with_the_acting_user(app, runner, make_user):
    make_user("admin")
    result = runner.invoke(args=["erp", "create-user", "clerk", "--email", "clerk@example.com",
                                 "--password", "s3cret-pass", "--user", "admin"])
    assert result.exit_code == 0, result.output
    anonymous = runner.invoke(args=["erp", "deactivate-user", "clerk"])
    assert anonymous.exit_code == 0
    with app.app_context():
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.entity == "user", AuditEntry.action.in_(["create", "update"]))
            .order_by(AuditEntry.id)
        ).all()
    trail = [(e.action, e.channel, e.username) for e in entries if e.changes.get("username") or "is_active" in e.changes]
    assert trail[-2:] == [("create", "cli", "admin"), ("update", "cli", None)]
    assert get_actor().channel == "shell"  # the CLI actor ends with each command
