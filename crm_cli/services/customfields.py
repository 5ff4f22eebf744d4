"""Custom fields: typed definitions, `--set key=value` parsing, `--where key=value` filters."""

from __future__ import annotations

import math
import re

from sqlalchemy import select

from crm_cli.core.errors import ValidationError
from crm_cli.core.validation import shown
from crm_cli.models import CustomField

TYPES = ("text", "number", "date", "bool")
_TRUE = {"true", "yes", "y", "1", "on", "是"}
_FALSE = {"false", "no", "n", "0", "off", "否"}
_KEY_RE = re.compile(r"^[A-Za-z_\u4e00-\u9fff][\w\u4e00-\u9fff.-]{0,63}$")


def definitions(session, entity: str) -> dict[str, str]:
    rows = session.execute(select(CustomField).where(CustomField.entity == entity)).scalars().all()
    return {r.key: r.type for r in rows}


def check_entity(entity: str) -> None:
    """Custom fields belong to a record type: customer, contact, lead, opp, activity..."""
    from crm_cli.models import ENTITIES

    if entity not in ENTITIES:
        raise ValidationError(f"unknown entity '{entity}'", "one of " + ", ".join(sorted(ENTITIES)))


def list_definitions(session, entity: str | None = None) -> list[dict]:
    """`crm field list`: every definition (or one entity's), by entity and key."""
    q = select(CustomField).order_by(CustomField.entity, CustomField.key)
    if entity:
        q = q.where(CustomField.entity == entity)
    return [{"entity": f.entity, "key": f.key, "type": f.type, "label": f.label}
            for f in session.execute(q).scalars()]


def define(session, entity: str, key: str, type_: str, label: str | None = None) -> CustomField:
    if type_ not in TYPES:
        raise ValidationError(f"unknown field type '{type_}'", "use text, number, date or bool")
    if not _KEY_RE.match(key):
        raise ValidationError(f"bad field name '{shown(key)}'", "use letters, digits, _ . -")
    existing = session.execute(select(CustomField).where(CustomField.entity == entity, CustomField.key == key)
                               ).scalar_one_or_none()
    if existing:
        existing.type, existing.label = type_, label or existing.label
        return existing
    field = CustomField(entity=entity, key=key, type=type_, label=label)
    session.add(field)
    return field


TEXT_LIMIT = 1000  # a custom field value (JSON, so no column length to derive it from)


def coerce(key: str, raw: str, type_: str):
    from crm_cli.core.validation import checked_text, shown

    raw = checked_text(raw, f"--set {key}", TEXT_LIMIT).strip()
    if type_ == "number":
        try:
            value = float(raw.replace(",", ""))
        except ValueError:
            raise ValidationError(f"--set {key}: '{shown(raw)}' is not a number") from None
        if not math.isfinite(value):  # nan, inf, 1e400: not JSON, and no order for --where
            raise ValidationError(f"--set {key}: '{shown(raw)}' is not a finite number")
        return int(value) if value.is_integer() and "." not in raw else value
    if type_ == "bool":
        if raw.lower() in _TRUE:
            return True
        if raw.lower() in _FALSE:
            return False
        raise ValidationError(f"--set {key}: '{shown(raw)}' is not yes/no")
    if type_ == "date":
        from crm_cli.core.dates import parse_date

        return parse_date(raw, option=f"--set {key}").isoformat()
    return raw


def parse_sets(session, entity: str, items: list[str] | None, current: dict | None = None) -> dict:
    """Apply `key=value` items to a copy of `current`; an empty value removes the key."""
    result = dict(current or {})
    if not items:
        return result
    types = definitions(session, entity)
    for item in items:
        if "=" not in item:
            raise ValidationError(f"--set expects key=value, got '{shown(item)}'")
        key, raw = item.split("=", 1)
        key = key.strip()
        if not _KEY_RE.match(key):
            raise ValidationError(f"--set: bad field name '{shown(key)}'", "use letters, digits, _ . -")
        if raw.strip() == "":
            result.pop(key, None)
            continue
        result[key] = coerce(key, raw, types.get(key, "text"))
    return result


