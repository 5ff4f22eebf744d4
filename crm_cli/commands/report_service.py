"""crm report service (SQL aggregate in crm_cli.reports.service)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from crm_cli.core.options import FormatOpt, JsonOpt


def service(
    since: Annotated[Optional[str], typer.Option(help="Tickets created since this time (e.g. 2026-11-01).")] = None,
    until: Annotated[Optional[str], typer.Option(help="...and before this time.")] = None,
    by: Annotated[str, typer.Option("--by", help="type|assignee|queue|customer|product")] = "type",
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Service desk figures per group and in total: volume, complaints (rate), the open backlog by age,
    first-response and resolution time in business hours (median, p90), SLA compliance, satisfaction
    (average and 1-5 distribution)."""
    from crm_cli.core import context, db
    from crm_cli.core.dates import parse_datetime
    from crm_cli.core.output import emit
    from crm_cli.reports import service as rep

    start = parse_datetime(since, option="--since") if since else None
    end = parse_datetime(until, option="--until") if until else None
    with db.session_scope() as s:
        rows = rep.service_report(s, now=context.now(), by=by.strip().lower(), since=start, until=end)
    emit(rows, rep.COLUMNS, fmt, as_json)


def register(app) -> None:
    app.command("service")(service)
