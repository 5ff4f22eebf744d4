"""crm order: sales orders — lines, confirmation with a credit check, deliveries, returns, the payment
plan, payments; import and export."""

from __future__ import annotations

from typing import Annotated, List, Optional

import typer

from crm_cli.commands import lineopts as lo
from crm_cli.core.options import FormatOpt, JsonOpt, LimitOpt, OffsetOpt, OwnerOpt, QuietOpt, YesOpt, sort_opt

app = typer.Typer(help="Orders: confirm (credit check), deliver, return, plan instalments, pay; from a quote or "
                  "direct.", no_args_is_help=True)

Ref = Annotated[str, typer.Argument(help="Order number (SO-2026-0001) or id.")]


@app.command("new")
def new(
    customer: Annotated[Optional[str], typer.Option("--customer", "-c", help="Customer (id or name).")] = None,
    currency: Annotated[Optional[str], typer.Option(help="Currency (default: the customer's or config).")] = None,
    on: Annotated[Optional[str], typer.Option("--date", help="The order's date (default today); prices by it.")]
    = None,
    terms: Annotated[Optional[int], typer.Option("--terms", help="Payment terms in days (default: the "
                                                 "customer's).")] = None,
    shipping: Annotated[Optional[str], typer.Option(help="A shipping fee (a fee line, taxed at config "
                                                    "fee_tax_rate).")] = None,
    notes: Optional[str] = None,
    quiet: QuietOpt = False,
) -> None:
    """Start a draft order directly (`crm quote convert` makes one from a quote)."""
    from crm_cli.core import db, prompts
    from crm_cli.core.dates import parse_date
    from crm_cli.core.config import default_currency
    from crm_cli.core.money import check_currency
    from crm_cli.core.output import created
    from crm_cli.models import Customer
    from crm_cli.services import identity, orders, resolve

    customer = prompts.require(customer, "--customer", "Customer")
    with db.session_scope() as s:
        c = resolve.get(s, Customer, customer)
        cur = check_currency(currency) if currency else (c.currency or default_currency())
        me = identity.current_user(s)
        o = orders.create(s, c, owner=me, currency=cur,
                          ordered_on=parse_date(on, option="--date") if on else orders.today(),
                          payment_terms=terms, notes=notes)
        if shipping:
            orders.add_line(s, o, lo.spec(s, currency=cur, text="Shipping", price=shipping, kind="fee",
                                             price_option="--shipping"), me)
        created("order", o.id, f"{o.number} for {c.name} ({cur})", quiet)


def _line_command(verb: str):
    def run(ref, line_no, product, text, qty, unit, price, discount, tax, tax_included, approve, fee):
        from crm_cli.core import db
        from crm_cli.core.errors import UsageError
        from crm_cli.core.money import Money
        from crm_cli.core.output import info
        from crm_cli.services import identity, orders

        if verb == "add" and not product and not text:
            raise UsageError("a line needs --product SKU or --text \"...\"")
        with db.session_scope() as s:
            o = orders.find(s, ref)
            spec = lo.spec(s, currency=o.currency, product=product, text=text, qty=qty, unit=unit, price=price,
                           discount=discount, tax=tax, tax_included=tax_included, approve=approve,
                           kind="fee" if fee else "product")
            me = identity.current_user(s)
            line = orders.add_line(s, o, spec, me) if verb == "add" else orders.edit_line(s, o, line_no, spec, me)
            info(f"{o.number} line {line.position}: {line.description} {Money(line.total, o.currency)}; "
                 f"order total {Money(o.total, o.currency)}")
    return run


FeeOpt = Annotated[bool, typer.Option("--fee", help="A fee (shipping, installation...): a --text line, taxed at "
                                      "config fee_tax_rate unless --tax.")]


@app.command("add-line")
def add_line(ref: Ref, product: lo.ProductOpt = None, text: lo.TextOpt = None, qty: lo.QtyOpt = None,
             unit: lo.UnitOpt = None, price: lo.PriceOpt = None, discount: lo.DiscountOpt = None,
             tax: lo.TaxOpt = None, tax_included: lo.TaxIncludedOpt = None, approve: lo.ApproveOpt = False,
             fee: FeeOpt = False) -> None:
    """Add a line to a draft: a --product priced by the rules (unless --price), a --text line, or a --fee."""
    _line_command("add")(ref, None, product, text, qty, unit, price, discount, tax, tax_included, approve, fee)


