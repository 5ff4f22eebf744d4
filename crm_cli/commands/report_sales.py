"""crm report funnel | forecast | winloss (SQL aggregates in crm_cli.reports)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from crm_cli.core.options import FormatOpt, JsonOpt, OwnerOpt
from crm_cli.core.output import Col

CurrencyOpt = Annotated[Optional[str], typer.Option(help="Convert amounts to this currency (crm currency rate).")]


def funnel(
    pipeline: Annotated[Optional[str], typer.Option(help="Pipeline (default: the default pipeline).")] = None,
    owner: OwnerOpt = "all",
    period: Annotated[Optional[str], typer.Option(help="this-month|this-quarter|next-quarter|DATE..DATE: open "
                                                       "opps by expected close, closed ones by close date.")] = None,
    currency: CurrencyOpt = None,
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Per stage: opportunities, amount, weighted amount, conversion from the previous stage, share vs quota."""
    from crm_cli.core import db
    from crm_cli.core.output import Format, emit, resolve_format
    from crm_cli.reports import funnel as rep
    from crm_cli.services import identity, pipelines

    f = resolve_format(fmt, as_json)
    with db.session_scope() as s:
        p = pipelines.get_pipeline(s, pipeline)
        rows, target = rep.funnel(s, p, identity.owner_filter(s, owner), period, currency)
    if f in (Format.table, Format.markdown):
        total = sum(r["count"] for r in rows)
        emit(rep.bar_rows(rows), rep.COLUMNS + [Col("bar", "")], f, title=f"Funnel: {p.name} ({target})",
             footer=f"{total} opportunities; conversion = reached this stage / reached the previous one")
    else:
        emit(rows, rep.COLUMNS, f)


def forecast(
    by: Annotated[str, typer.Option(help="month|quarter")] = "month",
    owner: OwnerOpt = "all",
    pipeline: Annotated[Optional[str], typer.Option(help="Only this pipeline (default: all).")] = None,
    period: Annotated[Optional[str], typer.Option(help="Only periods in this-quarter|next-quarter|this-year|"
                                                       "DATE..DATE.")] = None,
    currency: CurrencyOpt = None,
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Per expected-close period: pipeline, weighted, committed (late stages) and won so far."""
    from crm_cli.core import db
    from crm_cli.core.output import emit
    from crm_cli.reports import forecast as rep
    from crm_cli.services import identity, pipelines

    with db.session_scope() as s:
        pid = pipelines.get_pipeline(s, pipeline).id if pipeline else None
        rows = rep.forecast(s, by, identity.owner_filter(s, owner), pid, currency, period)
    emit(rows, rep.COLUMNS, fmt, as_json, title="Forecast")


def winloss(
    since: Annotated[Optional[str], typer.Option(help="Closed on or after this date (e.g. 2026-01-01, -90d).")] = None,
    owner: OwnerOpt = "all",
    pipeline: Annotated[Optional[str], typer.Option(help="Only this pipeline (default: all).")] = None,
    section: Annotated[Optional[str], typer.Option(help="Only one of summary|owner|source|competitor|"
                                                        "lost_reason|stage_time.")] = None,
    currency: CurrencyOpt = None,
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Win rate by owner, source and competitor; lost reasons; deal size, cycle length, time in stage."""
    from crm_cli.core import db
    from crm_cli.core.dates import parse_date
    from crm_cli.core.errors import ValidationError
    from crm_cli.core.output import Format, emit, resolve_format
    from crm_cli.reports import winloss as rep
    from crm_cli.services import identity, pipelines

    if section and section not in rep.SECTIONS:
        raise ValidationError(f"--section must be one of {', '.join(rep.SECTIONS)}, not '{section}'")
    start = parse_date(since, option="--since") if since else None
    f = resolve_format(fmt, as_json)
    with db.session_scope() as s:
        pid = pipelines.get_pipeline(s, pipeline).id if pipeline else None
        rows = rep.winloss(s, start, identity.owner_filter(s, owner), pid, currency)
    if section:
        rows = [r for r in rows if r["section"] == section]
    if f in (Format.table, Format.markdown):
        by_col = {c.key: c for c in rep.COLUMNS + [Col("count", "Count", "right"),
                                                  Col("lost_to", "Lost to them", "right")]}
        first = True
        for sec in rep.SECTIONS:
            part = [r for r in rows if r["section"] == sec]
            if not part:
                continue
            if not first:
                print()
            first = False
            emit(part, [by_col[k] for k in rep.SECTION_COLUMNS[sec]], f, title=rep.TITLES[sec])
        return
    cols = rep.COLUMNS + [Col("count"), Col("lost_to")]
    emit(rows, cols, f)


def register(app) -> None:
    """Add this module's report subcommands to `crm report`."""
    app.command("funnel")(funnel)
    app.command("forecast")(forecast)
    app.command("winloss")(winloss)
