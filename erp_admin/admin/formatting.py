"""Display helpers shared by the panel's lists, details and dashboard (all output escaped)."""
from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

from markupsafe import Markup


def money(value) -> str:
    """1234.5 -> '1,234.50' (Decimal throughout, never float)."""
    if value is None:
        return ""
    amount = value if isinstance(value, Decimal) else Decimal(str(value))
    return f"{amount.quantize(Decimal('0.01')):,}"


def when(value: datetime | None) -> str:
    """A UTC timestamp as '2026-11-26 11:30 UTC'."""
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


def signed(value: int) -> Markup:
    """+5 in green, -3 in red."""
    kind = "success" if value > 0 else "danger"
    return Markup('<span class="text-{}">{:+d}</span>').format(kind, value)


def changes(value) -> Markup:
    """An audit entry's {field: [old, new]} as escaped lines."""
    if not value:
        return Markup("")
    lines = []
    for field, pair in value.items():
        if isinstance(pair, (list, tuple)) and len(pair) == 2:
            old, new = (json.dumps(v, default=str) for v in pair)
            lines.append(Markup("<code>{}</code>: {} &rarr; {}").format(field, old, new))
        else:
            lines.append(Markup("<code>{}</code>: {}").format(field, json.dumps(pair, default=str)))
    return Markup("<br>").join(lines)
