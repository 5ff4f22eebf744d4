"""Rules a new user hit: empty handles, unknown acting users, databases crm must not create or
take over, trashed parents in reminders and reports, funnel with a missing rate, snooze."""

import json
import os
import sqlite3

import pytest


def owners(cli, *args):
    return [(c["name"], c["owner"]) for c in cli.json("customer", "list", "--owner", "all", *args)]


# 1. an empty handle is a usage error, everywhere a handle is taken ------------------------------

def test_transfer_from_empty_handle_is_refused_and_moves_nothing(cli):
    cli("user", "add", "bob", ok=True)
    cli("customer", "add", "Acme", ok=True)
    for args in (["--from", "", "--to", "bob"], ["--from", "  ", "--to", "bob"], ["--from", "bob", "--to", ""]):
        r = cli("customer", "transfer", *args)
        assert r.exit_code == 2, args
        assert "user handle is empty" in r.stderr and r.stderr.count("\n") == 1
    assert owners(cli) == [("Acme", "tester")]


@pytest.mark.parametrize("args", [
    ["customer", "assign", "1", "--to", ""],
    ["customer", "assign", "1", "--to", " "],
    ["customer", "add", "Other", "--owner", ""],
    ["customer", "list", "--owner", ""],
    ["opp", "edit", "1", "--owner", ""],
    ["activity", "list", "--owner", " "],
    ["agenda", "--owner", ""],
    ["remind", "--owner", ""],
    ["report", "funnel", "--owner", ""],
    ["lead", "assign", "1", "--round-robin", "bob,,tester"],
    ["lead", "assign", "1", "--round-robin", " "],
    ["lead", "edit", "1", "--owner", ""],
    ["--as", "", "customer", "add", "Other"],
    ["--as", " ", "customer", "list", "--owner", "me"],
])
def test_empty_handle_is_a_usage_error(cli, args):
    cli("user", "add", "bob", ok=True)
    cli("customer", "add", "Acme", "--owner", "bob", ok=True)
    cli("opp", "add", "Deal", "--customer", "Acme", "--amount", "100", "--owner", "bob", ok=True)
    cli("lead", "add", "Wang", "--company", "X", "--owner", "bob", ok=True)
    r = cli(*args)
    assert r.exit_code == 2, r.stderr
    assert "handle is empty" in r.stderr and r.stderr.count("\n") == 1
    assert owners(cli) == [("Acme", "bob")]
    assert [o["owner"] for o in cli.json("opp", "list", "--owner", "all")] == ["bob"]
    assert [x["owner"] for x in cli.json("lead", "list", "--owner", "all")] == ["bob"]


def test_transfer_of_more_than_five_records_needs_yes(cli, run):
    cli("user", "add", "bob", ok=True)
    for i in range(6):
        cli("customer", "add", f"C{i}", ok=True)
    p = run("customer", "transfer", "--from", "tester", "--to", "bob")
    assert p.returncode == 2 and "--yes" in p.stderr and "6 records" in p.stderr
    assert p.stderr.count("\n") == 1 and p.stdout == ""
    assert {o for _, o in owners(cli)} == {"tester"}
    assert cli.json("history", "customer", "1")[-1]["action"] == "create"  # nothing recorded either
    moved = cli.json("customer", "transfer", "--from", "tester", "--to", "bob", "--yes")
    assert {"entity": "customer", "moved": 6} in moved
    assert {o for _, o in owners(cli)} == {"bob"}


def test_transfer_of_five_records_needs_no_yes(cli):
    cli("user", "add", "bob", ok=True)
    for i in range(5):
        cli("customer", "add", f"C{i}", ok=True)
    cli("customer", "transfer", "--from", "me", "--to", "bob", ok=True)
    assert {o for _, o in owners(cli)} == {"bob"}


# 2. an unknown acting user is an error, unless the database has no users -----------------------

def test_unknown_as_is_an_error_and_creates_nobody(cli, run):
    cli("user", "add", "alice", ok=True)
    r = cli("--as", "alcie", "customer", "add", "X")
    assert r.exit_code == 3
    assert "unknown user 'alcie'" in r.stderr and "crm user add alcie" in r.stderr
    assert r.stderr.count("\n") == 1
    p = run("customer", "add", "X", env={"CRM_USER": "alcie"})
    assert p.returncode == 3 and "unknown user 'alcie'" in p.stderr
    assert run("customer", "list", "--owner", "me", env={"CRM_USER": "alcie"}).returncode == 3
    assert cli.json("customer", "list") == []
    assert [u["handle"] for u in cli.json("user", "list")] == ["alice", "tester"]


