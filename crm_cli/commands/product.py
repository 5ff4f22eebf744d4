"""crm product: the catalogue (SKU, unit, list price, cost, tax) that quotes and orders are priced from."""

from __future__ import annotations

from typing import Annotated, List, Optional

import typer

from crm_cli.core.options import (FormatOpt, JsonOpt, LimitOpt, OffsetOpt, QuietOpt, SetOpt, WhereOpt, search_opt,
                                  sort_opt)
from crm_cli.core.output import Col

app = typer.Typer(help="Products: SKU, unit, category, list price, cost, tax; import and export.",
                  no_args_is_help=True)

Ref = Annotated[str, typer.Argument(help="SKU, id or unambiguous name.")]

LIST_COLUMNS = [Col("sku", "SKU"), Col("name", "Name"), Col("unit", "Unit"), Col("category", "Category"),
                Col("list_price", "List price", "right"), Col("tax_rate", "Tax %", "right"),
                Col("margin", "Margin", "right"), Col("active", "Active")]


def _prices(price: str | None, currency: str | None, cost: str | None, tax: str | None):
    from crm_cli.core.config import default_currency
    from crm_cli.core.docmoney import parse_percent
    from crm_cli.core.money import parse_money

    list_price = (parse_money(price, currency, option="--price", default=default_currency())
                  if price is not None else None)
    cost_m = None
    if cost is not None and cost.strip().lower() not in ("", "none"):
        cost_m = parse_money(cost, currency or (list_price.currency if list_price else None), option="--cost",
                             default=default_currency())
    rate = parse_percent(tax, "--tax") if tax is not None else None
    return list_price, cost_m, rate


