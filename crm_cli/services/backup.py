"""`crm db backup` and `crm db restore`: online copies of the database, and putting one back.

Backups
  SQLite      the SQLite online backup API (a consistent copy while other processes write), written
              to a temporary file in the target directory, fsynced, then renamed into place; mode 0600;
              the copy is in rollback-journal mode (one self-contained file).
  PostgreSQL  `pg_dump --format=custom` (the PostgreSQL client tools must be installed), written the
              same way (temporary file, fsync, rename).
  Default name: crm-YYYYmmdd-HHMMSS.db (SQLite) or .dump (PostgreSQL), the time in UTC, in the
  directory of the database file (SQLite) or crm's data directory (PostgreSQL); a second backup in
  the same second gets -2, -3, ... `--keep N` then removes all but the N newest of crm's own
  timestamped backups of that kind in that directory, never any other file.

Restore (the current database is backed up first, with a timestamped name, in its default place)
  SQLite      from an SQLite file that is a crm database of a revision this crm knows: copied (backup
              API) into a temporary file next to the database, upgraded to this crm's revision,
              fsynced and renamed over the database, so other users see the old or the new database,
              never a mix. Other crm processes should be stopped first: one still holding the
              database open is refused.
  PostgreSQL  from a `crm db backup` file (pg_dump custom format) of a crm database: crm's tables are
              dropped and the dump is restored in one transaction (pg_restore streamed into psql
              between BEGIN and COMMIT), then upgraded.
  Both        from a `crm db dump` directory: loaded in one transaction, replacing the data (see
              services/dump.py; its revision must be this crm's).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path

from crm_cli.core import db
from crm_cli.core.errors import Conflict, CrmError, UsageError
from crm_cli.core.faults import kill_point

NAME_RE = re.compile(r"crm-(\d{8})-(\d{6})(?:-(\d+))?\.(db|dump)")


# ---- where -----------------------------------------------------------------------------------------

def _sqlite_path(url: str) -> Path | None:
    if url.startswith("sqlite:///"):
        return Path(url[len("sqlite:///"):])
    return None


def default_dir(url: str) -> Path:
    path = _sqlite_path(url)
    if path is not None:
        return path.parent
    return db.default_path().parent


def _ext(url: str) -> str:
    return ".db" if _sqlite_path(url) is not None else ".dump"


def _stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _publish(tmp: Path, dest: Path, numbered: bool) -> Path:
    """Move the finished temporary file into place without overwriting anything: a timestamped name
    taken meanwhile gets the next -N suffix; an explicit one that exists is refused."""
    _fsync_file(tmp)
    candidate, n = dest, 1
    while True:
        try:
            os.link(tmp, candidate)
        except FileExistsError:
            if not numbered:
                tmp.unlink(missing_ok=True)
                raise Conflict(f"{dest} already exists; nothing was written", "remove it or choose another PATH"
                               ) from None
            n += 1
            candidate = dest.with_name(f"{dest.stem}-{n}{dest.suffix}")
            continue
        except OSError:  # no hard links here: check, then rename
            if candidate.exists():
                if not numbered:
                    tmp.unlink(missing_ok=True)
                    raise Conflict(f"{dest} already exists; nothing was written", "remove it or choose another PATH"
                                   ) from None
                n += 1
                candidate = dest.with_name(f"{dest.stem}-{n}{dest.suffix}")
                continue
            os.replace(tmp, candidate)
            break
        tmp.unlink()
        break
    _fsync_dir(candidate.parent)
    return candidate


def _target(url: str, path: str | None) -> tuple[Path, bool]:
    """Where the backup goes, and whether the name is crm's timestamped one."""
    if path is None:
        return default_dir(url) / f"crm-{_stamp()}{_ext(url)}", True
    p = Path(path).expanduser()
    if p.is_dir():
        return p / f"crm-{_stamp()}{_ext(url)}", True
    if not p.parent.is_dir():
        raise UsageError(f"cannot write the backup {p}: the directory {p.parent} does not exist", "create it first")
    if p.exists():
        raise Conflict(f"{p} already exists; nothing was written", "remove it or choose another PATH")
    return p, False


# ---- backup ----------------------------------------------------------------------------------------

