"""A process killed with SIGKILL in the middle of a lead import, a customer merge, a transfer or a quote
conversion leaves a database that passes `crm db check`, with all or none of that command's changes.

Real processes: the installed `crm` runs with CRM_TEST_KILL_AT=POINT[:N] and kills itself with SIGKILL
the N-th time it reaches POINT (crm_cli/core/faults.py): inside the command (after a chunk of the
import, after moving one table's rows in a merge, after one entity of a transfer, after the order of
a conversion is written), just before the commit ("commit") and just after it ("committed").
A kill before the commit must leave every table (rows and indexes) exactly as it was, and the same
command run again afterwards does the whole job; a kill after the commit leaves all of it.

CI runs one point inside each command and the one before the import's commit; the rest are marked slow
(docs/testing.md: `pytest --run-slow tests/test_crash.py`).
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import time

import pytest

from conftest import CRM_BIN, FIXED_NOW, slow_enabled
from crmcheck import assert_sound, count, crm, dump, killed

LEADS = 50_000


@pytest.fixture(scope="session")
def leads_file(tmp_path_factory):
    """50,000 distinct leads (ten chunks of the importer's 5,000)."""
    path = tmp_path_factory.mktemp("leads") / "leads.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Name", "Company", "Email", "Phone", "Source"])
        for i in range(LEADS):
            w.writerow([f"Lead {i}", f"Company {i % 997}", f"lead{i}@crash.example.com", f"+86 138 {i:08d}", "web"])
    return str(path)


@pytest.fixture
def world(cli, crm_env, monkeypatch, tmp_path):
    """Two reps; Acme and its duplicate (contacts, activities, an opportunity, tags, a quote each);
    six more customers of alice; an accepted quote of two lines to convert."""
    monkeypatch.setenv("CRM_NOW", FIXED_NOW)
    cli("user", "add", "alice", "--role", "rep", ok=True)
    cli("user", "add", "bob", "--role", "rep", ok=True)
    cli("product", "add", "R1", "--name", "Router", "--price", "1000", "--tax", "13%", ok=True)
    for name in ("Acme", "Acme Dup"):
        cli("customer", "add", name, "--owner", "alice", ok=True)
        cli("customer", "tag", name, f"tag-{name[-3:]}", ok=True)
        for n in range(2):
            cli("contact", "add", f"{name} person {n}", "--customer", name, ok=True)
            cli("activity", "add", f"call {name} {n}", "--customer", name, "--due", "2026-12-01", "--owner",
                "alice", ok=True)
        cli("opp", "add", f"{name} deal", "--customer", name, "--amount", "5000", "--owner", "alice", ok=True)
    for n in range(6):
        cli("customer", "add", f"Alice customer {n}", "--owner", "alice", ok=True)
    qid = cli.id("quote", "new", "--customer", "Acme Dup")
    cli("quote", "add-line", qid, "--product", "R1", "--qty", "3", ok=True)
    cli("quote", "add-line", qid, "--text", "Installation", "--price", "500", ok=True)
    cli("quote", "send", qid, ok=True)
    cli("quote", "accept", qid, ok=True)
    # the restore backs the database up first; on PostgreSQL into the user data dir: keep it here
    env = dict(crm_env, CRM_NOW=FIXED_NOW, XDG_DATA_HOME=str(tmp_path / "data"))
    return env, qid


def _command(name, qid, leads_file):
    return {"import": ["lead", "import", leads_file],
            "merge": ["customer", "merge", "Acme", "Acme Dup", "--yes"],
            "transfer": ["customer", "transfer", "--from", "alice", "--to", "bob", "--yes"],
            "convert": ["quote", "convert", qid]}[name]


def _done(env, name, qid) -> None:
    """The whole of the command's change is there."""
    if name == "import":
        assert count(env, "SELECT COUNT(*) FROM leads WHERE deleted_at IS NULL") == LEADS
        assert count(env, "SELECT COUNT(*) FROM import_batches") == 1
    elif name == "merge":
        assert count(env, "SELECT COUNT(*) FROM customers WHERE name = 'Acme Dup' AND deleted_at IS NULL") == 0
        # 2 + 2 contacts, 1 + 1 opportunities and the quote are Acme's now
        assert count(env, "SELECT COUNT(*) FROM contacts c JOIN customers k ON k.id = c.customer_id "
                          "WHERE k.name = 'Acme'") == 4
        assert count(env, "SELECT COUNT(*) FROM opportunities o JOIN customers k ON k.id = o.customer_id "
                          "WHERE k.name = 'Acme'") == 2
        assert count(env, "SELECT COUNT(*) FROM quotes q JOIN customers k ON k.id = q.customer_id "
                          "WHERE k.name = 'Acme'") == 1
    elif name == "transfer":
        # alice had 8 customers, 4 activities and 2 opportunities: none is hers any more
        for table in ("customers", "activities", "opportunities"):
            assert count(env, f"SELECT COUNT(*) FROM {table} t JOIN users u ON u.id = t.owner_id "
                              "WHERE u.handle = 'alice'") == 0, table
        assert count(env, "SELECT COUNT(*) FROM customers t JOIN users u ON u.id = t.owner_id "
                          "WHERE u.handle = 'bob'") == 8
    elif name == "convert":
        assert count(env, "SELECT COUNT(*) FROM orders") == 1
        assert count(env, "SELECT COUNT(*) FROM order_lines") == 2
        assert count(env, "SELECT order_id FROM quotes WHERE id = :q", q=qid) is not None


