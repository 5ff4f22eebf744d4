"""What quotes and orders share: their lines (priced by the rules, or by hand), the discount
approval, totals as sums of rounded lines (core/docmoney.py), and the JSON shape of a document."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from crm_cli.core import docmoney
from crm_cli.core.errors import NotFound, UsageError, ValidationError
from crm_cli.core.money import Money
from crm_cli.models import User

if TYPE_CHECKING:
    from crm_cli.models.product import Product

MILLION = Decimal(1_000_000)
LINE_KINDS = ("product", "text", "fee")


def today() -> date:
    """The user's local date now (documents are dated and fall due by it)."""
    from crm_cli.core import context
    from crm_cli.core.dates import to_local

    return to_local(context.now()).date()


def quote_label(q) -> str:
    """'Q-2026-0007', or 'Q-2026-0007 rev 2' for a later revision."""
    return q.number if q.revision == 1 else f"{q.number} rev {q.revision}"


def m6(value: Decimal) -> int:
    """A quantity, rate or discount as integer millionths."""
    return int(value * MILLION)


def d6(value: int | None) -> Decimal:
    return Decimal(value or 0) / MILLION


def qty_text(millionths: int) -> str:
    return format(d6(millionths).normalize(), "f")


@dataclass
class LineSpec:
    """A line as the options give it: a product (priced by the rules) or free text with --price."""

    product: Product | None = None
    text: str | None = None
    qty: Decimal | None = None
    unit: str | None = None
    price: Money | None = None
    discount: Decimal | None = None
    tax_rate: Decimal | None = None
    tax_included: bool | None = None
    kind: str = "product"
    approve: bool = False


def max_discount(role: str) -> Decimal | None:
    """The largest discount (fraction) a role may give without approval; None: no limit."""
    from crm_cli.core import config

    if role == "admin":
        return None
    key = "max_discount_manager" if role == "manager" else "max_discount_rep"
    return Decimal(int(config.get(key))) / 100


def effective_discount(line) -> Decimal | None:
    """How far below the product's list price a line is sold (net of tax on both sides), as a fraction."""
    if line.list_price in (None, 0) or line.product_id is None:
        return None
    rate = d6(line.tax_rate)
    list_net = Decimal(line.list_price) / (1 + rate) if line.list_included else Decimal(line.list_price)
    sold = Decimal(line.unit_price) * (1 - d6(line.discount))
    sold_net = sold / (1 + rate) if line.tax_included else sold
    return 1 - sold_net / list_net


