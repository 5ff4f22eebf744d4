"""Commands not covered elsewhere: each through the CLI, checking what a user would see."""

import csv
import io
import json


def test_customer_tag_untag_assign(cli):
    cli("user", "add", "alice", ok=True)
    cli("customer", "add", "Acme", ok=True)
    cli("customer", "add", "Beta", ok=True)
    r = cli("customer", "tag", "Acme", "vip", "华东", ok=True)
    assert r.stderr == "customer 1: tagged vip, 华东\n"
    assert cli.json("customer", "show", "Acme")["tags"] == ["vip", "华东"]
    assert [c["name"] for c in cli.json("customer", "list", "--tag", "华东")] == ["Acme"]
    cli("customer", "untag", "Acme", "vip", ok=True)
    assert cli.json("customer", "show", "Acme")["tags"] == ["华东"]
    cli("customer", "assign", "Acme", "Beta", "--to", "alice", ok=True)
    assert {c["owner"] for c in cli.json("customer", "list")} == {"alice"}
    hist = cli.json("history", "customer", "1")
    assert ("tags", None, "vip") in [(h["field"], h["old"], h["new"]) for h in hist]
    assert any(h["field"] == "owner_id" for h in hist)
    r = cli("customer", "assign", "Acme", "--to", "nobody")
    assert r.exit_code == 3


def test_user_edit_and_field_list(cli):
    cli("user", "add", "alice", ok=True)
    cli("user", "edit", "alice", "--role", "manager", "--team", "east", "--email", "Alice@Example.com", ok=True)
    u = cli.json("user", "list")[0]
    assert (u["role"], u["team"], u["email"]) == ("manager", "east", "alice@example.com")
    r = cli("user", "edit", "alice", "--role", "boss")
    assert r.exit_code == 2 and "--role must be one of rep, manager, admin" in r.stderr
    cli("field", "add", "customer", "employees", "--type", "number", ok=True)
    cli("field", "add", "lead", "budget_ok", "--type", "bool", ok=True)
    assert cli.json("field", "list") == [
        {"entity": "customer", "key": "employees", "type": "number", "label": None},
        {"entity": "lead", "key": "budget_ok", "type": "bool", "label": None}]
    r = cli("field", "add", "planet", "x")
    assert r.exit_code == 2 and "unknown entity 'planet'" in r.stderr


def test_config_path_and_unset(cli, crm_env):
    assert cli("config", "path", ok=True).stdout == crm_env["CRM_CONFIG"] + "\n"
    cli("config", "set", "default_pipeline", "Sales", ok=True)
    assert cli("config", "get", "default_pipeline", ok=True).stdout == "Sales\n"
    cli("config", "unset", "default_pipeline", ok=True)
    assert cli("config", "get", "default_pipeline", ok=True).stdout == ""


