"""Normalised keys for duplicate detection: names, emails, phones (CJK-aware)."""

from __future__ import annotations

import re
import unicodedata

_SUFFIXES = [
    "股份有限公司", "有限责任公司", "有限公司", "集团公司", "集团", "公司",
    "incorporated", "corporation", "company", "limited", "co ltd", "coltd", "gmbh", "pty ltd", "pte ltd",
    "ltd", "inc", "corp", "llc", "plc", "co", "sa", "ag", "bv", "srl", "spa", "kk", "oy", "ab",
]
_NON_WORD = re.compile(r"[\W_]+")
_ANGLE = re.compile(r"<([^<>]+)>")
_EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_EXTENSION = re.compile(r"(?:ext\.?|x|转|分机)\s*\d+\s*$", re.I)
_NON_DIGIT = re.compile(r"\D")
_SUFFIX_RE = re.compile(r"(?:\s|^)(?:" + "|".join(re.escape(s) for s in _SUFFIXES if s.isascii()) + r")$")


def fold(text: str | None) -> str:
    """NFKC (full-width to half-width), case-folded, whitespace collapsed (incl. U+3000)."""
    if not text:
        return ""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def name_key(name: str | None) -> str | None:
    """Company/customer name key: case, punctuation, width and legal suffixes ignored."""
    t = fold(name)
    if not t:
        return None
    t = _NON_WORD.sub(" ", t).strip()
    for _ in range(3):
        before = t
        for suffix in _SUFFIXES:
            if not suffix.isascii() and t.endswith(suffix) and len(t) > len(suffix):
                t = t[: -len(suffix)].strip()
        t = _SUFFIX_RE.sub("", t).strip() or before
        if t == before:
            break
    return t.replace(" ", "") or None


def email_key(email: str | None) -> str | None:
    """'"Name" <A@B.com>' and ' a@b.com ' both give 'a@b.com'."""
    if email and email.isascii():  # NFKC changes nothing in ASCII, and casefold is lower
        t = " ".join(email.lower().split())
    else:
        t = fold(email)
    if not t:
        return None
    if "<" in t:
        m = _ANGLE.search(t)
        if m:
            t = m.group(1)
    t = t.strip().strip("'\"").strip()
    if t.startswith("mailto:"):
        t = t[7:]
    return t or None


def valid_email(email: str) -> bool:
    key = email_key(email)
    return bool(key and _EMAIL_RE.fullmatch(key))


_PHONE_PUNCT = str.maketrans("", "", " +()-")


def phone_key(phone: str | None, region: str | None = None) -> str | None:
    """The number without formatting: '+86 138-0013-8000' == '13800138000', '+44 20 7946 0958' ==
    '020 7946 0958' when the region is GB.

    The key is the national number for China (+86) and the NANP (+1) - the keys stored before
    phonenumbers was used - and country code + national number for every other country. A number
    written without +/00 belongs to `region` (config `region`, default CN). Chinese numbers take the
    fast path below; other countries' are read by phonenumbers (trunk prefixes, '(0)').
    """
    t = phone or ""
    digits = t.translate(_PHONE_PUNCT)
    if not (digits.isascii() and digits.isdigit()):  # full-width digits, extensions: the slow path
        t = unicodedata.normalize("NFKC", t)
        t = _EXTENSION.split(t)[0]
        digits = _NON_DIGIT.sub("", t)
        if not digits:
            return None
    return digits_phone_key(t, digits, region)


def digits_phone_key(t: str, digits: str, region: str | None = None) -> str:
    """phone_key of `t` once its `digits` are known (for validation.phone, which has them)."""
    head = t.lstrip()
    if head[:1] in ("t", "T", "("):
        if head[:4].lower() == "tel:":
            head = head[4:].lstrip()
        if head.startswith("(+"):  # '(+44) 20 7946 0958'
            head = head[1:]
    if head.startswith("00"):
        digits = digits[2:]
    elif not head.startswith("+") and (region or default_region()) != "CN":
        return _phone_key_lib(digits, region or default_region()) or _digits_key(digits)
    if head.startswith(("+", "00")):
        if digits.startswith("1"):  # the NANP has no trunk prefix: its keys as they always were
            return digits[1:] if len(digits) == 11 else _digits_key(digits)
        if not digits.startswith("86"):
            return _phone_key_lib("+" + digits, None) or _digits_key(digits)
    if digits.startswith("86") and len(digits) > 11:
        digits = digits[2:]
    return _digits_key(digits)


def _digits_key(digits: str) -> str:
    return digits.lstrip("0") if len(digits) > 7 else digits


def _phone_key_lib(text: str, region: str | None) -> str | None:
    """phonenumbers' reading of a number: None when it cannot read it."""
    import phonenumbers

    try:
        n = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    national = phonenumbers.national_significant_number(n)
    if n.country_code in (86, 1):
        return _digits_key(national)
    return f"{n.country_code}{national}"


def phone_search_key(text: str, region: str | None = None, whole: bool = True) -> str | None:
    """The key of a number typed as a search, perhaps only its start ('020 7946'): its stored keys
    start with this. whole=False leaves the country code off a number written without one, for a
    search anywhere in the key. In region CN this is phone_key."""
    key = phone_key(text, region)
    region = region or default_region()
    if not key or region == "CN":
        return key
    t = _EXTENSION.split(unicodedata.normalize("NFKC", text).strip())[0]
    if t.lower().removeprefix("tel:").lstrip().lstrip("(").startswith(("+", "00")):
        return key
    import phonenumbers

    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    digits = _NON_DIGIT.sub("", t)
    trunk = meta.national_prefix or ""
    if trunk and digits.startswith(trunk):  # phonenumbers keeps it on a number too short to be valid
        digits = digits[len(trunk):]
    cc = str(meta.country_code)
    return digits if cc in ("1", "86") or not whole else cc + digits


def default_region() -> str:
    """The configured phone region (config `region`, env CRM_REGION), e.g. 'CN'."""
    return _config_get("region")


def _config_get(name: str):
    global _config_get
    from crm_cli.core.config import get  # bound on first use: config imports this module lazily

    _config_get = get
    return get(name)


_PHONE_LIKE = re.compile(r"\+?[0-9\s()\-]{7,}")


def looks_like_phone(text: str) -> bool:
    """7+ characters of digits (and + - spaces parentheses): a search for a phone number."""
    t = unicodedata.normalize("NFKC", text or "").strip()
    return bool(_PHONE_LIKE.fullmatch(t)) and len(_NON_DIGIT.sub("", t)) >= 7
