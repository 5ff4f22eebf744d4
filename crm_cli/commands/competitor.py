"""crm competitor: competitors with strengths and weaknesses; the win/loss report uses them."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from crm_cli.core.options import FormatOpt, JsonOpt, QuietOpt
from crm_cli.core.output import Col

app = typer.Typer(help="Competitors: add, list, show, edit, with our record against them.", no_args_is_help=True)

Ref = Annotated[str, typer.Argument(help="Competitor id or name.")]


@app.command("add")
def add(name: Annotated[Optional[str], typer.Argument(help="Competitor name.", show_default=False)] = None,
        website: Optional[str] = None,
        strengths: Optional[str] = None,
        weaknesses: Optional[str] = None,
        notes: Optional[str] = None,
        quiet: QuietOpt = False) -> None:
    """Add a competitor."""
    from crm_cli.core import db, prompts
    from crm_cli.core.output import created
    from crm_cli.services import competitors

    name = prompts.require(name, "NAME", "Competitor name")
    with db.session_scope() as s:
        c = competitors.add(s, name, website, strengths, weaknesses, notes)
        created("competitor", c.id, c.name, quiet)


@app.command("list")
def list_(fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """Competitors with the deals they are in, won and lost."""
    from crm_cli.core import db
    from crm_cli.core.output import emit
    from crm_cli.services import competitors

    with db.session_scope() as s:
        rows = competitors.records(s)
    emit(rows, competitors.COLUMNS, fmt, as_json)


@app.command("show")
def show(ref: Ref, fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """One competitor, with the opportunities it is in."""
    from crm_cli.core import db
    from crm_cli.models.opportunity import Competitor
    from crm_cli.core.output import emit_record
    from crm_cli.services import competitors, opportunities, resolve

    with db.session_scope() as s:
        c = resolve.get(s, Competitor, ref)
        rec = competitors.records(s, c.id)[0]
        opps = opportunities.list_opps(s, competitor_id=c.id)
    emit_record(rec, fmt, as_json, sections=[("opportunities", opps, [
        Col("id", "ID", "right"), Col("title", "Title"), Col("customer", "Customer"), Col("status", "Status"),
        Col("amount", "Amount", "right"), Col("lost_reason", "Lost reason")])])


@app.command("edit")
def edit(ref: Ref, name: Annotated[Optional[str], typer.Option("--name")] = None,
         website: Optional[str] = None, strengths: Optional[str] = None, weaknesses: Optional[str] = None,
         notes: Optional[str] = None) -> None:
    """Change a competitor's details."""
    from crm_cli.core import db
    from crm_cli.models.opportunity import Competitor
    from crm_cli.core.output import info
    from crm_cli.services import competitors, resolve

    with db.session_scope() as s:
        c = resolve.get(s, Competitor, ref)
        competitors.edit(s, c, name=name, website=website, strengths=strengths, weaknesses=weaknesses,
                         notes=notes)
        info(f"updated competitor {c.id}: {c.name}")
