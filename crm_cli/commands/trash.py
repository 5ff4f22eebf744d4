"""crm trash: what was deleted, restore it, or purge it for good."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from crm_cli.core.options import FormatOpt, JsonOpt, YesOpt
from crm_cli.core.output import Col

app = typer.Typer(help="Deleted records: list, restore, purge.", no_args_is_help=True)


@app.command("list")
def list_(entity: Annotated[Optional[str], typer.Argument(help="Only this entity (customer, contact...).")] = None,
          fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """List what is in the trash."""
    from crm_cli.core import db
    from crm_cli.core.output import emit
    from crm_cli.services import trash

    with db.session_scope() as s:
        if entity:
            trash.model_for(entity)
        rows = trash.list_trash(s, entity)
    emit(rows, [Col("entity", "Entity"), Col("id", "ID", "right"), Col("label", "Name"),
                Col("deleted_at", "Deleted")], fmt, as_json)


@app.command("restore")
def restore(entity: Annotated[str, typer.Argument(help="customer, contact, lead, opp, activity...")],
            ident: Annotated[int, typer.Argument(help="Record id.")]) -> None:
    """Restore a record from the trash."""
    from crm_cli.core import db
    from crm_cli.core.output import info
    from crm_cli.services import trash

    with db.session_scope() as s:
        label = trash.restore(s, entity, ident)
        info(f"restored {entity} {ident}: {label}")


@app.command("purge")
def purge(older_than: Annotated[str, typer.Option("--older-than", help="e.g. 30d, 2w; 0d for everything.")],
          yes: YesOpt = False,
          fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """Delete for good what has been in the trash longer than --older-than."""
    from crm_cli.core import context, db, prompts
    from crm_cli.core.dates import parse_duration
    from crm_cli.core.output import emit
    from crm_cli.services import trash

    cutoff = context.now() - parse_duration(older_than, "--older-than")
    prompts.confirm(f"Purge everything deleted before {cutoff:%Y-%m-%d %H:%M} UTC?", yes)
    with db.session_scope() as s:
        counts = trash.purge(s, cutoff)
    emit([{"entity": k, "purged": v} for k, v in counts.items()],
         [Col("entity", "Entity"), Col("purged", "Purged", "right")], fmt, as_json)
