"""The line options quotes and orders share: add-line DOC (--product SKU | --text "...") --qty 2
[--unit kg] [--price 10.50] [--discount 5%] [--tax 13%] [--tax-included] [--approve]."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

ProductOpt = Annotated[Optional[str], typer.Option("--product", "-p", help="Product SKU (priced by the rules).")]
TextOpt = Annotated[Optional[str], typer.Option("--text", help="Free-text line (needs --price), or a description "
                                                "for a product line.")]
QtyOpt = Annotated[Optional[str], typer.Option("--qty", help="Quantity, fractions allowed (default 1).")]
UnitOpt = Annotated[Optional[str], typer.Option("--unit", help="Unit (default: the product's).")]
PriceOpt = Annotated[Optional[str], typer.Option("--price", help="Unit price by hand (overrides the rules; "
                                                 "recorded).")]
DiscountOpt = Annotated[Optional[str], typer.Option("--discount", help="Discount, e.g. 5%.")]
TaxOpt = Annotated[Optional[str], typer.Option("--tax", help="Tax rate, e.g. 13% (default: the product's).")]
TaxIncludedOpt = Annotated[Optional[bool], typer.Option("--tax-included/--tax-excluded",
                                                        help="Whether the unit price includes tax.")]
ApproveOpt = Annotated[bool, typer.Option("--approve", help="Approve a discount beyond your role's limit "
                                          "(managers and admins).")]
LineNo = Annotated[int, typer.Argument(help="Line number (as `show` lists them).", min=1)]


def spec(session, *, currency: str, product=None, text=None, qty=None, unit=None, price=None, discount=None,
         tax=None, tax_included=None, approve=False, kind="product", price_option="--price"):
    """Options -> a documents.LineSpec (text and unit checked like every text input: length, no
    control characters)."""
    from crm_cli.core.docmoney import parse_percent, parse_qty
    from crm_cli.core.errors import UsageError
    from crm_cli.core.money import parse_money
    from crm_cli.core.validation import checked_text
    from crm_cli.services import documents, products

    checked_text(text, "--text", 300)
    checked_text(unit, "--unit", 16)
    if product and kind == "fee":
        raise UsageError("a fee is a --text line, not a --product")
    return documents.LineSpec(
        product=products.find(session, product) if product else None, text=text,
        qty=parse_qty(qty) if qty is not None else None,
        unit=unit.strip() if unit else None,
        price=parse_money(price, currency, option=price_option) if price is not None else None,
        discount=parse_percent(discount, "--discount") if discount is not None else None,
        tax_rate=parse_percent(tax, "--tax") if tax is not None else None,
        tax_included=tax_included, approve=approve, kind=kind)