def test_unknown_as_cannot_edit_either(cli):
    cli("user", "add", "alice", ok=True)
    cli("customer", "add", "Acme", ok=True)
    r = cli("--as", "alcie", "customer", "edit", "Acme", "--tier", "A")
    assert r.exit_code == 3 and "unknown user 'alcie'" in r.stderr
    assert cli.json("customer", "show", "Acme")["tier"] is None


def test_first_user_of_a_new_database_is_created_under_the_handle_rules(cli):
    r = cli("--as", "bad handle", "customer", "add", "X")
    assert r.exit_code == 2 and "letters, digits" in r.stderr and "--as" in r.stderr
    assert cli.json("user", "list", "--all") == []
    cli("--as", "alice", "customer", "add", "X", ok=True)
    users = cli.json("--as", "alice", "user", "list")
    assert [(u["handle"], u["role"]) for u in users] == [("alice", "admin")]
    r = cli("user", "list")  # CRM_USER=tester is now unknown: an error even for a read
    assert r.exit_code == 3 and "unknown user 'tester'" in r.stderr


def test_known_as_acts_as_that_user(cli):
    cli("user", "add", "alice", ok=True)
    cli("--as", "alice", "customer", "add", "Mine", ok=True)
    assert owners(cli) == [("Mine", "alice")]
    assert cli.json("history", "customer", "1")[0]["user"] == "alice"


# 3. databases crm must not create or take over --------------------------------------------------

def test_db_in_a_missing_directory_is_not_created(cli, tmp_path):
    target = tmp_path / "typo" / "dir" / "x.db"
    r = cli("--db", str(target), "customer", "list")
    assert r.exit_code == 2 and "does not exist" in r.stderr and r.stderr.count("\n") == 1
    assert not (tmp_path / "typo").exists()


def test_default_database_directory_is_created(cli, tmp_path, monkeypatch):
    monkeypatch.delenv("CRM_DB", raising=False)
    monkeypatch.delenv("CRM_DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("HOME", str(tmp_path))
    cli("customer", "add", "Acme", ok=True)
    path = cli("db", "path", ok=True).stdout.strip()
    assert os.path.isfile(path) and path.startswith(str(tmp_path))


def test_another_applications_sqlite_file_is_refused_untouched(cli, tmp_path):
    other = tmp_path / "other-app.sqlite"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    conn.execute("INSERT INTO notes (body) VALUES ('keep me')")
    conn.commit()
    conn.close()
    before = other.read_bytes()
    for args in (["customer", "list"], ["customer", "add", "X"], ["db", "upgrade"]):
        r = cli("--db", str(other), *args)
        assert r.exit_code == 2 and "not a crm database" in r.stderr and "notes" in r.stderr
        assert r.stderr.count("\n") == 1
    assert other.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("other")) == ["other-app.sqlite"]


def test_a_file_that_is_not_sqlite_is_refused_untouched(cli, tmp_path):
    other = tmp_path / "notes.db"
    other.write_text("just text\n")
    r = cli("--db", str(other), "customer", "list")
    assert r.exit_code == 2 and "not a crm database" in r.stderr
    assert other.read_text() == "just text\n"


def test_another_applications_postgresql_database_is_refused(crm_env, cli, monkeypatch):
    if "CRM_DATABASE_URL" not in crm_env:
        pytest.skip("PostgreSQL only")
    from sqlalchemy import create_engine, inspect

    from crm_cli.core import db

    url = crm_env["CRM_DATABASE_URL"]
    engine = create_engine(url)
    with engine.begin() as conn:  # the fixture's database is crm's; make it another app's
        names = inspect(conn).get_table_names()
        conn.exec_driver_sql("DROP TABLE " + ", ".join(f'"{n}"' for n in names) + " CASCADE")
        conn.exec_driver_sql("CREATE TABLE notes (id integer PRIMARY KEY, body text)")
    db.dispose_all()
    r = cli("customer", "list")
    assert r.exit_code == 2 and "not a crm database" in r.stderr and "notes" in r.stderr
    with engine.connect() as conn:
        assert inspect(conn).get_table_names() == ["notes"]
    engine.dispose()


