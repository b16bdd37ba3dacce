"""A worker process for the concurrency tests: builds its own app and adjusts one product's stock."""
from __future__ import annotations

import threading


def hammer(database_url, instance_path, product_id, chunks, barrier, queue, overrides=None):
    """Run each chunk of deltas in its own thread (own session); put [(outcome, delta, attempts)] on queue."""
    from erp_admin import create_app
    from erp_admin.extensions import db
    from erp_admin.inventory.stock import adjust_stock
    from erp_admin.errors import Conflict
    from erp_admin.services.transactions import run_in_transaction
    from tests.conftest import test_config

    results = []
    lock = threading.Lock()
    try:
        app = create_app(test_config(database_url, instance_path, **(overrides or {})))
    except Exception as exc:  # reported, never hangs the test
        barrier.abort()
        queue.put([("error", 0, repr(exc))])
        return

    def run(deltas):
        with app.app_context():
            for delta in deltas:
                attempts = []

                def work():
                    attempts.append(1)
                    return adjust_stock(product_id, delta, "load test")

                try:
                    run_in_transaction(work)
                    outcome = "ok"
                except Conflict:
                    outcome = "conflict"
                except Exception as exc:
                    outcome = f"error {exc!r}"
                with lock:
                    results.append((outcome, delta, len(attempts)))
            db.session.remove()

    threads = [threading.Thread(target=run, args=(chunk,)) for chunk in chunks]
    barrier.wait(timeout=60)  # every process starts hammering at the same moment
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queue.put(results)
