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


def phone_key(phone: str | None, default_country: str = "86") -> str | None:
    """Digits only, without the country code: '+86 138-0013-8000' == '13800138000'."""
    t = phone or ""
    digits = t.translate(_PHONE_PUNCT)
    if not (digits.isascii() and digits.isdigit()):  # full-width digits, extensions: the slow path
        t = unicodedata.normalize("NFKC", t)
        t = _EXTENSION.split(t)[0]
        digits = _NON_DIGIT.sub("", t)
        if not digits:
            return None
    head = t.lstrip()
    if head.startswith("00"):
        digits = digits[2:]
    if digits.startswith(default_country) and len(digits) > 11:
        digits = digits[len(default_country):]
    elif head.startswith("+") and digits.startswith("1") and len(digits) == 11:
        digits = digits[1:]
    return digits.lstrip("0") if len(digits) > 7 else digits


_PHONE_LIKE = re.compile(r"\+?[0-9\s()\-]{7,}")


def looks_like_phone(text: str) -> bool:
    """7+ characters of digits (and + - spaces parentheses): a search for a phone number."""
    t = unicodedata.normalize("NFKC", text or "").strip()
    return bool(_PHONE_LIKE.fullmatch(t)) and len(_NON_DIGIT.sub("", t)) >= 7
