"""A client generated from the served OpenAPI document by a mainstream generator type-checks and works.

openapi-typescript (default options) turns /api/openapi.json, fetched from a live
server, into types; tests/client/client.ts is written against them as an SPA
developer would (an update sends only what changed, the audit trail's changes are
read as [old, new]); `tsc` must accept it, and the compiled client must sign in,
list, create, update with If-Match and delete against the same server.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.api.live import live_server
from tests.conftest import require

CLIENT = Path(__file__).resolve().parents[1] / "client"
PASSWORD = "typed-client-password"


def _run(args: list[str], cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "NO_COLOR": "1", "npm_config_update_notifier": "false"})


@pytest.fixture(scope="session")
def node_modules() -> Path:
    """tests/client/node_modules, installed from package-lock.json when missing (npm ci)."""
    require(shutil.which("node") is not None and shutil.which("npm") is not None,
            "Node.js and npm are not installed (Debian: apt-get install nodejs npm)")
    modules = CLIENT / "node_modules"
    if not (modules / ".package-lock.json").exists():
        done = _run(["npm", "ci", "--no-audit", "--no-fund"], CLIENT, timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr
    return modules


def test_generated_typescript_client_type_checks_and_works(app, make_user, node_modules, tmp_path):
    admin = make_user("typed_admin", role="admin", password=PASSWORD)
    for name in ("client.ts", "tsconfig.json", "package.json"):
        shutil.copy(CLIENT / name, tmp_path / name)
    (tmp_path / "node_modules").symlink_to(node_modules, target_is_directory=True)
    bin_ = node_modules / ".bin"
    with live_server(app) as base:
        generated = _run([str(bin_ / "openapi-typescript"), f"{base}/api/openapi.json", "-o", "api.ts"], tmp_path)
        assert generated.returncode == 0, generated.stdout + generated.stderr
        checked = _run([str(bin_ / "tsc"), "-p", ".", "--noEmit"], tmp_path)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        built = _run([str(bin_ / "tsc"), "-p", "."], tmp_path)
        assert built.returncode == 0, built.stdout + built.stderr
        ran = _run(["node", "out/client.js", base, admin.username, PASSWORD], tmp_path, timeout=120)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    report = json.loads(ran.stdout.strip().splitlines()[-1])
    assert report["login"]["role"] == "admin" and report["refresh"] is True
    assert set(report["me"]["productVerbs"]) == {"read", "create", "update", "delete", "adjust_stock", "import", "export"}
    assert report["create"]["sku"] and report["create"]["quantity"] == 0 and report["create"]["lowStock"] is True
    assert report["list"]["rows"] == 1 and report["list"]["total"] == "2" and 'rel="next"' in report["list"]["link"]
    assert report["update"]["price"] == 12.25 and report["update"]["quantity"] == 0
    assert report["update"]["reorderLevel"] == 0 and report["update"]["etag"] == '"2"'
    assert report["update"]["staleStatus"] == 412 and report["update"]["problemStatus"] == 412
    assert report["userUpdate"] == {"role": "admin", "isActive": True, "fullName": "Typed Admin"}
    assert report["audit"] == {"old": 9.5, "new": 12.25}
    assert report["delete"] == {"status": 204, "after": 404}
