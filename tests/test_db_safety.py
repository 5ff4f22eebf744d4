"""crm db backup / restore / check / dump / load / copy: online backups while others write, rotation,
restores that are all-or-nothing, the invariants `check` reports, portable dumps that are the same
from either backend, and moving a personal SQLite database onto PostgreSQL."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from conftest import PG_URL, _pg_admin, _pg_url_for

from crm_cli.core import db

NOW = "2026-11-23T09:00+08:00"


@pytest.fixture(autouse=True)
def _own_data_dir(tmp_path, monkeypatch):
    """PostgreSQL backups (and the backup taken before a restore) go to crm's data directory: a
    temporary one here, never the real one (set before crm_env copies the environment)."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))


def _backend(crm_env) -> str:
    return "pg" if crm_env.get("CRM_DATABASE_URL") else "sqlite"


def _url(crm_env) -> str:
    return crm_env.get("CRM_DATABASE_URL") or "sqlite:///" + crm_env["CRM_DB"]


def _sql(crm_env, *statements, replica: bool = False):
    """Raw SQL on the test's database, bypassing crm (to plant damage); returns the last result's rows."""
    if _backend(crm_env) == "sqlite":
        conn = sqlite3.connect(crm_env["CRM_DB"])  # foreign keys are off on a plain connection
        try:
            rows = None
            for s in statements:
                rows = conn.execute(s).fetchall()
            conn.commit()
            return rows
        finally:
            conn.close()
    import psycopg

    with psycopg.connect(_url(crm_env).replace("postgresql+psycopg://", "postgresql://")) as conn:
        if replica:  # foreign keys off for this transaction (superuser)
            conn.execute("SET LOCAL session_replication_role = replica")
        rows = None
        for s in statements:
            cur = conn.execute(s)
            rows = cur.fetchall() if cur.description else None
        return rows


@pytest.fixture(scope="module")
def pg_template():
    """A PostgreSQL database migrated to head once per module, to clone (migrating takes seconds)."""
    if not PG_URL:
        yield None
        return
    from crm_cli.core import db

    name = f"crm_st_{uuid.uuid4().hex[:10]}"
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    db.get_engine(_pg_url_for(name))
    db.dispose_all()
    yield name
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture
def new_pg(pg_template):
    """new_pg(migrated=True) -> the URL of a new PostgreSQL database, with crm's schema and no data,
    or with nothing at all (dropped afterwards)."""
    if not PG_URL:
        pytest.skip("needs CRM_TEST_DATABASE_URL")
    names = []

    def make(migrated: bool = True) -> str:
        name = f"crm_s_{uuid.uuid4().hex[:12]}"
        admin = _pg_admin()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{pg_template}"' if migrated else ""))
        admin.dispose()
        names.append(name)
        return _pg_url_for(name)

    yield make
    from crm_cli.core import db

    db.dispose_all()
    admin = _pg_admin()
    with admin.connect() as conn:
        for name in names:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture
def new_pg_if_pg(crm_env, request):
    """new_pg on the PostgreSQL run, None on SQLite."""
    if _backend(crm_env) == "sqlite":
        return None
    return request.getfixturevalue("new_pg")


def _names(cli, *db) -> list[str]:
    return sorted(c["name"] for c in cli.json(*db, "customer", "list"))


# ---- backup -----------------------------------------------------------------------------------------

WRITER = r"""
import pathlib, sys
from typer.testing import CliRunner
from crm_cli.app import app

runner, n = CliRunner(), 0
started, stop = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
while not stop.exists() and n < 2000:
    res = runner.invoke(app, ["activity", "add", f"call {n}", "--type", "call", "-c", "Writer Co"])
    assert res.exit_code == 0, res.output
    n += 1
    if n == 3:
        started.write_text("yes")
print(n)
"""


