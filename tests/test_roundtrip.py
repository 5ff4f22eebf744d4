"""Every export re-imports without loss: export -> a fresh database -> import -> export gives the
same file, for customers, contacts, leads and opportunities (on each backend)."""

from __future__ import annotations

import shutil
import uuid

import pytest

from conftest import _pg_admin, _pg_url_for

NOW = "2026-11-23T09:00+08:00"


@pytest.fixture
def fresh_db(template_db, tmp_path):
    """A second, empty (migrated) database on the same backend, for --db."""
    kind, where = template_db
    if kind == "sqlite":
        target = tmp_path / "fresh.db"
        shutil.copyfile(where, target)
        yield str(target)
        return
    name = f"crm_f_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{where}"')
    yield _pg_url_for(name)
    from crm_cli.core import db

    db.dispose_all()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def _export(cli, entity, path, *db):
    cli(*db, "--now", NOW, entity, "export", "-o", path, ok=True)
    return path.read_text(encoding="utf-8")


def _customers(cli):
    cli("user", "add", "alice", ok=True)
    # the subsidiary comes first, its parent later in the file
    cli("customer", "add", "华强电子", "--tier", "A", "--industry", "电子", "--phone", "+86 755 2345 6789",
        "--tag", "key-account", "--tag", "vip, east", "--owner", "alice", ok=True)
    cli("customer", "add", "华强集团", "--tag", "group", "--status", "active", ok=True)
    cli("customer", "edit", "华强电子", "--parent", "华强集团", ok=True)
    cli("customer", "add", "Acme Trading Ltd", "--credit-limit", "USD 50k", "--payment-terms", "30",
        "--set", "employees=120", "--notes", "two\nlines", ok=True)
    cli("customer", "add", "=HYPERLINK(x)", "--phone", "-12 345 678", "--credit-limit", "¥1.2万", ok=True)


def test_customers_round_trip(cli, fresh_db, tmp_path):
    _customers(cli)
    first = _export(cli, "customer", tmp_path / "a.csv")
    assert first.splitlines()[0] == ("id,name,status,tier,industry,region,phone,email,website,address,parent,"
                                     "owner,tags,payment_terms,credit_limit,currency,external_id,notes,"
                                     "custom.employees")
    # a phone number is not formula-quoted: other tools read it as it is; a formula still is
    assert first.splitlines()[1] == ('1,华强电子,prospect,A,电子,,+86 755 2345 6789,,,,华强集团,alice,'
                                     '"key-account;vip, east",,,,,,')
    assert first.splitlines()[3] == "3,Acme Trading Ltd,prospect,,,,,,,,,tester,,30,50000.00,USD,,\"two"
    assert first.splitlines()[5] == "4,'=HYPERLINK(x),prospect,,,,-12 345 678,,,,,tester,,,12000.00,CNY,,,"
    cli("--db", fresh_db, "user", "add", "alice", ok=True)
    r = cli("--db", fresh_db, "customer", "import", str(tmp_path / "a.csv"), ok=True)
    assert "created 4" in r.stderr
    assert _export(cli, "customer", tmp_path / "b.csv", "--db", fresh_db) == first
    shown = cli.json("--db", fresh_db, "customer", "show", "华强电子")
    assert shown["tags"] == ["key-account", "vip, east"]
    assert shown["parent_id"] == 2


def test_contacts_round_trip(cli, fresh_db, tmp_path):
    _customers(cli)
    cli("contact", "add", "陈工", "--customer", "华强电子", "--title", "技术总监", "--role", "technical", ok=True)
    cli("contact", "add", "周总", "--customer", "华强电子", "--title", "总经理", "--role", "decision-maker",
        "--mobile", "+86 138 0013 8000", "--birthday", "1970-05-04", "--set", "hobby=golf", ok=True)
    cli("contact", "edit", "陈工", "--reports-to", "周总", ok=True)  # the manager comes later in the file
    cli("contact", "add", "Jane", "--customer", "Acme Trading Ltd", "--email", "jane@acme.example.com", ok=True)
    customers = _export(cli, "customer", tmp_path / "customers.csv")
    first = _export(cli, "contact", tmp_path / "a.csv")
    assert first.splitlines()[:3] == [
        "id,name,customer,title,phone,mobile,email,birthday,decision_role,reports_to,external_id,notes,custom.hobby",
        "1,陈工,华强电子,技术总监,,,,,technical,周总,,,",
        "2,周总,华强电子,总经理,,+86 138 0013 8000,,1970-05-04,decision-maker,,,,golf"]
    cli("--db", fresh_db, "user", "add", "alice", ok=True)
    cli("--db", fresh_db, "customer", "import", str(tmp_path / "customers.csv"), ok=True)
    cli("--db", fresh_db, "contact", "import", str(tmp_path / "a.csv"), ok=True)
    assert _export(cli, "customer", tmp_path / "c.csv", "--db", fresh_db) == customers
    assert _export(cli, "contact", tmp_path / "b.csv", "--db", fresh_db) == first


