"""Reading the flask command from argv before click does."""
import pytest

from erp_admin.cli.argv import command_args, flask_command


@pytest.mark.parametrize("argv, command, rest", [
    (["flask", "--app", "wsgi", "run"], "run", []),
    (["flask", "-A", "wsgi", "--debug", "run", "--port", "9000"], "run", ["--port", "9000"]),
    (["flask", "--app=wsgi", "db", "upgrade"], "db", ["upgrade"]),
    (["flask", "--env-file", ".env", "erp", "seed"], "erp", ["seed"]),
    (["flask", "--app", "wsgi"], None, []),
    (["flask", "--app", "run"], None, []),  # "run" here is the app's name, not the command
])
def test_flask_command(argv, command, rest):
    assert flask_command(argv) == command
    assert command_args(argv) == rest


def test_outside_the_flask_cli_there_is_no_command(monkeypatch):
    monkeypatch.delenv("FLASK_RUN_FROM_CLI", raising=False)
    monkeypatch.setattr("sys.argv", ["gunicorn", "wsgi:app"])
    assert flask_command() is None
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "true")
    monkeypatch.setattr("sys.argv", ["flask", "--app", "wsgi", "db", "upgrade"])
    assert flask_command() == "db"
