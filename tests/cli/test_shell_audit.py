"""Work typed into `flask shell` is audited as channel "shell", through the same hooks."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from erp_admin.extensions import db
from erp_admin.models import AuditEntry, StockMovement
from tests.conftest import TEST_JWT_SECRET, TEST_SECRET

ROOT = Path(__file__).resolve().parents[2]
SESSION = """
from decimal import Decimal
p = Product(sku="SH-1", name="Shell lamp", price=Decimal("3.50"), quantity=4)
c = Customer(name="Shelly", email="shelly@example.com")
u = User(username="shelluser", email="su@example.com", password_hash="$argon2id$not-a-real-hash")
db.session.add_all([p, c, u]); db.session.commit()
p.quantity = 9; c.company = "Shells"; u.full_name = "Shell User"; db.session.commit()
db.session.delete(p); db.session.delete(c); db.session.delete(u); db.session.commit()
print("SHELL-DONE")
"""


@pytest.mark.slow  # flask shell in a fresh process
def test_flask_shell_session_is_audited(app, database_url, instance_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ERP_") and k != "DATABASE_URL"}
    env.update(DATABASE_URL=database_url, ERP_SECRET_KEY=TEST_SECRET, ERP_JWT_SECRET_KEY=TEST_JWT_SECRET,
               ERP_INSTANCE_PATH=instance_path, ERP_AUTO_MIGRATE="false", ERP_ARGON2_MEMORY_COST="8",
               ERP_ARGON2_TIME_COST="1")
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "shell"], input=SESSION, cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=60)
    assert "SHELL-DONE" in result.stdout, result.stdout + result.stderr
    with app.app_context():
        logged = [(e.entity, e.action, e.channel, e.username) for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
        assert logged == [(entity, action, "shell", None)
                          for action in ("create", "update", "delete") for entity in ("product", "customer", "user")]
        assert [(m.delta, m.reason, m.product_id) for m in db.session.scalars(select(StockMovement).order_by(StockMovement.id))] == [
            (4, "create", None), (5, "edit", None)]
        entries = {(e.entity, e.action): e.changes for e in db.session.scalars(select(AuditEntry))}
        assert entries[("user", "create")]["password_hash"] == [None, "***"]
        assert entries[("product", "delete")]["price"] == [3.5, None]
