"""The price policy: price rules and the one function that prices a line (`price_line`).

A rule gives a fixed unit price or a discount off the list price, for a product, a category or
every product, optionally only for one customer or one customer tier, one rep, from a minimum
quantity, and within a validity window. Precedence (docs/money.md), deterministic:

  1. customer: a rule for this customer beats one for its tier, which beats one for everyone
  2. product:  a rule for this product beats one for its category, which beats one for all products
  3. rep:      a rule for this rep beats one for every rep
  4. quantity: the largest minimum quantity the line reaches
  5. date:     a rule with a validity window (that covers the document's date) beats one without
  6. priority: the higher explicit --priority
  7. newest:   the rule defined last

Rules that do not apply at all (another customer, tier or rep, a minimum quantity the line does not
reach, a window that does not cover the date) are eliminated first. Two rules that would tie at
every step up to the newest are refused when the second is defined, naming the first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import or_, select

from crm_cli.core.docmoney import percent_text
from crm_cli.core.errors import Conflict, NotFound, ValidationError
from crm_cli.core.money import Money
from crm_cli.models import Customer, User
from crm_cli.models.product import PriceRule, Product
from crm_cli.services.products import from_millionths

STEPS = ("customer", "product", "rep", "quantity", "date", "priority", "newest")


@dataclass
class RuleIn:
    """A rule's definition, parsed by the command."""

    product: Product | None = None
    category: str | None = None
    customer: Customer | None = None
    tier: str | None = None
    rep: User | None = None
    min_qty: Decimal = Decimal(0)
    valid_from: date | None = None
    valid_to: date | None = None
    price: Money | None = None
    discount: Decimal | None = None
    tax_included: bool | None = None
    priority: int = 0
    name: str | None = None
    notes: str | None = None


def _check(r: RuleIn) -> None:
    if (r.price is None) == (r.discount is None):
        raise ValidationError("a price rule gives either --price or --discount", "e.g. --price 88 or --discount 5%")
    if r.product is not None and r.category:
        raise ValidationError("a rule is for --product or --category (or all products), not both")
    if r.customer is not None and r.tier:
        raise ValidationError("a rule is for --customer or --tier (or everyone), not both")
    if r.tier and r.tier.upper() not in ("A", "B", "C", "D"):
        raise ValidationError(f"--tier must be one of A, B, C, D, not '{r.tier[:10]}'")
    if r.valid_from and r.valid_to and r.valid_to < r.valid_from:
        raise ValidationError(f"--to {r.valid_to} is before --from {r.valid_from}")
    if r.min_qty < 0:
        raise ValidationError("--min-qty must not be negative")
    if r.tax_included is not None and r.price is None:
        raise ValidationError("--tax-included/--tax-excluded go with --price (a discount keeps the product's)")
    if r.price is not None and r.product is not None and r.price.currency != r.product.currency:
        raise ValidationError(f"--price is in {r.price.currency} but {r.product.sku} is priced in "
                              f"{r.product.currency}")
    if not -1_000_000 <= r.priority <= 1_000_000:
        raise ValidationError("--priority must be between -1000000 and 1000000")
    from crm_cli.core.validation import checked_text

    checked_text(r.name, "--name", 200)
    checked_text(r.notes, "--notes", 2000, multiline=True)
    checked_text(r.category, "--category", 100)


def _apply(rule: PriceRule, r: RuleIn) -> None:
    rule.product_id = r.product.id if r.product is not None else None
    rule.category = r.category.strip() if r.category else None
    rule.customer_id = r.customer.id if r.customer is not None else None
    rule.tier = r.tier.upper() if r.tier else None
    rule.rep_id = r.rep.id if r.rep is not None else None
    rule.min_qty = int(r.min_qty * 1_000_000)
    rule.valid_from, rule.valid_to = r.valid_from, r.valid_to
    rule.price = r.price.minor if r.price is not None else None
    rule.currency = r.price.currency if r.price is not None else None
    rule.discount = int(r.discount * 1_000_000) if r.discount is not None else None
    rule.tax_included = r.tax_included
    rule.priority = r.priority
    rule.name, rule.notes = r.name, r.notes


