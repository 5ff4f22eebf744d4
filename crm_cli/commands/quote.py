"""crm quote: quotes priced by the rules, sent, accepted or rejected, revised, converted into orders."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from crm_cli.commands import lineopts as lo
from crm_cli.core.options import FormatOpt, JsonOpt, LimitOpt, OffsetOpt, OwnerOpt, QuietOpt, YesOpt, sort_opt

app = typer.Typer(help="Quotes: lines priced by the rules, send, accept, revise, convert into an order, render.",
                  no_args_is_help=True)

Ref = Annotated[str, typer.Argument(help="Quote number (Q-2026-0001, or 'Q-2026-0001 rev 2') or id.")]


@app.command("new")
def new(
    customer: Annotated[Optional[str], typer.Option("--customer", "-c", help="Customer (id or name).")] = None,
    opp: Annotated[Optional[int], typer.Option("--opp", help="The opportunity it answers (id).")] = None,
    contact: Annotated[Optional[str], typer.Option(help="Contact at the customer (name or id).")] = None,
    currency: Annotated[Optional[str], typer.Option(help="Currency (default: the opportunity's, the "
                                                    "customer's, or config).")] = None,
    on: Annotated[Optional[str], typer.Option("--date", help="The quote's date (default today); prices by it.")]
    = None,
    valid_until: Annotated[Optional[str], typer.Option(help="Default: date + config quote_validity_days.")] = None,
    terms: Annotated[Optional[int], typer.Option("--terms", help="Payment terms in days (default: the "
                                                 "customer's).")] = None,
    notes: Optional[str] = None,
    quiet: QuietOpt = False,
) -> None:
    """Start a draft quote for a customer (add lines with add-line)."""
    from crm_cli.core import db, prompts
    from crm_cli.core.config import default_currency
    from crm_cli.core.money import check_currency
    from crm_cli.core.output import created
    from crm_cli.models import Contact, Customer
    from crm_cli.models.opportunity import Opportunity
    from crm_cli.services import identity, quotes, resolve

    customer = prompts.require(customer, "--customer", "Customer")
    with db.session_scope() as s:
        c = resolve.get(s, Customer, customer)
        o = resolve.get(s, Opportunity, opp) if opp is not None else None
        k = resolve.get(s, Contact, contact) if contact else None
        cur = check_currency(currency) if currency else ((o.currency if o is not None and o.currency else None)
                                                          or c.currency or default_currency())
        issued = _date(on, "--date") or quotes.today()
        q = quotes.create(s, c, owner=identity.current_user(s), currency=cur, issued_on=issued,
                          valid_until=_date(valid_until, "--valid-until"), payment_terms=terms, opportunity=o,
                          contact=k, notes=notes)
        created("quote", q.id, f"{q.number} for {c.name} ({cur})", quiet)


def _date(text, option):
    if not text:
        return None
    from crm_cli.core.dates import parse_date

    return parse_date(text, option=option)


@app.command("edit")
def edit(ref: Ref,
         valid_until: Annotated[Optional[str], typer.Option(help="New valid-until date.")] = None,
         terms: Annotated[Optional[int], typer.Option("--terms", help="Payment terms in days.")] = None,
         notes: Optional[str] = None) -> None:
    """Change a draft's validity, payment terms or notes."""
    from crm_cli.core import db
    from crm_cli.core.output import info
    from crm_cli.services import quotes

    with db.session_scope() as s:
        q = quotes.find(s, ref)
        quotes.edit(s, q, valid_until=_date(valid_until, "--valid-until"), payment_terms=terms, notes=notes)
        info(f"updated quote {quotes.label(q)}")


