"""Keeps the substring index (core/search.py) in step with every ORM write: a session hook, like the
audit history, so no service has to remember it. A record is (re)indexed when it is created or one
of its indexed fields changes, and leaves the index when it is deleted for good. Trashing and
restoring change nothing (the index holds trashed records; searches filter them out).
Core writes (imports, the trash purge) call core.search themselves."""

from __future__ import annotations

from sqlalchemy import event, inspect

from crm_cli.core import search


def _entity(obj) -> str | None:
    entity = getattr(obj, "__entity__", None)
    return entity if entity in search.INDEXES else None


def _after_flush(session, _ctx) -> None:
    todo: dict[str, dict[int, dict]] = {}
    gone: dict[str, list[int]] = {}
    for obj in list(session.new) + list(session.dirty):
        entity = _entity(obj)
        if entity is None:
            continue
        fields = search.INDEXES[entity].fields()
        if obj not in session.new:
            state = inspect(obj)
            if not any(state.attrs[f].history.has_changes() for f in fields):
                continue
        todo.setdefault(entity, {})[obj.id] = {"id": obj.id, **{f: getattr(obj, f) for f in fields}}
    for obj in session.deleted:
        entity = _entity(obj)
        if entity is not None:
            gone.setdefault(entity, []).append(obj.id)
    if not todo and not gone:
        return
    conn = session.connection()
    for entity, ids in gone.items():
        search.delete(conn, entity, ids)
    for entity, rows in todo.items():
        search.write(conn, entity, rows.values())


def attach(session) -> None:
    event.listen(session, "after_flush", _after_flush)
