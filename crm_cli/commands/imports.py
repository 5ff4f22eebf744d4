"""crm import: the batches written by `crm ENTITY import`, and undoing one."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from crm_cli.core.options import FormatOpt, JsonOpt, YesOpt, LimitOpt
from crm_cli.core.output import Col

app = typer.Typer(help="Import batches: list them, undo one (`crm lead import FILE` imports).",
                  no_args_is_help=True)

COLUMNS = [Col("id", "Batch", "right"), Col("entity", "Entity"), Col("file", "File"), Col("user", "User"),
           Col("started_at", "Started"), Col("read", "Read", "right"), Col("created", "Created", "right"),
           Col("updated", "Updated", "right"), Col("skipped", "Skipped", "right"),
           Col("rejected", "Rejected", "right"), Col("status", "Status")]


@app.command("list")
def list_(entity: Annotated[Optional[str], typer.Option(help="lead|customer|contact|opp")] = None,
          limit: LimitOpt = None,
          fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """List import batches, newest first."""
    from crm_cli.core import db
    from crm_cli.importer import batches
    from crm_cli.core.output import emit

    with db.session_scope() as s:
        rows = batches.list_batches(s, entity, limit)
    emit(rows, COLUMNS, fmt, as_json)


@app.command("undo")
def undo(batch: Annotated[int, typer.Argument(help="Batch id (see crm import list).")],
         yes: YesOpt = False) -> None:
    """Move every record a batch created to the trash (records it updated keep their new values)."""
    from crm_cli.core import db, prompts
    from crm_cli.importer import batches
    from crm_cli.core.output import info

    with db.session_scope() as s:
        b = batches.get(s, batch)
        prompts.confirm(f"Undo import batch {b.id} ({b.entity}, {b.file_name}): move the {b.created} "
                        f"record(s) it created to the trash?", yes)
        n = batches.undo(s, b)
        info(f"undid import batch {b.id}: {n} {b.entity} record(s) moved to the trash")
