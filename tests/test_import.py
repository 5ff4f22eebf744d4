import csv
import json

import pytest


def write(tmp_path, name, text, encoding="utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return str(p)


LEADS = ("First Name,Last Name,Company,Email Address,Mobile Phone,Lead Source,城市\n"
         "Jane,Doe,Acme Ltd,jane@acme.com,+86 138-0013-8000,Web,上海\n"
         "张,三,华强电子有限公司,zhang@hq.cn,13900139000,展会,深圳\n")


def test_import_maps_aliases_and_joins_names(cli, tmp_path):
    f = write(tmp_path, "leads.csv", LEADS)
    r = cli("lead", "import", f, ok=True)
    assert "created 2" in r.stderr and "(batch 1)" in r.stderr
    rows = cli.json("lead", "list")
    assert [(x["name"], x["company"], x["source"], x["city"], x["import_batch_id"]) for x in rows] == [
        ("Jane Doe", "Acme Ltd", "web", "上海", 1), ("张三", "华强电子有限公司", "trade-show", "深圳", 1)]


def test_chinese_headers_gbk_semicolon(cli, tmp_path):
    text = "姓名;公司;职位;手机;邮箱;来源;备注\n王芳;云帆科技;采购经理;13922223333;wf@yf.cn;推荐;\u3000重要客户\u3000\n"
    f = write(tmp_path, "gbk.csv", text, "gbk")
    r = cli("lead", "import", f, ok=True)
    assert "gb18030" in r.stderr and "delimiter ';'" in r.stderr
    lead = cli.json("lead", "show", "1")
    assert (lead["name"], lead["title"], lead["source"], lead["notes"]) == ("王芳", "采购经理", "referral", "重要客户")


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-32", "cp1252"])
def test_encodings_detected(cli, tmp_path, encoding):
    f = write(tmp_path, "e.csv", "Name,Company\r\nRené Müller,Café Zürich\r\n", encoding)
    cli("lead", "import", f, ok=True)
    assert cli.json("lead", "show", "1")["company"] == "Café Zürich"


def test_tab_pipe_quoted_newlines_cr_only(cli, tmp_path):
    cli("lead", "import", write(tmp_path, "t.tsv", "name\tnotes\nA\t\"line1\nline2\"\n"), ok=True)
    cli("lead", "import", write(tmp_path, "p.csv", "name|company\rB|X\r"), ok=True)
    rows = cli.json("lead", "list")
    assert rows[0]["notes"] == "line1\nline2" and (rows[1]["name"], rows[1]["company"]) == ("B", "X")


def test_dedupe_in_file_and_db_with_on_duplicate(cli, tmp_path):
    cli("contact", "add", "Zhou", "--customer", cli.id("customer", "add", "HQ"), "--email", "zhou@hq.cn", ok=True)
    text = ("name,email,phone,title\n"
            "A,a@x.cn,,\n"
            "A again,A@X.cn,,CEO\n"       # same email as line 2 (in-file)
            "Z,zhou@hq.cn,,\n"           # same email as a contact
            "B,,+86 139 0000 0001,\n"
            "B2,,13900000001,\n")       # same phone as line 5
    f = write(tmp_path, "d.csv", text)
    out = json.loads(cli("lead", "import", f, "--format", "json", ok=True).stdout)
    assert (out["read"], out["created"], out["skipped"], out["rejected"]) == (5, 2, 3, 0)
    r = cli("lead", "import", f, "--on-duplicate", "error", "--rejects", str(tmp_path / "rej.csv"))
    assert r.exit_code == 2 and "5 row(s) rejected; nothing was imported" in r.stderr
    rej = list(csv.reader(open(tmp_path / "rej.csv", encoding="utf-8")))
    assert rej[0] == ["line", "name", "email", "phone", "title", "reason"]
    assert rej[1][-1] == "duplicate: same email as lead 1 'A'"
    assert rej[3][-1] == "duplicate: same email as contact 1 'Zhou'"
    out = json.loads(cli("lead", "import", f, "--on-duplicate", "update", "--json", ok=True).stdout)
    # every row is counted once: rows applied to an existing record are "updated"
    assert (out["created"], out["updated"], out["unchanged"], out["skipped"]) == (0, 4, 0, 1)
    assert cli.json("lead", "show", "1")["title"] == "CEO"
    assert len(cli.json("lead", "list")) == 2


def test_external_id_upsert_reimport_changes_nothing(cli, tmp_path):
    text = "External ID,Name,Company\ncrm_lead_1,A,X\ncrm_lead_2,B,Y\n"
    f = write(tmp_path, "x.csv", text)
    cli("lead", "import", f, ok=True)
    out = json.loads(cli("lead", "import", f, "--json", ok=True).stdout)
    assert (out["created"], out["updated"], out["unchanged"]) == (0, 0, 2)
    f2 = write(tmp_path, "x2.csv", "External ID,Name,Company\ncrm_lead_1,A,X Corp\n")
    out = json.loads(cli("lead", "import", f2, "--json", ok=True).stdout)
    assert out["updated"] == 1
    assert cli.json("lead", "show", "1")["company"] == "X Corp"
    assert [h["action"] for h in cli.json("history", "lead", "1")] == ["create", "update"]


def test_rejects_atomic_and_allow_rejects(cli, tmp_path):
    text = "name,email,source\nA,a@x.cn,web\nB,not-an-email,web\nC,c@x.cn,pigeon\n,,\nD,d@x.cn,\n"
    f = write(tmp_path, "r.csv", text)
    r = cli("lead", "import", f)
    assert r.exit_code == 2 and cli.json("lead", "list") == [] and cli.json("import", "list") == []
    r = cli("lead", "import", f, "--allow-rejects", "--rejects", str(tmp_path / "bad.csv"), "--strict-sources",
            ok=True)
    assert "created 2" in r.stderr and "rejected 2" in r.stderr
    reasons = [row[-1] for row in csv.reader(open(tmp_path / "bad.csv", encoding="utf-8"))][1:]
    assert reasons == ["email 'not-an-email' is not an email address",
                       "source must be one of web, referral, trade-show, phone-in, campaign, list, other, "
                       "not 'pigeon'"]
    assert [x["name"] for x in cli.json("lead", "list")] == ["A", "D"]


def test_dry_run_writes_nothing(cli, tmp_path):
    out = json.loads(cli("lead", "import", write(tmp_path, "a.csv", LEADS), "--dry-run", "--json", ok=True).stdout)
    assert out["created"] == 2 and out["written"] is False and out["batch"] is None
    assert cli.json("lead", "list") == [] and cli.json("import", "list") == []


def test_map_keep_extra_defaults_and_custom(cli, tmp_path):
    cli("user", "add", "alice", ok=True)
    text = "Who,Org,Budget,Color,custom.tier\nA,X,100,red,gold\n"
    f = write(tmp_path, "m.csv", text)
    r = cli("lead", "import", f, "--map", "Who=name", "--map", "Org=company", "--source", "list",
            "--owner", "alice", "--campaign", "expo", ok=True)
    assert "columns not imported: Budget, Color" in r.stderr
    lead = cli.json("lead", "show", "1")
    assert (lead["source"], lead["owner"], lead["campaign"], lead["custom"]) == ("list", "alice", "expo",
                                                                                  {"tier": "gold"})
    cli("lead", "import", write(tmp_path, "m2.csv", "Who,Org,Budget\nB,Y,5\n"), "--map", "Who=name",
        "--map", "Org=company", "--keep-extra", ok=True)
    assert cli.json("lead", "show", "2")["custom"] == {"Budget": "5"}
    r = cli("lead", "import", f, "--map", "Nope=name")
    assert r.exit_code == 2 and "no column 'Nope'" in r.stderr


def test_ragged_rows_reported(cli, tmp_path):
    f = write(tmp_path, "g.csv", "name,company\nA,X,extra\nB\nC,Z,,\n")
    r = cli("lead", "import", f, "--allow-rejects", ok=True)
    assert "rejected line 2: 3 fields, but the header has 2" in r.stderr
    assert [x["name"] for x in cli.json("lead", "list")] == ["B", "C"]


def test_stdin(cli):
    r = cli("lead", "import", "-", input="name,email\nA,a@x.cn\n", ok=True)
    assert "stdin: imported" in r.stderr
    assert [(x["name"], x["email"]) for x in cli.json("lead", "list")] == [("A", "a@x.cn")]


def test_bad_files_clear_errors_change_nothing(cli, tmp_path):
    cases = {
        "junk.bin": (bytes(range(1, 256)) * 8 + b"\x00\x01", "looks binary"),  # no BOM, NULs
        "empty.csv": (b"", "is empty"),
        "header.csv": (b"Name,Email\n", "has a header but no rows"),
        "dup.csv": (b"Name,Email,email\nA,a@b.cn,c@d.cn\n", "the column 'email' appears twice"),
        "big.csv": (b'Name,Notes\nA,"' + b"x" * 10_000_000 + b'"\n', "a field is larger than"),
        "nofield.csv": (b"foo,bar\n1,2\n", "none of the columns is a lead field"),
    }
    for name, (data, msg) in cases.items():
        p = tmp_path / name
        p.write_bytes(data)
        r = cli("lead", "import", str(p))
        assert r.exit_code == 2, name
        assert msg in r.stderr and r.stderr.count("\n") == 1, (name, r.stderr)
    gbk = write(tmp_path, "g.csv", "姓名,公司\n王芳,云帆\n", "gbk")
    r = cli("lead", "import", gbk, "--encoding", "utf-8")
    assert r.exit_code == 2 and "not valid utf-8" in r.stderr
    r = cli("lead", "import", str(tmp_path / "missing.csv"))
    assert r.exit_code == 1 and "no such file" in r.stderr
    assert cli.json("lead", "list") == [] and cli.json("import", "list") == []


def test_import_list_and_undo(cli, tmp_path):
    cli("lead", "import", write(tmp_path, "a.csv", LEADS), ok=True)
    cli("lead", "add", "Manual", ok=True)
    batches = cli.json("import", "list")
    assert [(b["id"], b["entity"], b["created"], b["status"], b["user"]) for b in batches] == [
        (1, "lead", 2, "done", "tester")]
    assert batches[0]["file"].endswith("a.csv")
    r = cli("import", "undo", "1")
    assert r.exit_code == 2 and "--yes" in r.stderr
    cli("import", "undo", "1", "--yes", ok=True)
    assert [x["name"] for x in cli.json("lead", "list")] == ["Manual"]
    assert cli.json("import", "list")[0]["status"] == "undone"
    assert cli("import", "undo", "1", "--yes").exit_code == 4
    assert cli("import", "undo", "9", "--yes").exit_code == 3
    # re-importing after undo creates them again
    cli("lead", "import", write(tmp_path, "a.csv", LEADS), ok=True)
    assert len(cli.json("lead", "list")) == 3


def test_customer_and_contact_import(cli, tmp_path):
    cust = write(tmp_path, "c.csv", "Account Name,Phone,Industry,Website,Billing City\n"
                                    "华强电子有限公司,0755-2345 6789,电子,hq.cn,深圳\nAcme Inc,,trading,,Shanghai\n"
                                    "华强电子,,,,\n")
    out = json.loads(cli("customer", "import", cust, "--json", ok=True).stdout)
    assert (out["created"], out["skipped"]) == (2, 1)
    c = cli.json("customer", "show", "1")
    assert (c["name"], c["region"], c["industry"]) == ("华强电子有限公司", "深圳", "电子")
    ct = write(tmp_path, "ct.csv", "First Name,Last Name,Company,Email,Title\nJane,Smith,ACME,jane@acme.com,Buyer\n"
                                   "No,Body,Nowhere Ltd,no@x.cn,\n")
    r = cli("contact", "import", ct, "--allow-rejects", ok=True)
    assert "no customer 'Nowhere Ltd'" in r.stderr
    rows = cli.json("contact", "list")
    assert [(x["name"], x["customer"], x["title"]) for x in rows] == [("Jane Smith", "Acme Inc", "Buyer")]


def test_through_entry_point(run, tmp_path):
    f = write(tmp_path, "a.csv", LEADS)
    p = run("lead", "import", f, "--format", "json")
    assert p.returncode == 0
    out = json.loads(p.stdout)
    assert (out["read"], out["created"], out["batch"]) == (2, 2, 1)
    assert "imported" in p.stderr and "Traceback" not in p.stderr
    p = run("lead", "import", "-", input="")
    assert p.returncode == 2 and p.stdout == "" and p.stderr == "crm: error: stdin is empty: no header, no rows " \
                                                                "(nothing was imported)\n"


def test_unclosed_quote_is_refused_not_swallowed(cli, tmp_path):
    # the forgiving reader would read the rest of the file into one field: lines 3 and 4 lost
    f = write(tmp_path, "q.csv", 'name,company,notes\nA,X,"never closed\nB,Y,fine\nC,Z,ok\n')
    r = cli("lead", "import", f)
    assert r.exit_code == 2
    assert r.stderr == ("crm: error: q.csv: line 2: a quoted field is never closed: the rest of the file would "
                        "be read into it (close the quote, or remove it)\n").replace("q.csv", f)
    assert cli.json("lead", "list") == [] and cli.json("import", "list") == []
    # closed quotes across lines, and a doubled quote at the end of a field, are fine
    ok = write(tmp_path, "ok.csv", 'name,company,notes\nA,X,"two\nlines"\nB,Y,"says ""hi"""\n')
    cli("lead", "import", ok, ok=True)
    assert [x["notes"] for x in cli.json("lead", "list", "--sort", "id")] == ["two\nlines", 'says "hi"']


def test_import_list_filters_by_entity(cli, tmp_path):
    cli("lead", "import", write(tmp_path, "l.csv", LEADS), ok=True)
    assert [b["entity"] for b in cli.json("import", "list", "--entity", "lead")] == ["lead"]
    assert cli.json("import", "list", "--entity", "customer") == []
    r = cli("import", "list", "--entity", "planet")
    assert r.exit_code == 2 and r.stderr == "crm: error: --entity must be one of lead, customer, contact, opp, product, order, not 'planet'\n"


def test_unclosed_quote_in_a_cr_only_file_and_rejects_over_the_input(cli, tmp_path):
    f = write(tmp_path, "cr.csv", 'name,company\r"A,B\rC,D\r')
    r = cli("lead", "import", f)
    assert r.exit_code == 2 and "line 2: a quoted field is never closed" in r.stderr
    f = write(tmp_path, "r.csv", "name,email\nA,a@x.cn\n")
    r = cli("lead", "import", f, "--rejects", f)
    assert r.exit_code == 2 and "is the file being imported" in r.stderr
    assert open(f, encoding="utf-8").read() == "name,email\nA,a@x.cn\n" and cli.json("lead", "list") == []


def test_summary_lines_and_bad_map(cli, tmp_path):
    f = write(tmp_path, "s.csv", "Who,Org,Email,Color\nA,X,a@x.com,red\nB,Y,not-an-email,blue\n")
    r = cli("lead", "import", f, "--map", "Who=name", "--map", "Org=company", "--dry-run", "--allow-rejects",
            ok=True)
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert lines[0] == (f"{f}: dry run, nothing written; would have: read 2, created 1, updated 0, unchanged 0, "
                        "skipped as duplicate 0, rejected 1 [utf-8, delimiter ',']")
    assert lines[1] == "columns not imported: Color (use --keep-extra or --map)"
    assert lines[2] == "rejected line 3: Email 'not-an-email' is not an email address"
    r = cli("lead", "import", f, "--map", "Who", ok=False)
    assert r.exit_code == 2 and "--map expects 'CSV header=field', got 'Who'" in r.stderr
    assert cli.json("lead", "list") == [] and cli.json("import", "list") == []
