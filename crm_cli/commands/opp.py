"""crm opp: opportunities through their pipeline stages. Parse options, call services.opportunities, print."""

from __future__ import annotations

from typing import Annotated, List, Optional

import typer

from crm_cli.core.options import (FormatOpt, JsonOpt, QuietOpt, SetOpt, WhereOpt, YesOpt, OwnerOpt, LimitOpt,
                                  OffsetOpt, search_opt, sort_opt)
from crm_cli.core.output import Col

app = typer.Typer(help="Opportunities (deals): add, list, advance through stages, win, lose, freeze, history.",
                  no_args_is_help=True)

Ref = Annotated[str, typer.Argument(help="Opportunity id or unambiguous title.")]
SearchOpt = search_opt("Title or customer name.")
SortOpt = sort_opt("id|title|amount|close|created|updated|probability|stage")
ContactOpt = Annotated[Optional[List[str]], typer.Option(
    "--contact", help="Contact (id or name), optionally with a decision role: 'Jane:decision-maker' (repeatable).")]
CompetitorOpt = Annotated[Optional[List[str]], typer.Option("--competitor", help="Competitor in the deal "
                                                                                 "(repeatable).")]


def _opp(s, ref):
    from crm_cli.models.opportunity import Opportunity
    from crm_cli.services import resolve

    return resolve.get(s, Opportunity, ref)


def _moved(opp, stage, verb: str) -> None:
    from crm_cli.core.output import info

    info(f"opp {opp.id} '{opp.title}' {verb} {stage.name} ({opp.probability}%)")


