"""Import batches: listing and undo (soft delete of what a batch created, in one transaction)."""

from __future__ import annotations

from sqlalchemy import insert, literal, select, update

from crm_cli.core.errors import Conflict, NotFound
from crm_cli.models.lead import ImportBatch


def list_batches(session, entity: str | None = None, limit: int | None = None) -> list[dict]:
    from crm_cli.core.errors import UsageError
    from crm_cli.importer.adapters import ADAPTERS

    q = select(ImportBatch).order_by(ImportBatch.id.desc())
    if entity:
        if entity not in ADAPTERS:
            raise UsageError(f"--entity must be one of {', '.join(ADAPTERS)}, not '{entity}'")
        q = q.where(ImportBatch.entity == entity)
    if limit is not None:
        q = q.limit(limit)
    return [record(b) for b in session.execute(q).scalars()]


def record(b: ImportBatch) -> dict:
    return {"id": b.id, "entity": b.entity, "file": b.file_name, "user": b.user, "started_at": b.started_at,
            "finished_at": b.finished_at, "read": b.read, "created": b.created, "updated": b.updated,
            "unchanged": b.unchanged, "skipped": b.skipped, "rejected": b.rejected, "status": b.status,
            "undone_at": b.undone_at}


def get(session, ident: int) -> ImportBatch:
    b = session.get(ImportBatch, ident)
    if b is None:
        raise NotFound(f"no import batch {ident}", "see 'crm import list'")
    return b


def undo(session, b: ImportBatch) -> int:
    from crm_cli.core import context
    from crm_cli.importer import adapters
    from crm_cli.models.base import UTCDateTime
    from crm_cli.models.system import History

    if b.status == "undone":
        raise Conflict(f"import batch {b.id} was already undone")
    t = adapters.get(b.entity).model.__table__
    now, user = context.now(), context.current_handle()
    conn = session.connection()
    live = (t.c.import_batch_id == b.id) & t.c.deleted_at.is_(None)
    cols = ["entity", "entity_id", "action", "field", "old", "new", "user", "at"]
    conn.execute(insert(History.__table__).from_select(cols, select(
        literal(b.entity), t.c.id, literal("delete"), literal(None), literal(None),
        literal(f"undo of import batch {b.id}"), literal(user), literal(now, UTCDateTime())).where(live)))
    n = conn.execute(update(t).where(live).values(deleted_at=now, updated_at=now)).rowcount
    b.status, b.undone_at = "undone", now
    return n
