"""Visibility by role (docs/visibility.md): a rep sees own and shared records, a manager their team's,
an admin all; a record you cannot see is "not found". On PostgreSQL the same rule holds for a user's
own database role (row-level security), checked by connecting as that role."""

import uuid

import pytest

NOW = ("--now", "2026-11-23T09:00")


@pytest.fixture
def team(cli):
    """tester (admin, the first user); alice and bob, reps in teams east and west; mia, east's manager.
    Customers: Alpha (alice's), Bravo (bob's), Home (tester's). Bob also has an opportunity at Alpha."""
    cli("user", "add", "alice", "--team", "east", ok=True)
    cli("user", "add", "bob", "--team", "west", ok=True)
    cli("user", "add", "mia", "--role", "manager", "--team", "east", ok=True)
    cli("customer", "add", "Alpha", "--owner", "alice", ok=True)                    # 1
    cli("customer", "add", "Bravo", "--owner", "bob", ok=True)                      # 2
    cli("customer", "add", "Home", ok=True)                                         # 3 tester's
    cli("opp", "add", "Alpha deal", "-c", "Alpha", "--owner", "alice", "--amount", "1000", ok=True)  # 1
    cli("opp", "add", "Bob at Alpha", "-c", "Alpha", "--owner", "bob", "--amount", "200", ok=True)   # 2
    cli("opp", "add", "Bravo deal", "-c", "Bravo", "--owner", "bob", "--amount", "30", ok=True)      # 3
    cli("opp", "add", "Home deal", "-c", "Home", "--amount", "4", ok=True)                          # 4
    cli("contact", "add", "Ann", "-c", "Alpha", ok=True)
    cli("contact", "add", "Ben", "-c", "Bravo", ok=True)
    cli("contact", "add", "Hal", "-c", "Home", ok=True)
    cli("lead", "add", "Lee", "--company", "L1", "--owner", "alice", ok=True)
    cli("lead", "add", "Lou", "--company", "L2", "--owner", "bob", ok=True)
    cli(*NOW, "activity", "add", "Call Ben", "-c", "Bravo", "--owner", "bob", "--due", "2026-11-20 10:00", ok=True)
    cli(*NOW, "activity", "add", "Call Ann", "-c", "Alpha", "--owner", "alice", "--due", "2026-11-20 11:00",
        ok=True)
    return cli


def names(cli, user, *args, key="name"):
    return sorted(r[key] for r in cli.json("--as", user, *args))


def test_rep_manager_admin_see_what_their_role_allows(team):
    cli = team
    # alice: her customer; bob: his, and Alpha through his opportunity there; mia: her team's (alice)
    assert names(cli, "alice", "customer", "list", "--owner", "all") == ["Alpha"]
    assert names(cli, "bob", "customer", "list", "--owner", "all") == ["Alpha", "Bravo"]
    assert names(cli, "mia", "customer", "list", "--owner", "all") == ["Alpha"]
    assert names(cli, "tester", "customer", "list", "--owner", "all") == ["Alpha", "Bravo", "Home"]
    # children follow the customer seen through its owner: alice sees bob's opportunity at her Alpha;
    # bob does not see alice's (he sees Alpha only through his own record there)
    assert names(cli, "alice", "opp", "list", "--owner", "all", key="title") == ["Alpha deal", "Bob at Alpha"]
    assert names(cli, "bob", "opp", "list", "--owner", "all", key="title") == ["Bob at Alpha", "Bravo deal"]
    assert names(cli, "mia", "opp", "list", "--owner", "all", key="title") == ["Alpha deal", "Bob at Alpha"]
    assert len(cli.json("opp", "list", "--owner", "all")) == 4
    # contacts go with their customer however it is seen
    assert names(cli, "alice", "contact", "list") == ["Ann"]
    assert names(cli, "bob", "contact", "list") == ["Ann", "Ben"]
    assert names(cli, "alice", "lead", "list", "--owner", "all") == ["Lee"]
    assert names(cli, "mia", "lead", "list", "--owner", "all") == ["Lee"]
    assert names(cli, "bob", "activity", "list", "--owner", "all", key="subject") == ["Call Ben"]
    # a search finds only what you see
    assert names(cli, "alice", "customer", "list", "--owner", "all", "--search", "a") == ["Alpha"]


def test_a_record_you_cannot_see_is_not_found(team):
    cli = team
    for args, message in [(("customer", "show", "Bravo"), "no customer 'Bravo'"),
                          (("customer", "show", "2"), "no customer with id 2"),
                          (("customer", "edit", "2", "--tier", "A"), "no customer with id 2"),
                          (("customer", "delete", "2", "--yes"), "no customer with id 2"),
                          (("opp", "show", "3"), "no opp with id 3"),
                          (("opp", "edit", "3", "--amount", "1"), "no opp with id 3"),
                          (("contact", "show", "Ben"), "no contact 'Ben'"),
                          (("lead", "show", "Lou"), "no lead 'Lou'"),
                          (("history", "customer", "2"), "no customer with id 2"),
                          (("opp", "add", "Mine too", "-c", "Bravo"), "no customer 'Bravo'")]:
        r = cli("--as", "alice", *args)
        assert r.exit_code == 3 and message in r.stderr, (args, r.stderr)
    # nothing changed
    bravo = cli.json("customer", "show", "2")
    assert bravo["tier"] is None and [o["title"] for o in bravo["opportunities"]] == ["Bravo deal"]
    assert cli.json("opp", "show", "3")["amount"] == "30.00"