# 4. records of trashed parents are out of reminders, agendas and reports until restored --------

NOW = ("--now", "2026-11-23T09:00")


def _subjects(rows):
    return sorted(r["subject"] for r in rows)


def _reminded(cli):
    groups = cli.json(*NOW, "remind", "--owner", "all", "--days", "7")
    return sorted(i["subject"] for g in groups for key in ("overdue", "today", "upcoming") for i in g[key])


def test_activities_of_a_trashed_customer_are_out_until_restored(cli):
    cli("customer", "add", "Acme", ok=True)
    cli("customer", "add", "Beta", ok=True)
    act = ("activity", "add", "--due")
    cli(*NOW, *act, "2026-11-20 10:00", "Call Beta", "--customer", "Beta", ok=True)       # overdue
    cli(*NOW, *act, "today 15:00", "Visit Beta", "--customer", "Beta", ok=True)            # today
    cli(*NOW, *act, "today 16:00", "Visit Acme", "--customer", "Acme", ok=True)            # today
    everything = ["Call Beta", "Visit Acme", "Visit Beta"]
    assert _reminded(cli) == everything
    cli("customer", "delete", "Beta", "--yes", ok=True)
    assert _reminded(cli) == ["Visit Acme"]
    assert _subjects(cli.json(*NOW, "agenda", "--owner", "all")) == ["Visit Acme"]
    assert _subjects(cli.json(*NOW, "activity", "list")) == ["Visit Acme"]
    assert _subjects(cli.json(*NOW, "activity", "list", "--status", "all")) == ["Visit Acme"]
    report = cli.json(*NOW, "report", "activity")
    assert [(r["key"], r["total"], r["overdue"]) for r in report] == [("tester", 1, 0)]
    cli("trash", "restore", "customer", "2", ok=True)
    assert _reminded(cli) == everything
    assert _subjects(cli.json(*NOW, "agenda", "--owner", "all")) == everything
    report = cli.json(*NOW, "report", "activity")
    assert [(r["key"], r["total"], r["overdue"]) for r in report] == [("tester", 3, 1)]


def test_activities_of_a_trashed_lead_contact_or_opportunity_are_out(cli):
    cli("customer", "add", "Acme", ok=True)
    cli("contact", "add", "Jane", "--customer", "Acme", ok=True)
    cli("lead", "add", "Wang", "--company", "X", ok=True)
    cli("opp", "add", "Deal", "-c", "Acme", "--amount", "100", ok=True)
    act = ("activity", "add", "--due", "2026-11-20 10:00")
    cli(*NOW, *act, "About Jane", "--contact", "Jane", ok=True)
    cli(*NOW, *act, "About Wang", "--lead", "Wang", ok=True)
    cli(*NOW, *act, "About Deal", "--opp", "Deal", ok=True)
    cli(*NOW, *act, "Alone", ok=True)
    assert _reminded(cli) == ["About Deal", "About Jane", "About Wang", "Alone"]
    cli("contact", "delete", "Jane", "--yes", ok=True)
    cli("lead", "delete", "Wang", "--yes", ok=True)
    cli("opp", "delete", "Deal", "--yes", ok=True)
    assert _reminded(cli) == ["Alone"]
    assert _subjects(cli.json(*NOW, "agenda", "--owner", "all")) == ["Alone"]
    assert _subjects(cli.json(*NOW, "activity", "list", "--overdue")) == ["Alone"]
    cli("trash", "restore", "lead", "1", ok=True)
    assert _reminded(cli) == ["About Wang", "Alone"]


# 5. a currency without an exchange rate: its amounts stay apart, with a warning -----------------

def test_forecast_in_one_currency_keeps_a_currency_without_rate_apart(cli):
    cli("customer", "add", "Acme", ok=True)
    cli("opp", "add", "A", "-c", "Acme", "--amount", "1000", "--close", "2026-12-10", ok=True)
    cli("opp", "add", "B", "-c", "Acme", "--amount", "EUR 50", "--close", "2026-12-11", ok=True)
    cli("currency", "rate", "USD", "7", ok=True)
    cli("opp", "add", "C", "-c", "Acme", "--amount", "USD 10", "--close", "2026-12-12", ok=True)
    r = cli(*NOW, "report", "forecast", "--currency", "CNY", "--format", "json")
    assert r.exit_code == 0
    assert "no exchange rate to CNY for EUR: EUR 50.00 left out" in r.stderr and r.stderr.count("\n") == 1
    rows = [(x["period"], x["currency"], x["open"], x["pipeline"]) for x in json.loads(r.stdout)]
    assert rows == [("2026-12", "CNY", 2, "1070.00"), ("2026-12", "EUR", 1, "50.00")]