@app.command("add")
def add(
    title: Annotated[Optional[str], typer.Argument(help="Opportunity title.", show_default=False)] = None,
    customer: Annotated[Optional[str], typer.Option("--customer", "-c", help="Customer (id or name); "
                                                                            "prospects allowed.")] = None,
    amount: Annotated[Optional[str], typer.Option(help="e.g. 120000, ¥12万, 'USD 20k'.")] = None,
    currency: Annotated[Optional[str], typer.Option(help="ISO code when --amount has none (default: config).")] = None,
    pipeline: Annotated[Optional[str], typer.Option(help="Pipeline (default: config default_pipeline).")] = None,
    stage: Annotated[Optional[str], typer.Option(help="Open stage to start in (default: the first).")] = None,
    probability: Annotated[Optional[int], typer.Option(help="Override the stage's probability (0-100).")] = None,
    close: Annotated[Optional[str], typer.Option("--close", help="Expected close date (e.g. 2026-12-31, eoq).")] = None,
    owner: Annotated[Optional[str], typer.Option(help="Owner handle (default: you).")] = None,
    contact: ContactOpt = None,
    competitor: CompetitorOpt = None,
    source: Optional[str] = None,
    campaign: Optional[str] = None,
    lead: Annotated[Optional[int], typer.Option("--lead", help="Lead id it came from.")] = None,
    next_step: Annotated[Optional[str], typer.Option("--next-step")] = None,
    notes: Optional[str] = None,
    set_: SetOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Add an opportunity for a customer."""
    from crm_cli.core import db, prompts
    from crm_cli.core.dates import parse_date
    from crm_cli.models import Customer
    from crm_cli.core.config import default_currency
    from crm_cli.core.money import parse_money
    from crm_cli.core.output import created
    from crm_cli.services import customfields, identity, opportunities, pipelines, resolve

    title = prompts.require(title, "TITLE", "Opportunity title")
    customer = prompts.require(customer, "--customer", "Customer")
    opportunities.validate(title=title, probability=probability)
    money = parse_money(amount, currency, default=default_currency(), option="--amount") if amount else None
    expected = parse_date(close, option="--close") if close else None
    with db.session_scope() as s:
        cust = resolve.get(s, Customer, customer)
        pipe = pipelines.get_pipeline(s, pipeline)
        st = pipelines.find_stage(s, pipe, stage) if stage else None
        own = identity.user_ref(s, owner)
        custom = customfields.parse_sets(s, "opp", set_)
        contacts = opportunities.parse_contacts(s, contact)
        opp = opportunities.create(s, title=title, customer=cust, owner=own, amount=money, currency=currency,
                                   pipeline=pipe, stage=st, probability=probability, expected_close=expected,
                                   lead_id=lead, source=source, campaign=campaign, notes=notes, custom=custom,
                                   next_step=next_step, contacts=contacts,
                                   competitors=opportunities.resolve_competitors(s, competitor))
        created("opp", opp.id, opp.title, quiet)


@app.command("list")
def list_(
    owner: OwnerOpt = "all",
    stage: Annotated[Optional[str], typer.Option(help="Stage name (in --pipeline or the default).")] = None,
    pipeline: Optional[str] = None,
    status: Annotated[Optional[str], typer.Option(help="open|won|lost|frozen|closed (comma-separated).")] = None,
    closing: Annotated[Optional[str], typer.Option(help="this-month|next-month|this-quarter|next-quarter|"
                                                        "this-year|overdue|DATE..DATE")] = None,
    customer: Annotated[Optional[str], typer.Option(help="Customer id or name.")] = None,
    min_amount: Annotated[Optional[str], typer.Option("--min-amount", help="e.g. 100k (same currency).")] = None,
    stale: Annotated[Optional[str], typer.Option(help="Open with no stage change (or activity) for e.g. 14d.")] = None,
    source: Optional[str] = None,
    search: SearchOpt = None,
    where: WhereOpt = None,
    sort: SortOpt = "id",
    limit: LimitOpt = None,
    offset: OffsetOpt = 0,
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List opportunities (frozen ones are listed with status 'frozen')."""
    from crm_cli.core import db
    from crm_cli.models import Customer
    from crm_cli.core.config import default_currency
    from crm_cli.core.money import parse_money
    from crm_cli.core.output import emit, shown_fields
    from crm_cli.services import identity, opportunities, pipelines, resolve

    money = parse_money(min_amount, default=default_currency(), option="--min-amount") if min_amount else None
    with db.session_scope() as s:
        pipe = pipelines.get_pipeline(s, pipeline) if pipeline else None
        cust = resolve.get(s, Customer, customer) if customer else None
        rows, csv_keys = opportunities.stream_opps(
            s, fields=shown_fields(fmt, as_json, opportunities.LIST_COLUMNS), owner_id=identity.owner_filter(s, owner),
            stage=stage, pipeline=pipe, status=status, closing=closing, customer=cust, min_amount=money, stale=stale,
            source=source, search=search, where=where, sort=sort, limit=limit, offset=offset)
        emit(rows, opportunities.LIST_COLUMNS, fmt, as_json, csv_keys=csv_keys)


@app.command("show")
def show(ref: Ref, fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """Details of one opportunity, with its contacts and stage history."""
    from crm_cli.core import db
    from crm_cli.core.output import emit_record
    from crm_cli.services import opportunities

    with db.session_scope() as s:
        opp = _opp(s, ref)
        rec = opportunities.full_record(s, opp)
        hist, _ = opportunities.history(s, opp)
    contacts = rec.pop("contacts")
    emit_record(rec, fmt, as_json, sections=[
        ("contacts", contacts, [Col("id", "ID", "right"), Col("name", "Name"), Col("role", "Role")]),
        ("stage_history", hist, opportunities.HISTORY_COLUMNS)])


@app.command("edit")
def edit(
    ref: Ref,
    title: Annotated[Optional[str], typer.Option("--title")] = None,
    customer: Optional[str] = None,
    amount: Optional[str] = None,
    currency: Optional[str] = None,
    probability: Annotated[Optional[int], typer.Option(help="Override the probability (0-100).")] = None,
    stage_probability: Annotated[bool, typer.Option("--stage-probability",
                                                    help="Go back to the stage's default probability.")] = False,
    close: Annotated[Optional[str], typer.Option("--close", help="Expected close date; 'none' clears it.")] = None,
    owner: Optional[str] = None,
    contact: ContactOpt = None,
    competitor: CompetitorOpt = None,
    source: Optional[str] = None,
    campaign: Optional[str] = None,
    next_step: Annotated[Optional[str], typer.Option("--next-step")] = None,
    notes: Optional[str] = None,
    set_: SetOpt = None,
) -> None:
    """Change an opportunity's fields (stages change with advance/back/move/win/lose)."""
    from crm_cli.core import db
    from crm_cli.core.dates import parse_date
    from crm_cli.models import Customer
    from crm_cli.core.errors import UsageError
    from crm_cli.core.config import default_currency
    from crm_cli.core.money import parse_money
    from crm_cli.core.output import info
    from crm_cli.services import customfields, identity, opportunities, resolve

    data = opportunities.validate(title=title, probability=probability, source=source, campaign=campaign,
                                  next_step=next_step, notes=notes)
    if currency and not amount:
        raise UsageError("--currency goes with --amount", "give both: --amount 5000 --currency EUR")
    money = parse_money(amount, currency, default=default_currency(), option="--amount") if amount else None
    clear_close = close is not None and close.lower() == "none"
    expected = parse_date(close, option="--close") if close and not clear_close else None
    with db.session_scope() as s:
        opp = _opp(s, ref)
        cust = resolve.get(s, Customer, customer) if customer else None
        own = identity.user_ref(s, owner, default_me=False)
        custom = customfields.parse_sets(s, "opp", set_, opp.custom) if set_ else None
        opportunities.edit(s, opp, data, amount=money, customer=cust, owner=own, expected_close=expected,
                           clear_close=clear_close, custom=custom, reset_probability=stage_probability)
        for c, role in opportunities.parse_contacts(s, contact):
            opportunities.add_contact(s, opp, c, role)
        for comp in opportunities.resolve_competitors(s, competitor):
            opportunities.add_competitor(s, opp, comp)
        info(f"updated opp {opp.id}: {opp.title}")


@app.command("delete")
def delete(ref: Ref, yes: YesOpt = False) -> None:
    """Move an opportunity to the trash (`crm trash restore opp ID` brings it back)."""
    from crm_cli.core import context, db, prompts
    from crm_cli.core.output import info
    from crm_cli.services import opportunities

    with db.session_scope() as s:
        opp = _opp(s, ref)
        prompts.confirm(f"Delete opp {opp.id} '{opp.title}'?", yes)
        opportunities.soft_delete(s, opp, context.now())
        info(f"opp {opp.id} '{opp.title}' moved to the trash (crm trash restore opp {opp.id})")


@app.command("advance")
def advance(ref: Ref) -> None:
    """Move to the next open stage."""
    from crm_cli.core import db
    from crm_cli.services import opportunities

    with db.session_scope() as s:
        opp = _opp(s, ref)
        _moved(opp, opportunities.advance(s, opp), "advanced to")


@app.command("back")
def back(ref: Ref) -> None:
    """Move back to the previous open stage."""
    from crm_cli.core import db
    from crm_cli.services import opportunities

    with db.session_scope() as s:
        opp = _opp(s, ref)
        _moved(opp, opportunities.back(s, opp), "moved back to")


@app.command("move")
def move(ref: Ref,
         stage: Annotated[Optional[str], typer.Option("--stage", help="Open stage name.")] = None,
         pipeline: Annotated[Optional[str], typer.Option(help="Move into another pipeline.")] = None) -> None:
    """Move to any open stage (of its pipeline, or of --pipeline)."""
    from crm_cli.core import db, prompts
    from crm_cli.services import opportunities, pipelines

    stage = prompts.require(stage, "--stage", "Stage")
    with db.session_scope() as s:
        opp = _opp(s, ref)
        pipe = pipelines.get_pipeline(s, pipeline) if pipeline else None
        _moved(opp, opportunities.move(s, opp, stage, pipe), "moved to")


@app.command("win")
def win(ref: Ref, amount: Annotated[Optional[str], typer.Option(help="Final amount, if it changed.")] = None) -> None:
    """Close as won: the won stage, probability 100, closed today."""
    from crm_cli.core import db
    from crm_cli.core.config import default_currency
    from crm_cli.core.money import parse_money
    from crm_cli.services import opportunities

    money = parse_money(amount, default=default_currency(), option="--amount") if amount else None
    with db.session_scope() as s:
        opp = _opp(s, ref)
        _moved(opp, opportunities.win(s, opp, money), "won:")


@app.command("lose")
def lose(ref: Ref,
         reason: Annotated[Optional[str], typer.Option(help="A lost reason (config lost_reasons).")] = None,
         competitor: Annotated[Optional[str], typer.Option(help="Competitor who won it.")] = None) -> None:
    """Close as lost; --reason is required."""
    from crm_cli.core import db
    from crm_cli.services import opportunities

    with db.session_scope() as s:
        opp = _opp(s, ref)
        comp = opportunities.resolve_competitors(s, [competitor])[0] if competitor else None
        _moved(opp, opportunities.lose(s, opp, reason, comp), "lost:")


@app.command("reopen")
def reopen(ref: Ref, stage: Annotated[Optional[str], typer.Option(
        help="Open stage to reopen in (default: the stage it was closed from).")] = None) -> None:
    """Reopen a won or lost opportunity (clears the closed date)."""
    from crm_cli.core import db
    from crm_cli.services import opportunities

    with db.session_scope() as s:
        opp = _opp(s, ref)
        _moved(opp, opportunities.reopen(s, opp, stage), "reopened at")


@app.command("freeze")
def freeze(ref: Ref) -> None:
    """Park an open opportunity: kept in lists (status frozen), left out of the forecast."""
    from crm_cli.core import db
    from crm_cli.core.output import info
    from crm_cli.services import opportunities

    with db.session_scope() as s:
        opp = _opp(s, ref)
        opportunities.freeze(s, opp)
        info(f"opp {opp.id} '{opp.title}' is frozen (crm opp unfreeze {opp.id})")


@app.command("unfreeze")
def unfreeze(ref: Ref) -> None:
    """Resume a frozen opportunity."""
    from crm_cli.core import db
    from crm_cli.core.output import info
    from crm_cli.services import opportunities

    with db.session_scope() as s:
        opp = _opp(s, ref)
        opportunities.unfreeze(s, opp)
        info(f"opp {opp.id} '{opp.title}' is open again")


@app.command("history")
def history(ref: Ref, fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """Stage changes with time and user, time in each stage; cycle length once closed."""
    from crm_cli.core import db
    from crm_cli.core.output import Format, emit, info, resolve_format
    from crm_cli.services import opportunities

    with db.session_scope() as s:
        opp = _opp(s, ref)
        rows, summary = opportunities.history(s, opp)
    emit(rows, opportunities.HISTORY_COLUMNS, fmt, as_json)
    if resolve_format(fmt, as_json) in (Format.table, Format.markdown):
        if summary["cycle_days"] is not None:
            info(f"opp {summary['id']} {summary['status']}: cycle length {summary['cycle_days']} days")
        else:
            info(f"opp {summary['id']} {summary['status']}: open for {summary['days_open']} days")


from crm_cli.commands.io import register_io  # noqa: E402

register_io(app, "opp")
