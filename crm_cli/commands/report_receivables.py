"""crm report receivables (SQL aggregate in crm_cli.reports.receivables)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from crm_cli.core.options import FormatOpt, JsonOpt, OwnerOpt


def receivables(
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="Age the balances as of this day (default "
                                                 "today); payments after it do not count.")] = None,
    owner: OwnerOpt = "all",
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Open balance per customer, aged by due date: not yet due, 0-30, 31-60, 61-90, 91-120, 121+ days
    overdue; the buckets add up to the balance; a total row per currency."""
    from crm_cli.core import db
    from crm_cli.core.dates import parse_date
    from crm_cli.core.output import emit
    from crm_cli.reports import receivables as rep
    from crm_cli.services import identity
    from crm_cli.services.documents import today

    day = parse_date(as_of, option="--as-of") if as_of else today()
    with db.session_scope() as s:
        rows = rep.receivables(s, as_of=day, owner_id=identity.owner_filter(s, owner))
    emit(rows, rep.COLUMNS, fmt, as_json)


def register(app) -> None:
    app.command("receivables")(receivables)
