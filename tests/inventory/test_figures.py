"""Inventory figures: one computation behind /api/stats and the panel's dashboard, in exact decimals."""
from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import select

from erp_admin.models import Product
from tests.admin.conftest import Panel
from tests.factories import create_product


def test_stats_and_dashboard_agree_to_the_cent(app, client, make_user):
    # 0.10 + 0.20 is 0.30000000000000004 in floating point (SQLite sums NUMERIC as floats).
    with app.app_context():
        create_product(sku="F1", price=Decimal("0.10"), quantity=1)
        create_product(sku="F2", price=Decimal("0.20"), quantity=1)
    make_user("manager")
    login = client.post("/api/auth/login", json={"username": "manager", "password": "password123"}).get_json()
    stats = client.get("/api/stats", headers={"Authorization": f"Bearer {login['access_token']}"}).get_json()
    assert stats["inventory_value"] == 0.3
    panel = Panel(app.test_client())
    panel.login("manager")
    html = panel.client.get("/admin/").get_data(as_text=True)
    assert re.search(r'data-testid="kpi-value">0.30<', html)


def test_low_stock_is_one_rule_in_python_and_sql(app):
    with app.app_context():
        from erp_admin.extensions import db

        create_product(sku="L1", quantity=2, reorder_level=2)
        create_product(sku="L2", quantity=3, reorder_level=2)
        in_sql = set(db.session.scalars(select(Product.sku).where(Product.low_stock)))
        in_python = {p.sku for p in db.session.scalars(select(Product)) if p.low_stock}
        assert in_sql == in_python == {"L1"}
