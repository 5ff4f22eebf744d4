"""crm history ENTITY ID: who changed what, when."""

from __future__ import annotations

from typing import Annotated

import typer

from crm_cli.core.options import FormatOpt, JsonOpt
from crm_cli.core.output import Col

def history(entity: Annotated[str, typer.Argument(help="customer, contact, user, lead, opp, activity...")],
            ident: Annotated[str, typer.Argument(help="Record id or name.")],
            fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """Show every change to a record: who, when, field, old and new value."""
    from crm_cli.core import db
    from crm_cli.core.errors import ValidationError
    from crm_cli.models import ENTITIES
    from crm_cli.core.output import emit
    from crm_cli.services import audit, resolve

    if entity not in ENTITIES:
        raise ValidationError(f"unknown entity '{entity}'", "one of " + ", ".join(sorted(ENTITIES)))
    with db.session_scope() as s:
        rows = audit.history_of(s, entity, ident, lambda: resolve.get(s, ENTITIES[entity], ident,
                                                                     include_deleted=True).id)
    emit(rows, [Col("at", "When"), Col("user", "Who"), Col("action", "Action"), Col("field", "Field"),
                Col("old", "Old"), Col("new", "New")], fmt, as_json)