@app.command("edit-line")
def edit_line(ref: Ref, line_no: lo.LineNo, product: lo.ProductOpt = None, text: lo.TextOpt = None,
              qty: lo.QtyOpt = None, unit: lo.UnitOpt = None, price: lo.PriceOpt = None,
              discount: lo.DiscountOpt = None, tax: lo.TaxOpt = None, tax_included: lo.TaxIncludedOpt = None,
              approve: lo.ApproveOpt = False) -> None:
    """Change a draft's line."""
    _line_command("edit")(ref, line_no, product, text, qty, unit, price, discount, tax, tax_included, approve,
                          False)


@app.command("show")
def show(ref: Ref, fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """An order with its lines (delivered and returned), instalments and balance."""
    from crm_cli.core import db
    from crm_cli.core.output import Col, emit_record
    from crm_cli.services import documents, orders

    with db.session_scope() as s:
        rec = orders.record(s, orders.find(s, ref, include_deleted=True))
    lines, plan = rec.pop("lines"), rec.pop("instalments")
    cols = documents.line_columns() + [Col("delivered", "Delivered", "right"), Col("returned", "Returned", "right")]
    emit_record(rec, fmt, as_json, sections=[("lines", lines, cols), ("instalments", plan, orders.INSTALMENT_COLUMNS)])


@app.command("list")
def list_(
    status: Annotated[Optional[str], typer.Option(help="draft,confirmed,closed,cancelled (comma list).")] = None,
    delivery: Annotated[Optional[str], typer.Option(help="not-delivered,partly-delivered,delivered.")] = None,
    payment: Annotated[Optional[str], typer.Option(help="unpaid,partly-paid,paid,overdue.")] = None,
    customer: Annotated[Optional[str], typer.Option("--customer", "-c")] = None,
    owner: OwnerOpt = "all",
    sort: sort_opt("number|total|date|id|created|updated") = "-number",
    limit: LimitOpt = None,
    offset: OffsetOpt = 0,
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List orders (newest first) with their delivery and payment status."""
    from crm_cli.core import db
    from crm_cli.core.output import emit
    from crm_cli.models import Customer
    from crm_cli.services import identity, orders, resolve

    with db.session_scope() as s:
        cid = resolve.get(s, Customer, customer).id if customer else None
        rows = orders.list_orders(s, status=status, delivery=delivery, payment=payment, customer_id=cid,
                                  owner_id=identity.owner_filter(s, owner), sort=sort, limit=limit, offset=offset)
    emit(rows, orders.LIST_COLUMNS, fmt, as_json)


@app.command("confirm")
def confirm(ref: Ref,
            override_credit: Annotated[bool, typer.Option("--override-credit", help="Confirm beyond the credit "
                                                          "limit (managers and admins; needs --reason).")] = False,
            reason: Annotated[Optional[str], typer.Option(help="Why the credit limit is overridden.")] = None
            ) -> None:
    """Confirm a draft: the customer's credit is checked, the payment falls due after its terms."""
    from crm_cli.core import context, db
    from crm_cli.core.money import Money
    from crm_cli.core.output import info
    from crm_cli.services import identity, orders

    with db.session_scope() as s:
        o = orders.find(s, ref)
        orders.confirm(s, o, context.now(), identity.current_user(s), override=override_credit, reason=reason)
        first = orders.instalments(s, o)[0]
        info(f"order {o.number} is confirmed; {Money(first.amount, o.currency)} due on {first.due_on}"
             + ("; credit limit overridden" if o.credit_override else ""))


@app.command("deliver")
def deliver(ref: Ref,
            line: Annotated[Optional[int], typer.Option("--line", help="Line number (default: every line).",
                                                         min=1)] = None,
            qty: Annotated[Optional[str], typer.Option("--qty", help="Quantity (default: what remains).")] = None
            ) -> None:
    """Record a delivery: part of a line, or everything still to deliver."""
    from crm_cli.core import context, db
    from crm_cli.core.docmoney import parse_qty
    from crm_cli.core.output import info
    from crm_cli.services import documents, orders

    q = parse_qty(qty) if qty is not None else None
    with db.session_scope() as s:
        o = orders.find(s, ref)
        done = orders.deliver(s, o, line, q, context.now())
        what = ", ".join(f"line {x.position}: {documents.qty_text(n)} {x.unit}" for x, n in done)
        info(f"order {o.number}: delivered {what} ({orders.DELIVERY[o.delivery_status]})")


@app.command("return")
def return_(ref: Ref,
            line: Annotated[int, typer.Option("--line", help="Line number.", min=1)],
            reason: Annotated[str, typer.Option(help="Why the goods come back.")],
            qty: Annotated[Optional[str], typer.Option("--qty", help="Quantity (default: all delivered).")] = None
            ) -> None:
    """Take back delivered goods; their value comes off what the customer owes."""
    from crm_cli.core import context, db
    from crm_cli.core.docmoney import parse_qty
    from crm_cli.core.money import Money
    from crm_cli.core.output import info
    from crm_cli.services import orders

    q = parse_qty(qty) if qty is not None else None
    with db.session_scope() as s:
        o = orders.find(s, ref)
        value = orders.return_goods(s, o, line, q, reason, context.now())
        info(f"order {o.number}: return of line {line} worth {Money(value, o.currency)}; balance "
             f"{Money(orders.balance(o), o.currency)}")


@app.command("plan")
def plan(ref: Ref,
         instalments: Annotated[Optional[int], typer.Option("--instalments", "-n", help="Equal instalments.",
                                                            min=1, max=120)] = None,
         every: Annotated[Optional[str], typer.Option(help="Between instalments: 30d, 2w, 1m, 1y.")] = None,
         split: Annotated[Optional[str], typer.Option(help="30%,50%,20% or fixed amounts 1000,2000,rest.")] = None,
         due: Annotated[Optional[List[str]], typer.Option("--due", help="First due date, or one per instalment "
                                                          "(repeatable or comma list).")] = None,
         fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """Replace the payment schedule while nothing is paid; the parts always add up to the total."""
    from crm_cli.core import db
    from crm_cli.core.dates import parse_date
    from crm_cli.core.output import emit
    from crm_cli.services import orders

    dates = [parse_date(d, option="--due") for item in (due or []) for d in item.split(",") if d.strip()]
    parts = [p for p in split.split(",") if p.strip()] if split else None
    with db.session_scope() as s:
        o = orders.find(s, ref)
        rows = orders.plan(s, o, count=instalments, every=every, split=parts, due=dates or None)
        day = orders.today()
        recs = [orders.instalment_record(r, o.currency, day) for r in rows]
    emit(recs, orders.INSTALMENT_COLUMNS, fmt, as_json)


@app.command("pay")
def pay(ref: Ref,
        amount: Annotated[str, typer.Argument(help="Amount received, e.g. 5000 or 'CNY 5,000.00'.")],
        on: Annotated[Optional[str], typer.Option("--date", help="When it was received (default today).")] = None,
        method: Annotated[Optional[str], typer.Option(help="bank, cash, card, alipay, wechat...")] = None,
        reference: Annotated[Optional[str], typer.Option(help="Bank reference, receipt number...")] = None) -> None:
    """Record a payment; it settles the earliest unpaid instalment first. More than the balance is refused."""
    from crm_cli.core import context, db
    from crm_cli.core.dates import parse_date
    from crm_cli.core.money import Money, parse_money
    from crm_cli.core.output import info
    from crm_cli.services import orders

    with db.session_scope() as s:
        o = orders.find(s, ref)
        money = parse_money(amount, o.currency, option="AMOUNT")
        day = parse_date(on, option="--date") if on else orders.today()
        split = orders.pay(s, o, money, day, context.now(), method, reference)
        parts = ", ".join(f"#{seq} {Money(n, o.currency)}" for seq, n in split)
        info(f"order {o.number}: received {money} ({parts}); balance {Money(orders.balance(o), o.currency)}")


@app.command("cancel")
def cancel(ref: Ref, reason: Annotated[Optional[str], typer.Option(help="Why.")] = None,
           yes: YesOpt = False) -> None:
    """Cancel an order that has nothing delivered and nothing paid."""
    from crm_cli.core import context, db, prompts
    from crm_cli.core.output import info
    from crm_cli.services import orders

    with db.session_scope() as s:
        o = orders.find(s, ref)
        prompts.confirm(f"Cancel order {o.number}?", yes)
        orders.cancel(s, o, context.now(), reason)
        info(f"order {o.number} is cancelled")


@app.command("close")
def close(ref: Ref, force: Annotated[bool, typer.Option("--force", help="Close it though not fully delivered "
                                                        "and paid.")] = False) -> None:
    """Close a confirmed order once delivered and paid."""
    from crm_cli.core import context, db
    from crm_cli.core.output import info
    from crm_cli.services import orders

    with db.session_scope() as s:
        o = orders.find(s, ref)
        orders.close(s, o, context.now(), force)
        info(f"order {o.number} is closed")


from crm_cli.commands.io import register_io  # noqa: E402

register_io(app, "order")
