"""The export side: stream an entity's records as CSV, JSON or JSONL (constant memory).

CSV columns are the adapter's field names plus `custom.KEY` columns, so a file exported here
imports back unchanged (`crm ENTITY import` maps the same names).
"""

from __future__ import annotations

import csv
import json
import sys

from crm_cli.core.errors import UsageError

FORMATS = ("csv", "json", "jsonl")


def _custom_keys(adapter, session, filters) -> list[str]:
    """The custom.KEY columns: the declared fields, then any other key a record holds (one pass over the
    custom column alone when the adapter's export is a select)."""
    from crm_cli.services import customfields

    keys = dict.fromkeys(sorted(customfields.definitions(session, adapter.entity)))
    query = getattr(adapter, "export_query", None)
    if query is None:
        for rec in adapter.export_rows(session, filters):
            for k in rec.get("custom") or {}:
                keys.setdefault(k, None)
        return list(keys)
    from sqlalchemy import Text, cast, func

    from crm_cli.services.listing import stream_chunks

    text = cast(adapter.model.__table__.c.custom, Text)
    q = query(session, filters).with_only_columns(text, maintain_column_froms=True).where(func.length(text) > 2)
    for chunk in stream_chunks(session, q, 10000):
        for (value,) in chunk:
            for k in (json.loads(value) if value else None) or {}:
                keys.setdefault(k, None)
    return list(keys)


def run_export(entity: str, fmt: str, filters: dict, out=None) -> int:
    from crm_cli.core import db
    from crm_cli.importer import adapters
    from crm_cli.core.output import _csv_cell, machine_value, text_value

    fmt = (fmt or "csv").lower()
    if fmt not in FORMATS:
        raise UsageError(f"--format must be csv, json or jsonl for an export, not '{fmt}'")
    out = out or sys.stdout
    adapter = adapters.get(entity)
    cols = adapter.columns()
    n = 0
    with db.session_scope() as session:
        if fmt == "csv":
            custom = _custom_keys(adapter, session, filters)
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(cols + [f"custom.{k}" for k in custom])
            for rec in adapter.export_rows(session, filters):
                extra = rec.get("custom") or {}
                writer.writerow([_csv_cell(text_value(rec.get(c), False)) for c in cols]
                                + [_csv_cell(text_value(extra.get(k), False)) for k in custom])
                n += 1
        elif fmt == "jsonl":
            for rec in adapter.export_rows(session, filters):
                out.write(json.dumps(machine_value(rec), ensure_ascii=False) + "\n")
                n += 1
        else:
            out.write("[")
            for rec in adapter.export_rows(session, filters):
                out.write(("\n" if n == 0 else ",\n") + json.dumps(machine_value(rec), ensure_ascii=False))
                n += 1
            out.write("\n]\n" if n else "]\n")
    return n
