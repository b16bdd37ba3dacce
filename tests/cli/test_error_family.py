"""Every business error (the ServiceError family) raised by a service gets the CLI's answer: `Error: <detail>`, exit 1."""
from __future__ import annotations

import pytest

from tests.support.error_family import example, ids, members


@pytest.mark.parametrize("cls", members(), ids=ids)
def test_a_command_answers_every_member_from_the_family_alone(app, runner, monkeypatch, cls):
    exc = example(cls)

    def failing_service(*args, **kwargs):
        raise exc

    monkeypatch.setattr("erp_admin.cli.users.create_record", failing_service)
    result = runner.invoke(args=["erp", "create-user", "clerk", "--email", "clerk@example.com",
                                 "--password", "s3cret-pass"])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"Error: {exc.detail}" in result.output


def test_every_erp_command_answers_the_family(app):
    from erp_admin.cli import erp

    assert erp.commands
    unanswered = [name for name, command in erp.commands.items()
                  if not getattr(command.callback, "answers_service_errors", False)]
    assert unanswered == []


def test_a_command_declared_without_parentheses_answers_too():
    from erp_admin.cli import ErpGroup

    group = ErpGroup("scratch")

    @group.command
    def clash():
        """A command of a group of its own."""

    assert getattr(group.commands["clash"].callback, "answers_service_errors", False)
