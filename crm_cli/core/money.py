"""Money: integer minor units plus an ISO 4217 code. Never float.

Accepts 12500, 12,500.50, ¥12500, $1,200, 12.5k, 3m, "CNY 12500", "12500 USD", 1.2万.
The currency codes and their minor-unit digits come from babel's CLDR data (loaded on first use).
The default currency is the caller's to give (from config): this module does not import config.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache, cache
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from crm_cli.core.errors import ValidationError

# CLDR's digits are display digits; where they differ from the ISO 4217 minor unit, ISO wins (amounts
# are stored in ISO minor units: HUF 12.50 is 1250).
ISO_MINOR_UNITS = {"AFN": 2, "ALL": 2, "COP": 2, "HUF": 2, "IDR": 2, "IQD": 3, "IRR": 2, "KPW": 2, "LAK": 2,
                   "LBP": 2, "MGA": 2, "MMK": 2, "RSD": 2, "SLL": 2, "SOS": 2, "SYP": 2, "YER": 2}
NOT_MONEY = {"XXX", "XTS"}  # ISO 4217's "no currency" and "testing" codes
SYMBOLS = {"¥": "CNY", "￥": "CNY", "$": "USD", "€": "EUR", "£": "GBP", "₩": "KRW", "₹": "INR",
           "HK$": "HKD", "US$": "USD", "A$": "AUD", "C$": "CAD", "S$": "SGD", "NT$": "TWD", "RMB": "CNY",
           "元": "CNY"}
SHOW_SYMBOL = {"CNY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "JP¥", "KRW": "₩", "INR": "₹",
               "HKD": "HK$"}
MULTIPLIERS = {"k": Decimal(1000), "K": Decimal(1000), "m": Decimal(1_000_000), "M": Decimal(1_000_000),
               "万": Decimal(10_000), "w": Decimal(10_000), "亿": Decimal(100_000_000)}
ACCEPTED = "e.g. 12500, 12,500.50, ¥12500, 12.5k, 'USD 99.90'"


@lru_cache(maxsize=1)
def currencies() -> frozenset[str]:
    """Every ISO 4217 code babel knows (current and historic), without XXX and XTS."""
    from babel.numbers import list_currencies

    return frozenset(list_currencies()) - NOT_MONEY


@cache
def exponent(currency: str) -> int:
    """Digits after the decimal point (minor units): CNY 2, JPY 0, KWD 3, CLF 4."""
    if currency in ISO_MINOR_UNITS:
        return ISO_MINOR_UNITS[currency]
    from babel.numbers import get_currency_precision

    return get_currency_precision(currency)


def exponents() -> dict[str, int]:
    """{code: digits} for every code whose minor unit is not 2 (for SQL that scales by currency)."""
    return {c: e for c in sorted(currencies()) if (e := exponent(c)) != 2}


def check_currency(code: str) -> str:
    shown = (code or "").strip()
    code = shown.upper()
    if code in SYMBOLS:
        code = SYMBOLS[code]
    if code not in currencies():
        raise ValidationError(f"'{shown[:20]}' is not an ISO 4217 currency code", "e.g. CNY, USD, EUR")
    return code


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


_GROUPED = re.compile(r"[+-]?\(?\d{1,3}(?:,\d{3})+(?:\.\d*)?\)?")


def parse_money(text: str | int, currency: str | None = None, option: str = "amount",
                allow_negative: bool = False, default: str | None = None) -> Money:
    """Parse an amount into Money. The currency comes from the text, else `currency`, else
    `default` (the caller's configured currency: config.default_currency())."""
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
    if found:
        cur = found
    elif currency or default:
        cur = check_currency(currency or default)
    else:
        raise ValidationError(f"{option}: '{raw}' has no currency", "write it with a code, e.g. 'USD 99.90'")
    if currency and found and check_currency(currency) != found:
        raise ValidationError(f"{option}: '{raw}' is in {found} but --currency says {check_currency(currency)}")
    mult = Decimal(1)
    if t and t[-1] in MULTIPLIERS:
        mult, t = MULTIPLIERS[t[-1]], t[:-1].strip()
    t = t.replace("_", "").replace(" ", "")
    if "," in t:  # thousands separators: groups of three only ('1,2,3' is not 123)
        if not _GROUPED.fullmatch(t):
            raise ValidationError(f"{option}: cannot read '{raw}' as an amount",
                                  "use ',' only between groups of three digits, e.g. 12,500.50")
        t = t.replace(",", "")
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
