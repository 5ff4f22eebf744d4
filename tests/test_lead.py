import json

import pytest


def test_add_list_show_json_contract(cli):
    lid = cli.id("lead", "add", "王芳", "--company", "深圳云帆科技有限公司", "--mobile", "+86 139-2222-3333",
                 "--source", "展会", "--email", '"Wang Fang" <WF@Yunfan.cn>', "--campaign", "2026 深圳电子展")
    assert lid == 1
    rows = cli.json("lead", "list")
    assert len(rows) == 1
    r = rows[0]
    assert set(r) == {"id", "name", "company", "title", "email", "phone", "mobile", "source", "campaign", "city",
                      "region", "industry", "status", "disqualify_reason", "owner", "external_id", "notes",
                      "custom", "converted_customer_id", "converted_contact_id", "converted_opportunity_id",
                      "converted_at", "import_batch_id", "created_at", "updated_at"}
    assert r["source"] == "trade-show" and r["email"] == "wf@yunfan.cn" and r["status"] == "new"
    assert r["owner"] == "tester"
    shown = cli.json("lead", "show", "王芳")
    assert shown["id"] == 1 and shown["possible_duplicates"] == []


def test_plain_list_and_filters(cli):
    cli("lead", "add", "A", "--source", "web", ok=True)
    cli("lead", "add", "B", "--source", "referral", "--status", "working", ok=True)
    assert cli("lead", "list", ok=True).stdout == ("1\tA\t\tnew\tweb\t\t\t\ttester\n"
                                                   "2\tB\t\tworking\treferral\t\t\t\ttester\n")
    assert [r["name"] for r in cli.json("lead", "list", "--source", "Referral")] == ["B"]
    assert [r["name"] for r in cli.json("lead", "list", "--status", "new")] == ["A"]
    r = cli("lead", "list", "--status", "bogus")
    assert r.exit_code == 2


@pytest.mark.parametrize("flag,value,why", [
    ("--mobile", "13922223333", "phone"),
    ("--phone", "+86 139 2222 3333", "phone"),
    ("--email", " WF@yunfan.cn ", "email"),
])
def test_duplicate_against_leads(cli, flag, value, why):
    cli("lead", "add", "王芳", "--mobile", "+86 139-2222-3333", "--email", "wf@yunfan.cn", ok=True)
    r = cli("lead", "add", "Other", flag, value)
    assert r.exit_code == 4
    assert f"lead 1 '王芳' has the same {why}" in r.stderr
    cli("lead", "add", "Other", flag, value, "--force", ok=True)


def test_duplicate_against_contact_and_customer(cli):
    cli("customer", "add", "华强电子", "--phone", "0755-2345 6789", ok=True)
    cli("contact", "add", "周总", "--customer", "华强电子", "--mobile", "138 0013 8000", ok=True)
    r = cli("lead", "add", "Zhou", "--mobile", "+8613800138000")
    assert r.exit_code == 4 and "contact 1 '周总' has the same phone" in r.stderr
    r = cli("lead", "add", "Someone", "--phone", "075523456789")
    assert r.exit_code == 4 and "customer 1 '华强电子' has the same phone" in r.stderr
    r = cli("lead", "add", "New Person", "--company", "华强电子有限公司", ok=True)
    assert "customer 1 '华强电子' has the same company name" in r.stderr


def test_same_name_same_company_is_duplicate(cli):
    cli("lead", "add", "Jane Doe", "--company", "ACME Ltd.", ok=True)
    r = cli("lead", "add", "jane doe", "--company", "Acme")
    assert r.exit_code == 4 and "same name and company" in r.stderr
    cli("lead", "add", "John Doe", "--company", "Acme", ok=True)


def test_bad_input(cli):
    r = cli("lead", "add", "X", "--email", "nope")
    assert r.exit_code == 2 and "not an email address" in r.stderr
    r = cli("lead", "add", "X", "--source", "carrier pigeon")
    assert r.exit_code == 2 and "--source must be one of web, referral" in r.stderr
    r = cli("lead", "add")
    assert r.exit_code == 2 and "missing NAME" in r.stderr
    r = cli("lead", "add", "X", "--status", "converted")
    assert r.exit_code == 2
    assert cli.json("lead", "list") == []


