"""Helpers of the crash, concurrency, numbering and fuzz tests (docs/testing.md).

- `crm(env, *args, kill_at=...)`: the installed `crm` in a subprocess; `kill_at` sets CRM_TEST_KILL_AT
  (crm_cli/core/faults.py), so the process SIGKILLs itself at that point;
- `dump(env)`: every table's rows (sorted) and every table's indexes, to compare a database before
  and after a command;
- `check_db(env)`: `crm db check` when this crm has it, else the same checks here (SQLite
  integrity_check and foreign_key_check, and the invariants below); returns the problems found.
"""

from __future__ import annotations

import os
import subprocess

from conftest import CRM_BIN

from crm_cli.core import search


def crm(env: dict, *args, kill_at: str | None = None, timeout: int = 300,
        extra: dict | None = None) -> subprocess.CompletedProcess:
    full = dict(env)
    full.pop("CRM_TEST_KILL_AT", None)
    if kill_at:
        full["CRM_TEST_KILL_AT"] = kill_at
    full.update(extra or {})
    return subprocess.run([CRM_BIN, *[str(a) for a in args]], env=full, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def db_url(env: dict) -> str:
    if env.get("CRM_DB"):
        return "sqlite:///" + env["CRM_DB"]
    return env["CRM_DATABASE_URL"]


def _engine(env: dict):
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    return create_engine(db_url(env), poolclass=NullPool)


def _key(value):
    return (value is None, str(type(value)), str(value))


def _fts_shadow(name: str) -> bool:
    """An FTS5 shadow table (customer_search_data, ...): its bytes depend on the order the rows were
    indexed in; the index's content is compared through its main table (rowid, tokens) instead."""
    return search.is_index_table(name) and name not in {search.index_table(e) for e in search.INDEXES}


def dump(env: dict) -> dict:
    """{table: sorted rows} for every table, and {("schema",): every table and index definition}."""
    if env.get("CRM_DB"):
        import sqlite3

        conn = sqlite3.connect(env["CRM_DB"], timeout=30)
        try:
            schema = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master "
                                  "WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name").fetchall()
            out: dict = {("schema",): schema}
            for _type, name, _tbl, _sql in schema:
                if _type == "table" and not _fts_shadow(name):
                    rows = conn.execute(f'SELECT rowid, * FROM "{name}"' if search.is_index_table(name)
                                        else f'SELECT * FROM "{name}"').fetchall()
                    out[name] = sorted(rows, key=lambda r: [_key(v) for v in r])
            return out
        finally:
            conn.close()
    from sqlalchemy import text

    engine = _engine(env)
    try:
        with engine.connect() as conn:
            out = {("schema",): sorted(tuple(r) for r in conn.execute(text(
                "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'")).all())}
            for name in conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars():
                rows = conn.execute(text(f'SELECT * FROM "{name}"')).all()
                out[name] = sorted((tuple(r) for r in rows), key=lambda r: [_key(v) for v in r])
        return out
    finally:
        engine.dispose()


def count(env: dict, sql: str, **params) -> int:
    from sqlalchemy import text

    engine = _engine(env)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()
    finally:
        engine.dispose()


# invariants every crm database keeps: (what is wrong, a query that returns the offending ids)
INVARIANTS = [
    ("quote totals differ from the sum of its lines",
     "SELECT q.id FROM quotes q WHERE q.total <> (SELECT COALESCE(SUM(l.total), 0) FROM quote_lines l "
     "WHERE l.quote_id = q.id)"),
    ("order totals differ from the sum of its lines",
     "SELECT o.id FROM orders o WHERE o.total <> (SELECT COALESCE(SUM(l.total), 0) FROM order_lines l "
     "WHERE l.order_id = o.id)"),
    ("quote converted into an order that does not exist",
     "SELECT q.id FROM quotes q WHERE q.order_id IS NOT NULL AND NOT EXISTS "
     "(SELECT 1 FROM orders o WHERE o.id = q.order_id)"),
    ("order made from a quote that does not point back to it",
     "SELECT o.id FROM orders o JOIN quotes q ON q.id = o.quote_id WHERE q.order_id IS NULL OR q.order_id <> o.id"),
    ("order number given twice", "SELECT MIN(id) FROM orders GROUP BY number HAVING COUNT(*) > 1"),
    ("quote number given to two quotes of different customers",
     "SELECT MIN(id) FROM quotes GROUP BY number HAVING COUNT(DISTINCT customer_id) > 1"),
    ("document counter behind the numbers it gave",
     "SELECT c.last FROM document_counters c WHERE c.last < (SELECT COUNT(DISTINCT number) FROM "
     "(SELECT number FROM quotes UNION ALL SELECT number FROM orders) n "
     "WHERE n.number LIKE c.prefix || '-' || CAST(c.year AS VARCHAR(4)) || '-%')"),
    ("import batch counts more created leads than it has",
     "SELECT b.id FROM import_batches b WHERE b.entity = 'lead' AND b.created > "
     "(SELECT COUNT(*) FROM leads l WHERE l.import_batch_id = b.id)"),
]


_HAS_DB_CHECK: list = []


def _has_db_check(env: dict) -> bool:
    if not _HAS_DB_CHECK:
        _HAS_DB_CHECK.append(crm(env, "db", "check", "--help").returncode == 0)
    return _HAS_DB_CHECK[0]


def check_db(env: dict) -> list[str]:
    """The problems `crm db check` (or the local equivalent) finds; [] for a sound database."""
    if _has_db_check(env):
        proc = crm(env, "db", "check")
        if proc.returncode == 0:
            return []
        return (proc.stdout + proc.stderr).strip().splitlines() or [f"crm db check: exit {proc.returncode}"]
    return local_check(env)


def local_check(env: dict) -> list[str]:
    from sqlalchemy import text

    problems: list[str] = []
    if env.get("CRM_DB"):
        import sqlite3

        conn = sqlite3.connect(env["CRM_DB"], timeout=30)
        try:
            rows = [r[0] for r in conn.execute("PRAGMA integrity_check")]
            if rows != ["ok"]:
                problems += [f"integrity_check: {r}" for r in rows]
            for table, rowid, parent, _fk in conn.execute("PRAGMA foreign_key_check"):
                problems.append(f"foreign key: {table} row {rowid} points to a missing {parent}")
        finally:
            conn.close()
    engine = _engine(env)
    try:
        with engine.connect() as conn:
            for what, sql in INVARIANTS:
                ids = [r[0] for r in conn.execute(text(sql)).all()]
                if ids:
                    problems.append(f"{what}: {ids[:10]}")
    finally:
        engine.dispose()
    return problems


def assert_sound(env: dict) -> None:
    problems = check_db(env)
    assert problems == [], "\n".join(problems)


def killed(proc: subprocess.CompletedProcess) -> bool:
    return proc.returncode == -9 or (os.name != "posix" and proc.returncode != 0)
