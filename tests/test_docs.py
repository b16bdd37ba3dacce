"""The README and docs/ stay true: links resolve, code they name exists, every setting and command is documented."""
import ast
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
    if "<" in ref or ref.startswith(("instance/", "tests/artifacts/")):
        return True  # a pattern or a runtime file (git-ignored output), not code
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


def _documented_settings() -> set[str]:
    """The variables of docs/configuration.md's settings table."""
    return set(re.findall(r"^\| `([A-Z0-9_]+)` \|", _text(ROOT / "docs" / "configuration.md"), flags=re.M))


def test_every_setting_is_in_the_configuration_table():
    table = _text(ROOT / "docs" / "configuration.md")
    conventional = {key: env for env, key in CONVENTIONAL_ENV.items()}
    for key in (k for k in vars(Defaults) if k.isupper()):
        variable = conventional.get(key, f"ERP_{key}")
        assert f"| `{variable}` |" in table, f"{variable} is missing from docs/configuration.md"


def test_the_configuration_table_names_only_real_settings():
    known = {f"ERP_{k}" for k in vars(Defaults) if k.isupper()} | set(CONVENTIONAL_ENV) | {
        "ERP_ENV", "ERP_INSTANCE_PATH", "ERP_SECRET_KEY", "ERP_JWT_SECRET_KEY"}
    documented = _documented_settings()
    assert documented <= known, f"documented but not read by the app: {sorted(documented - known)}"


