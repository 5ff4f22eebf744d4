"""Input validation shared by every record type: run a pydantic input model, and the checks
its validators share (a value from a fixed list, an email address)."""

from __future__ import annotations

import re

from crm_cli.core import normalize
from crm_cli.core.errors import ValidationError


def validate(model_cls, **values):
    """Run a pydantic input model; its first error becomes a one-line ValidationError (exit 2)."""
    from pydantic import ValidationError as PydanticError

    try:
        return model_cls.model_validate({k: v for k, v in values.items() if v is not None})
    except PydanticError as exc:
        err = exc.errors()[0]
        msg = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        if err.get("type", "").endswith("parsing") or err.get("type") == "int_type":
            msg = f"--{str(err['loc'][0]).replace('_', '-')}: {msg}"
        raise ValidationError(msg) from None


def one_of(value, allowed, flag: str):
    """`value` if it is in `allowed` (None passes), else a ValueError naming the flag and the choices."""
    if value is not None and value not in allowed:
        raise ValueError(f"{flag} must be one of {', '.join(allowed)}, not '{shown(value)}'")
    return value


def email(value, flag: str = "--email"):
    """A normalised email address ('"Bob" <Bob@X.com>' -> 'bob@x.com'), or a ValueError."""
    from crm_cli.core import normalize

    if not value:
        return value
    if not normalize.valid_email(value):
        raise ValueError(f"{flag} '{shown(value)}' is not an email address")
    return normalize.email_key(value)


# ---- text: length and control characters (the same rule on SQLite and PostgreSQL) ------------------

# C0 controls except tab (and, in a multi-line field, newline and carriage return), DEL, C1 controls
_CONTROL_ONE_LINE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f]")
_CONTROL_MULTI_LINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
MULTI_LINE = ("notes", "description", "strengths", "weaknesses")
SHOWN = 80


def shown(value, limit: int = SHOWN) -> str:
    """`value` as echoed in a message (errors.clip: escaped, at most `limit` characters)."""
    from crm_cli.core.errors import clip

    return clip(value, limit)


def text(value, flag: str, limit: int | None = None, multiline: bool = False):
    """`value` if it is at most `limit` characters and holds no control character (tab always passes,
    newline only in a multi-line field), else a ValueError naming `flag`. None passes."""
    if not isinstance(value, str):
        return value
    if limit is not None and len(value) > limit:
        raise ValueError(f"{flag} is longer than {limit} characters ({len(value)} given)")
    if value.isprintable():  # the usual case, without a regex (imports validate every field)
        return value
    bad = (_CONTROL_MULTI_LINE if multiline else _CONTROL_ONE_LINE).search(value)
    if bad:
        what = "a line break" if bad.group() in "\r\n" else f"a control character (U+{ord(bad.group()):04X})"
        raise ValueError(f"{flag} must not contain {what}; remove it")
    return value


def column_limit(table_model, field: str) -> int | None:
    """The declared length of `field`'s column in `table_model` (String(n)), or None (TEXT, not a column)."""
    col = table_model.__table__.c.get(field)
    return getattr(col.type, "length", None) if col is not None else None


_column_limits: dict = {}


def column_text(table_model, field: str, value, flag: str | None = None):
    """`text()` with the limit of the column `field` of `table_model` stores the value in."""
    if not isinstance(value, str):
        return value
    key = (table_model, field)
    limit = _column_limits.get(key, False)
    if limit is False:
        limit = _column_limits[key] = column_limit(table_model, field)
    if (limit is None or len(value) <= limit) and value.isprintable():
        return value
    return text(value, flag or "--" + field.replace("_", "-"), limit, multiline=field in MULTI_LINE)


def checked_text(value, flag: str, limit: int | None = None, multiline: bool = False):
    """`text()` for a command or service outside a pydantic model: a ValidationError (exit 2)."""
    try:
        return text(value, flag, limit, multiline)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


def control_rows(values, multiline: bool = False) -> list[int]:
    """Indexes of the values of an imported column that hold a control character (`text()`'s rule);
    one check over the whole column finds that there are none."""
    pattern = _CONTROL_MULTI_LINE if multiline else _CONTROL_ONE_LINE
    whole = " ".join(filter(None, values))
    if whole.isprintable() or not pattern.search(whole):  # isprintable(): C speed, the usual case
        return []
    return [i for i, v in enumerate(values) if v and pattern.search(v)]


_PHONE_DIGITS = str.maketrans("", "", " +()-")
_PHONE_TEXT = None  # compiled on first use
_EXTENSION = r"\s*(?:ext\.?|x|转|分机)\s*\d{1,6}"  # as normalize.phone_key reads them


def phone(value, flag: str = "--phone"):
    """The one rule for every phone field (customer, contact, lead; typed or imported): digits with
    + - ( ) . / and spaces, an optional extension ('ext 12', '转 801'), 5 to 20 digits; a number with
    a country code other than +86 and +1 must be one phonenumbers knows. Returns the stripped text,
    or a ValueError naming the flag."""
    if value is None:
        return None
    v = value.strip()
    if v:
        checked_phone_key(v, flag)
    return v  # '' stays '': `edit --phone ""` clears the number


def checked_phone_key(value: str, flag: str = "--phone") -> str:
    """normalize.phone_key of a number that passes phone(), or phone()'s ValueError (for imports)."""
    v = value.strip()
    digits = v.translate(_PHONE_DIGITS)
    if digits.isascii() and digits.isdigit() and len(v) <= 64:  # the common case: the fast path
        key = _phone_digits_key(v, digits)
    else:
        key = _phone_text_key(v)
    if key is None:
        shown = v if len(v) <= 40 else v[:37] + "..."
        raise ValueError(f"{flag} '{shown}' is not a phone number")
    return key


def _phone_digits_key(text: str, digits: str) -> str | None:
    """`text` is digits and separators (+ - ( ) spaces) only: 5 to 20 digits in its key, and a
    country code other than +86 and +1 must be one phonenumbers knows (not its length rules:
    real files hold short numbers)."""
    if not digits:
        return None
    key = normalize.digits_phone_key(text, digits)
    if not 5 <= len(key) <= 20:
        return None
    if text[0] in "+0" and (text[0] == "+" or text.startswith("00")):
        cc = digits[2:] if text[0] == "0" else digits
        if not cc.startswith(("86", "1")):
            import phonenumbers

            try:
                phonenumbers.parse("+" + cc, None)
            except phonenumbers.NumberParseException:
                return None
    return key


def _phone_text_key(text: str) -> str | None:
    """Full-width digits, dots, slashes, 'tel:', an extension: the slow path."""
    global _PHONE_TEXT
    import re
    import unicodedata

    if len(text) > 64:
        return None
    if _PHONE_TEXT is None:
        _PHONE_TEXT = re.compile(r"(?:tel:)?\s*(\(?\+?[\d\s().\-/]+?)(?:" + _EXTENSION + ")?", re.I)
    m = _PHONE_TEXT.fullmatch(unicodedata.normalize("NFKC", text).strip())
    if not m or not m.group(1).strip():
        return None
    number = re.sub(r"[./]", " ", m.group(1).strip())
    digits = number.translate(_PHONE_DIGITS)
    return _phone_digits_key(number, digits) if digits.isdigit() else None
