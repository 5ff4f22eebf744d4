"""Document money rules: the arithmetic of quote and order lines, totals and instalments.

Every document (quote, order, payment plan) computes its amounts here and nowhere else.
Amounts are integer minor units of the document's currency; quantities, rates and discounts are
exact `Decimal`s, never floats. Rounding is half-up (away from zero) and happens only at these
points, once per line, so lines always add up to the document's totals (docs/money.md):

  tax-excluded price (the default)
    list     = round(qty x unit price)
    net      = round(qty x unit price x (1 - discount))
    discount = list - net
    tax      = round(net x rate)
  tax-included price
    gross    = round(qty x unit price x (1 - discount))
    tax      = round(gross x rate / (1 + rate))
    net      = gross - tax                        (so net + tax == gross exactly)
    list     = round(qty x unit price) - round(round(qty x unit price) x rate / (1 + rate))
    discount = list - net
  every line: total = net + tax
  document:  subtotal = sum(list), discount = sum(discount), tax = sum(tax), total = sum(total)
             (plain integer sums: subtotal - discount + tax == total)
  instalments: every part but the last = round(total x share) (or the fixed amount given);
             the last takes the remainder, so the parts add up to the total.

Minor units already carry each currency's precision (JPY has none, KWD three), so rounding to a
whole number of minor units rounds at the currency's own precision.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from crm_cli.core.errors import ValidationError

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
MAX_QTY = Decimal("1000000000")


def round_half_up(value: Decimal) -> int:
    """The nearest whole number of minor units; halves away from zero (2.5 -> 3, -2.5 -> -3)."""
    return int(value.quantize(ONE, rounding=ROUND_HALF_UP))


def _number(text: str, option: str) -> Decimal:
    raw = str(text).strip()
    import unicodedata

    t = unicodedata.normalize("NFKC", raw).replace(" ", "")
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", t):
        raise ValidationError(f"{option}: cannot read '{raw[:80]}' as a number", "e.g. 2, 0.5, 12.75")
    try:
        return Decimal(t)
    except InvalidOperation:  # pragma: no cover - the pattern above admits only valid decimals
        raise ValidationError(f"{option}: cannot read '{raw[:80]}' as a number") from None


def parse_qty(text: str | Decimal | int, option: str = "--qty") -> Decimal:
    """A positive quantity, fractional allowed (0.5 kg), at most 6 decimal places."""
    q = text if isinstance(text, Decimal) else _number(str(text), option)
    if q <= ZERO:
        raise ValidationError(f"{option}: the quantity must be more than 0, got {q}")
    if q >= MAX_QTY:
        raise ValidationError(f"{option}: {q} is too large", f"use less than {MAX_QTY:,}")
    if q.as_tuple().exponent < -6:  # type: ignore[operator]
        raise ValidationError(f"{option}: {q} has more than 6 decimal places")
    return q.normalize() if q == q.to_integral_value() else q


def parse_percent(text: str | Decimal, option: str, maximum: Decimal = HUNDRED) -> Decimal:
    """'13%', '13' or '12.5%' -> the fraction Decimal('0.13'); 0 to `maximum` percent.

    A bare number is a percentage too ('--discount 5' is 5 %), so '0.13' means 0.13 %.
    """
    if isinstance(text, Decimal):
        return text
    raw = str(text).strip()
    t = raw[:-1] if raw.endswith(("%", "％")) else raw
    value = _number(t, option)
    if value < ZERO or value > maximum:
        raise ValidationError(f"{option}: {raw[:80]} is outside 0%..{maximum}%")
    if value.as_tuple().exponent < -4:  # type: ignore[operator]
        raise ValidationError(f"{option}: {raw[:80]} has more than 4 decimal places")
    return value / HUNDRED


def percent_text(fraction: Decimal | None) -> str | None:
    """Decimal('0.125') -> '12.5' (no trailing zeros); None stays None."""
    if fraction is None:
        return None
    value = (fraction * HUNDRED).normalize()
    text = format(value, "f")
    return text


@dataclass(frozen=True)
class LineAmounts:
    """One document line's amounts, in minor units."""

    list: int       # before discount, without tax
    discount: int   # list - net
    net: int        # after discount, without tax
    tax: int
    total: int      # net + tax