@app.command("add")
def add(
    sku: Annotated[Optional[str], typer.Argument(help="Stock-keeping unit, unique (e.g. HQ-1001).",
                                                 show_default=False)] = None,
    name: Annotated[Optional[str], typer.Option("--name", help="Product name.")] = None,
    price: Annotated[Optional[str], typer.Option("--price", help="List price per unit, e.g. 12.50, ¥99, "
                                                 "'USD 20'.")] = None,
    currency: Annotated[Optional[str], typer.Option(help="Currency of the price (default: config).")] = None,
    unit: Annotated[Optional[str], typer.Option(help="Unit of sale: pcs (default), kg, m, 套...")] = None,
    category: Optional[str] = None,
    cost: Annotated[Optional[str], typer.Option(help="Unit cost (for the margin), same currency.")] = None,
    tax: Annotated[Optional[str], typer.Option("--tax", help="Tax rate, e.g. 13% (default 0).")] = None,
    tax_included: Annotated[bool, typer.Option("--tax-included/--tax-excluded",
                                               help="The list price includes tax.")] = False,
    description: Optional[str] = None,
    set_: SetOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Add a product (its SKU must be new)."""
    from crm_cli.core import db, prompts
    from crm_cli.core.output import created
    from crm_cli.core.validation import validate
    from crm_cli.services import customfields, products

    sku = prompts.require(sku, "SKU", "SKU")
    name = prompts.require(name, "--name", "Product name")
    price = prompts.require(price, "--price", "List price")
    data = validate(products.ProductIn, sku=sku, name=name, unit=unit, category=category, description=description)
    list_price, cost_m, rate = _prices(price, currency, cost, tax)
    with db.session_scope() as s:
        custom = customfields.parse_sets(s, "product", set_)
        p = products.add(s, data, list_price=list_price, cost=cost_m, tax_rate=rate if rate is not None else 0,
                         tax_included=tax_included, custom=custom)
        created("product", p.id, f"{p.sku} {p.name}", quiet)


@app.command("list")
def list_(
    category: Optional[str] = None,
    search: search_opt("SKU or name.") = None,
    inactive: Annotated[bool, typer.Option("--inactive", help="Only deactivated products.")] = False,
    all_: Annotated[bool, typer.Option("--all", help="Active and deactivated products.")] = False,
    where: WhereOpt = None,
    sort: sort_opt("sku|name|category|price|id|created|updated") = "sku",
    limit: LimitOpt = None,
    offset: OffsetOpt = 0,
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List products (active ones unless --inactive or --all)."""
    from crm_cli.core import db
    from crm_cli.core.output import emit
    from crm_cli.services import products

    active = None if all_ else (not inactive)
    with db.session_scope() as s:
        rows = products.list_products(s, active=active, category=category, search=search, where=where, sort=sort,
                                      limit=limit, offset=offset)
    emit(rows, LIST_COLUMNS, fmt, as_json)


@app.command("show")
def show(ref: Ref, fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """One product, with the price rules that can apply to it."""
    from crm_cli.core import db
    from crm_cli.core.output import emit_record
    from crm_cli.services import pricing, products

    with db.session_scope() as s:
        p = products.find(s, ref)
        rec = products.record(p)
        rules = pricing.list_rules(s, product=p)
    emit_record(rec, fmt, as_json, sections=[("price_rules", rules, [
        Col("id", "ID", "right"), Col("description", "Rule")])])


@app.command("edit")
def edit(
    ref: Ref,
    sku: Annotated[Optional[str], typer.Option("--sku", help="A new SKU.")] = None,
    name: Annotated[Optional[str], typer.Option("--name")] = None,
    price: Annotated[Optional[str], typer.Option("--price", help="New list price.")] = None,
    currency: Optional[str] = None,
    unit: Optional[str] = None,
    category: Annotated[Optional[str], typer.Option(help="New category; '' to clear.")] = None,
    cost: Annotated[Optional[str], typer.Option(help="New unit cost; 'none' to clear.")] = None,
    tax: Annotated[Optional[str], typer.Option("--tax", help="New tax rate, e.g. 9%.")] = None,
    tax_included: Annotated[Optional[bool], typer.Option("--tax-included/--tax-excluded")] = None,
    description: Optional[str] = None,
    set_: SetOpt = None,
) -> None:
    """Change a product's fields."""
    from crm_cli.core import db
    from crm_cli.core.errors import ValidationError
    from crm_cli.core.output import info
    from crm_cli.core.validation import validate
    from crm_cli.services import customfields, products

    values = dict(sku=sku, name=name, unit=unit, description=description)
    data = validate(products.ProductIn, **values)
    if category is not None:
        data = data.model_copy(update={"category": category.strip() or None})
        data.model_fields_set.add("category")
    if currency is not None and price is None:
        raise ValidationError("--currency goes with --price", "give the new price in the new currency")
    with db.session_scope() as s:
        p = products.find(s, ref)
        list_price, cost_m, rate = _prices(price, currency or (None if price else p.currency), cost, tax)
        clear_cost = cost is not None and cost.strip().lower() in ("", "none")
        custom = customfields.parse_sets(s, "product", set_, p.custom) if set_ else None
        products.edit(s, p, data, list_price=list_price,
                      cost=None if clear_cost else (cost_m if cost is not None else False),
                      tax_rate=rate, tax_included=tax_included, custom=custom)
        info(f"updated product {p.id}: {p.sku} {p.name}")


@app.command("deactivate")
def deactivate(refs: Annotated[List[str], typer.Argument(help="Products (SKU, id or name).")],
               undo: Annotated[bool, typer.Option("--undo", help="Make them active again.")] = False) -> None:
    """Stop offering products: they leave `product list` and new quote lines, and stay on old documents."""
    from crm_cli.core import db
    from crm_cli.core.output import info
    from crm_cli.services import products

    with db.session_scope() as s:
        done = []
        for ref in refs:
            p = products.find(s, ref)
            p.active = undo
            done.append(p.sku)
        info(f"{'reactivated' if undo else 'deactivated'} {', '.join(done)}")


from crm_cli.commands.io import register_io  # noqa: E402

register_io(app, "product")