def backup(path: str | None = None, keep: int | None = None, url: str | None = None) -> dict:
    """Back up the database; returns {"path", "removed"}."""
    url = url or db.database_url()
    dest, numbered = _target(url, path)
    dest = dest.resolve()
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    try:
        if _sqlite_path(url) is not None:
            _sqlite_copy(_sqlite_path(url), tmp)
        else:
            _pg_dump(url, tmp)
        os.chmod(tmp, 0o600)
        final = _publish(tmp, dest, numbered)
    finally:
        tmp.unlink(missing_ok=True)
    removed = rotate(final.parent, final.suffix, keep) if keep is not None else []
    return {"path": str(final), "removed": [str(p) for p in removed]}


def _sqlite_copy(src_path: Path, dest: Path, *, source_uri: bool = False) -> None:
    """A consistent copy of an SQLite database (online backup API, in one step) in rollback-journal mode."""
    import sqlite3

    if not src_path.is_file():
        raise UsageError(f"there is no database file {src_path}", "check --db / CRM_DB")
    src = sqlite3.connect(src_path.as_uri() + "?mode=ro", uri=True, timeout=30) if source_uri else \
        sqlite3.connect(src_path, timeout=30)
    try:
        src.execute("PRAGMA busy_timeout = 30000")
        dst = sqlite3.connect(dest)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode = DELETE")
            dst.commit()
        finally:
            dst.close()
    except sqlite3.DatabaseError as exc:
        raise CrmError(f"cannot copy {src_path}: {exc}") from None
    finally:
        src.close()


