"""The README and docs/ stay true: links resolve, code they name exists, every setting and command is documented."""
import importlib
import re
from pathlib import Path

import pytest

from erp_admin.cli import erp
from erp_admin.config import CONVENTIONAL_ENV, Defaults

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [README, *DOCS]


def _text(path: Path) -> str:
    return path.read_text()


def _fenced_commands(text: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)\n```", text, flags=re.S)


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    return {_slug(m) for m in re.findall(r"^#+ (.+)$", _text(path), flags=re.M)}


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_readme_is_a_front_door():
    lines = _text(README).splitlines()
    assert len(lines) <= 150, f"README.md has {len(lines)} lines; reference text belongs in docs/"
    linked = set(re.findall(r"\]\((docs/[\w.-]+\.md)", _text(README)))
    assert linked == {_rel(p) for p in DOCS}, "every docs/ page is one click from the README"


@pytest.mark.parametrize("page", PAGES, ids=_rel)
def test_links_resolve(page):
    for target in re.findall(r"\]\(([^)\s]+)\)", _text(page)):
        if re.match(r"[a-z]+:", target):
            continue
        file, _, anchor = target.partition("#")
        resolved = (page.parent / file).resolve() if file else page
        assert resolved.exists(), f"{_rel(page)} links to {target}, which does not exist"
        if anchor and resolved.suffix == ".md":
            assert anchor in _anchors(resolved), f"{_rel(page)} links to #{anchor}, not a heading of {file or page.name}"


# Code the docs name in backticks: paths of the repository and dotted names below erp_admin.
PATH_REF = re.compile(r"`((?:erp_admin/|tests/|\.ci/|docs/)?[\w./-]+\.(?:py|md|js)|(?:erp_admin|tests)/[\w/-]+/)`")
NAME_REF = re.compile(r"`((?:erp_admin\.)?[a-z_]+(?:\.[A-Za-z_]+)+)(?:\(|`)")


def _resolve_path(ref: str) -> bool:
    if "<" in ref or ref.startswith("instance/"):
        return True  # a pattern or a runtime file, not code
    candidates = [ROOT / ref, ROOT / "erp_admin" / ref, ROOT / "tests" / "benchmarks" / ref]
    return any(c.exists() for c in candidates)


def _resolve_name(ref: str) -> bool:
    parts = ref.removeprefix("erp_admin.").split(".")
    if parts[-1] == "py":
        return True  # a file name, checked as a path
    for split in range(len(parts), -1, -1):
        try:
            target = importlib.import_module(".".join(["erp_admin", *parts[:split]]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[split:]:
            if not hasattr(target, attribute):
                return False
            target = getattr(target, attribute)
        return True
    return False


@pytest.mark.parametrize("page", PAGES, ids=_rel)
def test_code_named_in_the_docs_exists(page):
    text = _text(page)
    missing = [ref for ref in PATH_REF.findall(text) if not _resolve_path(ref)]
    missing += [ref for ref in NAME_REF.findall(text) if not _resolve_name(ref)]
    assert not missing, f"{_rel(page)} names code that does not exist: {missing}"


def test_every_setting_is_in_the_configuration_table():
    table = _text(ROOT / "docs" / "configuration.md")
    conventional = {key: env for env, key in CONVENTIONAL_ENV.items()}
    for key in (k for k in vars(Defaults) if k.isupper()):
        variable = conventional.get(key, f"ERP_{key}")
        assert f"| `{variable}` |" in table, f"{variable} is missing from docs/configuration.md"


def test_the_configuration_table_names_only_real_settings():
    table = _text(ROOT / "docs" / "configuration.md")
    known = {f"ERP_{k}" for k in vars(Defaults) if k.isupper()} | set(CONVENTIONAL_ENV) | {
        "ERP_ENV", "ERP_INSTANCE_PATH", "ERP_SECRET_KEY", "ERP_JWT_SECRET_KEY"}
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", table, flags=re.M))
    assert documented <= known, f"documented but not read by the app: {sorted(documented - known)}"


def test_every_erp_command_is_in_the_cli_reference(app):
    reference = _text(ROOT / "docs" / "cli.md")
    for name in erp.list_commands(None):
        assert f"`flask --app wsgi erp {name}" in reference, f"erp {name} is missing from docs/cli.md"


def test_ci_runs_the_readme_test_command_verbatim():
    install_and_run, install_and_test = _fenced_commands(_text(README))[:2]
    assert install_and_run.endswith(".venv/bin/python wsgi.py")
    assert install_and_test.endswith(".venv/bin/python -m pytest tests")
    ci = (ROOT / ".ci" / "run").read_text()
    assert f"\n  {install_and_test}\n" in ci
