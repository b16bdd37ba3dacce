"""The panel's home: stock KPIs, inventory value by category as a server-drawn SVG chart, low stock, latest movements."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_admin import expose
from sqlalchemy import select

from erp_admin.admin.formatting import money
from erp_admin.admin.security import SecuredIndexView, allowed
from erp_admin.extensions import db
from erp_admin.inventory.figures import inventory_figures, low_stock_products, value_by_category
from erp_admin.models import StockMovement

CHART_CATEGORIES = 8  # the largest categories get a bar each; the rest share "Other"
UNCATEGORISED = "(no category)"


@dataclass
class Bar:
    label: str
    value: Decimal
    y: int
    width: float
    text: str


def chart_pairs() -> list[tuple[str, Decimal]]:
    """The chart's [(label, value)]: categories beyond the chart's room are summed as "Other"."""
    pairs = [(category or UNCATEGORISED, value) for category, value in value_by_category()]
    if len(pairs) > CHART_CATEGORIES:
        rest = sum((v for _, v in pairs[CHART_CATEGORIES - 1:]), Decimal(0))
        pairs = pairs[:CHART_CATEGORIES - 1] + [("Other", rest)]
    return pairs


def chart_bars(pairs, *, bar_width: float = 420.0, row: int = 34) -> list[Bar]:
    """Geometry of a horizontal bar chart, widths proportional to value."""
    top = max((v for _, v in pairs), default=Decimal(0))
    bars = []
    for i, (label, value) in enumerate(pairs):
        width = float(value / top) * bar_width if top > 0 else 0.0
        bars.append(Bar(label=label, value=value, y=i * row, width=max(width, 1.0 if value > 0 else 0.0), text=money(value)))
    return bars


class DashboardView(SecuredIndexView):
    resource = "stats"

    @expose("/")
    def index(self):
        figures = inventory_figures()
        pairs = chart_pairs()
        low_stock = low_stock_products(10)
        movements = (
            db.session.scalars(select(StockMovement).order_by(StockMovement.id.desc()).limit(10)).all()
            if allowed("movements", "read") else None
        )
        return self.render(
            "admin/dashboard.html",
            figures=figures,
            money=money,
            bars=chart_bars(pairs),
            low_stock=low_stock,
            movements=movements,
            allowed=allowed,  # the template asks the role matrix for each link it shows
        )