def _overlap(a: PriceRule, b: PriceRule) -> bool:
    lo = max(a.valid_from or date.min, b.valid_from or date.min)
    hi = min(a.valid_to or date.max, b.valid_to or date.max)
    return lo <= hi


def _dated(rule: PriceRule) -> bool:
    return rule.valid_from is not None or rule.valid_to is not None


def _check_tie(session, rule: PriceRule) -> None:
    """Refuse a rule that would tie with an existing one at every step but the newest."""
    same = select(PriceRule).where(
        PriceRule.deleted_at.is_(None),
        PriceRule.product_id.is_(None) if rule.product_id is None else PriceRule.product_id == rule.product_id,
        PriceRule.category.is_(None) if rule.category is None else PriceRule.category == rule.category,
        PriceRule.customer_id.is_(None) if rule.customer_id is None else PriceRule.customer_id == rule.customer_id,
        PriceRule.tier.is_(None) if rule.tier is None else PriceRule.tier == rule.tier,
        PriceRule.rep_id.is_(None) if rule.rep_id is None else PriceRule.rep_id == rule.rep_id,
        PriceRule.min_qty == rule.min_qty, PriceRule.priority == rule.priority)
    if rule.id is not None:
        same = same.where(PriceRule.id != rule.id)
    for other in session.execute(same.order_by(PriceRule.id)).scalars():
        if _dated(other) == _dated(rule) and _overlap(other, rule):
            raise Conflict(f"this rule would tie with price rule {other.id} ({describe(session, other)}) at every "
                           "step", "give one of them a different --priority, --min-qty or validity window")


def add_rule(session, r: RuleIn) -> PriceRule:
    _check(r)
    rule = PriceRule()
    _apply(rule, r)
    _lock_rules(session)
    _check_tie(session, rule)
    session.add(rule)
    session.flush()
    return rule


def edit_rule(session, rule: PriceRule, r: RuleIn) -> None:
    _check(r)
    _apply(rule, r)
    _lock_rules(session)
    _check_tie(session, rule)


def _lock_rules(session) -> None:
    """The tie check and the write are atomic: two processes cannot both pass the check."""
    from crm_cli.core import db

    db.lock_keys(session, ["price-rules"])


def find_rule(session, ref: str) -> PriceRule:
    text = str(ref).strip().lstrip("#")
    if not text.isdigit():
        raise NotFound(f"no price rule '{text[:80]}'", "price rules are named by id; see 'crm price rule list'")
    rule = session.get(PriceRule, int(text))
    if rule is None or rule.deleted_at is not None:
        raise NotFound(f"no price rule with id {text}", "see 'crm price rule list'")
    return rule


def _names(session, rule: PriceRule) -> dict:
    out = {"product": None, "customer": None, "rep": None}
    if rule.product_id is not None:
        p = session.get(Product, rule.product_id)
        out["product"] = p.sku if p else None
    if rule.customer_id is not None:
        c = session.get(Customer, rule.customer_id)
        out["customer"] = c.name if c else None
    if rule.rep_id is not None:
        u = session.get(User, rule.rep_id)
        out["rep"] = u.handle if u else None
    return out


def describe(session, rule: PriceRule) -> str:
    n = _names(session, rule)
    target = n["product"] or (f"category {rule.category}" if rule.category else "all products")
    who = n["customer"] or (f"tier {rule.tier}" if rule.tier else "everyone")
    what = (str(Money(rule.price, rule.currency)) if rule.price is not None
            else f"-{percent_text(from_millionths(rule.discount))}%")
    extra = []
    if n["rep"]:
        extra.append(f"rep {n['rep']}")
    if rule.min_qty:
        extra.append(f"from qty {_qty_text(rule.min_qty)}")
    if _dated(rule):
        extra.append(f"{rule.valid_from or '...'}..{rule.valid_to or '...'}")
    if rule.priority:
        extra.append(f"priority {rule.priority}")
    return f"{what} on {target} for {who}" + (f", {', '.join(extra)}" if extra else "")


