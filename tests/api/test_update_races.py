"""A change without If-Match that loses a race to another writer is applied to the fresh row, not refused.

On PostgreSQL two PUTs of one product can both read version n; the one that
commits second then matches no row (the ORM's version check) — without
If-Match the client never asked for that check, so the API must not answer
412 (API.md: 412 only for a stale If-Match). The race is made deterministic
here: just before our flush, the row's version moves on as a concurrent
writer's commit would have moved it.
"""
from __future__ import annotations

import pytest
from sqlalchemy import event, text

from erp_admin.extensions import db
from erp_admin.models import Product
from tests.api.conftest import assert_problem
from tests.factories import create_product


@pytest.fixture
def lose_the_first_race(app):
    """lose_the_first_race(product_id, times=1): before the next flushes, bump the row's version behind the ORM."""
    listeners = []

    def stage(product_id: int, times: int = 1) -> list[int]:
        fired = []

        def bump(session, flush_context, instances):
            if len(fired) < times:
                fired.append(product_id)
                # On the session's own connection, as a plain statement: what another writer's commit leaves.
                session.connection().execute(
                    text("UPDATE products SET version = version + 1, name = 'Changed by someone else' WHERE id = :id"),
                    {"id": product_id})

        with app.app_context():
            event.listen(db.session, "before_flush", bump)
        listeners.append(bump)
        return fired

    yield stage
    with app.app_context():
        for bump in listeners:
            event.remove(db.session, "before_flush", bump)


def test_put_without_if_match_is_applied_to_the_fresh_row(app, client, admin_headers, lose_the_first_race):
    with app.app_context():
        product = create_product(name="Lamp", price="5.00")
    fired = lose_the_first_race(product.id)
    response = client.put(f"/api/products/{product.id}", json={"price": 7.5}, headers=admin_headers)
    assert fired, "the race was not staged"
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["price"] == 7.5
    with app.app_context():
        stored = db.session.get(Product, product.id)
        assert float(stored.price) == 7.5 and stored.version == body["version"]


def test_put_with_if_match_that_loses_the_race_is_still_412(app, client, admin_headers, lose_the_first_race):
    with app.app_context():
        product = create_product(name="Lamp", price="5.00")
    lose_the_first_race(product.id)
    response = client.put(f"/api/products/{product.id}", json={"price": 7.5},
                          headers={**admin_headers, "If-Match": f'"{product.version}"'})
    assert_problem(response, 412)
    with app.app_context():
        assert float(db.session.get(Product, product.id).price) == 5.0


def test_a_lost_race_every_time_ends_as_412_not_a_loop(app, client, admin_headers, lose_the_first_race):
    with app.app_context():
        product = create_product(name="Lamp", price="5.00")
    fired = lose_the_first_race(product.id, times=10)
    assert_problem(client.put(f"/api/products/{product.id}", json={"price": 7.5}, headers=admin_headers), 412)
    assert len(fired) == 3  # RACE_ATTEMPTS


def test_delete_without_if_match_after_a_concurrent_update_deletes(app, client, admin_headers, lose_the_first_race):
    with app.app_context():
        product = create_product(name="Lamp", price="5.00")
    lose_the_first_race(product.id)
    assert client.delete(f"/api/products/{product.id}", headers=admin_headers).status_code == 204
    with app.app_context():
        assert db.session.get(Product, product.id) is None