def test_demo_loads_sample_data_into_its_own_database(run, tmp_path, crm_env):
    env = {k: v for k, v in crm_env.items()}
    env.pop("CRM_DB", None)
    env.pop("CRM_DATABASE_URL", None)
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    import subprocess

    from conftest import CRM_BIN

    p = subprocess.run([CRM_BIN, "demo"], capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 0, p.stderr
    demo_db = tmp_path / "data" / "crm" / "demo.db"
    assert f"demo data loaded into {demo_db}" in p.stderr and "Traceback" not in p.stderr
    for title in ("== Customers ==", "== Org chart of 华强电子 ==", "== Leads ==", "== Funnel ==",
                  "== Orders ==", "== Receivables ==", "== Agenda ==", "== Reminders =="):
        assert title in p.stdout
    # 12 routers at 950 + 13% = 12,882.00; 40 cables at 2.375 = 95.00 + 12.35 = 107.35; 5,000 paid
    assert "SO-" in p.stdout and "\tconfirmed\tpartly delivered\tpartly paid\t12989.35\t7989.35\t" in p.stdout
    assert "华强电子\tactive\tA" in p.stdout
    # the demo database is usable, and running the demo again starts fresh
    p = subprocess.run([CRM_BIN, "--db", str(demo_db), "customer", "list", "--json"], capture_output=True,
                       text=True, env=env)
    assert len(json.loads(p.stdout)) == 6
    p = subprocess.run([CRM_BIN, "demo"], capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 0
    p = subprocess.run([CRM_BIN, "--db", str(demo_db), "customer", "list", "--json"], capture_output=True,
                       text=True, env=env)
    assert len(json.loads(p.stdout)) == 6


def test_opp_edit_and_export(cli):
    cli("customer", "add", "Acme", ok=True)
    cli("opp", "add", "ERP", "--customer", "Acme", "--amount", "100k", ok=True)
    cli("opp", "edit", "1", "--title", "ERP rollout", "--amount", "120,000", "--probability", "35", ok=True)
    o = cli.json("opp", "show", "1")
    assert (o["title"], o["amount"], o["probability"]) == ("ERP rollout", "120000.00", 35)
    out = cli("opp", "export", ok=True).stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 1 and rows[0]["title"] == "ERP rollout" and rows[0]["amount"] == "120000.00"
    jl = cli("opp", "export", "--format", "jsonl", ok=True).stdout.splitlines()
    assert json.loads(jl[0])["customer"] == "Acme"


def test_pipeline_and_competitor_edit(cli):
    cli("pipeline", "edit", "Sales", "--name", "New business", "--description", "first orders", ok=True)
    p = cli.json("pipeline", "show", "New business")
    assert p["name"] == "New business" and p["description"] == "first orders"
    assert cli("pipeline", "show", "Sales").exit_code == 3
    cli("competitor", "add", "Rival", ok=True)
    cli("competitor", "edit", "Rival", "--strengths", "cheap", "--weaknesses", "slow support", ok=True)
    c = cli.json("competitor", "show", "Rival")
    assert (c["strengths"], c["weaknesses"]) == ("cheap", "slow support")


def test_out_of_range_numbers_and_bad_links_are_one_line_errors(cli):
    cli("customer", "add", "Acme", ok=True)
    for args in (["customer", "list", "--limit", "99999999999999999999"],
                 ["history", "opp", "99999999999999999999"],
                 ["opp", "list", "--stale", "99999999999d"],
                 ["activity", "add", "X", "--duration", "99999999999999999999min"]):
        r = cli(*args)
        assert r.exit_code == 2 and r.stderr == "crm: error: a number is out of range (too large); use a smaller value\n"
    r = cli("opp", "add", "X", "--customer", "Acme", "--lead", "999")
    assert r.exit_code == 3 and "no lead with id 999" in r.stderr
    r = cli("opp", "add", "X", "--customer", "Acme", "--currency", "元宝")
    assert r.exit_code == 2 and "not an ISO 4217 currency code" in r.stderr
    assert cli.json("opp", "list") == [] and cli.json("activity", "list") == []


def test_field_list_one_entity_and_plain(cli):
    cli("field", "add", "lead", "budget_ok", "--type", "bool", ok=True)
    cli("field", "add", "customer", "employees", "--type", "number", "--label", "Staff", ok=True)
    cli("field", "add", "customer", "founded", "--type", "date", ok=True)
    assert cli.json("field", "list", "customer") == [
        {"entity": "customer", "key": "employees", "type": "number", "label": "Staff"},
        {"entity": "customer", "key": "founded", "type": "date", "label": None}]
    r = cli("field", "list", "--format", "plain", ok=True)
    assert r.stdout == ("customer\temployees\tnumber\tStaff\n"
                        "customer\tfounded\tdate\t\n"
                        "lead\tbudget_ok\tbool\t\n")
    r = cli("field", "list", "opp", "--json", ok=True)
    assert r.stdout == "[]\n" and r.stderr == ""


def test_user_inactive_active_and_deactivate(cli):
    cli("user", "add", "alice", ok=True)
    cli("user", "add", "bob", ok=True)
    cli("user", "edit", "alice", "--inactive", ok=True)
    assert [u["handle"] for u in cli.json("user", "list")] == ["bob", "tester"]  # tester: the first user, you
    cli("user", "edit", "alice", "--active", "--name", "Alice A", ok=True)
    assert [(u["handle"], u["name"]) for u in cli.json("user", "list")] == [("alice", "Alice A"), ("bob", "bob"),
                                                                           ("tester", "tester")]
    r = cli("user", "deactivate", "bob", ok=True)
    assert r.stderr == ("deactivated user bob; move their records with "
                        "'crm customer transfer --from bob --to HANDLE'\n")
    assert [(u["handle"], u["active"]) for u in cli.json("user", "list", "--all")] == [
        ("alice", True), ("bob", False), ("tester", True)]