def _libpq(url: str) -> tuple[str, dict]:
    """A libpq connection URI without the password, and the environment carrying it."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    return u.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise CrmError(f"{name} is not installed: it is needed to back up and restore a PostgreSQL database",
                       "install the PostgreSQL client tools (e.g. apt install postgresql-client), or use "
                       "'crm db dump DIR'")
    return found


def _run(cmd: list[str], env: dict, what: str, **kw) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, env=env, capture_output=True, **kw)
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace") if isinstance(proc.stderr, bytes) else proc.stderr
        lines = [x for x in (err or "").splitlines() if x.strip()]
        raise CrmError(f"{what} failed: {lines[0] if lines else 'exit ' + str(proc.returncode)}")
    return proc


def _pg_dump(url: str, dest: Path) -> None:
    uri, env = _libpq(url)
    _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", "--file", str(dest), uri],
         env, "pg_dump")


# ---- rotation --------------------------------------------------------------------------------------

def _key(path: Path) -> tuple:
    m = NAME_RE.fullmatch(path.name)
    assert m
    return m.group(1), m.group(2), int(m.group(3) or 1)


def rotate(directory: Path, suffix: str, keep: int) -> list[Path]:
    """Remove all but the `keep` newest crm-YYYYmmdd-HHMMSS[-N]`suffix` files in `directory`."""
    ours = [p for p in directory.iterdir()
            if p.is_file() and not p.is_symlink() and NAME_RE.fullmatch(p.name) and p.suffix == suffix]
    ours.sort(key=_key, reverse=True)
    removed = ours[keep:]
    for p in removed:
        p.unlink(missing_ok=True)
    return removed


# ---- restore ---------------------------------------------------------------------------------------

def _known() -> list[str]:
    return sorted(p.stem for p in (db.MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))


def check_revision(where: str, revision: str | None) -> str:
    """A revision this crm knows (it can upgrade from), or a one-line error."""
    if revision is None:
        raise UsageError(f"{where} is not a crm database (no schema revision); nothing was changed")
    if revision not in _known():
        if re.fullmatch(r"[0-9]{4}_[A-Za-z0-9_]+", revision) and revision > db.head_revision():
            raise UsageError(f"{where} is at schema revision {revision}, newer than this crm "
                             f"({db.head_revision()}); nothing was changed", "upgrade crm first")
        raise UsageError(f"{where} is not a crm database (schema revision '{revision[:40]}'); nothing was changed")
    return revision


def sqlite_revision(path: Path) -> str:
    """The revision of an SQLite file that is a crm database, or a one-line error."""
    import sqlite3

    where = str(path)
    try:
        conn = sqlite3.connect(path.as_uri() + "?mode=ro", uri=True, timeout=30)
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "alembic_version" not in tables:
                raise UsageError(f"{where} is not a crm database (no crm tables); nothing was changed")
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            ok = conn.execute("PRAGMA quick_check").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        raise UsageError(f"{where} is not a crm database (not an SQLite file); nothing was changed") from None
    revision = check_revision(where, row[0] if row else None)
    if not ok or ok[0] != "ok":
        raise UsageError(f"{where} is damaged (quick_check: {ok[0] if ok else '?'}); nothing was changed")
    return revision


def restore(path: str) -> dict:
    """Put a backup (or a dump directory) in place of the current database.
    Returns {"from", "revision", "previous" (the backup of the database before), "upgraded_to"}."""
    url = db.database_url()
    src = Path(path).expanduser()
    if not src.exists():
        raise UsageError(f"there is no file or directory {src}", "give a backup file or a dump directory")
    if src.is_dir():
        from crm_cli.services import dump

        revision = dump.read_manifest(src)["revision"]
        dump.check_loadable(src)
        previous = _backup_current(url)
        dump.load(str(src), replace=True, url=url)
        return {"from": str(src), "revision": revision, "previous": previous, "upgraded_to": revision}
    target = _sqlite_path(url)
    if target is not None:
        return _restore_sqlite(src.resolve(), target, url)
    return _restore_pg(src.resolve(), url)


def _backup_current(url: str) -> str | None:
    target = _sqlite_path(url)
    if target is not None and (not target.exists() or target.stat().st_size == 0):
        return None
    return backup(url=url)["path"]


def _restore_sqlite(src: Path, target: Path, url: str) -> dict:
    if _head(src, 5) == b"PGDMP":
        raise UsageError(f"{src} is a PostgreSQL backup; the database is SQLite; nothing was changed",
                         "restore it into a PostgreSQL database (CRM_DATABASE_URL), or use a 'crm db dump' directory")
    revision = sqlite_revision(src)
    if target.exists() and src.samefile(target):
        raise UsageError(f"{src} is the database itself", "give a backup file")
    if not target.parent.is_dir():
        raise UsageError(f"the directory {target.parent} does not exist", "create it first")
    previous = _backup_current(url)
    tmp = target.with_name(f".{target.name}.restore-{os.getpid()}.tmp")
    try:
        _sqlite_copy(src, tmp, source_uri=True)
        kill_point("restore.copy")
        os.chmod(tmp, 0o600)
        db.dispose_all()
        engine = db.get_engine("sqlite:///" + str(tmp))  # upgrades it to this crm's revision
        upgraded = db.current_revision(engine)
        db.dispose_all()
        for extra in ("-wal", "-shm"):
            Path(str(tmp) + extra).unlink(missing_ok=True)
        _fsync_file(tmp)
        kill_point("restore.replace")
        if target.exists():
            _quiesce(target)
        os.replace(tmp, target)
        kill_point("restore.replaced")
        _fsync_dir(target.parent)
    finally:
        tmp.unlink(missing_ok=True)
        for extra in ("-wal", "-shm", "-journal"):
            Path(str(tmp) + extra).unlink(missing_ok=True)
    return {"from": str(src), "revision": revision, "previous": previous, "upgraded_to": upgraded}


def _quiesce(target: Path) -> None:
    """Fold the current database's WAL into it and make sure no other process holds it open: the
    renamed file would be invisible to that process, and its writes lost."""
    import sqlite3

    conn = sqlite3.connect(target, timeout=30)
    try:
        busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        conn.execute("PRAGMA journal_mode = DELETE")  # refused (stays wal) while others hold it
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    except sqlite3.OperationalError:
        busy, mode = (1,), "wal"
    finally:
        conn.close()
    if (busy and busy[0]) or str(mode).lower() == "wal":
        raise Conflict(f"another process is using {target}; nothing was changed",
                       "stop other crm commands (and anything else using the database), then retry")


def _pg_revision(src: Path, env: dict) -> str:
    tool = _tool("pg_restore")
    listing = subprocess.run([tool, "--list", str(src)], env=env, capture_output=True)
    if listing.returncode != 0:
        raise UsageError(f"{src} is neither an SQLite crm database nor a pg_dump custom-format file; "
                         "nothing was changed", "give a file made by 'crm db backup' or a 'crm db dump' directory")
    data = subprocess.run([tool, "--data-only", "--table=alembic_version", "--file=-", str(src)], env=env,
                          capture_output=True)
    revision = None
    lines = data.stdout.decode("utf-8", "replace").splitlines()
    for i, line in enumerate(lines):
        if line.startswith("COPY ") and "alembic_version" in line and i + 1 < len(lines) and lines[i + 1] != "\\.":
            revision = lines[i + 1].strip()
    return check_revision(str(src), revision)


def _restore_pg(src: Path, url: str) -> dict:
    uri, env = _libpq(url)
    try:
        revision = _pg_revision(src, env)
    except CrmError as exc:
        if _head(src, 16) == b"SQLite format 3\x00":
            raise UsageError(f"{src} is an SQLite file; the database is PostgreSQL; nothing was changed",
                             "to move an SQLite database here, run 'crm db copy --to URL' with it") from exc
        raise
    psql, pg_restore = _tool("psql"), _tool("pg_restore")
    previous = _backup_current(url)
    from sqlalchemy import inspect
    from sqlmodel import SQLModel

    from crm_cli import models

    models.load_all()
    from crm_cli.core import search

    ours = set(SQLModel.metadata.tables) | {"alembic_version"} | {search.index_table(e) for e in search.INDEXES}
    engine = db.get_engine(url, migrate=False)
    tables = [t for t in inspect(engine).get_table_names() if t in ours]  # never another application's
    db.dispose_all()
    preamble = "SET client_min_messages = warning;\n"
    if tables:
        preamble += "DROP TABLE IF EXISTS " + ", ".join(_quote(t) for t in sorted(tables)) + " CASCADE;\n"
    from crm_cli.migrations import rls

    preamble += "".join(f"DROP FUNCTION IF EXISTS {sig} CASCADE;\n" for sig in rls.FUNCTIONS)
    kill_point("restore.psql")
    _pipe([pg_restore, "--no-owner", "--no-privileges", "--file=-", str(src)],
          [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", uri, "-f", "-"],
          preamble.encode(), env)
    engine = db.get_engine(url)  # upgrades it
    upgraded = db.current_revision(engine)
    return {"from": str(src), "revision": revision, "previous": previous, "upgraded_to": upgraded}


def _pipe(producer: list[str], consumer: list[str], preamble: bytes, env: dict) -> None:
    """producer | consumer inside one transaction (BEGIN, the preamble, the producer's SQL, COMMIT),
    streamed (a dump may be larger than memory). COMMIT is sent only when the producer succeeded and
    psql (ON_ERROR_STOP) is still going: otherwise psql ends and the transaction is rolled back."""
    import tempfile

    with tempfile.TemporaryFile() as perr, tempfile.TemporaryFile() as cerr:
        cons = subprocess.Popen(consumer, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=cerr, env=env)
        prod = subprocess.Popen(producer, stdout=subprocess.PIPE, stderr=perr, env=env)
        try:
            cons.stdin.write(b"BEGIN;\n" + preamble)
            shutil.copyfileobj(prod.stdout, cons.stdin, 1 << 16)
            prod.stdout.close()
            if prod.wait() == 0:
                cons.stdin.write(b"\nCOMMIT;\n")
        except BrokenPipeError:
            prod.kill()
        finally:
            try:
                cons.stdin.close()
            except BrokenPipeError:
                pass
            prod.stdout.close()
        prod.wait()
        cons.wait()
        for proc, err, what in ((cons, cerr, "restoring with psql"), (prod, perr, "pg_restore")):
            if proc.returncode != 0:
                err.seek(0)
                lines = [x for x in err.read().decode("utf-8", "replace").splitlines() if x.strip()]
                raise CrmError(f"{what} failed (nothing was changed): "
                               f"{lines[0] if lines else 'exit ' + str(proc.returncode)}")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _head(path: Path, n: int) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(n)
    except OSError:
        return b""
