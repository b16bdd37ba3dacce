"""Which `flask` command this process runs, read from its argv (needed before click parses it)."""
from __future__ import annotations

import os
import sys
from collections.abc import Sequence

# Options of the `flask` group that take a value (they come before the command name).
FLASK_VALUE_OPTIONS = {"--app", "-A", "--env-file", "-e"}


def flask_command(argv: Sequence[str] | None = None) -> str | None:
    """Return the command `flask …` was asked to run ("run", "db", "erp", ...), or None outside the flask CLI."""
    if argv is None:
        if os.environ.get("FLASK_RUN_FROM_CLI") != "true":
            return None
        argv = sys.argv
    args = iter(argv[1:])
    for arg in args:
        if arg in FLASK_VALUE_OPTIONS:
            next(args, None)
        elif not arg.startswith("-"):
            return arg
    return None


def command_args(argv: Sequence[str]) -> list[str]:
    """Return the arguments after the command name."""
    args = list(argv[1:])
    i = 0
    while i < len(args):
        if args[i] in FLASK_VALUE_OPTIONS:
            i += 2
        elif args[i].startswith("-"):
            i += 1
        else:
            return args[i + 1:]
    return []
