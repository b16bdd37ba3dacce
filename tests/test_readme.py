"""The README stays true: every setting and every command documented, CI runs its test command verbatim."""
import re
from pathlib import Path

from erp_admin.cli import erp
from erp_admin.config import CONVENTIONAL_ENV, Defaults

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def _fenced_commands(text: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)\n```", text, flags=re.S)


def test_every_setting_is_in_the_configuration_table():
    conventional = {key: env for env, key in CONVENTIONAL_ENV.items()}
    for key in (k for k in vars(Defaults) if k.isupper()):
        variable = conventional.get(key, f"ERP_{key}")
        assert f"| `{variable}` |" in README, f"{variable} is missing from the README's configuration table"


def test_every_erp_command_is_in_the_cli_reference(app):
    for name in erp.list_commands(None):
        assert f"`flask --app wsgi erp {name}" in README, f"erp {name} is missing from the README's CLI reference"


def test_ci_runs_the_readme_test_command_verbatim():
    install_and_run, install_and_test = _fenced_commands(README)[:2]
    assert install_and_run.endswith(".venv/bin/python wsgi.py")
    assert install_and_test.endswith(".venv/bin/python -m pytest tests")
    ci = (ROOT / ".ci" / "run").read_text()
    assert f"\n  {install_and_test}\n" in ci
