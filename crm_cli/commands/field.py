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
    from crm_cli.core.errors import ValidationError
    from crm_cli.models import ENTITIES
    from crm_cli.core.output import info
    from crm_cli.services import customfields

    if entity not in ENTITIES:
        raise ValidationError(f"unknown entity '{entity}'", "one of " + ", ".join(sorted(ENTITIES)))
    with db.session_scope() as s:
        customfields.define(s, entity, key, type_, label)
    info(f"{entity} field '{key}' is {type_}")


@app.command("list")
def list_(entity: Annotated[Optional[str], typer.Argument()] = None, fmt: FormatOpt = None,
          as_json: JsonOpt = False) -> None:
    """List custom field definitions."""
    from sqlalchemy import select

    from crm_cli.core import db
    from crm_cli.models import CustomField
    from crm_cli.core.output import emit

    with db.session_scope() as s:
        q = select(CustomField).order_by(CustomField.entity, CustomField.key)
        if entity:
            q = q.where(CustomField.entity == entity)
        rows = [{"entity": f.entity, "key": f.key, "type": f.type, "label": f.label}
                for f in s.execute(q).scalars()]
    emit(rows, [Col("entity"), Col("key"), Col("type"), Col("label")], fmt, as_json)