def test_share_and_unshare_a_customer_and_what_is_under_it(team):
    cli = team
    cli("customer", "share", "Home", "--with", "alice", ok=True)
    assert cli.json("customer", "show", "Home")["shared_with"] == ["alice"]
    assert names(cli, "alice", "customer", "list", "--owner", "all") == ["Alpha", "Home"]
    assert names(cli, "alice", "opp", "list", "--owner", "all", key="title") == ["Alpha deal", "Bob at Alpha",
                                                                                  "Home deal"]
    assert names(cli, "alice", "contact", "list") == ["Ann", "Hal"]
    cli("--as", "alice", "opp", "edit", "4", "--amount", "5", ok=True)  # she may change it too
    assert cli.json("opp", "show", "4")["amount"] == "5.00"
    # sharing is for whoever sees the customer through its owner: not alice, who has it shared
    r = cli("--as", "alice", "customer", "share", "Home", "--with", "bob")
    assert r.exit_code == 1 and "only the owner of customer 3, a manager of their team or an admin" in r.stderr
    r = cli("--as", "bob", "customer", "share", "Home", "--with", "bob")
    assert r.exit_code == 3 and "no customer 'Home'" in r.stderr
    # the owner shares their own
    cli("--as", "bob", "customer", "share", "Bravo", "--with", "alice", ok=True)
    assert names(cli, "alice", "customer", "list", "--owner", "all") == ["Alpha", "Bravo", "Home"]
    r = cli("--as", "bob", "customer", "share", "Bravo", "--with", "nobody")
    assert r.exit_code == 3 and "nobody" in r.stderr
    cli("customer", "unshare", "Home", "--with", "alice", ok=True)
    cli("--as", "bob", "customer", "unshare", "Bravo", "--with", "alice", ok=True)
    assert cli.json("customer", "show", "Home")["shared_with"] == []
    assert names(cli, "alice", "customer", "list", "--owner", "all") == ["Alpha"]
    assert cli("--as", "alice", "opp", "show", "4").exit_code == 3
    hist = [(h["field"], h["old"], h["new"]) for h in cli.json("history", "customer", "3")
            if h["field"] == "shared_with"]
    assert hist == [("shared_with", None, "alice"), ("shared_with", "alice", None)]


def test_reports_remind_and_transfer_count_only_what_you_see(team):
    cli = team
    # funnel: every opportunity is in Prospecting. alice sees Alpha deal 1000 + Bob at Alpha 200 = 1200.00;
    # the admin all four: 1000 + 200 + 30 + 4 = 1234.00
    def prospecting(user):
        row = cli.json("--as", user, "report", "funnel")[0]
        return row["count"], row["amount"]

    assert prospecting("alice") == (2, "1200.00")
    assert prospecting("tester") == (4, "1234.00")
    p = cli("--as", "alice", *NOW, "remind", "--owner", "all", "--format", "json", ok=True)
    assert "Call Ann" in p.stdout and "Call Ben" not in p.stdout
    # alice moves bob's records to herself: only those she sees (his opportunity at her Alpha)
    moved = cli.json("--as", "alice", "customer", "transfer", "--from", "bob", "--to", "alice", "--yes")
    assert {m["entity"]: m["moved"] for m in moved if m["moved"]} == {"opp": 1}
    assert cli.json("opp", "show", "2")["owner"] == "alice"
    assert cli.json("customer", "show", "Bravo")["owner"] == "bob"
    assert cli.json("opp", "show", "3")["owner"] == "bob"


def test_trash_holds_only_what_you_see(team):
    cli = team
    cli("opp", "delete", "3", "--yes", ok=True)
    cli("opp", "delete", "1", "--yes", ok=True)
    assert [(t["entity"], t["id"]) for t in cli.json("--as", "alice", "trash", "list")] == [("opp", 1)]
    r = cli("--as", "alice", "trash", "restore", "opp", "3")
    assert r.exit_code == 3


def _unown(name: str) -> None:
    """No command makes a record without an owner (older data and some imports have them): SQL does."""
    from sqlalchemy import text

    from crm_cli.core import db

    with db.get_engine().begin() as conn:
        conn.execute(text("UPDATE customers SET owner_id = NULL WHERE name = :n"), {"n": name})


