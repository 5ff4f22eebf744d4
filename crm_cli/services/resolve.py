"""Find a record by id or unambiguous name; ambiguity is an error listing the candidates."""

from __future__ import annotations

from sqlalchemy import func, select

from crm_cli.core.errors import Ambiguous, NotFound


def label_column(model):
    for name in ("name", "title", "subject", "number", "handle"):
        if name in model.__table__.c:
            return getattr(model, name)
    return None


def get(session, model, ref, *, include_deleted: bool = False):
    """`ref` is an id (int or digits) or a name/handle/title."""
    entity = getattr(model, "__entity__", model.__tablename__)
    text = str(ref).strip()
    if text.lstrip("#").isdigit():
        obj = session.get(model, int(text.lstrip("#")))
        if obj is None or (not include_deleted and getattr(obj, "deleted_at", None) is not None):
            raise NotFound(f"no {entity} with id {text}", f"see 'crm {entity} list'")
        return obj
    if "handle" in model.__table__.c:  # users: the handle is the key, the name is a fallback
        obj = session.execute(select(model).where(model.handle == text)).scalar_one_or_none()
        if obj is not None and (include_deleted or getattr(obj, "deleted_at", None) is None):
            return obj
    col = label_column(model)
    if col is None or not text:
        raise NotFound(f"no {entity} '{text}'", f"use the id; see 'crm {entity} list'")
    base = select(model)
    if not include_deleted and "deleted_at" in model.__table__.c:
        base = base.where(model.deleted_at.is_(None))
    exact = session.execute(base.where(func.lower(col) == text.lower()).limit(11)).scalars().all()
    if len(exact) == 1:
        return exact[0]
    if len(exact) > 1:
        raise Ambiguous(entity, text, [f"{o.id} {getattr(o, col.key)}" for o in exact])
    like = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    partial = session.execute(base.where(func.lower(col).like(f"%{like}%", escape="\\")).limit(11)).scalars().all()
    if len(partial) == 1:
        return partial[0]
    if len(partial) > 1:
        raise Ambiguous(entity, text, [f"{o.id} {getattr(o, col.key)}" for o in partial])
    raise NotFound(f"no {entity} '{text}'", f"see 'crm {entity} list'")