def test_edit_and_delete(cli):
    cli("lead", "add", "A", "--mobile", "13800000001", ok=True)
    cli("lead", "add", "B", "--mobile", "13800000002", ok=True)
    r = cli("lead", "edit", "B", "--mobile", "138 0000 0001")
    assert r.exit_code == 4 and "lead 1 'A' has the same phone" in r.stderr
    cli("lead", "edit", "B", "--title", "CTO", "--source", "web", ok=True)
    assert cli.json("lead", "show", "2")["title"] == "CTO"
    r = cli("lead", "delete", "2")
    assert r.exit_code == 2 and "--yes" in r.stderr
    cli("lead", "delete", "2", "--yes", ok=True)
    assert [r["id"] for r in cli.json("lead", "list")] == [1]
    cli("trash", "restore", "lead", "2", ok=True)
    assert [r["id"] for r in cli.json("lead", "list")] == [1, 2]


def test_assign_and_round_robin(cli):
    for h in ("alice", "bob", "carol"):
        cli("user", "add", h, ok=True)
    for i in range(7):
        cli("lead", "add", f"L{i}", "--campaign", "expo", ok=True)
    cli("lead", "qualify", "L6", ok=True)
    cli("lead", "disqualify", "L5", "--reason", "spam", ok=True)
    out = cli.json("lead", "assign", "--round-robin", "alice,bob,carol", "--campaign", "expo", "--status", "new")
    assert out == [{"owner": "alice", "leads": 2}, {"owner": "bob", "leads": 2}, {"owner": "carol", "leads": 1}]
    owners = [r["owner"] for r in cli.json("lead", "list")]
    assert owners == ["alice", "bob", "carol", "alice", "bob", "tester", "tester"]
    cli("lead", "assign", "L6", "--to", "carol", ok=True)
    assert cli.json("lead", "show", "L6")["owner"] == "carol"
    r = cli("lead", "assign", "--to", "bob")
    assert r.exit_code == 2 and "filter" in r.stderr


def test_qualify_disqualify_rules(cli):
    cli("lead", "add", "A", ok=True)
    r = cli("lead", "disqualify", "A")
    assert r.exit_code == 2 and "--reason" in r.stderr
    cli("lead", "disqualify", "A", "--reason", "no budget", ok=True)
    lead = cli.json("lead", "show", "A")
    assert lead["status"] == "disqualified" and lead["disqualify_reason"] == "no budget"
    r = cli("lead", "qualify", "A")
    assert r.exit_code == 4
    r = cli("lead", "convert", "A")
    assert r.exit_code == 4 and "lead 1 is disqualified; it cannot be converted" in r.stderr
    cli("lead", "reopen", "A", ok=True)
    assert cli.json("lead", "show", "A")["status"] == "working"


def test_convert_creates_customer_and_contact(cli):
    cli("lead", "add", "王芳", "--company", "云帆科技", "--title", "采购经理", "--mobile", "13922223333",
        "--email", "wf@yunfan.cn", "--industry", "电子", "--region", "深圳", ok=True)
    out = cli.json("lead", "convert", "1")
    assert out == {"lead_id": 1, "customer_id": 1, "customer": "云帆科技", "customer_created": True,
                   "contact_id": 1, "contact_created": True, "opportunity_id": None}
    cust = cli.json("customer", "show", "1")
    assert cust["industry"] == "电子" and cust["region"] == "深圳"
    assert [c["name"] for c in cust["contacts"]] == ["王芳"]
    lead = cli.json("lead", "show", "1")
    assert lead["status"] == "converted" and lead["converted_customer_id"] == 1 and lead["converted_contact_id"] == 1
    assert lead["possible_duplicates"] == []
    r = cli("lead", "convert", "1")
    assert r.exit_code == 4 and "converted" in r.stderr
    assert len(cli.json("customer", "list")) == 1