def test_backup_while_another_process_writes(cli, run, crm_env, tmp_path, new_pg_if_pg):
    cli("customer", "add", "Writer Co", ok=True)
    started, stop = tmp_path / "started", tmp_path / "stop"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(started), str(stop)], env=crm_env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 30
        while not started.exists() and writer.poll() is None and time.time() < deadline:
            time.sleep(0.05)
        assert started.exists(), writer.stderr.read() if writer.poll() is not None else "the writer did not start"
        backups = tmp_path / "backups"
        backups.mkdir()
        first = run("db", "backup", backups, check=True)
        second = run("db", "backup", backups, check=True)  # the writer is still going
    finally:
        stop.write_text("stop")
        out, err = writer.communicate(timeout=60)
    assert writer.returncode == 0, err
    written = int(out.strip())
    paths = [Path(first.stdout.strip()), Path(second.stdout.strip())]
    assert [p.parent for p in paths] == [backups, backups] and paths[0] != paths[1]
    for path in paths:
        assert path.name.startswith("crm-") and oct(path.stat().st_mode & 0o777) == "0o600"
        if _backend(crm_env) == "sqlite":
            assert path.suffix == ".db"
            db_opt = ("--db", path)
        else:  # a pg_dump file: restore it into a new database to look inside
            assert path.suffix == ".dump"
            target = new_pg_if_pg()
            cli("--db", target, "db", "restore", path, "--yes", ok=True)
            db_opt = ("--db", target)
        check = cli(*db_opt, "db", "check")
        assert check.exit_code == 0, check.stdout + check.stderr
        assert "ok" in check.stderr
        calls = cli.json(*db_opt, "db", "info")["activity_count"]
        assert 3 <= calls <= written  # a snapshot taken while the writer was adding


def test_backup_keep_rotates_only_crms_own_backups(cli, crm_env, tmp_path):
    ext = ".db" if _backend(crm_env) == "sqlite" else ".dump"
    other = ".dump" if ext == ".db" else ".db"
    d = tmp_path / "b"
    d.mkdir()
    for name in (f"crm-20200101-000000{ext}", f"crm-20200102-000000{ext}", f"crm-20200102-000000-2{ext}",
                 f"crm-20190101-000000{other}", "crm-mine.db", "notes.txt", f"crm-2020{ext}"):
        (d / name).write_text("x")
    made = Path(cli("db", "backup", d, "--keep", "2", ok=True).stdout.strip())
    # kept: the new one and the newest old one (-2 of the same second is newer than the plain name)
    assert sorted(p.name for p in d.iterdir()) == sorted([
        made.name, f"crm-20200102-000000-2{ext}", f"crm-20190101-000000{other}", "crm-mine.db", "notes.txt",
        f"crm-2020{ext}"])
    result = cli("db", "backup", d, "--keep", "1", ok=True)
    assert f"removed old backup {made}" in result.stderr
    assert len([p for p in d.iterdir() if p.suffix == ext and p.name[4:12].isdigit()]) == 1


def test_backup_to_an_existing_file_is_refused(cli, tmp_path):
    (tmp_path / "b.db").write_text("mine")
    result = cli("db", "backup", tmp_path / "b.db")
    assert result.exit_code == 4 and "already exists" in result.stderr
    assert (tmp_path / "b.db").read_text() == "mine"


def test_pg_backup_without_pg_dump_is_one_line(run, crm_env):
    if _backend(crm_env) != "pg":
        pytest.skip("PostgreSQL only")
    p = run("db", "backup", env={"PATH": "/nonexistent"})
    assert p.returncode == 1
    assert p.stderr.strip().splitlines() == [p.stderr.strip()]
    assert "pg_dump is not installed" in p.stderr


# ---- restore ----------------------------------------------------------------------------------------

def test_restore_round_trip(cli, crm_env, tmp_path):
    cli("customer", "add", "Before Co", ok=True)
    backup = Path(cli("db", "backup", tmp_path, ok=True).stdout.strip())
    cli("customer", "add", "After Co", ok=True)
    refused = cli("db", "restore", backup)  # no TTY, no --yes
    assert refused.exit_code == 2 and "--yes" in refused.stderr
    assert _names(cli) == ["After Co", "Before Co"]
    result = cli("db", "restore", backup, "--yes", ok=True)
    assert _names(cli) == ["Before Co"]
    line = [x for x in result.stderr.splitlines() if "before the restore is backed up in" in x]
    assert len(line) == 1, result.stderr
    previous = Path(line[0].rsplit(" in ", 1)[1])
    assert previous.exists() and previous.name.startswith("crm-")
    assert f"restored {backup}" in result.stderr
    cli("customer", "add", "Next Co", ok=True)  # new ids go on after the restored ones
    assert cli("db", "check").exit_code == 0
    # the previous database is in that backup: restore it back
    cli("db", "restore", previous, "--yes", ok=True)
    assert _names(cli) == ["After Co", "Before Co"]


