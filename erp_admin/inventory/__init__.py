"""Stock rules shared by the API, the panel, the CSV import and the CLI: the ledger, adjustments, figures."""
from flask import Flask


def init_app(app: Flask) -> None:
    """Make sure the stock ledger's write hooks are registered (session events, once per process)."""
    from erp_admin.inventory import ledger  # noqa: F401
