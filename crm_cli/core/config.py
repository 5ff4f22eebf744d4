"""The TOML config file and the precedence rule: flag > env > config > default.

Only the standard library is imported here: this module is on the `--help` path.
"""

from __future__ import annotations

import os
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


KEYS: dict[str, Key] = {
    k.name: k
    for k in [
        Key("user", "CRM_USER", None, "your user handle (default: OS login)"),
        Key("currency", "CRM_CURRENCY", "USD", "default ISO 4217 currency code"),
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
        Key("committed_probability", None, 80, "stage probability from which an opp counts as committed",
            "int"),
        Key("quote_validity_days", None, 30, "days a new quote is valid", "int"),
        Key("max_discount_rep", None, 10, "largest discount (percent below list) a rep gives without approval",
            "int"),
        Key("max_discount_manager", None, 30, "largest discount (percent below list) a manager gives without "
            "--approve", "int"),
        Key("fee_tax_rate", None, "0", "tax rate of shipping and other fees on orders (percent)"),
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


def load() -> dict[str, object]:
    global _cache
    if _cache is None:
        path = config_path()
        try:
            with open(path, "rb") as fh:
                _cache = tomllib.load(fh)
        except FileNotFoundError:
            _cache = {}
        except tomllib.TOMLDecodeError as exc:
            raise ValidationError(f"config file {path} is not valid TOML: {exc}",
                                  "fix it or remove it") from None
    return _cache


def reset() -> None:
    global _cache
    _cache = None


def get(name: str):
    """The effective value of a config key: env > config file > default."""
    key = KEYS[name]
    if key.env and os.environ.get(key.env):
        raw = os.environ[key.env]
        return _coerce(key, raw)
    data = load()
    if name in data:
        return data[name]
    return key.default


def _coerce(key: Key, raw: str):
    if key.kind == "list":
        return [part.strip() for part in raw.split(",") if part.strip()]
    if key.kind == "int":
        try:
            return int(raw)
        except ValueError:
            raise ValidationError(f"{key.name} must be a whole number, not '{raw}'") from None
    return raw


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
    value = _coerce(key, raw)
    if name == "currency":
        from crm_cli.core.money import check_currency

        value = check_currency(str(value))
    if name == "timezone":
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(str(value))
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError(f"unknown timezone '{value}'", "use an IANA name such as Asia/Shanghai") from None
    data = dict(load())
    data[name] = value
    _write(data)
    return value


def unset_value(name: str) -> None:
    if name not in KEYS:
        raise ValidationError(f"unknown config key '{name}'", "known: " + ", ".join(KEYS))
    data = dict(load())
    data.pop(name, None)
    _write(data)


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def _write(data: dict[str, object]) -> None:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(f"{k} = {_toml_value(v)}\n" for k, v in sorted(data.items())), encoding="utf-8")
    tmp.replace(path)
    reset()
