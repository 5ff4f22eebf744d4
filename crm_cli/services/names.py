"""Names of records for tab completion in `crm shell`: a cheap indexed query with a limit."""

from __future__ import annotations

import importlib

from crm_cli import registry

LABELS = ("handle", "name", "title", "number")  # the column a record is named by, first found


def starting_with(entity: str, prefix: str, limit: int = 20, url: str | None = None) -> list[str]:
    """Up to `limit` names of live `entity` records starting with `prefix` (case-insensitive), sorted."""
    from sqlalchemy import func, select

    from crm_cli.core import db

    e = registry.entity(entity)
    if e is None:
        return []
    module, cls = registry.split(e.model)
    table = getattr(importlib.import_module(module), cls).__table__
    col = next((table.c[n] for n in LABELS if n in table.c), None)
    if col is None:
        return []
    q = select(col).where(col.is_not(None)).distinct()
    if "deleted_at" in table.c:
        q = q.where(table.c.deleted_at.is_(None))
    if prefix:
        escaped = prefix.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        q = q.where(func.lower(col).like(escaped + "%", escape="\\"))
    q = q.order_by(col).limit(limit)
    from sqlmodel import Session

    from crm_cli.services.visibility import restrict

    from crm_cli.core.errors import CrmError

    try:
        with Session(db.get_engine(url)) as session:  # as the acting user: only names they may see
            for hook in db.session_hooks:
                hook(session)
            return [row[0] for row in session.connection().execute(restrict(session, q))]
    except CrmError:  # an unknown acting user: nothing to offer (the command itself will say why)
        return []
