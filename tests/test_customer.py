import json
import sqlite3


def test_add_list_show_json_contract(cli):
    cid = cli.id("customer", "add", "华强电子", "--tier", "a", "--phone", "+86 138-0013-8000",
                 "--industry", "电子", "--credit-limit", "¥50万", "--tag", "vip")
    assert cid == 1
    rows = cli.json("customer", "list")
    assert [r["name"] for r in rows] == ["华强电子"]
    r = rows[0]
    assert set(r) == {"id", "name", "status", "tier", "industry", "region", "phone", "email", "website",
                      "address", "parent_id", "owner", "credit_limit", "currency", "payment_terms", "tags",
                      "notes", "custom", "created_at", "updated_at"}
    assert r["tier"] == "A" and r["status"] == "prospect" and r["owner"] == "tester"
    assert r["credit_limit"] == "500000.00" and r["currency"] == "CNY" and r["tags"] == ["vip"]
    shown = cli.json("customer", "show", "华强")
    assert shown["id"] == 1 and shown["contacts"] == []


def test_plain_output_when_piped(cli):
    cli("customer", "add", "Acme", "--tier", "B", ok=True)
    out = cli("customer", "list", ok=True).stdout
    assert out == "1\tAcme\tprospect\tB\t\t\t\ttester\t\n"


def test_duplicate_guard(cli):
    cli("customer", "add", "北京远航科技有限公司", "--phone", "010-6552 1234", ok=True)
    r = cli("customer", "add", "北京远航科技", ok=False)
    assert r.exit_code == 4
    assert "customer 1 '北京远航科技有限公司' already has this name" in r.stderr
    r = cli("customer", "add", "Other Name", "--phone", "+86 10 6552 1234", ok=False)
    assert "already has this phone" in r.stderr
    cli("customer", "add", "北京远航科技", "--force", ok=True)
    assert len(cli.json("customer", "list")) == 2


def test_bad_input_one_line_errors(cli):
    r = cli("customer", "add", "X", "--tier", "Z")
    assert r.exit_code == 2 and r.stderr.strip().count("\n") == 0 and "--tier" in r.stderr
    r = cli("customer", "add", "X", "--credit-limit", "lots")
    assert r.exit_code == 2 and "cannot read 'lots' as an amount" in r.stderr
    r = cli("customer", "show", "999")
    assert r.exit_code == 3 and "no customer with id 999" in r.stderr
    r = cli("customer", "list", "--format", "xml")
    assert r.exit_code == 2
    r = cli("customer", "add")
    assert r.exit_code == 2 and "missing NAME" in r.stderr
    assert cli.json("customer", "list") == []


def test_ambiguous_name(cli):
    cli("customer", "add", "Acme East", ok=True)
    cli("customer", "add", "Acme West", ok=True)
    r = cli("customer", "show", "acme")
    assert r.exit_code == 4
    assert "ambiguous" in r.stderr and "1 Acme East" in r.stderr and "2 Acme West" in r.stderr


def test_search_filters_sort_limit(cli):
    cli("customer", "add", "华强电子", "--phone", "13800138000", "--region", "深圳", "--status", "active", ok=True)
    cli("customer", "add", "Acme", "--email", "Sales@Acme.com", "--region", "Shanghai", ok=True)
    cli("customer", "add", "Zeta", "--tier", "c", ok=True)
    assert [r["name"] for r in cli.json("customer", "list", "--search", "华强")] == ["华强电子"]
    assert [r["name"] for r in cli.json("customer", "list", "--search", "+86 138 0013 8000")] == ["华强电子"]
    assert [r["name"] for r in cli.json("customer", "list", "--search", "sales@acme")] == ["Acme"]
    # 7+ digits: an indexed phone-number prefix search
    assert [r["name"] for r in cli.json("customer", "list", "--search", "138 0013")] == ["华强电子"]
    assert cli.json("customer", "list", "--search", "0013 8000") == []
    assert [r["name"] for r in cli.json("customer", "list", "--status", "active")] == ["华强电子"]
    assert [r["name"] for r in cli.json("customer", "list", "--sort", "-id", "--limit", "2")] == ["Zeta", "Acme"]
    assert [r["name"] for r in cli.json("customer", "list", "--sort", "id", "--offset", "2")] == ["Zeta"]


def test_custom_fields_typed_and_where(cli):
    cli("field", "add", "customer", "employees", "--type", "number", ok=True)
    cli("customer", "add", "Big", "--set", "employees=5000", "--set", "sector=steel", ok=True)
    cli("customer", "add", "Small", "--set", "employees=12", ok=True)
    r = cli("customer", "add", "Bad", "--set", "employees=many")
    assert r.exit_code == 2 and "not a number" in r.stderr
    assert [r["name"] for r in cli.json("customer", "list", "--where", "employees>100")] == ["Big"]
    assert [r["name"] for r in cli.json("customer", "list", "--where", "sector=steel")] == ["Big"]
    assert cli.json("customer", "show", "Big")["custom"] == {"employees": 5000, "sector": "steel"}
    csv_out = cli("customer", "list", "--format", "csv", "--sort", "id", ok=True).stdout.splitlines()
    header = csv_out[0].split(",")
    assert header[:3] == ["id", "name", "status"] and "custom.employees" in header and "custom.sector" in header
    big = dict(zip(header, csv_out[1].split(",")))
    assert big["custom.employees"] == "5000" and big["custom.sector"] == "steel"


