"""The TOML config file and the precedence rule: flag > env > config > default.

Only the standard library is imported at the top: this module is on the `--help` path.
Every value is checked the same way when it is set and when it is read (file or env): a wrong one
is a one-line error naming the file (or variable) and the key, exit 2.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from crm_cli.core.errors import ValidationError


@dataclass(frozen=True)
class Key:
    name: str
    env: str | None
    default: object
    help: str
    kind: str = "text"  # text | list | int
    low: int = 0  # the range of an int
    high: int = 100


KEYS: dict[str, Key] = {
    k.name: k
    for k in [
        Key("user", "CRM_USER", None, "your user handle (default: OS login)"),
        Key("currency", "CRM_CURRENCY", "USD", "default ISO 4217 currency code"),
        Key("region", "CRM_REGION", "CN", "country of phone numbers written without +country code (CN, GB, ...)"),
        Key("timezone", "CRM_TIMEZONE", None, "IANA timezone for showing times (default: system)"),
        Key("database_url", "CRM_DATABASE_URL", None, "SQLAlchemy URL of the database"),
        Key("default_pipeline", "CRM_PIPELINE", None, "pipeline used when none is given"),
        Key("lead_sources", None,
            ["web", "referral", "trade-show", "phone-in", "campaign", "list", "other"],
            "allowed lead sources", "list"),
        Key("lost_reasons", None,
            ["price", "competitor", "no-budget", "no-decision", "timing", "product-fit", "other"],
            "allowed reasons for losing an opportunity", "list"),
        Key("activity_types", None,
            ["call", "visit", "email", "sms", "meeting", "task", "care"],
            "allowed activity types", "list"),
        Key("ticket_types", None, ["complaint", "repair", "inquiry", "suggestion", "request"],
            "allowed ticket types", "list"),
        Key("complaint_reasons", None, ["product-quality", "delivery", "service-attitude", "price", "other"],
            "reason categories a complaint ticket must name", "list"),
        Key("ticket_channels", None, ["phone", "email", "chat", "web", "visit", "wechat", "other"],
            "channels a ticket may come in by", "list"),
        Key("committed_probability", None, 80, "stage probability from which an opp counts as committed",
            "int"),
        Key("quote_validity_days", None, 30, "days a new quote is valid", "int"),
        Key("max_discount_rep", None, 10, "largest discount (percent below list) a rep gives without approval",
            "int"),
        Key("max_discount_manager", None, 30, "largest discount (percent below list) a manager gives without "
            "--approve", "int"),
        Key("fee_tax_rate", None, "0", "tax rate of shipping and other fees on orders (percent)"),
        Key("sla_at_risk", None, 25, "an SLA target is at risk when at most this share of it is left (percent)",
            "int", 1, 99),
        Key("company_name", None, None, "your company's name on rendered quotes"),
        Key("company_address", None, None, "your company's address on rendered quotes"),
    ]
}


def config_path() -> Path:
    env = os.environ.get("CRM_CONFIG")
    if env:
        return Path(env)
    from platformdirs import user_config_dir

    return Path(user_config_dir("crm", appauthor=False)) / "config.toml"


_cache: dict[str, object] | None = None


_values: dict = {}  # name -> its effective value, until reset()


def _read() -> dict[str, object]:
    """The file as TOML, unchecked (set and unset must work on a file with a wrong value)."""
    path = config_path()
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(f"config file {path} is not valid TOML: {exc}", "fix it or remove it") from None
    except (OSError, UnicodeError) as exc:
        raise ValidationError(f"cannot read config file {path}: {exc}", "fix it or remove it") from None


def _file_error(name: str, exc: Exception) -> ValidationError:
    return ValidationError(f"config file {config_path()}: {name}: {exc}",
                           f"fix it with 'crm config set {name} VALUE' or 'crm config unset {name}'")


def load() -> dict[str, object]:
    """The config file, its values' types and ranges checked."""
    global _cache
    if _cache is None:
        data = _read()
        for name, value in data.items():
            if name in KEYS:
                try:
                    _check_type(KEYS[name], value)
                except ValueError as exc:
                    raise _file_error(name, exc) from None
        _cache = data
    return _cache


def reset() -> None:
    global _cache
    _cache = None
    _values.clear()


