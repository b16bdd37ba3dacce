"""Swagger UI at /api/docs, served from the flask-swagger-ui package: no CDN, no validator call."""
from __future__ import annotations

from flask import Flask, current_app
from flask_swagger_ui import get_swaggerui_blueprint

from erp_admin.api.registry import Param, Reply, document, route

DOCS_URL = "/api/docs"
SPEC_URL = "/api/openapi.json"
UI_CONFIG = {
    "app_name": "ERP Admin API",
    "validatorUrl": None,  # otherwise the page sends the document to validator.swagger.io
    "persistAuthorization": True,  # "Authorize" survives a reload
    "oauth2RedirectUrl": DOCS_URL + "/oauth2-redirect.html",  # relative: never an absolute URL in the page
    "deepLinking": True,
    "tryItOutEnabled": True,
}
HTML = Reply({"type": "string"}, description="Swagger UI", media_type="text/html")


@route("/docs", ["GET"], summary="Swagger UI for this API", tags=["docs"], auth=None, responses={200: HTML})
def docs_page():
    return current_app.view_functions["swagger_ui.show"]()


document(DOCS_URL + "/", ["GET"], summary="Swagger UI (same page)", tags=["docs"], responses={200: HTML})
document(DOCS_URL + "/<path:path>", ["GET"], summary="Swagger UI assets", tags=["docs"],
         params=(Param("path", location="path", required=True),),
         responses={200: Reply({"type": "string"}, description="A Swagger UI asset", media_type="*/*")},
         errors=(404,))


def init_app(app: Flask) -> None:
    """Serve the Swagger UI bundle of flask-swagger-ui under /api/docs/."""
    app.register_blueprint(get_swaggerui_blueprint(DOCS_URL, SPEC_URL, config=dict(UI_CONFIG)))
