"""CSV import and export of every resource with an import key, shared by the API, the panel and the CLI.

- import_csv(resource, source, dry_run=..., acting_user=...) -> ImportReport
- check_csv(resource, source) -> (ImportReport, changes): validation only
- export_csv(resource, query=None) -> iterator of CSV text chunks
- errors (of the family in erp_admin.errors, re-exported here): CsvFormatError 400,
  ImportTooLarge 413, ImportRejected 422 (with .report), Conflict 409,
  ServiceUnavailable 503
"""
from erp_admin.errors import CsvFormatError, ImportRejected, ImportTooLarge
from erp_admin.csvio.exporter import export_csv
from erp_admin.csvio.formulas import neutralise_cell, restore_cell
from erp_admin.csvio.importer import check_csv, import_csv
from erp_admin.csvio.report import ImportReport
from erp_admin.csvio.resources import csv_resources, get_resource

__all__ = [
    "CsvFormatError", "ImportRejected", "ImportReport", "ImportTooLarge", "check_csv", "csv_resources",
    "export_csv", "get_resource", "import_csv", "neutralise_cell", "restore_cell",
]
