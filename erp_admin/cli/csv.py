"""`flask erp import-csv` and `flask erp export-csv`: the CSV import and export from the command line."""
from __future__ import annotations

import click

from erp_admin.cli import RegistryChoice, echo_ok, erp
from erp_admin.cli.actor import with_cli_actor
from erp_admin.csvio import ImportRejected, export_csv, import_csv
from erp_admin.csvio.resources import csv_resources
from erp_admin.db.engine import READ_ONLY_OPTION
from erp_admin.extensions import db

PROGRESS_EVERY = 10_000  # rows between progress lines


@erp.command("import-csv")
@click.argument("resource", type=RegistryChoice(lambda: sorted(csv_resources())))
@click.argument("file", type=click.File("rb"))
@click.option("--dry-run", is_flag=True, help="Check the file and report what would change; write nothing.")
@with_cli_actor
def import_csv_command(resource: str, file, dry_run: bool) -> None:
    """Import records of RESOURCE from a CSV FILE ("-" reads standard input).

    Columns are matched by header name (case and spacing ignored); rows with an
    existing SKU / email update that record, others create one. Every row is
    checked first; one rejected line and nothing is written. Exits with status
    1 when any line is rejected.
    """
    try:
        report = import_csv(resource, file, dry_run=dry_run, progress=_progress)
    except ImportRejected as exc:
        _print_report(exc.report)  # then `Error: <detail>`, exit 1, like any ServiceError (cli.errors)
        raise
    _print_report(report)
    if report.rejected:
        raise click.exceptions.Exit(1)
    if dry_run:
        click.echo("Dry run: nothing was written.")
    else:
        echo_ok(f"Imported {resource}: {report.created} created, {report.updated} updated.")


@erp.command("export-csv")
@click.argument("resource", type=RegistryChoice(lambda: sorted(csv_resources())))
@click.argument("file", type=click.File("wb"), default="-")
def export_csv_command(resource: str, file) -> None:
    """Export every record of RESOURCE as CSV to FILE (default "-": standard output).

    The file has the API's field names as headers and imports back unchanged.
    """
    # A read-only transaction: on SQLite it must not hold the write lock for the
    # whole export (minutes at a million rows), or every writer would wait.
    db.session.connection(execution_options={READ_ONLY_OPTION: True})
    try:
        for chunk in export_csv(resource):
            file.write(chunk.encode("utf-8"))
    finally:
        db.session.rollback()


def _progress(phase: str, done: int, total: int | None) -> None:
    if done % PROGRESS_EVERY and done != total:
        return
    if phase == "validate":
        if done:
            click.echo(f"Checked {done} rows…", err=True)
    elif total and total >= PROGRESS_EVERY:
        click.echo(f"Written {done} of {total} rows…", err=True)


def _print_report(report) -> None:
    click.echo(f"created: {report.created}")
    click.echo(f"updated: {report.updated}")
    click.echo(f"unchanged: {report.unchanged}")
    click.echo(f"rejected: {len({r['line'] for r in report.rejected})} line(s)")
    for item in report.rejected:
        where = f"line {item['line']}" + (f", {item['field']}" if item["field"] else "")
        click.echo(f"  {where}: {item['message']}")
    if report.ignored_columns:
        click.echo("ignored columns: " + ", ".join(report.ignored_columns))
