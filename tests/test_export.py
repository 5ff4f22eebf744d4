import csv
import io
import json


def test_lead_export_csv_json_jsonl(cli):
    cli("lead", "add", "王芳", "--company", "云帆", "--mobile", "+86 139 2222 3333", "--source", "web",
        "--set", "tier=gold", ok=True)
    cli("lead", "add", "Bob", "--company", "=HYPERLINK()", "--source", "list", ok=True)
    out = cli("lead", "export", ok=True).stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0])[:3] == ["id", "name", "company"] and "custom.tier" in rows[0]
    assert rows[0]["mobile"] == "+86 139 2222 3333" and rows[1]["company"] == "'=HYPERLINK()"
    data = json.loads(cli("lead", "export", "--format", "json", ok=True).stdout)
    assert [d["name"] for d in data] == ["王芳", "Bob"] and data[0]["custom"] == {"tier": "gold"}
    lines = cli("lead", "export", "--format", "jsonl", "--source", "list", ok=True).stdout.splitlines()
    assert [json.loads(x)["name"] for x in lines] == ["Bob"]
    r = cli("lead", "export", "--tier", "A")
    assert r.exit_code == 2


def _strip(records):
    drop = {"id", "created_at", "updated_at", "import_batch_id", "converted_at"}
    return [{k: v for k, v in r.items() if k not in drop} for r in records]


def test_lead_round_trip_into_a_fresh_database(cli, tmp_path, monkeypatch):
    from crm_cli.core import db

    cli("user", "add", "alice", ok=True)
    cli("lead", "add", "王芳", "--company", "深圳云帆科技有限公司", "--title", "采购经理", "--mobile", "+86 139 2222 3333",
        "--email", "wf@yf.cn", "--source", "trade-show", "--campaign", "展会 2026", "--city", "深圳",
        "--region", "广东", "--industry", "电子", "--notes", "line1\nline2, \"quoted\"", "--owner", "alice",
        "--external-id", "ext-1", "--set", "tier=gold", ok=True)
    cli("lead", "add", "Bob", "--phone", "-5551234", "--source", "web", "--status", "working", ok=True)
    cli("lead", "add", "Carol", "--source", "web", ok=True)
    cli("lead", "disqualify", "Carol", "--reason", "no budget", ok=True)
    cli("lead", "add", "Dan", "--company", "Dan Co", "--source", "referral", ok=True)
    cli("lead", "convert", "Dan", "--new-customer", ok=True)
    before = cli.json("lead", "list")
    f = tmp_path / "leads.csv"
    cli("lead", "export", "--output", str(f), ok=True)
    # a second, empty database: import is the first command there (you are registered by it)
    db.dispose_all()
    monkeypatch.setenv("CRM_DB", str(tmp_path / "fresh.db"))
    cli("user", "add", "alice", ok=True)
    out = json.loads(cli("lead", "import", str(f), "--json", ok=True).stdout)
    assert (out["created"], out["updated"], out["rejected"]) == (4, 0, 0)
    after = sorted(cli.json("lead", "list"), key=lambda r: r["name"])
    drop = {"converted_customer_id", "converted_contact_id"}  # the customer it became is not in the file
    assert [{k: v for k, v in r.items() if k not in drop} for r in _strip(after)] == \
        [{k: v for k, v in r.items() if k not in drop} for r in _strip(sorted(before, key=lambda r: r["name"]))]
    assert [(r["name"], r["status"], r["owner"]) for r in after] == [
        ("Bob", "working", "tester"), ("Carol", "disqualified", "tester"), ("Dan", "converted", "tester"),
        ("王芳", "new", "alice")]
    db.dispose_all()


def test_customer_and_contact_round_trip(cli, tmp_path):
    cli("customer", "add", "华强电子", "--tier", "A", "--industry", "电子", "--region", "深圳",
        "--phone", "0755-2345 6789", "--credit-limit", "¥50万", ok=True)
    cli("contact", "add", "周总", "--customer", "华强电子", "--mobile", "13800138000", "--title", "总经理",
        "--role", "decision-maker", "--birthday", "1970-05-01", ok=True)
    cust = tmp_path / "c.csv"
    cont = tmp_path / "ct.csv"
    cli("customer", "export", "-o", str(cust), ok=True)
    cli("contact", "export", "-o", str(cont), ok=True)
    before_c, before_ct = cli.json("customer", "list"), cli.json("contact", "list")
    cli("customer", "delete", "1", "--yes", ok=True)
    cli("customer", "import", str(cust), ok=True)
    cli("contact", "import", str(cont), ok=True)
    after_c, after_ct = cli.json("customer", "list"), cli.json("contact", "list")
    strip = {"id", "created_at", "updated_at", "customer_id"}
    assert [{k: v for k, v in r.items() if k not in strip} for r in after_c] == \
        [{k: v for k, v in r.items() if k not in strip} for r in before_c]
    assert [{k: v for k, v in r.items() if k not in strip} for r in after_ct] == \
        [{k: v for k, v in r.items() if k not in strip} for r in before_ct]


def test_export_through_entry_point(run):
    run("lead", "add", "A", "--email", "a@x.cn", check=True)
    p = run("lead", "export", "--format", "jsonl")
    assert p.returncode == 0 and json.loads(p.stdout)["email"] == "a@x.cn"
    assert p.stderr == "exported 1 leads\n"
