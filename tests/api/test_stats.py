"""/api/stats and /api/health."""
from __future__ import annotations

from decimal import Decimal

from tests.api.conftest import assert_problem
from tests.conftest import test_config as make_config
from tests.factories import create_customer, create_product


def test_stats_counts_and_inventory_value(app, client, tokens):
    with app.app_context():
        create_product(sku="S1", price=Decimal("10.10"), quantity=3, reorder_level=5)
        create_product(sku="S2", price=Decimal("0.05"), quantity=7, reorder_level=1)
        create_customer()
    body = client.get("/api/stats", headers=tokens("user")).get_json()
    assert body == {"products": 2, "customers": 1, "users": 1, "inventory_value": 30.65, "low_stock": 1}


def test_stats_of_an_empty_inventory(client, tokens):
    body = client.get("/api/stats", headers=tokens("user")).get_json()
    assert body["products"] == 0 and body["inventory_value"] == 0 and body["low_stock"] == 0


def test_health_ok(client):
    response = client.get("/api/health")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_health_is_503_when_the_database_is_unreachable(instance_path):
    from erp_admin import create_app

    url = "postgresql+psycopg://postgres@127.0.0.1:1/unreachable?connect_timeout=2"
    app = create_app(make_config(url, instance_path))
    body = assert_problem(app.test_client().get("/api/health"), 503)
    assert "unreachable" in body["detail"]