def test_restore_upgrades_an_older_backup(cli, run, crm_env, tmp_path, new_pg_if_pg):
    from sqlalchemy import create_engine, text

    from crm_cli.core import db

    if _backend(crm_env) == "sqlite":
        old_url = "sqlite:///" + str(tmp_path / "old.db")
    else:
        old_url = new_pg_if_pg(migrated=False)
    engine = create_engine(old_url)
    db.upgrade(engine, "0008_products")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO customers (created_at, updated_at, name, status, custom, name_key) "
                          "VALUES ('2026-01-01 00:00:00', '2026-01-01 00:00:00', 'Old Co', 'active', '{}', 'old')"))
    engine.dispose()
    if _backend(crm_env) == "sqlite":
        backup = tmp_path / "old.db"
    else:  # `crm db backup` of the old database (it does not upgrade it)
        backup = Path(run("db", "backup", tmp_path, env={"CRM_DATABASE_URL": old_url}, check=True).stdout.strip())
    result = cli("db", "restore", backup, "--yes", ok=True)
    head = db.head_revision()  # the newest migration of this crm
    assert f"schema 0008_products, upgraded to {head}" in result.stderr
    assert _names(cli) == ["Old Co"]
    assert cli.json("db", "status")["revision"] == head
    assert [c["name"] for c in cli.json("customer", "list", "--search", "ld c")] == ["Old Co"]  # indexed on upgrade


def test_restore_of_a_non_crm_file_changes_nothing(cli, crm_env, tmp_path):
    cli("customer", "add", "Kept Co", ok=True)
    junk = tmp_path / "junk.db"
    junk.write_text("not a database\n")
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE notes (x TEXT)")
    conn.commit()
    conn.close()
    newer = tmp_path / "newer.db"
    conn = sqlite3.connect(newer)
    conn.execute("CREATE TABLE alembic_version (version_num TEXT)")
    conn.execute("INSERT INTO alembic_version VALUES ('9999_future')")
    conn.commit()
    conn.close()
    before = sorted(os.listdir(Path(crm_env.get("CRM_DB", tmp_path / "x")).parent))
    for path, says in ((junk, "not a crm database"), (other, "not a crm database"), (newer, "newer than this crm"),
                       (tmp_path / "missing.db", "there is no file")):
        result = cli("db", "restore", path, "--yes")
        assert result.exit_code == 2, (path, result.stderr)
        if _backend(crm_env) == "sqlite" or path == tmp_path / "missing.db":
            assert says in result.stderr, result.stderr
        elif path == junk:
            assert "is neither an SQLite crm database nor a pg_dump custom-format file" in result.stderr
        else:
            assert "is an SQLite file; the database is PostgreSQL" in result.stderr
        assert "nothing was changed" in result.stderr or "there is no file" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert _names(cli) == ["Kept Co"]
    assert sorted(os.listdir(Path(crm_env.get("CRM_DB", tmp_path / "x")).parent)) == before  # no backup made


# ---- check ------------------------------------------------------------------------------------------

def _demo(cli):
    cli("--now", NOW, "demo", ok=True)