def get(name: str):
    """The effective value of a config key: env > config file > default (kept until reset())."""
    if name in _values:
        return _values[name]
    key = KEYS[name]
    data = load()  # a broken file is an error even when the env overrides this key
    raw = os.environ.get(key.env) if key.env else None
    if raw:
        try:
            _values[name] = _check(key, _coerce(key, raw))
        except ValueError as exc:
            raise ValidationError(f"env {key.env}: {exc}", f"fix or unset {key.env}") from None
    elif name in data:
        try:  # the key's own rules too (currency code, timezone)
            _values[name] = _check(key, data[name])
        except ValueError as exc:
            raise _file_error(name, exc) from None
    else:
        _values[name] = key.default
    return _values[name]


def default_currency() -> str:
    """The configured ISO 4217 currency, for money.parse_money(default=...)."""
    from crm_cli.core.money import check_currency

    return check_currency(str(get("currency")))


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _shown(value: object) -> str:
    text = _CONTROL.sub("?", str(value))
    return text if len(text) <= 80 else text[:77] + "..."


def _text(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty (use 'crm config unset' for the default)")
    if _CONTROL.search(value):
        raise ValueError(f"must not contain newlines or control characters, got '{_shown(value)}'")
    return value.strip()


def _check_type(key: Key, value: object) -> None:
    """The cheap checks of a stored value: its type, range, and no empty or control-character text."""
    if key.kind == "int":
        if type(value) is not int:
            raise ValueError(f"must be a whole number, not '{_shown(value)}'")
        if not key.low <= value <= key.high:
            raise ValueError(f"must be between {key.low} and {key.high}, not {value}")
    elif key.kind == "list":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"must be a list of text values, not '{_shown(value)}'")
        if not value:
            raise ValueError("needs at least one value")
        for v in value:
            _text(v)
    else:
        if not isinstance(value, str):
            raise ValueError(f"must be text, not '{_shown(value)}'")
        _text(value)


def _check(key: Key, value: object) -> object:
    """Every rule for `key`: the type checks and the key's own (currency code, timezone, region)."""
    _check_type(key, value)
    if key.name == "currency":
        from crm_cli.core.money import check_currency

        try:
            return check_currency(str(value))
        except ValidationError as exc:
            raise ValueError(str(exc)) from None
    if key.name == "timezone":
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(str(value))
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone '{_shown(value)}' (use an IANA name such as Asia/Shanghai)"
                             ) from None
    if key.name == "region":
        return check_region(str(value))
    return value


def _coerce(key: Key, raw: str):
    if key.kind == "list":
        return [part.strip() for part in raw.split(",") if part.strip()]
    if key.kind == "int":
        try:
            return int(raw.strip().removesuffix("%"))  # percentages may be written 25%
        except ValueError:
            raise ValueError(f"must be a whole number, not '{_shown(raw)}'") from None
    return raw.strip()


_PASSWORD = re.compile(r"(://[^/:@\s]*:)[^@/\s]*@")


def mask(text: object) -> str:
    """Database URLs in `text` with their passwords replaced by ***."""
    return _PASSWORD.sub(r"\1***@", str(text))


def source(name: str) -> str:
    key = KEYS[name]
    if key.env and os.environ.get(key.env):
        return f"env {key.env}"
    if name in load():
        return "config"
    return "default"


def set_value(name: str, raw: str) -> object:
    if name not in KEYS:
        raise ValidationError(f"unknown config key '{name}'", "known: " + ", ".join(KEYS))
    key = KEYS[name]
    try:
        value = _check(key, _coerce(key, raw))
    except ValueError as exc:
        raise ValidationError(f"config {name}: {exc}") from None
    data = _read()
    data[name] = value
    _write(data)
    return value


def unset_value(name: str) -> None:
    if name not in KEYS:
        raise ValidationError(f"unknown config key '{name}'", "known: " + ", ".join(KEYS))
    data = _read()
    data.pop(name, None)
    _write(data)


def _write(data: dict[str, object]) -> None:
    """Write the file atomically, readable by its owner only (it may hold a database password)."""
    import tomli_w

    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    text = tomli_w.dumps(dict(sorted(data.items())))
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # a leftover .tmp may have had wider permissions
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    reset()


def check_region(value: str) -> str:
    """A region phonenumbers knows ('gb' -> 'GB'), or a ValueError."""
    code = (value or "").strip().upper()
    if code == "CN":  # the default: no need to load phonenumbers to know it
        return code
    import phonenumbers

    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"unknown region '{value[:20]}' (use a two-letter country code such as CN, GB, DE)")
    return code
