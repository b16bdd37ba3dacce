"""Importing the package builds no app, no panel and touches no database: only wsgi.py calls the factory."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # a fresh Python process

PROJECT_ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import gc, importlib, pkgutil
import erp_admin
names = [m.name for m in pkgutil.walk_packages(erp_admin.__path__, "erp_admin.")]
for name in names:
    importlib.import_module(name)
from flask import Flask
from flask_admin import Admin
apps = [o for o in gc.get_objects() if isinstance(o, (Flask, Admin))]
print(len(names), len(apps))
"""


def test_importing_every_module_builds_nothing(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ERP_", "FLASK_")) and k not in ("DATABASE_URL", "REDIS_URL")}
    env["ERP_INSTANCE_PATH"] = str(tmp_path)
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=PROJECT_ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    modules, apps = (int(x) for x in result.stdout.split())
    assert modules > 20 and apps == 0
    assert list(tmp_path.iterdir()) == []  # no database file, no secrets written
