"""CSV import and export under /api/<resource>/{import,export}: the csvio core spoken over HTTP.

Imports take the file as the raw body (`text/csv`) or as the multipart field
`file`; `?dry_run=true` only reports. Exports stream the list's selection
(`q`, the filters and `sort` of the same ListSpec the list route uses).
"""
from __future__ import annotations

from flask import current_app, jsonify, request
from sqlalchemy import select
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from erp_admin.api.listing import BOOLEANS, filter_and_sort
from erp_admin.api.registry import Body, Param, Reply, route
from erp_admin.api.resources import ResourceAPI
from erp_admin.auth.access import current_principal, requires
from erp_admin.csvio import import_csv
from erp_admin.csvio.download import CSV_MEDIA_TYPE, csv_download
from erp_admin.web.body_limits import MULTIPART_OVERHEAD

MULTIPART = "multipart/form-data"

DRY_RUN_PARAM = Param(
    "dry_run", schema={"type": "string", "enum": ["true", "false"], "default": "false"},
    description="true: check the file and report what would change; write nothing.",
)
REJECTED_LINE = {
    "type": "object",
    "required": ["line", "field", "message"],
    "properties": {"line": {"type": "integer", "minimum": 1}, "field": {"type": ["string", "null"]},
                   "message": {"type": "string"}},
}
IMPORT_REPORT = {
    "type": "object",
    "description": "What the file creates and updates (matched by key), every rejected line, unknown columns.",
    "required": ["created", "updated", "rejected", "ignored_columns"],
    "properties": {
        "created": {"type": "integer", "minimum": 0},
        "updated": {"type": "integer", "minimum": 0},
        "rejected": {"type": "array", "items": REJECTED_LINE},
        "ignored_columns": {"type": "array", "items": {"type": "string"}},
    },
}
IMPORT_PROBLEM = {
    "allOf": [{"$ref": "#/components/schemas/Problem"},
              {"type": "object", "required": ["report"], "properties": {"report": IMPORT_REPORT}}],
}
# The file travels as the raw body or as a form field; its CSV rules (a header row, records that
# pass the resource's validation) are beyond what a JSON schema can say: see API.md "CSV import".
IMPORT_BODY = Body(
    {"type": "string"}, media_types=(CSV_MEDIA_TYPE,),
    per_media={MULTIPART: {"type": "object", "required": ["file"],
                           "properties": {"file": {"type": "string", "format": "binary"}}}},
    description="The CSV file (UTF-8, comma or semicolon, header row first), as the raw body "
                "or as the multipart field `file`.",
)


def _import_limit() -> int:
    return current_app.config["IMPORT_MAX_BYTES"] + MULTIPART_OVERHEAD


def _dry_run() -> bool:
    raw = request.args.get("dry_run", "false")
    if raw not in BOOLEANS:
        raise BadRequest("dry_run must be true or false.")
    return BOOLEANS[raw]


def uploaded_file():
    """The uploaded CSV as a binary stream: the raw text/csv body or the multipart field `file`."""
    mimetype = request.mimetype or ""
    if mimetype == CSV_MEDIA_TYPE:
        return request.stream
    if mimetype == MULTIPART:
        upload = request.files.get("file")
        if upload is None:
            raise BadRequest("The multipart body has no field named 'file'.")
        return upload.stream
    raise UnsupportedMediaType("Send the CSV file as text/csv, or as the field 'file' of multipart/form-data.")


def register_csv_routes(api: ResourceAPI) -> None:
    """Add POST /<name>/import and GET /<name>/export for api.name."""
    tags = [api.name, "csv"]

    @route(f"/{api.name}/import", ["POST"], summary=f"Import {api.name} from CSV", tags=tags,
           params=(DRY_RUN_PARAM,), body=IMPORT_BODY, max_body=_import_limit, commit=False,
           responses={200: Reply(IMPORT_REPORT, description="The report (dry run, or a completed import)"),
                      422: Reply(IMPORT_PROBLEM, media_type="application/problem+json",
                                 description="Rejected lines: nothing was written; the report says which and why")},
           errors=(400, 409, 413, 415, 503), endpoint=f"{api.name}_import")
    @requires(api.name, "import")
    def import_view():
        dry_run = _dry_run()
        source = uploaded_file()
        # Rejected lines: ImportRejected, a 422 with each line in errors and the report (api.errors).
        report = import_csv(api.name, source, dry_run=dry_run, acting_user=current_principal())
        return jsonify(report.as_dict())

    @route(f"/{api.name}/export", ["GET"], summary=f"Export {api.name} as CSV", tags=tags,
           params=api.list_spec.params(paged=False),
           responses={200: Reply({"type": "string"}, media_type=CSV_MEDIA_TYPE,
                                 description="Streamed CSV: the API field names as header, formula cells neutralised")},
           errors=(400,), endpoint=f"{api.name}_export")
    @requires(api.name, "export")
    def export_view():
        return csv_download(api.name, filter_and_sort(select(api.model), api.list_spec))