def test_convert_duplicate_customer_needs_choice(cli):
    cli("customer", "add", "Acme Trading Ltd", ok=True)
    cli("lead", "add", "Jane", "--company", "ACME Trading", ok=True)
    r = cli("lead", "convert", "Jane")
    assert r.exit_code == 4
    assert "customer 1 'Acme Trading Ltd' matches this lead (company name)" in r.stderr
    assert "--customer 1" in r.stderr and "--new-customer" in r.stderr
    assert cli.json("lead", "show", "Jane")["status"] == "new"
    out = cli.json("lead", "convert", "Jane", "--customer", "1")
    assert out["customer_id"] == 1 and out["customer_created"] is False
    cli("lead", "add", "Joe", "--company", "ACME Trading", ok=True)
    out = cli.json("lead", "convert", "Joe", "--new-customer")
    assert out["customer_id"] == 2 and out["customer_created"] is True


def test_convert_with_opportunity(cli):
    cli("lead", "add", "Jane", "--company", "Acme", "--source", "web", "--campaign", "spring", ok=True)
    out = cli.json("lead", "convert", "Jane", "--opp", "Acme pilot", "--amount", "120000")
    assert out["opportunity_id"] == 1
    lead = cli.json("lead", "show", "Jane")
    assert lead["converted_opportunity_id"] == 1 and lead["status"] == "converted"
    opp = cli.json("opp", "show", "1")
    assert (opp["title"], opp["amount"], opp["currency"], opp["customer"], opp["source"], opp["campaign"],
            opp["lead_id"]) == ("Acme pilot", "120000.00", "CNY", "Acme", "web", "spring", 1)


def test_convert_bad_amount_changes_nothing(cli):
    cli("lead", "add", "Jane", "--company", "Acme", ok=True)
    r = cli("lead", "convert", "Jane", "--opp", "X", "--amount", "lots")
    assert r.exit_code == 2
    assert cli.json("customer", "list") == [] and cli.json("lead", "show", "1")["status"] == "new"


def test_through_entry_point(run):
    p = run("lead", "add", "李娜", "--company", "北京远航", "--mobile", "18600002222", "-q")
    assert p.returncode == 0 and p.stdout == "1\n" and p.stderr == ""
    p = run("lead", "add", "Other", "--mobile", "+86 186 0000 2222")
    assert p.returncode == 4 and p.stdout == ""
    assert p.stderr == "crm: error: lead 1 '李娜' has the same phone (use --force to add it anyway)\n"
    p = run("lead", "list")
    assert p.stdout == "1\t李娜\t北京远航\tnew\t\t\t18600002222\t\ttester\n"
    p = run("lead", "convert", "1", "--json")
    assert p.returncode == 0 and json.loads(p.stdout)["customer"] == "北京远航"
    p = run("lead", "convert", "1")
    assert p.returncode == 4 and p.stderr.count("\n") == 1 and "Traceback" not in p.stderr


def test_status_rules_hold_on_add_and_edit(cli):
    r = cli("lead", "add", "X", "--status", "disqualified")
    assert r.exit_code == 2 and "crm lead disqualify ID --reason" in r.stderr
    cli("lead", "add", "Ann Lee", "--company", "Acme", ok=True)
    cli("lead", "add", "Bo", "--company", "Acme", ok=True)
    cli("lead", "disqualify", "Bo", "--reason", "no budget", ok=True)
    r = cli("lead", "edit", "Bo", "--status", "working")
    assert r.exit_code == 4 and "reopen" in r.stderr
    assert cli.json("lead", "show", "Bo")["disqualify_reason"] == "no budget"
    cli("lead", "add", "Cy", "--company", "Acme", ok=True)
    r = cli("lead", "edit", "Cy", "--name", "Ann Lee")  # same person at the same company as lead 1
    assert r.exit_code == 4 and "lead 1" in r.stderr


def test_assign_by_filter_takes_open_leads_only(cli):
    cli("user", "add", "alice", ok=True)
    for name in ("A", "B", "C"):
        cli("lead", "add", name, "--campaign", "expo", ok=True)
    cli("lead", "add", "D", "--campaign", "other", ok=True)
    cli("lead", "disqualify", "B", "--reason", "spam", ok=True)
    r = cli("lead", "assign", "--to", "alice", "--campaign", "expo", "--json", ok=True)
    assert r.stderr == "assigned 2 lead(s)\n"
    assert [(x["name"], x["owner"]) for x in cli.json("lead", "list")] == [
        ("A", "alice"), ("B", "tester"), ("C", "alice"), ("D", "tester")]
