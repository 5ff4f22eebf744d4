"""Audit history: every insert, update and delete made through a Session is recorded.

`attach(session)` installs an after_flush hook, so services never have to remember to log.
Bulk Core inserts (imports) call `record_bulk_create` themselves.
"""

from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import event, inspect, insert

from crm_cli.models.system import History

SKIP = {"updated_at", "created_at", "created_by", "name_key", "email_key", "phone_key"}


def _skip(obj) -> set:
    """SKIP, plus the columns a model derives from others (`__history_skip__`: cached figures)."""
    extra = getattr(type(obj), "__history_skip__", None)
    return SKIP | extra if extra else SKIP


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        from crm_cli.core.dates import iso

        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return str(value)


def _rows_for(session, now, user):
    rows = []
    for obj in session.new:
        entity = getattr(obj, "__entity__", None)
        if not entity:
            continue
        values = {}
        skip = _skip(obj)
        for attr in inspect(obj).mapper.column_attrs:
            key = attr.key
            if key in skip or key in ("id", "deleted_at"):
                continue
            v = getattr(obj, key)
            if v not in (None, "", {}, []):
                values[key] = _text(v)
        rows.append(dict(entity=entity, entity_id=obj.id, action="create", field=None, old=None,
                         new=json.dumps(values, ensure_ascii=False, sort_keys=True), user=user, at=now))
    for obj in session.dirty:
        entity = getattr(obj, "__entity__", None)
        if not entity or not session.is_modified(obj, include_collections=False):
            continue
        state = inspect(obj)
        skip = _skip(obj)
        for attr in state.mapper.column_attrs:
            key = attr.key
            if key in skip:
                continue
            hist = state.attrs[key].history
            if not hist.has_changes():
                continue
            old = hist.deleted[0] if hist.deleted else None
            new = hist.added[0] if hist.added else None
            if key == "deleted_at":
                action = "delete" if new is not None else "restore"
                rows.append(dict(entity=entity, entity_id=obj.id, action=action, field=None, old=None,
                                 new=None, user=user, at=now))
                continue
            if key == "custom" and isinstance(old, dict) and isinstance(new, dict):
                for k in sorted(set(old) | set(new)):
                    if old.get(k) != new.get(k):
                        rows.append(dict(entity=entity, entity_id=obj.id, action="update", field=f"custom.{k}",
                                         old=_text(old.get(k)), new=_text(new.get(k)), user=user, at=now))
                continue
            if _text(old) == _text(new):
                continue
            rows.append(dict(entity=entity, entity_id=obj.id, action="update", field=key,
                             old=_text(old), new=_text(new), user=user, at=now))
    for obj in session.deleted:
        entity = getattr(obj, "__entity__", None)
        if entity:
            rows.append(dict(entity=entity, entity_id=obj.id, action="purge", field=None, old=None, new=None,
                             user=user, at=now))
    return rows


def _before_flush(session, _ctx, _instances):
    from crm_cli.core import context

    now = context.now()
    for obj in session.dirty:
        if getattr(obj, "__entity__", None) and session.is_modified(obj, include_collections=False) \
                and hasattr(obj, "updated_at"):
            obj.updated_at = now


def _after_flush(session, _ctx):
    from crm_cli.core import context

    rows = _rows_for(session, context.now(), context.current_handle())
    if rows:
        session.connection().execute(insert(History), rows)


def attach(session) -> None:
    event.listen(session, "before_flush", _before_flush)
    event.listen(session, "after_flush", _after_flush)


def record_bulk_create(conn, entity: str, ids: list[int], note: str | None = None) -> None:
    """History rows for records inserted through Core (imports): one 'create' row each."""
    from crm_cli.core import context

    if not ids:
        return
    now, user = context.now(), context.current_handle()
    conn.execute(insert(History), [dict(entity=entity, entity_id=i, action="create", field=None, old=None,
                                        new=note, user=user, at=now) for i in ids])


def history(session, entity: str, entity_id: int) -> list[dict]:
    from sqlmodel import select

    rows = session.exec(select(History).where(History.entity == entity, History.entity_id == entity_id)
                        .order_by(History.at, History.id)).all()
    return [dict(id=h.id, at=h.at, user=h.user, action=h.action, field=h.field, old=h.old, new=h.new)
            for h in rows]


def history_of(session, entity: str, ref: str, resolve_id) -> list[dict]:
    """History of the record `ref` names (via `resolve_id()`); a record purged for good is no longer
    there to resolve, but its history stays readable by its id."""
    from crm_cli.core.errors import NotFound

    try:
        return history(session, entity, resolve_id())
    except NotFound:
        if ref.strip().isdigit():
            rows = history(session, entity, int(ref))
            if rows:
                return rows
        raise


def note(session, entity: str, entity_id: int, field: str, old: str | None = None, new: str | None = None,
         action: str = "update") -> None:
    """A history row for a change the ORM hook cannot see as a field of the record itself (a document
    line added, repriced or approved, a payment, a delivery)."""
    from crm_cli.core import context

    session.connection().execute(insert(History), [dict(entity=entity, entity_id=entity_id, action=action,
                                                         field=field, old=old, new=new,
                                                         user=context.current_handle(), at=context.now())])
