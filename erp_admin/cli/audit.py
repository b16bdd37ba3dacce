"""`flask erp audit-tail`: the latest audit entries, readable in a terminal."""
from __future__ import annotations

import json

import click

from erp_admin.audit.queries import ACTIONS, audit_query
from erp_admin.resources import audited_entities
from erp_admin.cli import RegistryChoice, erp
from erp_admin.extensions import db
from erp_admin.schemas.audit import serialize_audit_entry


@erp.command("audit-tail")
@click.option("-n", "--lines", "count", type=click.IntRange(1, 10_000), default=20, show_default=True,
              help="How many of the latest entries to show.")
@click.option("--entity", type=RegistryChoice(audited_entities), default=None, help="Only entries about this kind of record.")
@click.option("--id", "entity_id", type=click.IntRange(1, 2**31 - 1), default=None, help="Only entries about this record id.")
@click.option("--user", "username", default=None, help="Only entries made by this username.")
@click.option("--action", type=click.Choice(ACTIONS), default=None, help="Only this action.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line (the API's shape).")
def audit_tail(count: int, entity: str | None, entity_id: int | None, username: str | None,
               action: str | None, as_json: bool) -> None:
    """Print the latest audit entries, oldest of them first (like tail)."""
    query = audit_query(entity=entity, entity_id=entity_id, username=username, action=action).limit(count)
    entries = [serialize_audit_entry(e) for e in db.session.scalars(query)]
    db.session.rollback()
    if not entries:
        click.echo("No audit entries match.")
        return
    for entry in reversed(entries):
        click.echo(json.dumps(entry, ensure_ascii=False) if as_json else _line(entry))


def _line(entry: dict) -> str:
    target = f"{entry['entity']} {entry['entity_id']}" if entry["entity_id"] is not None else entry["entity"]
    changes = "; ".join(f"{field}: {_change(value)}" for field, value in entry["changes"].items()
                        if value != [None, None])  # an empty field of a created or deleted record
    who = entry["user"] or "-"
    return f"{entry['at']}  #{entry['id']:<6} {entry['channel']:<5} {who:<12} {entry['action']:<12} {target}" + (
        f"  {changes}" if changes else "")


def _change(value) -> str:
    if isinstance(value, list) and len(value) == 2:
        return f"{_show(value[0])} → {_show(value[1])}"
    return _show(value)


def _show(value) -> str:
    return "∅" if value is None else json.dumps(value, ensure_ascii=False)
