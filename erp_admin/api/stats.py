"""Dashboard figures (/api/stats) and the liveness probe (/api/health)."""
from __future__ import annotations

from flask import current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from erp_admin.api.errors import problem
from erp_admin.api.registry import Reply, route
from erp_admin.auth.access import requires
from erp_admin.extensions import db
from erp_admin.inventory.figures import inventory_figures


def inventory_stats() -> dict:
    """The dashboard's figures as JSON numbers (the value exact to the cent, like prices)."""
    figures = inventory_figures()
    return {**figures, "inventory_value": float(figures["inventory_value"])}


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