def _qty_text(millionths: int) -> str:
    return format((Decimal(millionths) / 1_000_000).normalize(), "f")


def rule_record(session, rule: PriceRule) -> dict:
    n = _names(session, rule)
    return {"id": rule.id, "name": rule.name, "product": n["product"], "category": rule.category,
            "customer": n["customer"], "tier": rule.tier, "rep": n["rep"], "min_qty": _qty_text(rule.min_qty),
            "valid_from": rule.valid_from, "valid_to": rule.valid_to,
            "price": Money(rule.price, rule.currency) if rule.price is not None else None,
            "currency": rule.currency,
            "discount": percent_text(from_millionths(rule.discount)),
            "tax_included": rule.tax_included, "priority": rule.priority, "notes": rule.notes,
            "description": describe(session, rule), "created_at": rule.created_at}


def list_rules(session, *, product: Product | None = None, customer: Customer | None = None) -> list[dict]:
    q = select(PriceRule).where(PriceRule.deleted_at.is_(None))
    if product is not None:
        q = q.where(or_(PriceRule.product_id == product.id, PriceRule.product_id.is_(None)))
        q = q.where(or_(PriceRule.category.is_(None), PriceRule.category == product.category))
    if customer is not None:
        q = q.where(or_(PriceRule.customer_id == customer.id, PriceRule.customer_id.is_(None)))
    return [rule_record(session, r) for r in session.execute(q.order_by(PriceRule.id)).scalars()]


# ---- pricing a line ------------------------------------------------------------------------------

@dataclass
class Price:
    """How a line is priced: the unit price (list price or a rule's), discount and tax, and why."""

    product: Product
    qty: Decimal
    list_price: Money
    unit_price: Money
    discount: Decimal            # fraction
    tax_rate: Decimal            # fraction
    tax_included: bool
    rule: PriceRule | None
    steps: list[dict] = field(default_factory=list)  # per candidate rule: outcome and reason


def _rank(rule: PriceRule) -> dict:
    return {"customer": 2 if rule.customer_id is not None else 1 if rule.tier else 0,
            "product": 2 if rule.product_id is not None else 1 if rule.category else 0,
            "rep": 1 if rule.rep_id is not None else 0,
            "quantity": rule.min_qty,
            "date": 1 if _dated(rule) else 0,
            "priority": rule.priority,
            "newest": rule.id}


_STEP_REASON = {
    "customer": "a rule for this customer (or its tier) is more specific",
    "product": "a rule for this product (or its category) is more specific",
    "rep": "a rule for this rep is more specific",
    "quantity": "a rule with a larger minimum quantity applies",
    "date": "a rule valid on this date beats one without a window",
    "priority": "a rule with a higher priority applies",
    "newest": "a newer rule applies",
}