def test_leads_round_trip(cli, fresh_db, tmp_path):
    cli("user", "add", "alice", ok=True)
    cli("lead", "add", "王芳", "--company", "深圳云帆科技", "--mobile", "+86 139 2222 3333", "--source", "展会",
        "--owner", "alice", ok=True)
    cli("lead", "add", "Tom Baker", "--company", "Baker & Sons Ltd", "--email", "tom@baker.example.com",
        "--source", "web", ok=True)
    cli("lead", "add", "Dash", "--company", "=Formula", "--phone", "0571-8888-1234", "--source", "referral",
        "--campaign", "2026 展会", ok=True)
    cli("lead", "disqualify", "Tom Baker", "--reason", "no budget", ok=True)
    cli("lead", "convert", "王芳", "--opp", "First order", "--amount", "120000", ok=True)
    first = _export(cli, "lead", tmp_path / "a.csv")
    assert len(first.splitlines()) == 4
    assert ",'=Formula," in first
    cli("--db", fresh_db, "user", "add", "alice", ok=True)
    cli("--db", fresh_db, "lead", "import", str(tmp_path / "a.csv"), ok=True)
    assert _export(cli, "lead", tmp_path / "b.csv", "--db", fresh_db) == first


def test_opportunities_round_trip(cli, fresh_db, tmp_path):
    cli("user", "add", "alice", ok=True)
    cli("customer", "add", "Acme", "--status", "active", ok=True)
    cli("--now", NOW, "opp", "add", "ERP rollout", "--customer", "Acme", "--amount", "120k",
        "--close", "2026-12-15", "--owner", "alice", ok=True)
    cli("--now", NOW, "opp", "add", "Support renewal", "--customer", "Acme", "--amount", "USD 8,000",
        "--close", "2026-12-31", ok=True)
    cli("--now", NOW, "opp", "add", "--customer", "Acme", "--amount", "5k", "--", "-Minus", ok=True)
    cli("--now", NOW, "opp", "advance", "ERP rollout", ok=True)
    cli("--now", NOW, "opp", "lose", "Support renewal", "--reason", "price", ok=True)
    _export(cli, "customer", tmp_path / "customers.csv")
    first = _export(cli, "opp", tmp_path / "a.csv")
    assert len(first.splitlines()) == 4
    cli("--db", fresh_db, "user", "add", "alice", ok=True)
    cli("--db", fresh_db, "customer", "import", str(tmp_path / "customers.csv"), ok=True)
    cli("--db", fresh_db, "--now", NOW, "opp", "import", str(tmp_path / "a.csv"), ok=True)
    assert _export(cli, "opp", tmp_path / "b.csv", "--db", fresh_db) == first


def test_a_parent_that_is_not_a_customer_stops_the_import(cli, tmp_path):
    f = tmp_path / "c.csv"
    f.write_text("name,parent,tags\n华强电子,华强集团,vip\n", encoding="utf-8")
    r = cli("customer", "import", str(f))
    assert r.exit_code == 2
    assert r.stderr.splitlines()[-1] == ("crm: error: customer '华强电子': parent: no customer '华强集团' "
                                         "(import or add the customer first) (or empty its parent column)")
    assert cli.json("customer", "list") == []


def test_tags_of_a_skipped_duplicate_are_not_added(cli, tmp_path):
    cli("customer", "add", "华强电子", "--tag", "old", ok=True)
    f = tmp_path / "c.csv"
    f.write_text("name,tags\n华强电子,new\n", encoding="utf-8")
    cli("customer", "import", str(f), ok=True)
    assert cli.json("customer", "show", "华强电子")["tags"] == ["old"]
    cli("customer", "import", str(f), "--on-duplicate", "update", ok=True)
    assert cli.json("customer", "show", "华强电子")["tags"] == ["new", "old"]
