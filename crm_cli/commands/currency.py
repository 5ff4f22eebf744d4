"""crm currency: exchange rates used to convert report totals (forecast, funnel, win/loss)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from crm_cli.core.options import FormatOpt, JsonOpt
from crm_cli.core.output import Col

app = typer.Typer(help="Exchange rates for reports: crm currency rate USD 7.12 (1 USD = 7.12 in your currency).",
                  no_args_is_help=True)

COLUMNS = [Col("currency", "Currency"), Col("base", "Base"), Col("rate", "Rate", "right"),
           Col("updated_at", "Updated"), Col("updated_by", "By")]


@app.command("rate")
def rate(currency: Annotated[Optional[str], typer.Argument(help="ISO code, e.g. USD (omit to list rates).")] = None,
         value: Annotated[Optional[str], typer.Argument(help="How much of BASE one unit is worth, e.g. 7.12.")] = None,
         base: Annotated[Optional[str], typer.Option(help="Base currency (default: config currency).")] = None,
         delete: Annotated[bool, typer.Option("--delete", help="Remove the rate.")] = False,
         fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """Set a rate (crm currency rate USD 7.12 [--base CNY]), show one (crm currency rate USD) or list all."""
    from crm_cli.core import db
    from crm_cli.core.output import emit, info
    from crm_cli.services import currency as cur

    with db.session_scope() as s:
        if currency and delete:
            cur.delete_rate(s, currency, base)
            info(f"deleted the rate for {currency.upper()}")
            return
        if currency and value is not None:
            row = cur.set_rate(s, currency, value, base)
            info(f"1 {row.currency} = {row.rate} {row.base}")
            return
        rows = cur.rates(s)
    if currency:
        from crm_cli.core.money import check_currency

        code = check_currency(currency)
        rows = [r for r in rows if r["currency"] == code]
    emit(rows, COLUMNS, fmt, as_json)


@app.command("list")
def list_(fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """List the exchange rates."""
    rate(None, None, None, False, fmt, as_json)