def fill_line(session, line, spec: LineSpec, *, currency: str, customer, rep: User, on: date, acting: User,
              position: int | None = None) -> None:
    """Price `line` (a QuoteLine or OrderLine, new or being edited) from `spec` and store its amounts."""
    from crm_cli.services import pricing

    if spec.kind not in LINE_KINDS:
        raise ValidationError(f"unknown line kind '{spec.kind}'")
    if position is not None:
        line.position = position
    if spec.product is not None:
        p = spec.product
        if not p.active and line.product_id != p.id:
            raise ValidationError(f"product {p.sku} is deactivated", f"crm product deactivate {p.sku} --undo")
        qty = spec.qty if spec.qty is not None else (d6(line.qty) if line.qty else Decimal(1))
        priced = pricing.price_line(session, p, qty, customer=customer, rep=rep, on=on)
        if priced.unit_price.currency != currency:
            raise ValidationError(f"{p.sku} is priced in {priced.unit_price.currency}, the document is in "
                                  f"{currency}", "give the unit price with --price")
        line.kind, line.product_id, line.sku = "product", p.id, p.sku
        line.description = (spec.text or p.name)[:300]
        line.unit = spec.unit or p.unit
        line.qty = m6(qty)
        line.list_price = p.list_price
        line.list_included = p.tax_included
        line.unit_price, line.discount = priced.unit_price.minor, m6(priced.discount)
        line.tax_rate, line.tax_included = m6(priced.tax_rate), priced.tax_included
        line.rule_id = priced.rule.id if priced.rule is not None else None
        line.price_source = "rule" if priced.rule is not None else "list"
    else:
        if spec.text is not None:
            line.description = spec.text.strip()[:300]
        if not getattr(line, "description", None):
            raise UsageError("a line needs --product SKU or --text \"...\"")
        if line.kind not in ("text", "fee") or spec.kind == "fee":
            line.kind = spec.kind if spec.kind == "fee" else "text"
        if spec.qty is not None:
            line.qty = m6(spec.qty)
        elif not line.qty:
            line.qty = m6(Decimal(1))
        if spec.unit:
            line.unit = spec.unit
        if spec.price is None and line.unit_price is None:
            raise UsageError("a text line needs --price", "e.g. --text \"Installation\" --price 500")
        line.list_price, line.list_included, line.rule_id = None, False, None
        line.price_source = "manual"
        if line.tax_rate is None:
            line.tax_rate = 0
        if line.tax_included is None:
            line.tax_included = False
        if line.discount is None:
            line.discount = 0
    if spec.price is not None:
        if spec.price.currency != currency:
            raise ValidationError(f"--price is in {spec.price.currency}, the document in {currency}")
        line.unit_price, line.rule_id, line.price_source = spec.price.minor, None, "manual"
        if spec.discount is None:
            line.discount = 0
    if spec.discount is not None:
        line.discount = m6(spec.discount)
        if line.price_source == "rule":
            line.price_source = "manual"
    if spec.tax_rate is not None:
        line.tax_rate = m6(spec.tax_rate)
    if spec.tax_included is not None:
        line.tax_included = spec.tax_included
    _check_discount(line, spec, acting)
    a = docmoney.line_amounts(d6(line.qty), line.unit_price, d6(line.discount), d6(line.tax_rate),
                              line.tax_included)
    line.list_amount, line.discount_amount, line.net, line.tax, line.total = a.list, a.discount, a.net, a.tax, a.total


def keep_product(session, line, spec: LineSpec, currency: str) -> None:
    """Editing a product line without naming a product keeps its product (priced again by the rules),
    and a price set by hand stays unless the edit gives another."""
    if spec.product is None and line.product_id is not None and spec.text is None and spec.kind == "product":
        from crm_cli.models.product import Product

        spec.product = session.get(Product, line.product_id)
        if spec.price is None and line.price_source == "manual":
            spec.price = Money(line.unit_price, currency)


def _check_discount(line, spec: LineSpec, acting: User) -> None:
    """A line sold further below list price than the acting user's role allows needs --approve by a
    manager or admin; the approval is stored on the line (and so in the history)."""
    eff = effective_discount(line)
    limit = max_discount(acting.role)
    if eff is None or eff <= 0:
        line.approved_by = None
        return
    if spec.approve:
        if acting.role not in ("manager", "admin"):
            raise UsageError(f"only a manager or an admin can --approve a discount ({acting.handle} is a "
                             f"{acting.role})")
        line.approved_by = acting.handle
        return
    if limit is not None and eff > limit and not line.approved_by:
        shown = docmoney.percent_text(eff.quantize(Decimal("0.0001")))
        raise UsageError(f"this line is {shown}% below list price, more than the {acting.role} limit of "
                         f"{docmoney.percent_text(limit)}%",
                         "a manager or admin adds it with --approve (config max_discount_rep/max_discount_manager)")


