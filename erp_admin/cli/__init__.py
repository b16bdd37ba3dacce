"""`flask erp …` operator commands and the `flask shell` context."""
from __future__ import annotations

from collections.abc import Callable, Iterable

import click
from flask import Flask
from flask.cli import AppGroup

from erp_admin.cli.errors import answers_errors


class ErpGroup(AppGroup):
    """A command group whose every command answers the error family the one way (cli.errors)."""

    def command(self, *args, **kwargs):
        if len(args) == 1 and callable(args[0]) and not kwargs:  # @erp.command without parentheses
            return self.command()(args[0])
        register = super().command(*args, **kwargs)
        return lambda f: register(answers_errors(f))


erp = ErpGroup("erp", help="ERP Admin operator commands (database, users, demo data, imports).")


def init_app(app: Flask) -> None:
    """Register the erp command group and the shell context on app."""
    from erp_admin.cli import audit, csv, database, legacy, stock, users  # noqa: F401  (commands register on import)
    from erp_admin.cli.shell import shell_context

    app.cli.add_command(erp)
    app.shell_context_processor(shell_context)


def echo_ok(message: str) -> None:
    click.secho(message, fg="green")


class RegistryChoice(click.Choice):
    """A choice among names the resource registry gives when the command runs (not when it was imported)."""

    def __init__(self, names: Callable[[], Iterable[str]]):
        self.names = names
        super().__init__(())

    @property
    def choices(self) -> tuple[str, ...]:
        return tuple(self.names())

    @choices.setter
    def choices(self, _value) -> None:  # click.Choice.__init__ sets it; the registry is the source
        pass