# For each documented setting, the test that proves it takes effect. A test that sets its value
# through the test mapping relies on GENERIC: every setting is read from ERP_<KEY> the same way.
GENERIC = "tests/test_config.py::test_every_setting_is_read_from_the_environment"
EFFECT_TESTS = {
    "ERP_ENV": "tests/test_config.py::test_production_is_switched_on_by_the_environment",
    "DATABASE_URL": "tests/test_settings.py::test_database_url_chooses_the_database",
    "REDIS_URL": "tests/api/test_redis.py::test_logout_revokes_in_the_database_and_in_redis",
    "ERP_INSTANCE_PATH": "tests/test_settings.py::test_instance_path_holds_config_py_and_the_secrets",
    "ERP_SECRET_KEY": "tests/test_settings.py::test_secret_key_signs_the_panel_session",
    "ERP_JWT_SECRET_KEY": "tests/test_settings.py::test_jwt_secret_key_signs_the_tokens",
    "ERP_AUTO_MIGRATE": "tests/test_settings.py::test_auto_migrate_decides_whether_startup_migrates",
    "ERP_SQLALCHEMY_ENGINE_OPTIONS": "tests/test_settings.py::test_engine_options_reach_create_engine",
    "ERP_DB_PING_IDLE_AFTER": "tests/test_settings.py::test_ping_idle_after_zero_pings_every_checkout",
    "ERP_SQLITE_BUSY_TIMEOUT_MS": "tests/test_settings.py::test_sqlite_busy_timeout_is_the_connection_pragma",
    "ERP_SQLITE_WRITE_LOCK": "tests/db/test_sqlite_lock.py::test_the_lock_can_be_switched_off",
    "ERP_JWT_ACCESS_TOKEN_EXPIRES": "tests/test_settings.py::test_token_lifetimes",
    "ERP_JWT_REFRESH_TOKEN_EXPIRES": "tests/test_settings.py::test_token_lifetimes",
    "ERP_JWT_ALGORITHM": "tests/test_settings.py::test_jwt_algorithm_signs_and_is_accepted",
    "ERP_MAX_CONTENT_LENGTH": "tests/test_settings.py::test_max_content_length_caps_uploads",
    "ERP_API_MAX_BODY": "tests/test_settings.py::test_api_max_body_caps_json_bodies",
    "ERP_FORM_MAX_BODY": "tests/production/test_limits.py::test_form_limit_is_a_setting",
    "ERP_IMPORT_MAX_BYTES": "tests/api/test_csv_routes.py::test_beyond_the_limits_is_a_413",
    "ERP_IMPORT_MAX_ROWS": "tests/csvio/test_reader.py::test_more_rows_than_the_limit_is_too_large",
    "ERP_API_DEFAULT_LIMIT": "tests/test_settings.py::test_api_default_limit_is_the_page_size",
    "ERP_API_MAX_LIMIT": "tests/api/test_lists.py::test_limit_is_clamped_to_the_cap",
    "ERP_CORS_ORIGINS": "tests/api/test_cors.py::test_origins_come_from_configuration",
    "ERP_LOGIN_RATE_LIMIT": "tests/api/test_throttle.py::test_counts_per_username_across_addresses",
    "ERP_LOGIN_RATE_WINDOW": "tests/test_settings.py::test_login_rate_limit_and_window",
    "ERP_TRUSTED_PROXIES": "tests/api/test_throttle.py::test_trusted_proxy_forwarded_for_is_the_client",
    "ERP_ARGON2_TIME_COST": "tests/test_settings.py::test_argon2_parameters_are_those_of_the_stored_hash",
    "ERP_ARGON2_MEMORY_COST": "tests/test_settings.py::test_argon2_parameters_are_those_of_the_stored_hash",
    "ERP_ARGON2_PARALLELISM": "tests/test_settings.py::test_argon2_parameters_are_those_of_the_stored_hash",
    "ERP_PASSWORD_HASH_CONCURRENCY": "tests/auth/test_passwords.py::test_concurrent_hashes_are_bounded",
    "ERP_SESSION_COOKIE_HTTPONLY": "tests/test_settings.py::test_session_cookie_attributes",
    "ERP_SESSION_COOKIE_SAMESITE": "tests/test_settings.py::test_session_cookie_attributes",
    "ERP_DB_RETRY_ATTEMPTS": "tests/inventory/test_transactions.py::test_giving_up_is_a_503_not_a_500",
    "ERP_DB_RETRY_BACKOFF_MS": "tests/test_settings.py::test_retry_back_off_grows_from_the_setting",
    "ERP_PANEL_SESSION_LIFETIME": "tests/admin/test_login.py::test_expired_session_is_refused",
    "ERP_PANEL_LIST_COUNT_CAP": "tests/admin/test_products.py::test_count_is_capped_not_a_full_count",
    "ERP_REDIS_KEY_PREFIX": "tests/test_settings.py::test_redis_keys_start_with_the_prefix",
    "ERP_REDIS_TIMEOUT": "tests/test_settings.py::test_redis_timeout_bounds_connect_and_reply",
    "ERP_REDIS_RECHECK_INTERVAL": "tests/production/test_outages.py::test_a_hung_redis_is_not_retried_on_every_request",
    "ERP_API_MAX_JSON_DEPTH": "tests/test_settings.py::test_json_depth_limit",
    "ERP_IDEMPOTENCY_TTL": "tests/test_settings.py::test_idempotency_ttl_frees_a_key",
    "ERP_WTF_CSRF_TIME_LIMIT": "tests/test_settings.py::test_csrf_time_limit_expires_a_form",
}


def _test_functions(path: Path) -> set[str]:
    """Names of the module-level test functions of path, read without importing it."""
    tree = ast.parse(path.read_text())
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}


def test_every_documented_setting_has_a_test_proving_its_effect():
    documented = _documented_settings()
    assert documented == set(EFFECT_TESTS), (
        f"no effect test named: {sorted(documented - set(EFFECT_TESTS))}; "
        f"not documented: {sorted(set(EFFECT_TESTS) - documented)}")
    for name, test in [("(every setting)", GENERIC), *EFFECT_TESTS.items()]:
        file, _, function = test.partition("::")
        assert (ROOT / file).is_file(), f"{name}: {file} does not exist"
        assert function in _test_functions(ROOT / file), f"{name}: {file} has no test function {function}"


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
