"""crm db: which database, its schema revision, and upgrades."""

from __future__ import annotations

import typer

from crm_cli.core.options import FormatOpt, JsonOpt

app = typer.Typer(help="The database: path, info, status, upgrade.", no_args_is_help=True)


@app.command("path")
def path() -> None:
    """Print the database in use (a file path, or a URL without its password)."""
    from crm_cli.core import db

    print(db.describe(db.database_url()))


@app.command("info")
def info(fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """Backend, schema revision, row counts and size."""
    from sqlalchemy import func, select

    from crm_cli.core import db
    from crm_cli.models import ENTITIES
    from crm_cli.core.output import emit_record

    url = db.database_url()
    engine = db.get_engine(url)
    rec = {"database": db.describe(url), "backend": engine.dialect.name,
           "revision": db.current_revision(engine), "head": db.head_revision()}
    with engine.connect() as conn:
        for name, model in ENTITIES.items():
            q = select(func.count()).select_from(model)
            if "deleted_at" in model.__table__.c:
                q = q.where(model.deleted_at.is_(None))
            rec[f"{name}_count"] = conn.execute(q).scalar()
        if engine.dialect.name == "sqlite":
            page = conn.exec_driver_sql("PRAGMA page_count").scalar()
            size = conn.exec_driver_sql("PRAGMA page_size").scalar()
            rec["size_bytes"] = page * size
        elif engine.dialect.name == "postgresql":
            rec["size_bytes"] = conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar()
    emit_record(rec, fmt, as_json)


@app.command("status")
def status(fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """The schema revision of the database and of this crm."""
    from crm_cli.core import db
    from crm_cli.core.output import emit_record

    engine = db.get_engine(migrate=False)
    current = db.current_revision(engine)
    head = db.head_revision()
    emit_record({"database": db.describe(db.database_url()), "revision": current, "head": head,
                 "up_to_date": current == head}, fmt, as_json)


@app.command("upgrade")
def upgrade() -> None:
    """Upgrade the schema to this crm's newest revision (done automatically on first use)."""
    from crm_cli.core import db
    from crm_cli.core.output import info as say

    engine = db.get_engine(migrate=False)
    before = db.current_revision(engine)
    db.ensure_schema(engine)
    after = db.current_revision(engine)
    say(f"schema {before or '(empty)'} -> {after}" if before != after else f"schema already at {after}")
