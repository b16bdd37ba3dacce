"""Dashboard figures (/api/stats) and the liveness probe (/api/health)."""
from __future__ import annotations

from flask import current_app, jsonify
from sqlalchemy import case, func, select, text
from sqlalchemy.exc import SQLAlchemyError

from erp_admin.api.errors import problem
from erp_admin.api.registry import Reply, route
from erp_admin.auth.access import requires
from erp_admin.extensions import db
from erp_admin.models import Customer, Product, User


def inventory_stats() -> dict:
    """Counts of products, customers and users, the inventory value and the low-stock count."""
    products, value, low = db.session.execute(
        select(
            func.count(Product.id),
            func.coalesce(func.sum(Product.price * Product.quantity), 0),
            func.coalesce(func.sum(case((Product.quantity <= Product.reorder_level, 1), else_=0)), 0),
        )
    ).one()
    return {
        "products": products,
        "customers": db.session.scalar(select(func.count(Customer.id))),
        "users": db.session.scalar(select(func.count(User.id))),
        "inventory_value": float(value),
        "low_stock": int(low),
    }


@route("/stats", ["GET"], summary="Dashboard figures", tags=["stats"], responses={200: Reply("Stats")})
@requires("stats", "read")
def stats():
    """inventory_value is the sum of price x quantity over all products."""
    return jsonify(inventory_stats())


@route("/health", ["GET"], summary="Liveness: 200 while the database answers", tags=["operations"], auth=None,
       responses={200: Reply("Health")}, errors=(503,))
def health():
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        current_app.logger.error("health check: database unreachable", exc_info=True)
        return problem(503, "The database is unreachable.")
    return jsonify({"status": "ok"})
