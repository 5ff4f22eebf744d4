"""crm price: the price policy (rules) and `price quote`, which shows how a line would be priced and why."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from crm_cli.core.options import FormatOpt, JsonOpt, QuietOpt, YesOpt
from crm_cli.core.output import Col

app = typer.Typer(help="Price rules (fixed prices, discounts) and what a customer pays: price quote.",
                  no_args_is_help=True)
rule_app = typer.Typer(help="Price rules: a fixed price or a discount, by product/category, customer/tier, rep, "
                       "quantity and date.", no_args_is_help=True)
app.add_typer(rule_app, name="rule")

RuleRef = Annotated[str, typer.Argument(help="Price rule id.")]
RULE_COLUMNS = [Col("id", "ID", "right"), Col("description", "Rule"), Col("name", "Name")]


def _rule_in(s, *, product, category, customer, tier, rep, min_qty, valid_from, valid_to, price, currency,
             discount, tax_included, priority, name, notes, base=None):
    """Options -> a RuleIn; `base` (an existing rule's RuleIn) supplies what the options leave out."""
    from dataclasses import replace

    from crm_cli.core.dates import parse_date
    from crm_cli.core.docmoney import parse_percent, parse_qty
    from crm_cli.core.money import parse_money
    from crm_cli.services import identity, pricing, products, resolve
    from crm_cli.models import Customer

    from crm_cli.core.errors import ValidationError

    if price is not None and discount is not None:
        raise ValidationError("a price rule gives either --price or --discount, not both")
    if product and category:
        raise ValidationError("a rule is for --product or --category (or all products), not both")
    if customer and tier:
        raise ValidationError("a rule is for --customer or --tier (or everyone), not both")
    r = base or pricing.RuleIn()
    changes = {}
    if product is not None:
        changes.update(product=products.find(s, product) if product else None, category=None if product else
                       r.category)
    if category is not None:
        changes.update(category=category.strip() or None, product=None if category.strip() else
                       changes.get("product", r.product))
    if customer is not None:
        changes.update(customer=resolve.get(s, Customer, customer) if customer else None,
                       tier=None if customer else r.tier)
    if tier is not None:
        changes.update(tier=tier.strip().upper() or None, customer=None if tier.strip() else
                       changes.get("customer", r.customer))
    if rep is not None:
        changes["rep"] = identity.user_ref(s, rep) if rep.strip() else None
    if min_qty is not None:
        changes["min_qty"] = parse_qty(min_qty, "--min-qty") if min_qty.strip() not in ("", "0") else 0
    if valid_from is not None:
        changes["valid_from"] = parse_date(valid_from, option="--from") if valid_from.strip() else None
    if valid_to is not None:
        changes["valid_to"] = parse_date(valid_to, option="--to") if valid_to.strip() else None
    target = changes.get("product", r.product)
    if price is not None:
        default_cur = currency or (target.currency if target is not None else None)
        from crm_cli.core.config import default_currency

        changes.update(price=parse_money(price, default_cur, option="--price", default=default_currency()),
                       discount=None)
    if discount is not None:
        changes.update(discount=parse_percent(discount, "--discount"), price=None, tax_included=None)
    if tax_included is not None:
        changes["tax_included"] = tax_included
    if priority is not None:
        changes["priority"] = priority
    if name is not None:
        changes["name"] = name.strip() or None
    if notes is not None:
        changes["notes"] = notes or None
    from decimal import Decimal

    if changes.get("min_qty") == 0:
        changes["min_qty"] = Decimal(0)
    return replace(r, **changes)


_PRODUCT = Annotated[Optional[str], typer.Option("--product", help="For this product (SKU).")]
_CATEGORY = Annotated[Optional[str], typer.Option(help="For every product of this category.")]
_CUSTOMER = Annotated[Optional[str], typer.Option("--customer", "-c", help="Only for this customer.")]
_TIER = Annotated[Optional[str], typer.Option(help="Only for customers of this tier (A-D).")]
_REP = Annotated[Optional[str], typer.Option("--rep", help="Only when this rep sells.")]
_MIN_QTY = Annotated[Optional[str], typer.Option("--min-qty", help="From this quantity on.")]
_FROM = Annotated[Optional[str], typer.Option("--from", help="Valid from this date.")]
_TO = Annotated[Optional[str], typer.Option("--to", help="Valid until this date (inclusive).")]
_PRICE = Annotated[Optional[str], typer.Option("--price", help="A fixed unit price, e.g. 88 or 'USD 12.5'.")]
_CURRENCY = Annotated[Optional[str], typer.Option(help="Currency of --price (default: the product's).")]
_DISCOUNT = Annotated[Optional[str], typer.Option("--discount", help="A discount off the list price, e.g. 5%.")]
_TAXINC = Annotated[Optional[bool], typer.Option("--tax-included/--tax-excluded",
                                                 help="Whether a fixed --price includes tax (default: as the "
                                                 "product).")]
_PRIORITY = Annotated[Optional[int], typer.Option(help="Breaks a tie between equally specific rules (higher "
                                                  "wins).")]
_NAME = Annotated[Optional[str], typer.Option("--name", help="A name to recognise the rule by.")]
_NOTES = Annotated[Optional[str], typer.Option("--notes")]


@rule_app.command("add")
def rule_add(product: _PRODUCT = None, category: _CATEGORY = None, customer: _CUSTOMER = None, tier: _TIER = None,
             rep: _REP = None, min_qty: _MIN_QTY = None, valid_from: _FROM = None, valid_to: _TO = None,
             price: _PRICE = None, currency: _CURRENCY = None, discount: _DISCOUNT = None,
             tax_included: _TAXINC = None, priority: _PRIORITY = None, name: _NAME = None, notes: _NOTES = None,
             quiet: QuietOpt = False) -> None:
    """Add a price rule: --price or --discount, for --product/--category (or all products), optionally only
    for a --customer or --tier, a --rep, from --min-qty, between --from and --to."""
    from crm_cli.core import db
    from crm_cli.core.output import created
    from crm_cli.services import pricing

    with db.session_scope() as s:
        r = _rule_in(s, product=product, category=category, customer=customer, tier=tier, rep=rep, min_qty=min_qty,
                     valid_from=valid_from, valid_to=valid_to, price=price, currency=currency, discount=discount,
                     tax_included=tax_included, priority=priority, name=name, notes=notes)
        rule = pricing.add_rule(s, r)
        created("price rule", rule.id, pricing.describe(s, rule), quiet)


@rule_app.command("list")
def rule_list(product: _PRODUCT = None, customer: _CUSTOMER = None, fmt: FormatOpt = None,
              as_json: JsonOpt = False) -> None:
    """List price rules (those that can apply to a --product or a --customer)."""
    from crm_cli.core import db
    from crm_cli.core.output import emit
    from crm_cli.models import Customer
    from crm_cli.services import pricing, products, resolve

    with db.session_scope() as s:
        p = products.find(s, product) if product else None
        c = resolve.get(s, Customer, customer) if customer else None
        rows = pricing.list_rules(s, product=p, customer=c)
    emit(rows, RULE_COLUMNS, fmt, as_json)


@rule_app.command("show")
def rule_show(ref: RuleRef, fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """One price rule."""
    from crm_cli.core import db
    from crm_cli.core.output import emit_record
    from crm_cli.services import pricing

    with db.session_scope() as s:
        rec = pricing.rule_record(s, pricing.find_rule(s, ref))
    emit_record(rec, fmt, as_json)


@rule_app.command("edit")
def rule_edit(ref: RuleRef, product: _PRODUCT = None, category: _CATEGORY = None, customer: _CUSTOMER = None,
              tier: _TIER = None, rep: _REP = None, min_qty: _MIN_QTY = None, valid_from: _FROM = None,
              valid_to: _TO = None, price: _PRICE = None, currency: _CURRENCY = None, discount: _DISCOUNT = None,
              tax_included: _TAXINC = None, priority: _PRIORITY = None, name: _NAME = None,
              notes: _NOTES = None) -> None:
    """Change a price rule (an empty value, e.g. --customer '', removes that restriction)."""
    from crm_cli.core import db
    from crm_cli.core.output import info
    from crm_cli.services import pricing

    with db.session_scope() as s:
        rule = pricing.find_rule(s, ref)
        r = _rule_in(s, product=product, category=category, customer=customer, tier=tier, rep=rep, min_qty=min_qty,
                     valid_from=valid_from, valid_to=valid_to, price=price, currency=currency, discount=discount,
                     tax_included=tax_included, priority=priority, name=name, notes=notes,
                     base=pricing.rule_in_of(s, rule))
        pricing.edit_rule(s, rule, r)
        info(f"updated price rule {rule.id}: {pricing.describe(s, rule)}")


@rule_app.command("delete")
def rule_delete(ref: RuleRef, yes: YesOpt = False) -> None:
    """Move a price rule to the trash (documents it priced keep their prices)."""
    from crm_cli.core import context, db, prompts
    from crm_cli.core.output import info
    from crm_cli.services import pricing

    with db.session_scope() as s:
        rule = pricing.find_rule(s, ref)
        prompts.confirm(f"Delete price rule {rule.id} ({pricing.describe(s, rule)})?", yes)
        rule.deleted_at = context.now()
        info(f"price rule {rule.id} moved to the trash")


@app.command("quote")
def quote(
    product: Annotated[str, typer.Option("--product", help="SKU, id or name.")],
    customer: _CUSTOMER = None,
    qty: Annotated[str, typer.Option("--qty", help="Quantity (fractions allowed).")] = "1",
    on: Annotated[Optional[str], typer.Option("--date", help="The document's date (default: today).")] = None,
    rep: Annotated[Optional[str], typer.Option("--rep", help="Who sells (default: you).")] = None,
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The price a customer pays for a quantity of a product on a date, the rule that gives it, and the
    step that eliminated every other rule."""
    from crm_cli.core import context, db
    from crm_cli.core.dates import parse_date, to_local
    from crm_cli.core.output import emit_record
    from crm_cli.models import Customer
    from crm_cli.services import identity, pricing, products, resolve
    from crm_cli.core.docmoney import parse_qty

    q = parse_qty(qty)
    with db.session_scope() as s:
        p = products.find(s, product)
        c = resolve.get(s, Customer, customer) if customer else None
        seller = identity.user_ref(s, rep)
        day = parse_date(on, option="--date") if on else to_local(context.now()).date()
        price = pricing.price_line(s, p, q, customer=c, rep=seller, on=day)
        rec = pricing.price_record(price, customer=c, rep=seller, on=day)
    steps = rec.pop("steps")
    emit_record(rec, fmt, as_json, sections=[("steps", steps, [
        Col("rule", "Rule", "right"), Col("outcome", "Outcome"), Col("step", "Step"), Col("reason", "Why")])])
