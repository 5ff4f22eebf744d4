"""crm field: typed custom fields (text, number, date, bool) for any record type."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from crm_cli.core.options import FormatOpt, JsonOpt
from crm_cli.core.output import Col

app = typer.Typer(help="Custom field definitions (values are set with --set key=value).", no_args_is_help=True)


@app.command("add")
def add(entity: Annotated[str, typer.Argument(help="customer, contact, lead, opp, activity...")],
        key: Annotated[str, typer.Argument(help="Field name.")],
        type_: Annotated[str, typer.Option("--type", help="text|number|date|bool")] = "text",
        label: Optional[str] = None) -> None:
    """Declare a typed custom field; values given with --set are checked against it."""
    from crm_cli.core import db
    from crm_cli.core.output import info
    from crm_cli.services import customfields

    customfields.check_entity(entity)
    with db.session_scope() as s:
        customfields.define(s, entity, key, type_, label)
    info(f"{entity} field '{key}' is {type_}")


@app.command("list")
def list_(entity: Annotated[Optional[str], typer.Argument()] = None, fmt: FormatOpt = None,
          as_json: JsonOpt = False) -> None:
    """List custom field definitions."""
    from crm_cli.core import db
    from crm_cli.core.output import emit
    from crm_cli.services import customfields

    with db.session_scope() as s:
        rows = customfields.list_definitions(s, entity)
    emit(rows, [Col("entity"), Col("key"), Col("type"), Col("label")], fmt, as_json)