def price_line(session, product: Product, qty: Decimal, *, customer: Customer | None = None,
               rep: User | None = None, on: date) -> Price:
    """Price `qty` of `product` for `customer`, sold by `rep`, on date `on`."""
    q = select(PriceRule).where(
        PriceRule.deleted_at.is_(None),
        or_(PriceRule.product_id == product.id,
            PriceRule.category == product.category if product.category else PriceRule.id.is_(None),
            (PriceRule.product_id.is_(None)) & (PriceRule.category.is_(None))))
    rules = list(session.execute(q.order_by(PriceRule.id)).scalars())
    steps: list[dict] = []
    live = []
    qty_m = int(qty * 1_000_000)
    for rule in rules:
        reason = None
        if rule.customer_id is not None and (customer is None or rule.customer_id != customer.id):
            reason = "for another customer"
        elif rule.tier and (customer is None or (customer.tier or "") != rule.tier):
            reason = f"for tier {rule.tier} customers"
        elif rule.rep_id is not None and (rep is None or rule.rep_id != rep.id):
            reason = "for another rep"
        elif rule.min_qty > qty_m:
            reason = f"needs qty {_qty_text(rule.min_qty)} or more"
        elif (rule.valid_from and on < rule.valid_from) or (rule.valid_to and on > rule.valid_to):
            reason = f"not valid on {on}"
        elif rule.price is not None and rule.currency != product.currency:
            reason = f"priced in {rule.currency}, the product in {product.currency}"
        if reason:
            steps.append({"rule": rule.id, "outcome": "does not apply", "step": None, "reason": reason})
        else:
            live.append(rule)
    for step in STEPS:
        if len(live) <= 1:
            break
        best = max(_rank(r)[step] for r in live)
        for r in live:
            if _rank(r)[step] < best:
                steps.append({"rule": r.id, "outcome": "eliminated", "step": step, "reason": _STEP_REASON[step]})
        live = [r for r in live if _rank(r)[step] == best]
    winner = live[0] if live else None
    listed = Money(product.list_price, product.currency)
    tax_rate = from_millionths(product.tax_rate) or Decimal(0)
    if winner is None:
        price = Price(product, qty, listed, listed, Decimal(0), tax_rate, product.tax_included, None)
    elif winner.price is not None:
        included = product.tax_included if winner.tax_included is None else winner.tax_included
        price = Price(product, qty, listed, Money(winner.price, winner.currency), Decimal(0), tax_rate, included,
                      winner)
    else:
        price = Price(product, qty, listed, listed, from_millionths(winner.discount) or Decimal(0), tax_rate,
                      product.tax_included, winner)
    if winner is not None:
        steps.append({"rule": winner.id, "outcome": "applied", "step": None, "reason": describe(session, winner)})
    price.steps = sorted(steps, key=lambda s: (s["outcome"] != "applied", s["rule"]))
    return price


def rule_in_of(session, rule: PriceRule) -> RuleIn:
    """An existing rule as a RuleIn (what `price rule edit` changes)."""
    return RuleIn(product=session.get(Product, rule.product_id) if rule.product_id else None,
                  category=rule.category,
                  customer=session.get(Customer, rule.customer_id) if rule.customer_id else None,
                  tier=rule.tier, rep=session.get(User, rule.rep_id) if rule.rep_id else None,
                  min_qty=Decimal(rule.min_qty) / 1_000_000, valid_from=rule.valid_from, valid_to=rule.valid_to,
                  price=Money(rule.price, rule.currency) if rule.price is not None else None,
                  discount=from_millionths(rule.discount), tax_included=rule.tax_included,
                  priority=rule.priority, name=rule.name, notes=rule.notes)


def price_record(price: Price, *, customer: Customer | None, rep: User | None, on: date) -> dict:
    """`crm price quote`: the unit price, the line's amounts for the quantity, the rule and the steps."""
    from crm_cli.core.docmoney import line_amounts

    amounts = line_amounts(price.qty, price.unit_price.minor, price.discount, price.tax_rate, price.tax_included)
    cur = price.unit_price.currency
    qty = format(price.qty.normalize(), "f") if price.qty == price.qty.to_integral_value() else str(price.qty)
    return {"product": price.product.sku, "name": price.product.name, "customer": customer.name if customer else None,
            "tier": customer.tier if customer else None, "rep": rep.handle if rep else None, "date": on,
            "qty": qty, "unit": price.product.unit, "list_price": price.list_price, "unit_price": price.unit_price,
            "discount": percent_text(price.discount), "tax_rate": percent_text(price.tax_rate),
            "tax_included": price.tax_included, "net": Money(amounts.net, cur), "tax": Money(amounts.tax, cur),
            "total": Money(amounts.total, cur),
            "rule": price.rule.id if price.rule is not None else None,
            "rule_text": describe_rule_text(price),
            "steps": price.steps}


def describe_rule_text(price: Price) -> str:
    if price.rule is None:
        return "list price (no rule applies)"
    return next(s["reason"] for s in price.steps if s["outcome"] == "applied")