CI = [("import", "import.chunk:3"), ("import", "commit"), ("merge", "merge.move:2"),
      ("transfer", "transfer.entity:2"), ("convert", "convert.order")]
SLOW = [("merge", "commit"), ("transfer", "commit"), ("convert", "commit"),
        ("import", "import.chunk:1"), ("import", "import.chunk:10"), ("import", "committed"),
        ("merge", "merge.move:1"), ("merge", "merge.move:4"), ("merge", "committed"),
        ("transfer", "transfer.entity:1"), ("transfer", "transfer.entity:3"), ("transfer", "committed"),
        ("convert", "committed")]


# on PostgreSQL the server rolls a dead client's transaction back: CI checks there that each command
# is one transaction (a point inside it), the rest only with --run-slow
PG_CI = [("merge", "merge.move:2"), ("transfer", "transfer.entity:2"), ("convert", "convert.order")]


@pytest.mark.parametrize("name, point", CI + [pytest.param(*c, marks=pytest.mark.slow) for c in SLOW],
                         ids=[f"{n}-{p}" for n, p in CI + SLOW])
def test_sigkill_leaves_all_or_nothing(request, world, leads_file, name, point):
    env, qid = world
    if "CRM_DATABASE_URL" in env and (name, point) not in PG_CI and not slow_enabled(request.config):
        pytest.skip("slow on PostgreSQL: run with --run-slow or CRM_SLOW=1")
    args = _command(name, qid, leads_file)
    before = dump(env)
    proc = crm(env, *args, kill_at=point)
    assert killed(proc), f"not killed at {point}: exit {proc.returncode}\n{proc.stderr}"
    assert_sound(env)
    if point == "committed":
        _done(env, name, qid)
        assert dump(env) != before
        return
    assert dump(env) == before  # nothing of it: rows and indexes as they were
    again = crm(env, *args)
    assert again.returncode == 0, again.stderr
    assert_sound(env)
    _done(env, name, qid)


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.3, 0.6, 0.9, 1.2, 1.6])
def test_import_killed_at_any_moment(world, leads_file, delay):
    """Killed from outside after `delay` seconds, wherever it is (reading, writing, committing)."""
    env, _qid = world
    proc = subprocess.Popen([CRM_BIN, "lead", "import", leads_file], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert_sound(env)
    n = count(env, "SELECT COUNT(*) FROM leads")
    batches = count(env, "SELECT COUNT(*) FROM import_batches")
    assert (n, batches) in ((0, 0), (LEADS, 1)), (n, batches)


# ---- restore ----------------------------------------------------------------------------------------

RESTORE_CI = [("file", "restore.replace"), ("dir", "load.table:3")]
RESTORE_SLOW = [("file", "restore.copy"), ("file", "restore.replaced"), ("dir", "load.table:1"),
                ("dir", "load.committed")]


@pytest.mark.parametrize("source, point", RESTORE_CI + [pytest.param(*c, marks=pytest.mark.slow)
                                                        for c in RESTORE_SLOW],
                         ids=[f"{s}-{p}" for s, p in RESTORE_CI + RESTORE_SLOW])
def test_sigkill_in_restore_leaves_old_or_new(request, world, tmp_path, source, point):
    """`crm db restore` of a backup file (SQLite: a copy renamed into place; PostgreSQL: psql in one
    transaction) or of a dump directory (one transaction), killed on the way: the database is the
    one before the restore, or the restored one, whole."""
    env, _qid = world
    if "CRM_DATABASE_URL" in env and not slow_enabled(request.config):
        pytest.skip("slow on PostgreSQL: run with --run-slow or CRM_SLOW=1")
    if source == "file":
        made = crm(env, "db", "backup", str(tmp_path / "b.db"))
        backup = str(tmp_path / "b.db")
        if "CRM_DATABASE_URL" in env and point.startswith("restore."):
            point = "restore.psql"  # the PostgreSQL restore's point before psql
    else:
        backup = str(tmp_path / "dump")
        made = crm(env, "db", "dump", backup)
    assert made.returncode == 0, made.stderr
    restored = dump(env)
    assert crm(env, "customer", "add", "After the backup").returncode == 0
    before = dump(env)
    proc = crm(env, "db", "restore", backup, "--yes", kill_at=point)
    assert killed(proc), f"not killed at {point}: exit {proc.returncode}\n{proc.stderr}"
    assert_sound(env)
    if point in ("restore.replaced", "load.committed"):
        assert dump(env) == restored
        return
    assert dump(env) == before
    again = crm(env, "db", "restore", backup, "--yes")
    assert again.returncode == 0, again.stderr
    assert_sound(env)
    assert dump(env) == restored