def test_check_finds_each_planted_problem(cli, crm_env):
    _demo(cli)
    ok = cli("db", "check", ok=True)
    assert ok.stdout == "" and "ok" in ok.stderr
    pg = _backend(crm_env) == "pg"
    opp = _sql(crm_env, "SELECT id, pipeline_id FROM opportunities ORDER BY id")[0]
    quote = _sql(crm_env, "SELECT id FROM quotes ORDER BY id")[0][0]
    order = _sql(crm_env, "SELECT id FROM orders WHERE status = 'confirmed' ORDER BY id")[0][0]
    line = _sql(crm_env, "SELECT id FROM order_lines ORDER BY id")[0][0]
    _sql(crm_env,
         "INSERT INTO pipelines (id, created_at, updated_at, name) VALUES (90, '2026-01-01', '2026-01-01', 'Other')",
         "INSERT INTO stages (id, created_at, updated_at, pipeline_id, name, position, probability, kind) "
         "VALUES (90, '2026-01-01', '2026-01-01', 90, 'Elsewhere', 1, 10, 'open')",
         f"UPDATE opportunities SET stage_id = 90 WHERE id = {opp[0]}",
         f"UPDATE quotes SET total = total + 1 WHERE id = {quote}",
         f"UPDATE order_lines SET tax = tax + 1 WHERE id = {line}",
         f"UPDATE order_instalments SET amount = amount - 7 WHERE order_id = {order}",
         f"UPDATE orders SET paid = paid + 5 WHERE id = {order}")
    _sql(crm_env, "INSERT INTO contacts (id, created_at, updated_at, customer_id, name, custom) "
                  "VALUES (90, '2026-01-01', '2026-01-01', 9999, 'Nobody', '{}')", replica=True)
    result = cli("db", "check")
    assert result.exit_code == 1, result.stdout + result.stderr
    problems = json.loads(cli("db", "check", "--format", "json").stdout)
    got = {(p["check"], p["table"], p["id"]) for p in problems}
    orphan = ("orphan" if pg else "foreign_key", "contacts", 90)
    assert got == {("stage", "opportunities", opp[0]), ("totals", "quotes", quote), ("totals", "orders", order),
                   ("line", "order_lines", line), ("instalments", "orders", order), ("paid", "orders", order),
                   orphan}, problems
    # one line per problem (plain when piped), naming table and id
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 7
    assert f"opportunities\t{opp[0]}\tstage\tstage 90 belongs to pipeline 90, the opportunity to pipeline {opp[1]}" \
        in lines
    assert "contacts\t90\t" in result.stdout
    assert "7 problem(s) found" in result.stderr
    if pg:
        assert "SQLite-only: skipped on postgresql" in result.stderr


# ---- dump / load / copy -----------------------------------------------------------------------------