@app.command("add-line")
def add_line(ref: Ref, product: lo.ProductOpt = None, text: lo.TextOpt = None, qty: lo.QtyOpt = None,
             unit: lo.UnitOpt = None, price: lo.PriceOpt = None, discount: lo.DiscountOpt = None, tax: lo.TaxOpt = None,
             tax_included: lo.TaxIncludedOpt = None, approve: lo.ApproveOpt = False) -> None:
    """Add a line: a --product priced by the rules (unless --price), or a --text line with --price."""
    from crm_cli.core import db
    from crm_cli.core.errors import UsageError
    from crm_cli.core.money import Money
    from crm_cli.core.output import info
    from crm_cli.services import identity, quotes

    if not product and not text:
        raise UsageError("a line needs --product SKU or --text \"...\"")
    with db.session_scope() as s:
        q = quotes.find(s, ref)
        spec = lo.spec(s, currency=q.currency, product=product, text=text, qty=qty, unit=unit, price=price,
                       discount=discount, tax=tax, tax_included=tax_included, approve=approve)
        line = quotes.add_line(s, q, spec, identity.current_user(s))
        info(f"{quotes.label(q)} line {line.position}: {line.description} {Money(line.total, q.currency)}; "
             f"quote total {Money(q.total, q.currency)}")


@app.command("edit-line")
def edit_line(ref: Ref, line_no: lo.LineNo, product: lo.ProductOpt = None, text: lo.TextOpt = None,
              qty: lo.QtyOpt = None, unit: lo.UnitOpt = None, price: lo.PriceOpt = None,
              discount: lo.DiscountOpt = None, tax: lo.TaxOpt = None, tax_included: lo.TaxIncludedOpt = None,
              approve: lo.ApproveOpt = False) -> None:
    """Change a draft's line (a product line is priced again by the rules unless --price)."""
    from crm_cli.core import db
    from crm_cli.core.money import Money
    from crm_cli.core.output import info
    from crm_cli.services import identity, quotes

    with db.session_scope() as s:
        q = quotes.find(s, ref)
        spec = lo.spec(s, currency=q.currency, product=product, text=text, qty=qty, unit=unit, price=price,
                       discount=discount, tax=tax, tax_included=tax_included, approve=approve)
        line = quotes.edit_line(s, q, line_no, spec, identity.current_user(s))
        info(f"{quotes.label(q)} line {line.position}: {line.description} {Money(line.total, q.currency)}; "
             f"quote total {Money(q.total, q.currency)}")


@app.command("remove-line")
def remove_line(ref: Ref, line_no: lo.LineNo) -> None:
    """Remove a line from a draft (the others are renumbered)."""
    from crm_cli.core import db
    from crm_cli.core.money import Money
    from crm_cli.core.output import info
    from crm_cli.services import quotes

    with db.session_scope() as s:
        q = quotes.find(s, ref)
        quotes.remove_line(s, q, line_no)
        info(f"{quotes.label(q)}: removed line {line_no}; quote total {Money(q.total, q.currency)}")


