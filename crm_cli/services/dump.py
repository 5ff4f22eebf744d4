"""`crm db dump DIR`, `crm db load DIR` and `crm db copy --to URL`: the whole database, portable.

A dump is a directory: one JSON Lines file per table (TABLE.jsonl, one object per row) and
manifest.json (format, crm version, schema revision, per table its columns and row count). It is
the same, byte for byte, whichever backend it was made from:
  - rows ordered by primary key, keys in the table's column order, compact JSON, UTF-8;
  - datetimes in UTC as 2026-11-23T01:00:00.000000Z, dates as 2026-11-23;
  - JSON columns (custom fields) with sorted keys; booleans as true/false; money and quantities as
    integers (minor units, millionths);
  - nothing about when or where it was made (so two dumps of the same data are identical).
alembic_version is not a table of the dump: its revision is in the manifest.

Loading checks the manifest first: the dump's revision must be this crm's (a newer one is refused:
upgrade crm; an older one too: load it with the crm version that made it, upgrade that database
with this crm (`crm db upgrade`), and dump it again). The target is upgraded to this crm's revision;
it must be empty (no rows but the default pipeline and stages every new database has) unless
--yes, which replaces ALL its data with the dump's. Everything happens in one transaction, in
foreign-key order, with Core executemany in batches; a table's references to itself (a customer's
parent) are set after its rows. On PostgreSQL the id sequences then continue after the largest id.

`copy --to URL` streams the current database into another one table by table the same way (no
files), with the same rules for the target.
"""

from __future__ import annotations

import json
import os
from datetime import date, datetime, timezone
from pathlib import Path

from crm_cli.core import db, search
from crm_cli.core.errors import Conflict, UsageError
from crm_cli.core.faults import kill_point

FORMAT = "crm-dump"
FORMAT_VERSION = 1
BATCH = 1000
MANIFEST = "manifest.json"


def _tables():
    from sqlmodel import SQLModel

    from crm_cli import models

    models.load_all()
    return [t for t in SQLModel.metadata.sorted_tables if t.name != "alembic_version"]


def _kinds(table) -> dict[str, str]:
    """column -> datetime | date | json | other, from the column types."""
    from sqlalchemy import JSON, Date, DateTime

    out = {}
    for c in table.columns:
        t = c.type
        impl = getattr(t, "impl", t)
        if isinstance(impl, DateTime) or isinstance(t, DateTime):
            out[c.name] = "datetime"
        elif isinstance(impl, Date) or isinstance(t, Date):
            out[c.name] = "date"
        elif isinstance(impl, JSON) or isinstance(t, JSON):
            out[c.name] = "json"
        else:
            out[c.name] = "other"
    return out


