"""Which database, the engine (with per-connection SQLite settings), sessions and schema upgrades.

Choice: --db PATH > CRM_DB (path) > CRM_DATABASE_URL > config `database_url` > crm.db in the
platformdirs user data dir. A new or older database is upgraded automatically on first use.
"""

from __future__ import annotations

import os
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from crm_cli.core import context
from crm_cli.core.errors import CrmError, UsageError
from crm_cli.core.faults import kill_point

MIGRATIONS = Path(__file__).parent.parent / "migrations"

_engines: dict = {}

# Called with every new session before it is used: upper layers register here (the audit history
# is attached by crm_cli.services on import), so this module imports none of them.
session_hooks: list = []


def database_url() -> str:
    if context.options.db:
        return _path_url(context.options.db)
    if os.environ.get("CRM_DB"):
        return _path_url(os.environ["CRM_DB"])
    if os.environ.get("CRM_DATABASE_URL"):
        return os.environ["CRM_DATABASE_URL"]
    from crm_cli.core import config

    url = config.load().get("database_url")
    if url:
        return str(url)
    return _path_url(str(default_path()))


def default_path() -> Path:
    """crm.db in the platformdirs user data dir, the one directory crm creates when missing."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("crm", appauthor=False)) / "crm.db"


def _path_url(path: str) -> str:
    if "://" in path:
        return path
    return "sqlite:///" + str(Path(path).expanduser().resolve())


def describe(url: str) -> str:
    """The URL without its password, or the file path for SQLite."""
    if url.startswith("sqlite:///"):
        return url[len("sqlite:///"):]
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def head_revision() -> str:
    """The newest migration (revisions are named after their files, which sort in order)."""
    names = sorted(p.stem for p in (MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))
    return names[-1]


def _not_crm(where: str, why: str) -> CrmError:
    return UsageError(f"{where} is not a crm database ({why}); nothing was changed",
                      "choose another with --db / CRM_DB / CRM_DATABASE_URL")


def _is_crm_revision(revision: str | None) -> bool:
    """Our revisions are named after their files (0001_foundation); a newer crm's are too."""
    return revision is None or re.fullmatch(r"[0-9]{4}_[A-Za-z0-9_]+", revision) is not None


def _check_sqlite_file(path: Path) -> None:
    """An existing non-empty file must be a crm database: read it with a read-only connection
    (no WAL switch, no journal), before crm's engine touches it."""
    import sqlite3

    if path.stat().st_size == 0:
        return
    try:
        conn = sqlite3.connect(path.as_uri() + "?mode=ro", uri=True, timeout=30)
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            revision = None
            if "alembic_version" in tables:
                row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
                revision = row[0] if row else None
        finally:
            conn.close()
    except sqlite3.OperationalError:
        return  # busy or unreadable: the engine reports it as a database error
    except sqlite3.DatabaseError:
        raise _not_crm(str(path), "not an SQLite file") from None
    _check_tables(str(path), tables, revision)


def _check_tables(where: str, tables: set[str], revision: str | None) -> None:
    if "alembic_version" not in tables:
        if tables:
            shown = ", ".join(sorted(tables)[:3]) + (", ..." if len(tables) > 3 else "")
            raise _not_crm(where, f"it has other tables: {shown}")
        return
    if not _is_crm_revision(revision):
        raise _not_crm(where, f"its schema revision '{str(revision)[:40]}' is not crm's")


def _create_sqlite_file(url: str) -> None:
    path = Path(url[len("sqlite:///"):])
    if str(path) in ("", ":memory:"):
        return
    if path.exists():
        if path.is_file():
            _check_sqlite_file(path)
        return
    if not path.parent.is_dir():
        if path.parent != default_path().parent.expanduser().resolve():  # crm.db, demo.db
            raise UsageError(f"cannot create the database {path}: the directory {path.parent} does not exist",
                             "create it first, or choose another with --db / CRM_DB")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        os.close(fd)
    except FileExistsError:
        pass
    except OSError as exc:
        raise CrmError(f"cannot create the database file {path}: {exc.strerror}",
                       "check the directory, or choose another with --db") from None


def get_engine(url: str | None = None, migrate: bool = True):
    url = url or database_url()
    engine = _engines.get(url)
    if engine is not None:
        return engine
    from sqlalchemy import create_engine, event

    if url.startswith("sqlite"):
        _create_sqlite_file(url)
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # every connection, not just the first
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys = ON")
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA busy_timeout = 30000")
            cur.execute("PRAGMA synchronous = NORMAL")
            cur.close()
            # Unicode case folding for searches (SQLite's lower() is ASCII-only): services.listing
            dbapi_conn.create_function("crm_fold", 1, _fold, deterministic=True)
    else:
        if url.startswith("postgresql://") or url.startswith("postgres://"):
            url_for_engine = "postgresql+psycopg://" + url.split("://", 1)[1]
        else:
            url_for_engine = url
        try:
            engine = create_engine(url_for_engine, pool_pre_ping=False)
        except Exception as exc:
            raise CrmError(f"cannot use database URL {describe(url)}: {exc}",
                           "check CRM_DATABASE_URL (e.g. postgresql+psycopg://user@host/db)") from None
    _engines[url] = engine
    if migrate:
        ensure_schema(engine)
    return engine


