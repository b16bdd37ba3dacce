"""gunicorn_conf's defaults: the worker timeout leaves room for the largest CSV import."""
from __future__ import annotations

import importlib

import pytest


@pytest.fixture(autouse=True)
def reload_with_the_real_environment():
    yield
    import erp_admin.gunicorn_conf as conf

    importlib.reload(conf)  # after monkeypatch restored the environment


def load(monkeypatch, **env):
    for name in ("ERP_TIMEOUT", "ERP_WORKERS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    import erp_admin.gunicorn_conf as conf

    return importlib.reload(conf)


def test_the_default_timeout_outlasts_a_large_import(monkeypatch):
    # A 100 000-row Confirm: 22 s on a quiet machine, up to 95 s on a loaded one (README).
    assert load(monkeypatch).timeout == 120


@pytest.mark.parametrize("value", ["45", "300"])
def test_erp_timeout_overrides_it(monkeypatch, value):
    assert load(monkeypatch, ERP_TIMEOUT=value).timeout == int(value)