def _sorted_json(value):
    if isinstance(value, dict):
        return {k: _sorted_json(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted_json(v) for v in value]
    return value


def _out(value, kind: str):
    if value is None:
        return None
    if kind == "datetime":
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if kind == "date":
        return value.isoformat()
    if kind == "json":
        return _sorted_json(value)
    return value


def _in(value, kind: str):
    if value is None:
        return None
    if kind == "datetime":
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    if kind == "date":
        return date.fromisoformat(value)
    return value


def _snapshot(conn) -> None:
    """Every select of the connection sees one state of the database."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")


def _rows(conn, table):
    from sqlalchemy import select

    q = select(*table.columns).order_by(*table.primary_key.columns)
    result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(q)
    for part in result.partitions(BATCH):
        yield from part


def _line(row, names: list[str], kinds: dict[str, str]) -> str:
    rec = {n: _out(v, kinds[n]) for n, v in zip(names, row)}
    return json.dumps(rec, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def version() -> str:
    from crm_cli import __version__

    return __version__


# ---- dump ------------------------------------------------------------------------------------------

def dump(directory: str) -> dict:
    """Write the database to `directory` (new or empty); returns the manifest."""
    out = Path(directory).expanduser()
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UsageError(f"{out} is not an empty directory; nothing was written", "give a new or empty directory")
    engine = db.get_engine()
    out.mkdir(parents=True, exist_ok=True)
    manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "crm_version": version(),
                "revision": None, "tables": {}}
    with engine.connect() as conn:
        _snapshot(conn)
        manifest["revision"] = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        for table in _tables():
            names = [c.name for c in table.columns]
            kinds = _kinds(table)
            count = 0
            path = out / f"{table.name}.jsonl"
            with open(path, "w", encoding="utf-8", newline="\n") as fh:
                for row in _rows(conn, table):
                    fh.write(_line(row, names, kinds) + "\n")
                    count += 1
                fh.flush()
                os.fsync(fh.fileno())
            manifest["tables"][table.name] = {"rows": count, "columns": names}
        conn.rollback()
    tmp = out / (MANIFEST + ".tmp")
    with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, out / MANIFEST)  # written last: a dump without it is incomplete
    return manifest


# ---- load ------------------------------------------------------------------------------------------

def read_manifest(directory: Path) -> dict:
    path = directory / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{directory} is not a crm dump (no {MANIFEST}); nothing was changed",
                         "give a directory written by 'crm db dump'") from None
    except (ValueError, OSError) as exc:
        raise UsageError(f"{path} cannot be read: {exc}; nothing was changed") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise UsageError(f"{directory} is not a crm dump ({MANIFEST} is not crm's); nothing was changed")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise UsageError(f"{directory} is a crm dump of format {manifest.get('format_version')!s:.20}, this crm "
                         f"reads format {FORMAT_VERSION}; nothing was changed", "load it with the crm that made it")
    return manifest


def check_loadable(directory: Path) -> dict:
    """The manifest of a dump this crm can load (same schema revision, same tables and columns)."""
    manifest = read_manifest(directory)
    revision, head = str(manifest.get("revision")), db.head_revision()
    if revision != head:
        if revision > head:
            raise UsageError(f"the dump is at schema revision {revision:.40}, newer than this crm ({head}); "
                             "nothing was changed", "upgrade crm, then load it")
        raise UsageError(f"the dump is at schema revision {revision:.40}, this crm at {head}; nothing was changed",
                         f"load it with the crm version that made it ({manifest.get('crm_version')!s:.20}), "
                         "run 'crm db upgrade' with this crm, and dump again")
    tables = manifest.get("tables") or {}
    for table in _tables():
        entry = tables.get(table.name)
        if entry is None:
            raise UsageError(f"the dump has no table {table.name}; nothing was changed")
        if entry.get("columns") != [c.name for c in table.columns]:
            raise UsageError(f"the dump's columns of {table.name} are not this crm's; nothing was changed")
        if not (directory / f"{table.name}.jsonl").is_file():
            raise UsageError(f"the dump has no file {table.name}.jsonl; nothing was changed")
    return manifest


def is_empty(conn) -> bool:
    """No rows but the default pipeline and stages that the migrations give every new database."""
    from sqlalchemy import func, select

    for table in _tables():
        q = select(func.count()).select_from(table)
        if table.name in ("pipelines", "stages"):
            q = q.where(table.c.created_by.is_distinct_from("system"))
        if conn.execute(q).scalar():
            return False
    return True


def _refuse_non_empty(conn, where: str, replace: bool) -> None:
    if not replace and not is_empty(conn):
        raise Conflict(f"{where} already has data; nothing was changed",
                       "add --yes to replace all of its data, or use an empty database")


def _clear(conn, tables) -> None:
    if conn.dialect.name == "postgresql":
        names = [conn.dialect.identifier_preparer.quote(t.name) for t in tables]
        # with the substring index tables, which point at their records (rebuilt after the load)
        names += [search.index_table(e) for e in search.INDEXES]
        conn.exec_driver_sql(f"TRUNCATE {', '.join(names)}")
        return
    for table in reversed(tables):
        conn.execute(table.delete())


def _insert(conn, table, rows) -> int:
    """Insert an iterator of dicts in batches; references of the table to itself are set afterwards."""
    from sqlalchemy import bindparam

    selfref = [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]
    pk = [c.name for c in table.primary_key.columns]
    later: list[dict] = []
    batch: list[dict] = []
    n = 0
    for rec in rows:
        if selfref and any(rec.get(c) is not None for c in selfref):
            later.append({**{f"k_{c}": rec[c] for c in pk}, **{f"v_{c}": rec[c] for c in selfref}})
            rec = {**rec, **{c: None for c in selfref}}
        batch.append(rec)
        if len(batch) >= BATCH:
            conn.execute(table.insert(), batch)
            n += len(batch)
            batch = []
    if batch:
        conn.execute(table.insert(), batch)
        n += len(batch)
    if later:
        stmt = (table.update().where(*[table.c[c] == bindparam(f"k_{c}") for c in pk])
                .values({c: bindparam(f"v_{c}") for c in selfref}))
        for i in range(0, len(later), BATCH):
            conn.execute(stmt, later[i:i + BATCH])
    return n


def _reset_sequences(conn, tables) -> None:
    if conn.dialect.name != "postgresql":
        return
    from sqlalchemy import Integer, text

    for table in tables:
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or not isinstance(pk[0].type, Integer):
            continue
        seq = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                           {"t": table.name, "c": pk[0].name}).scalar()
        if seq:
            q = conn.dialect.identifier_preparer.quote
            conn.execute(text(f"SELECT setval(:s, COALESCE((SELECT MAX({q(pk[0].name)}) FROM {q(table.name)}), 1), "
                              f"(SELECT MAX({q(pk[0].name)}) FROM {q(table.name)}) IS NOT NULL)"), {"s": seq})


def _file_rows(path: Path, names: list[str], kinds: dict[str, str]):
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                if not isinstance(rec, dict) or list(rec) != names:
                    raise ValueError("its keys are not the table's columns")
                yield {n: _in(rec[n], kinds[n]) for n in names}
            except (ValueError, TypeError) as exc:
                raise UsageError(f"{path.name} line {number}: {str(exc)[:80]}; nothing was changed") from None


def load(directory: str, replace: bool = False, url: str | None = None) -> dict:
    """Load a dump into the database (upgraded to this crm's revision first); table -> rows."""
    src = Path(directory).expanduser()
    if not src.is_dir():
        raise UsageError(f"{src} is not a directory", "give a directory written by 'crm db dump'")
    manifest = check_loadable(src)
    url = url or db.database_url()
    engine = db.get_engine(url)
    tables = _tables()
    counts = {}
    with engine.begin() as conn:
        _write_lock(conn)
        _refuse_non_empty(conn, db.describe(url), replace)
        _clear(conn, tables)
        for table in tables:
            names = [c.name for c in table.columns]
            counts[table.name] = _insert(conn, table, _file_rows(src / f"{table.name}.jsonl", names, _kinds(table)))
            want = manifest["tables"][table.name].get("rows")
            if counts[table.name] != want:
                raise UsageError(f"{table.name}.jsonl has {counts[table.name]} rows, the manifest says {want}; "
                                 "nothing was changed")
            kill_point("load.table")
        search.rebuild(conn)  # the substring index is derived data: not dumped, made again
        _reset_sequences(conn, tables)
    kill_point("load.committed")
    return counts


def _write_lock(conn) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")


# ---- copy ------------------------------------------------------------------------------------------

def copy(to_url: str, replace: bool = False) -> dict:
    """Stream the current database into the database at `to_url`; table -> rows."""
    src_url = db.database_url()
    to_url = to_url.strip()
    if "://" not in to_url:
        raise UsageError(f"--to: '{to_url[:80]}' is not a database URL",
                         "e.g. postgresql+psycopg://user@host/crm_team, or sqlite:////path/to/file.db")
    if db.describe(to_url) == db.describe(src_url):
        raise UsageError("--to is the database in use", "give another database")
    source = db.get_engine(src_url)
    target = db.get_engine(to_url)
    tables = _tables()
    counts = {}
    with source.connect() as sconn, target.begin() as tconn:
        _snapshot(sconn)
        _write_lock(tconn)
        _refuse_non_empty(tconn, db.describe(to_url), replace)
        _clear(tconn, tables)
        for table in tables:
            names = [c.name for c in table.columns]
            counts[table.name] = _insert(tconn, table, (dict(zip(names, row)) for row in _rows(sconn, table)))
        search.rebuild(tconn)  # the substring index is derived data: not copied, made again
        _reset_sequences(tconn, tables)
        sconn.rollback()
    return counts


def total(counts: dict) -> int:
    return sum(counts.values())