def test_unowned_records_are_everyones_and_one_admin_sees_all(cli):
    cli("customer", "add", "Mine", ok=True)
    cli("customer", "add", "Pool", ok=True)
    cli("opp", "add", "Pool deal", "-c", "Pool", ok=True)
    cli("contact", "add", "Pat", "-c", "Pool", ok=True)
    _unown("Pool")
    assert [c["name"] for c in cli.json("customer", "list", "--owner", "all")] == ["Mine", "Pool"]
    cli("user", "add", "alice", ok=True)
    assert [c["name"] for c in cli.json("--as", "alice", "customer", "list", "--owner", "all")] == ["Pool"]
    assert [c["name"] for c in cli.json("--as", "alice", "contact", "list")] == ["Pat"]
    # tester's opportunity at an unowned customer stays tester's
    assert cli.json("--as", "alice", "opp", "list", "--owner", "all") == []
    assert [o["title"] for o in cli.json("opp", "list", "--owner", "all")] == ["Pool deal"]


def test_db_role_needs_postgresql(cli, crm_env):
    if crm_env.get("CRM_DATABASE_URL"):
        pytest.skip("SQLite only")
    r = cli("user", "add", "alice", "--db-role")
    assert r.exit_code == 2 and r.stderr.count("\n") == 1
    assert "--db-role needs a PostgreSQL database" in r.stderr
    assert cli.json("user", "list") == []  # nothing written, not even you as the first user


# ---- PostgreSQL: the server enforces the rule for the users' own database roles ----------------------

@pytest.fixture
def roles(crm_env):
    """Unique role names (roles are cluster-wide); dropped again after the test."""
    url = crm_env.get("CRM_DATABASE_URL")
    if not url:
        pytest.skip("PostgreSQL only")
    tag = uuid.uuid4().hex[:8]
    made = {name: f"v{tag}_{name}" for name in ("alice", "bob", "mia")}
    yield made
    from sqlalchemy import create_engine

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for role in made.values():
            if conn.exec_driver_sql("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).first():
                conn.exec_driver_sql(f'DROP OWNED BY "{role}"')
                conn.exec_driver_sql(f'DROP ROLE "{role}"')
    engine.dispose()


def _as_role(crm_env, role: str, sql: str) -> list:
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(crm_env["CRM_DATABASE_URL"])
    with psycopg.connect(host=url.host or "127.0.0.1", port=url.port or 5432, dbname=url.database,
                         user=role) as conn:
        return [tuple(r) for r in conn.execute(sql).fetchall()]


def test_postgresql_roles_see_only_their_rows(cli, crm_env, roles):
    a, b, m = roles["alice"], roles["bob"], roles["mia"]
    cli("user", "add", a, "--team", "east", "--db-role", ok=True)
    cli("user", "add", b, "--team", "west", "--db-role", ok=True)
    cli("user", "add", m, "--role", "manager", "--team", "east", ok=True)
    cli("user", "edit", m, "--db-role", ok=True)
    assert {u["handle"]: u["db_role"] for u in cli.json("user", "list")} == {a: a, b: b, m: m, "tester": None}
    cli("customer", "add", "Alpha", "--owner", a, ok=True)
    cli("customer", "add", "Bravo", "--owner", b, ok=True)
    cli("customer", "add", "Home", ok=True)
    cli("opp", "add", "Bob at Alpha", "-c", "Alpha", "--owner", b, ok=True)
    cli("opp", "add", "Bravo deal", "-c", "Bravo", "--owner", b, ok=True)
    cli("contact", "add", "Ben", "-c", "Bravo", ok=True)
    cli("lead", "add", "Lee", "--owner", a, ok=True)
    customers = "SELECT name FROM customers ORDER BY name"
    assert _as_role(crm_env, a, customers) == [("Alpha",)]
    assert _as_role(crm_env, b, customers) == [("Alpha",), ("Bravo",)]
    assert _as_role(crm_env, m, customers) == [("Alpha",)]
    # the records under a customer, and rows of a record, follow the same rule
    assert _as_role(crm_env, a, "SELECT title FROM opportunities ORDER BY title") == [("Bob at Alpha",)]
    assert _as_role(crm_env, a, "SELECT name FROM contacts") == []
    assert _as_role(crm_env, b, "SELECT name FROM contacts") == [("Ben",)]
    assert _as_role(crm_env, b, "SELECT name FROM leads") == []
    assert _as_role(crm_env, m, "SELECT name FROM leads") == [("Lee",)]
    assert _as_role(crm_env, a, "SELECT count(*) FROM opportunity_stage_history") == [(1,)]
    # a share is seen by the server too
    cli("customer", "share", "Home", "--with", a, ok=True)
    assert _as_role(crm_env, a, customers) == [("Alpha",), ("Home",)]
    # read-only, and not the history of every record
    import psycopg

    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        _as_role(crm_env, a, "UPDATE customers SET name = 'x'")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        _as_role(crm_env, a, "SELECT count(*) FROM history")
    # a deactivated user's role sees nothing, not even unowned rows
    cli("user", "edit", a, "--inactive", ok=True)
    assert _as_role(crm_env, a, customers) == []
    # the crm CLI's own connection (the tables' owner) is not limited by the policies
    assert len(cli.json("customer", "list", "--owner", "all")) == 3
    # a role that exists already is refused, nothing is written
    r = cli("user", "add", "postgres", "--db-role")
    assert r.exit_code == 4 and "already exists" in r.stderr
    assert "postgres" not in [u["handle"] for u in cli.json("user", "list")]