def test_winloss_with_a_currency_without_rate_leaves_it_out_of_the_average(cli):
    cli("customer", "add", "Acme", ok=True)
    cli("opp", "add", "A", "-c", "Acme", "--amount", "1000", ok=True)
    cli("opp", "add", "B", "-c", "Acme", "--amount", "EUR 50", ok=True)
    cli("opp", "win", "A", ok=True)
    cli("opp", "win", "B", ok=True)
    r = cli("report", "winloss", "--section", "summary", "--format", "json")
    assert r.exit_code == 0 and "no exchange rate to CNY for EUR" in r.stderr
    (s,) = json.loads(r.stdout)
    assert (s["won"], s["avg_deal"], s["unconverted"]) == (2, "1000.00", {"EUR": "50.00"})


# 6. snooze: a bare number is not a date, and never earlier than the due time ---------------------

def _due(cli, aid):
    return cli.json(*NOW, "activity", "show", str(aid))["due"]


@pytest.mark.parametrize("by", ["2", "1.5", "+2", "0"])
def test_snooze_refuses_a_bare_number(cli, by):
    aid = cli.id(*NOW, "activity", "add", "Call", "--due", "2026-11-25 10:00")
    r = cli(*NOW, "activity", "snooze", str(aid), by)
    assert r.exit_code == 2 and "bare number" in r.stderr and "+2d" in r.stderr and r.stderr.count("\n") == 1
    assert _due(cli, aid) == "2026-11-25T10:00:00+08:00"


@pytest.mark.parametrize("by", ["yesterday", "2026-11-24", "today 17:00", "2026-11-25 10:00", "--", ])
def test_snooze_never_moves_earlier(cli, by):
    aid = cli.id(*NOW, "activity", "add", "Call", "--due", "2026-11-25 10:00")
    args = ["--", "-2d"] if by == "--" else [by]
    r = cli(*NOW, "activity", "snooze", str(aid), *args)
    assert r.exit_code == 2 and "not later than" in r.stderr and "reschedule" in r.stderr
    assert r.stderr.count("\n") == 1
    assert _due(cli, aid) == "2026-11-25T10:00:00+08:00"


def test_snooze_plus_days_and_later_dates_still_work(cli):
    aid = cli.id(*NOW, "activity", "add", "Call", "--due", "2026-11-25 10:00")
    cli(*NOW, "activity", "snooze", str(aid), "+2d", ok=True)
    assert _due(cli, aid) == "2026-11-27T10:00:00+08:00"
    cli(*NOW, "activity", "snooze", str(aid), "2026-11-28 9:00", ok=True)
    assert _due(cli, aid) == "2026-11-28T09:00:00+08:00"


def test_transfer_of_more_than_five_records_asks_on_a_terminal(cli, monkeypatch):
    import questionary

    from crm_cli.core import context

    cli("user", "add", "bob", ok=True)
    for i in range(6):
        cli("customer", "add", f"C{i}", ok=True)
    asked = []

    class Answer:
        def __init__(self, value):
            self.value = value

        def ask(self):
            return self.value

        unsafe_ask = ask

    monkeypatch.setattr(context, "interactive", lambda: True)
    monkeypatch.setattr(questionary, "confirm", lambda q, default=False: asked.append(q) or Answer(False))
    r = cli("customer", "transfer", "--from", "tester", "--to", "bob")
    assert r.exit_code == 2 and "cancelled" in r.stderr
    assert {o for _, o in owners(cli)} == {"tester"}
    monkeypatch.setattr(questionary, "confirm", lambda q, default=False: asked.append(q) or Answer(True))
    cli("customer", "transfer", "--from", "tester", "--to", "bob", ok=True)
    assert asked == ["Transfer 6 records from tester to bob?"] * 2
    assert {o for _, o in owners(cli)} == {"bob"}