def test_edit_history_delete_restore(cli):
    cli("customer", "add", "Acme", ok=True)
    cli("customer", "edit", "1", "--tier", "b", "--name", "Acme Corp", ok=True)
    hist = cli.json("history", "customer", "1")
    assert [h["action"] for h in hist] == ["create", "update", "update"]
    changes = {h["field"]: (h["old"], h["new"], h["user"]) for h in hist if h["action"] == "update"}
    assert changes == {"name": ("Acme", "Acme Corp", "tester"), "tier": (None, "B", "tester")}
    r = cli("customer", "delete", "1")
    assert r.exit_code == 2 and "--yes" in r.stderr
    cli("customer", "delete", "1", "--yes", ok=True)
    assert cli.json("customer", "list") == []
    assert [(t["entity"], t["id"]) for t in cli.json("trash", "list")] == [("customer", 1)]
    cli("customer", "restore", "1", ok=True)
    assert [c["name"] for c in cli.json("customer", "list")] == ["Acme Corp"]


def test_merge_moves_children_and_fills_fields(cli):
    a = cli.id("customer", "add", "Acme", "--tier", "A")
    b = cli.id("customer", "add", "ACME Trading", "--phone", "021-1234 5678", "--tag", "imported", "--force")
    sub = cli.id("customer", "add", "Acme Sub", "--parent", str(b), "--force")
    cli("contact", "add", "Jane", "--customer", str(b), ok=True)
    r = cli("customer", "merge", str(a), str(a), "--yes")
    assert r.exit_code == 2 and "into itself" in r.stderr
    cli("customer", "merge", str(a), str(b), "--yes", ok=True)
    shown = cli.json("customer", "show", str(a))
    assert shown["phone"] == "021-1234 5678" and shown["tier"] == "A" and shown["tags"] == ["imported"]
    assert [c["name"] for c in shown["contacts"]] == ["Jane"]
    assert cli.json("customer", "show", str(sub))["parent_id"] == a
    assert [(t["entity"], t["id"]) for t in cli.json("trash", "list")] == [("customer", b)]


def test_transfer(cli):
    cli("user", "add", "alice", ok=True)
    cli("user", "add", "bob", ok=True)
    for n in ("A1", "A2"):
        cli("customer", "add", n, "--owner", "alice", ok=True)
    cli("customer", "add", "B1", "--owner", "bob", ok=True)
    out = cli.json("customer", "transfer", "--from", "alice", "--to", "bob")
    assert {"entity": "customer", "moved": 2} in out
    assert {r["owner"] for r in cli.json("customer", "list")} == {"bob"}
    assert cli.json("customer", "list", "--owner", "alice") == []


def test_tree(cli):
    g = cli.id("customer", "add", "Group")
    cli("customer", "add", "Sub A", "--parent", str(g), ok=True)
    s2 = cli.id("customer", "add", "Sub B", "--parent", str(g))
    cli("customer", "add", "Sub B1", "--parent", str(s2), ok=True)
    out = cli("customer", "tree", str(s2), ok=True).stdout
    assert out == "1\tGroup\tprospect\n2\t  Sub A\tprospect\n3\t  Sub B\tprospect\n4\t    Sub B1\tprospect\n"
    r = cli("customer", "edit", str(g), "--parent", str(s2))
    assert r.exit_code == 2 and "cycle" in r.stderr


def test_subprocess_entry_point(run):
    p = run("customer", "add", "华强电子", "-q")
    assert p.returncode == 0 and p.stdout == "1\n"
    p = run("customer", "list")
    assert p.stdout.startswith("1\t华强电子\t") and p.stderr == ""
    p = run("customer", "show", "nope")
    assert p.returncode == 3 and p.stdout == "" and p.stderr.startswith("crm: error: no customer 'nope'")
    assert "Traceback" not in p.stderr


def test_delete_takes_the_customers_opportunities_to_the_trash_and_restore_brings_them_back(cli):
    cli("customer", "add", "Acme", ok=True)
    cli("contact", "add", "Zhou", "--customer", "Acme", ok=True)
    cli("opp", "add", "Deal", "--customer", "Acme", "--amount", "100", ok=True)
    r = cli("customer", "delete", "Acme", "--yes", ok=True)
    assert r.stderr == "customer 1 'Acme' and 1 contact(s), 1 opp(s) moved to the trash (crm customer restore 1)\n"
    assert cli.json("opp", "list") == [] and cli.json("contact", "list") == []
    assert sorted(t["entity"] for t in cli.json("trash", "list")) == ["contact", "customer", "opp"]
    r = cli("customer", "restore", "Acme", ok=True)
    assert r.stderr == "restored customer 1 'Acme' and 1 contact(s), 1 opp(s)\n"
    assert [o["title"] for o in cli.json("opp", "list")] == ["Deal"] and cli.json("trash", "list") == []
