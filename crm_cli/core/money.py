"""Money: integer minor units plus an ISO 4217 code. Never float.

Accepts 12500, 12,500.50, ¥12500, $1,200, 12.5k, 3m, "CNY 12500", "12500 USD", 1.2万.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from crm_cli.core.errors import ValidationError

# minor-unit exponent per currency; unknown codes that look valid default to 2
EXPONENT = {"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "HUF": 2, "KWD": 3, "BHD": 3, "JOD": 3,
            "OMR": 3, "TND": 3}
SYMBOLS = {"¥": "CNY", "￥": "CNY", "$": "USD", "€": "EUR", "£": "GBP", "₩": "KRW", "₹": "INR",
           "HK$": "HKD", "US$": "USD", "A$": "AUD", "C$": "CAD", "S$": "SGD", "NT$": "TWD", "RMB": "CNY",
           "元": "CNY"}
SHOW_SYMBOL = {"CNY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "JP¥", "KRW": "₩", "INR": "₹",
               "HKD": "HK$"}
MULTIPLIERS = {"k": Decimal(1000), "K": Decimal(1000), "m": Decimal(1_000_000), "M": Decimal(1_000_000),
               "万": Decimal(10_000), "w": Decimal(10_000), "亿": Decimal(100_000_000)}
ACCEPTED = "e.g. 12500, 12,500.50, ¥12500, 12.5k, 'USD 99.90'"


def check_currency(code: str) -> str:
    code = (code or "").strip().upper()
    if code in SYMBOLS:
        code = SYMBOLS[code]
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise ValidationError(f"'{code}' is not an ISO 4217 currency code", "e.g. CNY, USD, EUR")
    return code


def exponent(currency: str) -> int:
    return EXPONENT.get(currency, 2)


@dataclass(frozen=True)
class Money:
    minor: int
    currency: str

    @property
    def decimal(self) -> Decimal:
        return Decimal(self.minor).scaleb(-exponent(self.currency))

    def plain(self) -> str:
        """Exact decimal string for machine formats: '12500.50'."""
        e = exponent(self.currency)
        return f"{self.decimal:.{e}f}"

    def display(self) -> str:
        e = exponent(self.currency)
        text = f"{self.decimal:,.{e}f}"
        sym = SHOW_SYMBOL.get(self.currency)
        return f"{sym}{text}" if sym else f"{text} {self.currency}"

    def __str__(self) -> str:
        return self.display()


def default_currency() -> str:
    from crm_cli.core import config

    return check_currency(str(config.get("currency")))


def parse_money(text: str | int, currency: str | None = None, option: str = "amount",
                allow_negative: bool = False) -> Money:
    """Parse an amount into Money. The currency comes from the text, `currency`, or config."""
    raw = str(text).strip().replace("\u3000", " ")
    if not raw:
        raise ValidationError(f"{option}: empty amount", ACCEPTED)
    found = None
    t = raw
    m = re.fullmatch(r"([A-Za-z]{3})\s*([^A-Za-z].*)", t)
    if m:
        found, t = check_currency(m.group(1)), m.group(2).strip()
    else:
        m = re.fullmatch(r"(.*[^A-Za-z])\s*([A-Za-z]{3})", t)
        if m:
            found, t = check_currency(m.group(2)), m.group(1).strip()
    for sym in sorted(SYMBOLS, key=len, reverse=True):
        if t.startswith(sym) or t.startswith("-" + sym):
            neg = t.startswith("-")
            found = found or SYMBOLS[sym]
            t = ("-" if neg else "") + t[len(sym) + (1 if neg else 0):].strip()
            break
        if t.endswith(sym) and sym in ("元", "RMB"):
            found = found or SYMBOLS[sym]
            t = t[: -len(sym)].strip()
            break
    cur = found or (check_currency(currency) if currency else default_currency())
    if currency and found and check_currency(currency) != found:
        raise ValidationError(f"{option}: '{raw}' is in {found} but --currency says {check_currency(currency)}")
    mult = Decimal(1)
    if t and t[-1] in MULTIPLIERS:
        mult, t = MULTIPLIERS[t[-1]], t[:-1].strip()
    t = t.replace(",", "").replace("_", "").replace(" ", "")
    if t.startswith("(") and t.endswith(")"):
        t = "-" + t[1:-1]
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", t):
        raise ValidationError(f"{option}: cannot read '{raw}' as an amount", ACCEPTED)
    try:
        value = Decimal(t) * mult
    except InvalidOperation:
        raise ValidationError(f"{option}: cannot read '{raw}' as an amount", ACCEPTED) from None
    e = exponent(cur)
    scaled = value.scaleb(e)
    if scaled != scaled.to_integral_value():
        if mult == 1:
            raise ValidationError(f"{option}: '{raw}' has more than {e} decimal places for {cur}")
        scaled = scaled.quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    minor = int(scaled)
    if minor < 0 and not allow_negative:
        raise ValidationError(f"{option}: the amount must not be negative, got '{raw}'")
    if abs(minor) >= 2**62:
        raise ValidationError(f"{option}: '{raw}' is too large")
    return Money(minor, cur)
