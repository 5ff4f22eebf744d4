"""The trash: soft-deleted records of every entity, restore and purge."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select

from crm_cli.core import search
from crm_cli.core.errors import Conflict, ValidationError
from crm_cli.services.resolve import label_column


def _models():
    from crm_cli.models import ENTITIES

    return {k: m for k, m in ENTITIES.items() if "deleted_at" in m.__table__.c}


def model_for(entity: str):
    models = _models()
    if entity not in models:
        raise ValidationError(f"unknown entity '{entity}'", "one of " + ", ".join(sorted(models)))
    return models[entity]


def list_trash(session, entity: str | None = None) -> list[dict]:
    rows = []
    for name, model in sorted(_models().items()):
        if entity and name != entity:
            continue
        col = label_column(model)
        cols = [model.id, model.deleted_at] + ([col] if col is not None else [])
        for r in session.execute(select(*cols).where(model.deleted_at.is_not(None)).order_by(model.deleted_at)):
            rows.append({"entity": name, "id": r[0], "label": r[2] if len(r) > 2 else None, "deleted_at": r[1]})
    rows.sort(key=lambda r: r["deleted_at"])
    return rows


def restore(session, entity: str, ident: int) -> str:
    model = model_for(entity)
    obj = session.get(model, ident)
    if obj is None:
        from crm_cli.core.errors import NotFound

        raise NotFound(f"no {entity} with id {ident}")
    if obj.deleted_at is None:
        raise Conflict(f"{entity} {ident} is not in the trash")
    if entity == "customer":
        from crm_cli.services import customers

        customers.restore(session, obj)
    else:
        parent_fk = [fk for fk in model.__table__.foreign_keys if fk.target_fullname == "customers.id"
                     and not fk.parent.nullable]
        for fk in parent_fk:
            from crm_cli.models import Customer

            parent = session.get(Customer, getattr(obj, fk.parent.name))
            if parent is not None and parent.deleted_at is not None:
                raise Conflict(f"{entity} {ident} belongs to customer {parent.id}, which is in the trash",
                               f"restore it first: crm customer restore {parent.id}")
        obj.deleted_at = None
    col = label_column(model)
    return str(getattr(obj, col.key)) if col is not None else str(ident)


def _not_referenced(session, model, ids: list[int]) -> list[int]:
    """`ids` less those a row elsewhere still points at through a foreign key without ON DELETE
    (a deleted stage named in opportunities' stage history): they stay in the trash."""
    from sqlmodel import SQLModel

    keep = set()
    for table in SQLModel.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table is model.__table__ and not fk.ondelete:
                for i in range(0, len(ids), 500):
                    keep.update(session.execute(select(fk.parent).where(fk.parent.in_(ids[i:i + 500]))
                                                .distinct()).scalars())
    return [i for i in ids if i not in keep]


def purge(session, older_than: datetime) -> dict[str, int]:
    """Delete for good what went to the trash before `older_than` (children before parents)."""
    from crm_cli.models import History
    from crm_cli.core import context

    counts: dict[str, int] = {}
    models = _models()
    from sqlmodel import SQLModel

    order = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
    for name, model in sorted(models.items(), key=lambda kv: order.index(kv[1].__tablename__)):
        ids = list(session.execute(select(model.id).where(model.deleted_at.is_not(None),
                                                          model.deleted_at < older_than)).scalars())
        ids = _not_referenced(session, model, ids)
        if not ids:
            continue
        for i in range(0, len(ids), 500):
            session.execute(delete(model).where(model.id.in_(ids[i:i + 500])))
        if name in search.INDEXES:  # PostgreSQL's index rows go by ON DELETE CASCADE, SQLite's here
            search.delete(session.connection(), name, ids)
        user, now = context.current_handle(), context.now()  # Core executemany: purges can be big
        session.execute(insert(History.__table__), [dict(entity=name, entity_id=i, action="purge", user=user, at=now)
                                                    for i in ids])
        counts[name] = len(ids)
    return counts
