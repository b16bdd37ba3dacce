"""Swagger UI at /api/docs, served from the flask-swagger-ui package: no CDN, no validator call."""
from __future__ import annotations

import base64
import hashlib
import re

from flask import Flask, current_app, request
from flask_swagger_ui import get_swaggerui_blueprint

from erp_admin.api.registry import Param, Reply, document, route

DOCS_URL = "/api/docs"
SPEC_URL = "/api/openapi.json"
UI_CONFIG = {
    "app_name": "ERP Admin API",
    "validatorUrl": None,  # otherwise the page sends the document to validator.swagger.io
    "persistAuthorization": False,  # True would keep a pasted token in localStorage, readable by any script
    "oauth2RedirectUrl": DOCS_URL + "/oauth2-redirect.html",  # relative: never an absolute URL in the page
    "deepLinking": True,
    "tryItOutEnabled": True,
}
# The page's start-up script is inline; it is allowed by its hash, so no other inline script runs.
INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)
# Swagger UI's top-bar logo is an SVG carrying this one <style> element (its fills); nothing else inline.
LOGO_STYLE = "'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='"
POLICY = ("default-src 'none'; script-src 'self'{hashes}; style-src 'self' " + LOGO_STYLE + "; img-src 'self' data:; "
          "font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
HTML = Reply({"type": "string"}, description="Swagger UI", media_type="text/html")


@route("/docs", ["GET"], summary="Swagger UI for this API", tags=["docs"], auth=None, responses={200: HTML})
def docs_page():
    return current_app.view_functions["swagger_ui.show"]()


document(DOCS_URL + "/", ["GET"], summary="Swagger UI (same page)", tags=["docs"], responses={200: HTML})
document(DOCS_URL + "/<path:path>", ["GET"], summary="Swagger UI assets", tags=["docs"],
         params=(Param("path", location="path", required=True),),
         responses={200: Reply({"type": "string"}, description="A Swagger UI asset", media_type="*/*")},
         errors=(404,))


def _protect(response):
    """Content-Security-Policy and no framing on the docs page and its assets."""
    if request.path != DOCS_URL and not request.path.startswith(DOCS_URL + "/"):
        return response
    hashes = ""
    if response.mimetype == "text/html" and not response.direct_passthrough:
        scripts = INLINE_SCRIPT.findall(response.get_data(as_text=True))
        hashes = "".join(f" 'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'"
                         for s in scripts)
    response.headers["Content-Security-Policy"] = POLICY.format(hashes=hashes)
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def init_app(app: Flask) -> None:
    """Serve the Swagger UI bundle of flask-swagger-ui under /api/docs/, under a strict CSP."""
    app.register_blueprint(get_swaggerui_blueprint(DOCS_URL, SPEC_URL, config=dict(UI_CONFIG)))
    app.after_request(_protect)