def _column_value(model, key: str, raw: str, op: str):
    """A --where value read the way the column stores it: dates and times through the one date
    parser, amounts through the money parser (in each row's own currency), whole numbers as such."""
    from sqlalchemy import Date, DateTime, case

    from crm_cli.core import dates, money

    col = getattr(model, key)
    if op == "~":
        return raw
    kind = col.type.impl if hasattr(col.type, "impl") else col.type
    option = f"--where {key}"
    if isinstance(kind, DateTime):
        return dates.parse_datetime(raw, option=option)
    if isinstance(kind, Date):
        return dates.parse_date(raw, option=option)
    currency_col = getattr(model, "__money__", {}).get(key)
    if currency_col:
        # "amount>1000000" means a million in the row's currency: minor units differ (JPY 0, CNY 2)
        from crm_cli.core.config import default_currency

        amount = money.parse_money(raw, default=default_currency(), option=option).decimal
        currency = getattr(model, currency_col)
        odd_digits = money.exponents()
        minor = {e: int(amount.scaleb(e)) for e in set(odd_digits.values()) | {2}}
        odd = [(currency.in_([c for c, e in odd_digits.items() if e == exp]), minor[exp])
               for exp in sorted(minor) if exp != 2]
        return case(*odd, else_=minor[2]) if odd else minor[2]
    if str(col.type).upper().startswith(("INTEGER", "BIGINT")):
        try:
            return int(raw)
        except ValueError:
            raise ValidationError(f"{option}: '{shown(raw)}' is not a whole number") from None
    return raw


_WHERE_RE = re.compile(r"^\s*([^=!<>~]+?)\s*(=|!=|>=|<=|>|<|~)\s*(.*)$")


def where_clauses(session, model, items: list[str] | None) -> list:
    """`--where key=value` (also != > < >= <= and ~ for contains) on columns or custom fields."""
    from crm_cli.services.listing import check_search, contains

    clauses = []
    if not items:
        return clauses
    entity = model.__entity__
    types = definitions(session, entity)
    for item in items:
        m = _WHERE_RE.match(item)
        if not m:
            raise ValidationError(f"--where expects key=value (or != > < >= <= ~), got '{shown(item)}'")
        key, op, raw = m.groups()
        if op == "~":
            check_search(raw, f"--where {key}~")
        if not (key in model.__table__.c and key != "custom") and key not in types \
                and not _used_custom_key(session, model, key):
            valid = [c for c in model.__table__.c.keys() if c != "custom"] + sorted(types)
            raise ValidationError(f"--where: unknown field '{shown(key)}'",
                                  "use one of " + ", ".join(valid) + " (or define a custom field with 'crm field add')")
        if key in model.__table__.c and key != "custom":
            col = getattr(model, key)
            value = _column_value(model, key, raw, op)
        else:
            type_ = types.get(key, "text")
            expr = model.custom[key]
            if type_ == "number":
                col, value = expr.as_float(), float(coerce(key, raw, "number"))
            elif type_ == "bool":
                col, value = expr.as_boolean(), coerce(key, raw, "bool")
            else:
                col, value = expr.as_string(), coerce(key, raw, type_) if op != "~" else raw
        if op == "=":
            clauses.append(col == value)
        elif op == "!=":
            clauses.append((col != value) | col.is_(None))
        elif op == ">":
            clauses.append(col > value)
        elif op == "<":
            clauses.append(col < value)
        elif op == ">=":
            clauses.append(col >= value)
        elif op == "<=":
            clauses.append(col <= value)
        else:
            clauses.append(contains(session, col, str(value)))
    return clauses


def _used_custom_key(session, model, key: str) -> bool:
    """Whether some record holds `key` in its custom values without a definition (--set, import)."""
    return session.execute(select(model.id).where(model.custom[key].as_string().is_not(None)).limit(1)
                           ).first() is not None
