"""`flask erp import-legacy PATH`: the old backend's records (services.legacy_import) from its SQLite file."""
from __future__ import annotations

import sys

import click

from erp_admin.cli import echo_ok, erp
from erp_admin.cli.actor import with_cli_actor
from erp_admin.services.legacy_import import TABLES

PROGRESS_FROM_ROWS = 1000  # smaller tables import too fast for a progress bar to help


@erp.command("import-legacy", help=f"""Copy {", ".join(TABLES)} from the old backend's SQLite file at PATH.

    Products get the SKU LEGACY-<old id>; users keep their old password
    (upgraded to argon2id at their first login) and their active flag.
    Rows already present (same SKU, email or username) are skipped, so the
    command can be run again safely.
    """)
@click.argument("path", type=click.Path(exists=True, dir_okay=False, readable=True))
@with_cli_actor
def import_legacy_command(path: str) -> None:
    from erp_admin.services.legacy_import import import_legacy

    bars: dict[str, object] = {}

    def progress(table: str, done: int, total: int) -> None:
        if total < PROGRESS_FROM_ROWS:
            return
        if table not in bars:
            bars[table] = click.progressbar(length=total, label=f"Importing {table}", file=sys.stderr)
            bars[table].__enter__()
        bars[table].update(1)
        if done == total:
            bars.pop(table).__exit__(None, None, None)

    try:  # LegacyImportError: `Error: <detail>`, exit 1 (cli.errors)
        report = import_legacy(path, progress=progress)
    finally:
        for bar in bars.values():
            bar.__exit__(None, None, None)

    for table in report.tables.values():
        if not table.found:
            click.echo(f"{table.table}: no such table in {path}, nothing imported")
            continue
        summary = ", ".join(f"{n} {why}" for why, n in sorted(table.skip_summary().items()))
        click.echo(f"{table.table}: {table.imported} imported, {len(table.skipped)} skipped"
                   + (f" ({summary})" if summary else ""))
        for skipped in table.skipped:
            click.echo(f"  skipped {table.table[:-1]} id {skipped.old_id}: {skipped.reason}")
        if table.ignored_columns:
            click.echo(f"  columns not carried over: {', '.join(table.ignored_columns)}")
    echo_ok(f"Done: {report.imported} imported, {report.skipped} skipped.")