def line_amounts(qty: Decimal, unit_price: int, discount: Decimal = ZERO, tax_rate: Decimal = ZERO,
                 tax_included: bool = False) -> LineAmounts:
    """The amounts of a line: `unit_price` in minor units, `discount` and `tax_rate` as fractions."""
    if not ZERO <= discount <= ONE:
        raise ValidationError(f"discount {percent_text(discount)}% is outside 0%..100%")
    if tax_rate < ZERO:
        raise ValidationError(f"tax rate {percent_text(tax_rate)}% is negative")
    if unit_price < 0:
        raise ValidationError("a unit price must not be negative")
    exact = qty * Decimal(unit_price)
    if not tax_included:
        list_ = round_half_up(exact)
        net = round_half_up(exact * (ONE - discount))
        tax = round_half_up(Decimal(net) * tax_rate)
        return LineAmounts(list_, list_ - net, net, tax, net + tax)
    gross = round_half_up(exact * (ONE - discount))
    tax = round_half_up(Decimal(gross) * tax_rate / (ONE + tax_rate))
    net = gross - tax
    list_gross = round_half_up(exact)
    list_ = list_gross - round_half_up(Decimal(list_gross) * tax_rate / (ONE + tax_rate))
    return LineAmounts(list_, list_ - net, net, tax, gross)


@dataclass(frozen=True)
class Totals:
    subtotal: int = 0
    discount: int = 0
    net: int = 0
    tax: int = 0
    total: int = 0


def totals(lines: list[LineAmounts]) -> Totals:
    """Plain integer sums of the rounded lines."""
    return Totals(sum(x.list for x in lines), sum(x.discount for x in lines), sum(x.net for x in lines),
                  sum(x.tax for x in lines), sum(x.total for x in lines))


def split_by_shares(total: int, shares: list[Decimal]) -> list[int]:
    """Split `total` by fractions that add up to 1: every part but the last is rounded half-up,
    the last takes the remainder."""
    if not shares:
        raise ValidationError("an instalment plan needs at least one part")
    if any(s <= ZERO for s in shares):
        raise ValidationError("every instalment share must be more than 0%")
    if sum(shares) != ONE:
        raise ValidationError(f"the shares add up to {percent_text(sum(shares))}%, not 100%")
    parts = [round_half_up(Decimal(total) * s) for s in shares[:-1]]
    return parts + [total - sum(parts)]


def split_fixed(total: int, amounts: list[int | None]) -> list[int]:
    """Split `total` into the given amounts; a None (at most one, normally the last) takes the rest.
    Without a None the amounts must add up to the total exactly."""
    if not amounts:
        raise ValidationError("an instalment plan needs at least one part")
    open_parts = [i for i, a in enumerate(amounts) if a is None]
    if len(open_parts) > 1:
        raise ValidationError("only one instalment can take the rest")
    fixed = sum(a for a in amounts if a is not None)
    if any(a is not None and a <= 0 for a in amounts):
        raise ValidationError("every instalment must be more than 0")
    if open_parts:
        rest = total - fixed
        if rest <= 0:
            raise ValidationError("the fixed instalments already reach the total; nothing is left for the rest")
        return [rest if a is None else a for a in amounts]
    if fixed != total:
        raise ValidationError(f"the instalments add up to {fixed} minor units, not the total {total}")
    return list(amounts)  # type: ignore[arg-type]


def split_equal(total: int, count: int) -> list[int]:
    """`count` equal instalments (each but the last rounded half-up, the last takes the remainder)."""
    if count < 1 or count > 120:
        raise ValidationError(f"--instalments must be from 1 to 120, not {count}")
    part = round_half_up(Decimal(total) / Decimal(count))
    parts = [part] * (count - 1)
    return parts + [total - sum(parts)]