def test_dump_load_round_trip_sqlite_pg_files_identical(cli, crm_env, tmp_path, new_pg):
    if _backend(crm_env) != "sqlite":
        pytest.skip("starts from SQLite")
    _demo(cli)
    cli("customer", "edit", "华强电子", "--set", "zeta=1", "--set", "alpha=x", ok=True)
    a, b = tmp_path / "a", tmp_path / "b"
    cli("db", "dump", a, ok=True)
    manifest = json.loads((a / "manifest.json").read_text())
    assert manifest["revision"] == db.head_revision() and "alembic_version" not in manifest["tables"]
    assert manifest["tables"]["customers"]["rows"] == len((a / "customers.jsonl").read_text().splitlines()) > 3
    assert manifest["crm_version"]
    first = (a / "customers.jsonl").read_text(encoding="utf-8").splitlines()[0]
    rec = json.loads(first)
    assert list(rec)[:5] == ["id", "created_at", "updated_at", "created_by", "deleted_at"]
    assert rec["created_at"].endswith("Z") and len(rec["created_at"]) == len("2026-11-23T01:00:00.000000Z")
    line = json.loads((a / "order_lines.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert isinstance(line["tax_included"], bool) and isinstance(line["total"], int)
    pg = new_pg()
    cli("--db", pg, "db", "load", a, ok=True)
    cli("--db", pg, "db", "dump", b, ok=True)
    for f in sorted(a.iterdir()):
        assert (b / f.name).read_bytes() == f.read_bytes(), f.name
    assert sorted(p.name for p in a.iterdir()) == sorted(p.name for p in b.iterdir())
    assert cli("--db", pg, "db", "check").exit_code == 0
    # new ids continue after the loaded ones
    last = max(c["id"] for c in cli.json("--db", pg, "customer", "list"))
    assert cli.id("--db", pg, "customer", "add", "After Load") == last + 1


def test_load_rules(cli, crm_env, tmp_path, new_pg_if_pg):
    cli("customer", "add", "Dumped Co", ok=True)
    d = tmp_path / "d"
    cli("db", "dump", d, ok=True)
    again = cli("db", "dump", d)
    assert again.exit_code == 2 and "not an empty directory" in again.stderr
    # not into a database with data, unless --yes (which replaces it all)
    cli("customer", "add", "Extra Co", ok=True)
    refused = cli("db", "load", d)
    assert refused.exit_code == 4 and "--yes" in refused.stderr
    assert _names(cli) == ["Dumped Co", "Extra Co"]
    cli("db", "load", d, "--yes", ok=True)
    assert _names(cli) == ["Dumped Co"]
    # revisions: newer refused, older refused with how to proceed
    manifest = json.loads((d / "manifest.json").read_text())
    for revision, says in (("9999_future", "newer than this crm"), ("0008_products", "crm db upgrade")):
        manifest["revision"] = revision
        (d / "manifest.json").write_text(json.dumps(manifest))
        result = cli("db", "load", d, "--yes")
        assert result.exit_code == 2 and says in result.stderr, result.stderr
    # a broken row: nothing changed (one transaction)
    manifest["revision"] = db.head_revision()
    (d / "manifest.json").write_text(json.dumps(manifest))
    with open(d / "users.jsonl", "a", encoding="utf-8") as fh:
        fh.write('{"id": 77}\n')
    cli("customer", "add", "Still Here", ok=True)
    broken = cli("db", "load", d, "--yes")
    assert broken.exit_code == 2 and "users.jsonl line" in broken.stderr
    assert _names(cli) == ["Dumped Co", "Still Here"]
    assert cli("db", "load", tmp_path).exit_code == 2  # no manifest


def test_copy_to_postgresql(cli, run, crm_env, tmp_path, new_pg):
    if _backend(crm_env) != "sqlite":
        pytest.skip("moves an SQLite database")
    cli("customer", "add", "Moved Co", ok=True)
    cli("user", "add", "bob", "--role", "manager", ok=True)
    target = new_pg(migrated=False)  # as `createdb` leaves it
    p = run("db", "copy", "--to", target, check=True)
    assert p.stdout.strip() == f"CRM_DATABASE_URL={target}"
    assert "copied" in p.stderr
    assert _names(cli, "--db", target) == ["Moved Co"]
    users = {u["handle"]: u["role"] for u in cli.json("--db", target, "user", "list")}
    assert users == {"tester": "admin", "bob": "manager"}
    cli("customer", "add", "Later Co", ok=True)
    refused = cli("db", "copy", "--to", target)
    assert refused.exit_code == 4 and "--yes" in refused.stderr and "already has data" in refused.stderr
    assert _names(cli, "--db", target) == ["Moved Co"]
    cli("db", "copy", "--to", target, "--yes", ok=True)
    assert _names(cli, "--db", target) == ["Later Co", "Moved Co"]
    same = cli("db", "copy", "--to", "sqlite:///" + crm_env["CRM_DB"])
    assert same.exit_code == 2 and "in use" in same.stderr


def test_pg_tools_missing_for_restore(run, crm_env, tmp_path):
    if _backend(crm_env) != "pg":
        pytest.skip("PostgreSQL only")
    f = tmp_path / "x.dump"
    f.write_bytes(b"PGDMP")
    p = run("db", "restore", f, "--yes", env={"PATH": "/nonexistent"})
    assert p.returncode == 1 and "pg_restore is not installed" in p.stderr



def test_pg_restore_of_a_truncated_dump_changes_nothing(cli, crm_env, tmp_path):
    if _backend(crm_env) != "pg":
        pytest.skip("PostgreSQL only")
    for i in range(30):
        cli("customer", "add", f"Customer {i:02d}", "--notes", "x" * 500, ok=True)
    backup = Path(cli("db", "backup", tmp_path, ok=True).stdout.strip())
    cut = tmp_path / "cut.dump"
    data = backup.read_bytes()
    cut.write_bytes(data[:len(data) - 200])  # its table of contents is whole, the data is not
    cli("customer", "add", "Kept Co", ok=True)
    result = cli("db", "restore", cut, "--yes")
    assert result.exit_code == 1 and "nothing was changed" in result.stderr, result.stderr
    assert "Kept Co" in _names(cli)
    assert len(_names(cli)) == 31
