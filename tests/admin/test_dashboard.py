"""The dashboard: KPIs, the inventory-value chart, low stock and latest movements, and empty states."""
from __future__ import annotations

import re
from decimal import Decimal

from erp_admin.admin.dashboard import CHART_CATEGORIES
from tests.factories import create_product


def test_empty_dashboard_helps(signed_in):
    panel = signed_in("manager")
    html = panel.client.get("/admin/").get_data(as_text=True)
    assert 'data-testid="chart-empty"' in html and "/admin/products/new/" in html
    assert 'data-testid="low-stock-empty"' in html
    assert 'data-testid="movements-empty"' in html


def test_kpis_chart_low_stock_and_movements(app, signed_in):
    with app.app_context():
        from erp_admin.extensions import db
        from erp_admin.inventory.stock import adjust_stock

        create_product(sku="A", name="Laptop", category="Electronics", price=Decimal("999.99"), quantity=10, reorder_level=3)
        chair = create_product(sku="B", name="Chair", category="Furniture", price=Decimal("199.99"), quantity=2, reorder_level=5)
        create_product(sku="C", name="Loose", category=None, price=Decimal("0.10"), quantity=3)
        adjust_stock(chair.id, 1, "delivery")
        db.session.commit()
    panel = signed_in("manager")
    html = panel.client.get("/admin/").get_data(as_text=True)
    assert re.search(r'data-testid="kpi-products">3<', html)
    # 999.99*10 + 199.99*3 + 0.10*3 = 9999.90 + 599.97 + 0.30
    assert re.search(r'data-testid="kpi-value">10,600.17<', html)
    assert re.search(r'data-testid="kpi-low-stock">1<', html)
    assert '<svg class="chart"' in html
    assert html.count('class="bar"') == 3
    assert ">Electronics<" in html and ">(no category)<" in html and "9,999.90" in html
    low = html[html.index('data-testid="low-stock-list"'):]
    assert f"/admin/products/details/?id={chair.id}" in low and "Chair" in low
    movements = html[html.index('data-testid="movements"'):]
    assert "delivery" in movements and "+1" in movements


def test_chart_groups_small_categories(app, signed_in):
    with app.app_context():
        for i in range(CHART_CATEGORIES + 3):
            create_product(sku=f"K{i}", name=f"P{i}", category=f"Cat {i}", price=Decimal(i + 1), quantity=1)
    html = signed_in("manager").client.get("/admin/").get_data(as_text=True)
    assert html.count('class="bar"') == CHART_CATEGORIES
    assert ">Other<" in html


def test_plain_user_dashboard_has_no_user_or_audit_links(signed_in):
    html = signed_in("user").client.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/users/"' not in html and 'href="/admin/audit-log/"' not in html
