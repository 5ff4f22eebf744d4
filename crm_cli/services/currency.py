"""Exchange rates for reports: `1 CURRENCY = RATE BASE`, stored as exact decimal text.

Reports aggregate per currency in SQL, then convert the few group sums here with Decimal.
A rate can be used directly, inverted, or through a common base (USD->CNY and EUR->CNY give USD->EUR).
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from sqlalchemy import select

from crm_cli.core.errors import NotFound, ValidationError
from crm_cli.models.opportunity import CurrencyRate
from crm_cli.core.money import check_currency, exponent


def weighted(amount_times_probability: int | None) -> int | None:
    """SUM(amount * probability) -> minor units of the weighted amount (half-even)."""
    if amount_times_probability is None:
        return None
    return int((Decimal(int(amount_times_probability)) / 100).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def parse_rate(text: str) -> Decimal:
    try:
        value = Decimal(str(text).replace(",", "").strip())
    except InvalidOperation:
        raise ValidationError(f"rate '{text}' is not a number", "e.g. 7.12") from None
    if not value.is_finite() or value <= 0:
        raise ValidationError(f"rate must be a positive number, not '{text}'")
    if not Decimal("1e-9") <= value <= Decimal("1e9"):  # 1e400 or 1e-400 made every converted total 0
        raise ValidationError(f"rate '{text}' is out of range", "use a rate between 0.000000001 and 1000000000")
    return value


def set_rate(session, currency: str, rate: str, base: str | None = None) -> CurrencyRate:
    from crm_cli.core import context
    from crm_cli.core.config import default_currency

    cur = check_currency(currency)
    base = check_currency(base) if base else default_currency()
    if cur == base:
        raise ValidationError(f"{cur} is the base currency; its rate is always 1")
    value = parse_rate(rate)
    row = session.execute(select(CurrencyRate).where(CurrencyRate.currency == cur, CurrencyRate.base == base)
                          ).scalar_one_or_none()
    if row is None:
        row = CurrencyRate(currency=cur, base=base, rate=str(value), updated_at=context.now(),
                           updated_by=context.current_handle())
        session.add(row)
    else:
        row.rate, row.updated_at, row.updated_by = str(value), context.now(), context.current_handle()
    session.flush()
    return row


def delete_rate(session, currency: str, base: str | None = None) -> None:
    from crm_cli.core.config import default_currency

    cur = check_currency(currency)
    base = check_currency(base) if base else default_currency()
    row = session.execute(select(CurrencyRate).where(CurrencyRate.currency == cur, CurrencyRate.base == base)
                          ).scalar_one_or_none()
    if row is None:
        raise NotFound(f"no rate for {cur} in {base}")
    session.delete(row)


def rates(session) -> list[dict]:
    rows = session.execute(select(CurrencyRate).order_by(CurrencyRate.base, CurrencyRate.currency)).scalars()
    return [{"currency": r.currency, "base": r.base, "rate": r.rate, "updated_at": r.updated_at,
             "updated_by": r.updated_by} for r in rows]


class Converter:
    """Loads every rate once; converts minor units between currencies."""

    def __init__(self, session):
        self.table: dict[tuple[str, str], Decimal] = {}
        for r in session.execute(select(CurrencyRate)).scalars():
            self.table[(r.currency, r.base)] = Decimal(r.rate)

    def factor(self, src: str, dst: str) -> Decimal:
        if src == dst:
            return Decimal(1)
        if (src, dst) in self.table:
            return self.table[(src, dst)]
        if (dst, src) in self.table:
            return 1 / self.table[(dst, src)]
        for (a, base), rate in self.table.items():
            if a == src and (dst, base) in self.table:
                return rate / self.table[(dst, base)]
        raise ValidationError(f"no exchange rate from {src} to {dst}",
                              f"set one with 'crm currency rate {src} RATE --base {dst}'")

    def convert(self, minor: int | None, src: str | None, dst: str) -> int | None:
        if minor is None:
            return None
        src = src or dst
        if src == dst:
            return int(minor)
        major = Decimal(int(minor)).scaleb(-exponent(src)) * self.factor(src, dst)
        return int(major.scaleb(exponent(dst)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def target_currency(currencies: set[str | None], requested: str | None) -> str:
    """--currency if given; else the one currency the data uses; else the configured currency."""
    from crm_cli.core.config import default_currency

    if requested:
        return check_currency(requested)
    known = {c for c in currencies if c}
    if len(known) == 1:
        return next(iter(known))
    return default_currency()
