"""GET /api/problems/<kind>: the page a problem's `type` URI leads to, saying what that kind means."""
from __future__ import annotations

from html import escape

from flask import current_app

from erp_admin.api.errors import PROBLEM_KINDS
from erp_admin.api.registry import Param, Reply, route
from erp_admin.errors import NotFound

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>{title} ({status})</h1><p>{description}</p>
<p>Problem type <code>{slug}</code> of the ERP Admin API (RFC 9457 problem details).</p></body></html>
"""


@route("/problems/<slug>", ["GET"], summary="What a kind of problem means (the target of a problem's type)",
       tags=["docs"], auth=None, params=(Param("slug", location="path", required=True,
                                               schema={"type": "string", "enum": list(PROBLEM_KINDS)}),),
       responses={200: Reply({"type": "string"}, description="A short HTML page", media_type="text/html")},
       errors=(404,), endpoint="problem_type")
def problem_type(slug: str):
    kind = PROBLEM_KINDS.get(slug)
    if kind is None:
        raise NotFound(f"No problem type {slug!r}.")
    page = PAGE.format(title=escape(kind.title), status=kind.status, description=escape(kind.description),
                       slug=escape(kind.slug))
    return current_app.response_class(page, mimetype="text/html")