def put_line(session, doc, line_model, fk: str, spec: LineSpec, acting: User, *, on: date,
             position: int | None = None):
    """Add a line to a draft quote or order (`position` None) or change its line `position`: price it,
    total the document again, and note it in the document's history."""
    from crm_cli.models import Customer
    from crm_cli.services import audit

    customer = session.get(Customer, doc.customer_id)
    rep = (session.get(User, doc.owner_id) if doc.owner_id else None) or acting
    if position is None:
        count = session.execute(select(func.count()).where(getattr(line_model, fk) == doc.id)).scalar_one()
        line = line_model(**{fk: doc.id}, description="", qty=0, unit_price=None, discount=None, tax_rate=None,
                          tax_included=None)
        fill_line(session, line, spec, currency=doc.currency, customer=customer, rep=rep, on=on, acting=acting,
                  position=count + 1)
        session.add(line)
    else:
        line = find_line(session, line_model, fk, doc, position)
        keep_product(session, line, spec, doc.currency)
        fill_line(session, line, spec, currency=doc.currency, customer=customer, rep=rep, on=on, acting=acting)
    session.flush()
    recompute(session, doc, line_model, fk)
    text = (f"{'added' if position is None else 'changed'}: {qty_text(line.qty)} {line.unit} {line.description} "
            f"at {Money(line.unit_price, doc.currency).plain()}"
            + (f" less {docmoney.percent_text(d6(line.discount))}%" if line.discount else "")
            + (f" (rule {line.rule_id})" if line.rule_id else "")
            + f", total {Money(line.total, doc.currency).plain()}"
            + (f"; discount approved by {line.approved_by}" if line.approved_by else ""))
    audit.note(session, doc.__entity__, doc.id, f"line {line.position}", new=text)
    return line


def recompute(session, doc, line_model, fk: str) -> None:
    """The document's totals: plain sums of its rounded lines (in SQL)."""
    col = getattr(line_model, fk)
    row = session.execute(select(func.coalesce(func.sum(line_model.list_amount), 0),
                                 func.coalesce(func.sum(line_model.discount_amount), 0),
                                 func.coalesce(func.sum(line_model.tax), 0),
                                 func.coalesce(func.sum(line_model.total), 0)).where(col == doc.id)).one()
    doc.subtotal, doc.discount, doc.tax, doc.total = (int(v) for v in row)


def lines_of(session, line_model, fk: str, doc_id: int) -> list:
    col = getattr(line_model, fk)
    return list(session.execute(select(line_model).where(col == doc_id)
                                .order_by(line_model.position, line_model.id)).scalars())


def find_line(session, line_model, fk: str, doc, position: int):
    for line in lines_of(session, line_model, fk, doc.id):
        if line.position == position:
            return line
    raise NotFound(f"{doc.number} has no line {position}", f"see 'crm {doc.__entity__} show {doc.number}'")


def renumber(session, line_model, fk: str, doc_id: int) -> None:
    for i, line in enumerate(lines_of(session, line_model, fk, doc_id), start=1):
        line.position = i


def line_record(line, currency: str) -> dict:
    """One line in `show --format json` (amounts as decimal strings in the currency's precision)."""
    return {"line": line.position, "kind": line.kind, "sku": line.sku, "description": line.description,
            "qty": qty_text(line.qty), "unit": line.unit, "unit_price": Money(line.unit_price, currency),
            "discount": docmoney.percent_text(d6(line.discount)), "tax_rate": docmoney.percent_text(d6(line.tax_rate)),
            "tax_included": line.tax_included, "net": Money(line.net, currency), "tax": Money(line.tax, currency),
            "total": Money(line.total, currency), "rule": line.rule_id, "price_source": line.price_source,
            "approved_by": line.approved_by}


def totals_record(doc) -> dict:
    """subtotal, discount, tax, total as decimal strings, and the same in minor units."""
    out = {}
    for key in ("subtotal", "discount", "tax", "total"):
        out[key] = Money(getattr(doc, key), doc.currency)
    for key in ("subtotal", "discount", "tax", "total"):
        out[f"{key}_minor"] = getattr(doc, key)
    return out


LINE_COLUMNS_SPEC = [("line", "#", "right"), ("sku", "SKU", "left"), ("description", "Description", "left"),
                     ("qty", "Qty", "right"), ("unit", "Unit", "left"), ("unit_price", "Unit price", "right"),
                     ("discount", "Disc %", "right"), ("tax_rate", "Tax %", "right"), ("net", "Net", "right"),
                     ("tax", "Tax", "right"), ("total", "Total", "right")]


def line_columns():
    from crm_cli.core.output import Col

    return [Col(k, h, j) for k, h, j in LINE_COLUMNS_SPEC]
