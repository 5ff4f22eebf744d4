"""The database itself (`crm db`): what it is, its schema revision, its size, upgrades."""

from __future__ import annotations

from sqlalchemy import func, select

from crm_cli.core import db
from crm_cli.models import ENTITIES


def info() -> dict:
    """`crm db info`: where, which backend, schema revision and head, live rows per entity, size in bytes."""
    url = db.database_url()
    engine = db.get_engine(url)
    rec = {"database": db.describe(url), "backend": engine.dialect.name,
           "revision": db.current_revision(engine), "head": db.head_revision()}
    with engine.connect() as conn:
        for name, model in ENTITIES.items():
            q = select(func.count()).select_from(model)
            if "deleted_at" in model.__table__.c:
                q = q.where(model.deleted_at.is_(None))
            rec[f"{name.replace('-', '_')}_count"] = conn.execute(q).scalar()
        if engine.dialect.name == "sqlite":
            page = conn.exec_driver_sql("PRAGMA page_count").scalar()
            size = conn.exec_driver_sql("PRAGMA page_size").scalar()
            rec["size_bytes"] = page * size
        elif engine.dialect.name == "postgresql":
            rec["size_bytes"] = conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar()
    return rec


def status() -> dict:
    """`crm db status`: the database's schema revision and this crm's (without upgrading)."""
    engine = db.get_engine(migrate=False)
    current = db.current_revision(engine)
    head = db.head_revision()
    return {"database": db.describe(db.database_url()), "revision": current, "head": head,
            "up_to_date": current == head}


def upgrade() -> tuple[str | None, str | None]:
    """Upgrade the schema to this crm's head: (revision before, revision after)."""
    engine = db.get_engine(migrate=False)
    before = db.current_revision(engine)
    db.ensure_schema(engine)
    return before, db.current_revision(engine)