def dispose_all() -> None:
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()


def current_revision(engine) -> str | None:
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError, ProgrammingError

    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except (OperationalError, ProgrammingError) as exc:
        message = str(getattr(exc, "orig", exc))
        if "alembic_version" in message:
            return None
        raise


def ensure_schema(engine) -> None:
    """Create a new database or upgrade an old one; refuse one newer than this crm."""
    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return
    _refuse_foreign(engine, current)
    known = sorted(p.stem for p in (MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))
    if current is not None and current not in known:
        raise CrmError(f"the database is at schema revision {current}, newer than this crm knows",
                       "upgrade crm")
    upgrade(engine)


def _refuse_foreign(engine, current: str | None) -> None:
    """Before creating or upgrading: a database with other tables and no crm schema is not ours."""
    from sqlalchemy import inspect

    tables = set(inspect(engine).get_table_names())
    if current is not None:
        tables.add("alembic_version")
    where = engine.url.database if engine.dialect.name == "sqlite" else engine.url.render_as_string(True)
    _check_tables(str(where), tables, current)


def alembic_config(engine):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine, revision: str = "head") -> None:
    import logging

    from alembic import command

    logging.getLogger("alembic").setLevel(logging.WARNING)
    command.upgrade(alembic_config(engine), revision)


# `crm batch --atomic`: one connection and one transaction for every command of the batch (see atomic())
_shared: dict = {}


@contextmanager
def atomic(url: str | None = None) -> Iterator:
    """Run everything inside in ONE transaction on one connection: each session_scope() joins it
    with a savepoint of its own (its commit releases the savepoint, its rollback rolls back to it),
    and the caller commits or rolls back the whole at the end: yields a callable `commit()`; leaving
    without calling it rolls everything back. SQLite: the transaction is a write transaction from
    the start (BEGIN IMMEDIATE), so lock_keys() has nothing left to upgrade."""
    url = url or database_url()
    engine = get_engine(url)  # created and upgraded before the transaction starts
    conn = engine.connect()
    done = []
    try:
        trans = conn.begin()
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        _shared.update(url=url, connection=conn)
        yield lambda: done.append(True)
        if done:
            trans.commit()
        else:
            trans.rollback()
    except BaseException:
        if conn.in_transaction():
            conn.rollback()
        raise
    finally:
        _shared.clear()
        conn.close()


def in_atomic() -> bool:
    return bool(_shared)


def connect():
    """A connection for a Core read that must see this process's uncommitted batch (--atomic): the
    batch's own connection then (not to be closed by the caller), else a new one from the engine."""
    if _shared:
        from contextlib import nullcontext

        _check_shared_url()
        return nullcontext(_shared["connection"])
    return get_engine().connect()


def _check_shared_url() -> None:
    if database_url() != _shared["url"]:
        raise UsageError("--atomic: every command of the batch must use the batch's database",
                         "give --db once, before 'batch', or drop --atomic")


@contextmanager
def session_scope() -> Iterator:
    """One transaction: commit on success, roll back on any error. Inside atomic() the session joins
    the batch's transaction with a savepoint instead."""
    from sqlmodel import Session

    from crm_cli.core import output

    if _shared:
        _check_shared_url()
        session = Session(bind=_shared["connection"], expire_on_commit=False,
                          join_transaction_mode="create_savepoint")
    else:
        session = Session(get_engine(), expire_on_commit=False)
    for hook in session_hooks:
        hook(session)
    output.hold()  # messages about the change wait for the commit
    committed = False
    try:
        yield session
        kill_point("commit")
        session.commit()
        committed = True
        kill_point("committed")
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
        output.release(committed)


def _fold(value):
    return value.casefold() if isinstance(value, str) else value


def lock_keys(session, keys) -> None:
    """Serialise check-then-insert rules (duplicate checks) between processes, until the end of the
    session's transaction: call it before the check.

    PostgreSQL: one transaction-scoped advisory lock per key (in sorted order, so two sessions never
    wait on each other crosswise). SQLite: the transaction becomes a write transaction now (BEGIN
    IMMEDIATE waits, up to busy_timeout, for any other writer); the pysqlite driver runs reads before
    the first write outside a transaction, so none has been opened yet unless this session already
    wrote, and then it already holds the write lock."""
    import hashlib

    from sqlalchemy import text

    conn = session.connection()
    if conn.dialect.name == "sqlite":
        if not conn.connection.driver_connection.in_transaction:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        return
    for key in sorted({k for k in keys if k}):
        digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest()
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"),
                     {"k": int.from_bytes(digest, "big", signed=True)})
