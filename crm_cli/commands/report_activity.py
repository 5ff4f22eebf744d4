"""crm report activity (SQL aggregate in crm_cli.reports.activity)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from crm_cli.core.options import FormatOpt, JsonOpt, OwnerOpt


def activity(
    since: Annotated[Optional[str], typer.Option(help="Only activities due (or created) since DATE, e.g. "
                                                 "2026-11-01, som, '30 days ago'.")] = None,
    by: Annotated[str, typer.Option(help="owner|type")] = "owner",
    owner: OwnerOpt = "all",
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Per rep (or type): planned / in progress / done / cancelled / overdue, completion rate,
    activities per customer, total cost."""
    from crm_cli.core import context, db
    from crm_cli.core.dates import parse_datetime
    from crm_cli.core.output import Col, emit
    from crm_cli.reports import activity as rep
    from crm_cli.services import identity

    start = parse_datetime(since, option="--since") if since else None
    with db.session_scope() as s:
        rows = rep.activity_report(s, now=context.now(), by=by, since=start, owner_id=identity.owner_filter(s, owner))
    columns = [Col("key", "Rep" if by == "owner" else "Type")] + rep.COLUMNS[1:]
    emit(rows, columns, fmt, as_json)


def register(app) -> None:
    """Add this module's report subcommands to `crm report`."""
    app.command("activity")(activity)