@app.command("show")
def show(ref: Ref, fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """A quote with its lines and totals."""
    from crm_cli.core import db
    from crm_cli.core.output import emit_record
    from crm_cli.services import documents, quotes

    with db.session_scope() as s:
        rec = quotes.record(s, quotes.find(s, ref, include_deleted=True))
    lines = rec.pop("lines")
    emit_record(rec, fmt, as_json, sections=[("lines", lines, documents.line_columns())])


@app.command("list")
def list_(
    status: Annotated[Optional[str], typer.Option(help="draft,sent,accepted,rejected,expired (comma list).")]
    = None,
    customer: Annotated[Optional[str], typer.Option("--customer", "-c")] = None,
    owner: OwnerOpt = "all",
    opp: Annotated[Optional[int], typer.Option("--opp")] = None,
    all_revisions: Annotated[bool, typer.Option("--all-revisions", help="Also superseded revisions.")] = False,
    sort: sort_opt("number|total|valid|id|created|updated") = "-number",
    limit: LimitOpt = None,
    offset: OffsetOpt = 0,
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List quotes (newest first; the current revision of each)."""
    from crm_cli.core import db
    from crm_cli.core.output import emit
    from crm_cli.models import Customer
    from crm_cli.services import identity, quotes, resolve

    with db.session_scope() as s:
        cid = resolve.get(s, Customer, customer).id if customer else None
        rows = quotes.list_quotes(s, status=status, customer_id=cid, owner_id=identity.owner_filter(s, owner),
                                  opportunity_id=opp, sort=sort, limit=limit, offset=offset,
                                  current_only=not all_revisions)
    emit(rows, quotes.LIST_COLUMNS, fmt, as_json)


@app.command("send")
def send(ref: Ref) -> None:
    """Mark a draft as sent to the customer (it can no longer change; revise it instead)."""
    from crm_cli.core import context, db
    from crm_cli.core.output import info
    from crm_cli.services import quotes

    with db.session_scope() as s:
        q = quotes.find(s, ref)
        quotes.send(s, q, context.now())
        info(f"quote {quotes.label(q)} is sent (valid until {q.valid_until})")


@app.command("accept")
def accept(ref: Ref,
           win_opp: Annotated[bool, typer.Option("--win-opp", help="Also win the linked opportunity (its amount "
                                                 "becomes the quote total).")] = False,
           force: Annotated[bool, typer.Option("--force", help="Accept an expired quote.")] = False) -> None:
    """The customer accepted a sent quote."""
    from crm_cli.core import context, db
    from crm_cli.core.output import info
    from crm_cli.services import quotes

    with db.session_scope() as s:
        q = quotes.find(s, ref)
        opp = quotes.accept(s, q, context.now(), force=force, win_opp=win_opp)
        info(f"quote {quotes.label(q)} is accepted" + (f"; opportunity {opp.id} is won" if opp else ""))


@app.command("reject")
def reject(ref: Ref, reason: Annotated[Optional[str], typer.Option(help="Why the customer said no.")] = None
           ) -> None:
    """The customer rejected a sent quote."""
    from crm_cli.core import context, db
    from crm_cli.core.output import info
    from crm_cli.services import quotes

    with db.session_scope() as s:
        q = quotes.find(s, ref)
        quotes.reject(s, q, context.now(), reason)
        info(f"quote {quotes.label(q)} is rejected")


@app.command("revise")
def revise(ref: Ref, quiet: QuietOpt = False) -> None:
    """Copy a sent, rejected or expired quote into a new draft revision that supersedes it."""
    from crm_cli.core import db
    from crm_cli.core.output import created
    from crm_cli.services import quotes

    with db.session_scope() as s:
        q = quotes.find(s, ref)
        new = quotes.revise(s, q)
        created("quote", new.id, f"{quotes.label(new)} (a draft; supersedes {quotes.label(q)})", quiet)


@app.command("convert")
def convert(ref: Ref, force: Annotated[bool, typer.Option("--force", help="Convert a sent or expired quote that "
                                                          "was not accepted.")] = False,
            quiet: QuietOpt = False) -> None:
    """Turn an accepted quote into a draft order with the same lines and prices (once)."""
    from crm_cli.core import context, db
    from crm_cli.core.output import created
    from crm_cli.services import quotes

    with db.session_scope() as s:
        q = quotes.find(s, ref)
        order = quotes.convert(s, q, context.now(), force=force)
        created("order", order.id, f"{order.number} from quote {quotes.label(q)}", quiet)


@app.command("render")
def render(ref: Ref,
           fmt: Annotated[str, typer.Option("--format", "-f", help="markdown|text|html")] = "text",
           output: Annotated[Optional[str], typer.Option("--output", "-o", help="Write to this file.")] = None
           ) -> None:
    """The quote as a document to send: company, customer, lines, totals, validity, terms."""
    from crm_cli.core import db
    from crm_cli.core.errors import UsageError
    from crm_cli.core.output import info, write_document
    from crm_cli.services import quotes, render as renderer

    kind = fmt.lower()
    if kind not in ("markdown", "text", "html"):
        raise UsageError(f"--format must be markdown, text or html, not '{fmt[:20]}'")
    with db.session_scope() as s:
        text = renderer.quote(s, quotes.find(s, ref), kind)
    if write_document(text, output):
        info(f"wrote {output}")


@app.command("delete")
def delete(ref: Ref, yes: YesOpt = False) -> None:
    """Move a quote to the trash (not one that became an order)."""
    from crm_cli.core import context, db, prompts
    from crm_cli.core.output import info
    from crm_cli.services import quotes

    with db.session_scope() as s:
        q = quotes.find(s, ref)
        prompts.confirm(f"Delete quote {quotes.label(q)}?", yes)
        quotes.soft_delete(s, q, context.now())
        info(f"quote {quotes.label(q)} moved to the trash")
