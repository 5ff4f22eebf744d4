"""The lead-to-cash chain through the CLI: quote, revise, accept, convert, confirm with the credit check,
deliveries, returns, instalments, payments, receivables and dunning. Every amount is worked out by
hand in the comments, never by the code under test."""

import pytest

NOW = "2026-12-01T10:00:00+08:00"


@pytest.fixture
def shop(cli, monkeypatch):
    monkeypatch.setenv("CRM_NOW", NOW)
    cli("user", "add", "tester", "--role", "admin", ok=True)
    cli("user", "add", "bob", "--role", "rep", ok=True)
    cli("user", "add", "carol", "--role", "manager", ok=True)
    cli("product", "add", "R1", "--name", "Router R1", "--price", "1000", "--tax", "13%", "--unit", "台", ok=True)
    cli("product", "add", "CABLE", "--name", "Cable", "--price", "2.50", "--tax", "13%", "--unit", "m", ok=True)
    cli("customer", "add", "华强电子", "--tier", "A", "--credit-limit", "20000", "--payment-terms", "30", ok=True)
    # bob and carol work on tester's customer (docs/visibility.md: a rep sees own and shared records)
    cli("customer", "share", "华强电子", "--with", "bob", "--with", "carol", ok=True)
    cli("price", "rule", "add", "--product", "R1", "--tier", "A", "--discount", "5%", ok=True)
    return cli


def _amounts(doc):
    return {k: doc[k] for k in ("subtotal", "discount", "tax", "total", "total_minor")}


def test_quote_lines_and_totals_to_the_cent(shop):
    cli = shop
    qid = cli.id("quote", "new", "--customer", "华强电子")
    cli("quote", "add-line", qid, "--product", "R1", "--qty", "3", ok=True)
    cli("quote", "add-line", qid, "--product", "CABLE", "--qty", "12.5", ok=True)
    cli("quote", "add-line", qid, "--text", "Installation", "--price", "500", "--tax", "6%", "--tax-included",
        ok=True)
    q = cli.json("quote", "show", qid)
    # R1: 3 x 1000 = 3000.00, less 5% (tier A rule) = 2850.00, tax 13% = 370.50, total 3220.50
    # CABLE: 12.5 x 2.50 = 31.25, tax 13% = 4.0625 -> 4.06, total 35.31
    # Installation 500 incl. 6%: tax = 500 x 0.06 / 1.06 = 28.3019 -> 28.30; net 471.70
    assert [(x["qty"], x["unit_price"], x["discount"], x["tax_rate"], x["net"], x["tax"], x["total"], x["rule"])
            for x in q["lines"]] == [
        ("3", "1000.00", "5", "13", "2850.00", "370.50", "3220.50", 1),
        ("12.5", "2.50", "0", "13", "31.25", "4.06", "35.31", None),
        ("1", "500.00", "0", "6", "471.70", "28.30", "500.00", None)]
    # subtotal = 3000 + 31.25 + 471.70 = 3502.95; discount 150.00; tax 370.50 + 4.06 + 28.30 = 402.86
    # total 3220.50 + 35.31 + 500.00 = 3755.81 (= 3502.95 - 150.00 + 402.86)
    assert _amounts(q) == {"subtotal": "3502.95", "discount": "150.00", "tax": "402.86", "total": "3755.81",
                           "total_minor": 375581}
    assert (q["number"], q["status"], q["currency"], q["valid_until"]) == ("Q-2026-0001", "draft", "CNY",
                                                                           "2026-12-31")


def test_zero_decimal_currency_quote(shop):
    cli = shop
    cli("product", "add", "JP1", "--name", "Tool", "--price", "JPY 333", "--tax", "10%", ok=True)
    qid = cli.id("quote", "new", "--customer", "华强电子", "--currency", "JPY")
    cli("quote", "add-line", qid, "--product", "JP1", "--qty", "3", "--discount", "10%", ok=True)
    q = cli.json("quote", "show", qid)
    # 3 x 333 = 999, less 10% = 899.1 -> 899; tax 10% = 89.9 -> 90; total 989
    assert (q["lines"][0]["net"], q["lines"][0]["tax"], q["total"], q["total_minor"]) == ("899", "90", "989", 989)


def test_status_machine_revise_accept_convert(shop):
    cli = shop
    oid = cli.id("opp", "add", "Router deal", "--customer", "华强电子", "--amount", "1")
    qid = cli.id("quote", "new", "--customer", "华强电子", "--opp", oid)
    assert cli("quote", "send", qid).exit_code == 2          # no lines yet
    cli("quote", "add-line", qid, "--product", "R1", "--qty", "2", ok=True)
    cli("quote", "send", qid, ok=True)
    r = cli("quote", "add-line", qid, "--product", "R1")
    assert r.exit_code == 4 and "only a draft can be changed" in r.stderr
    cli("quote", "reject", qid, "--reason", "too dear", ok=True)
    rev = cli.id("quote", "revise", qid)
    cli("quote", "edit-line", rev, "1", "--discount", "8%", ok=True)
    cli("quote", "send", rev, ok=True)
    r = cli("quote", "accept", qid)  # the old revision is superseded
    assert r.exit_code == 4 and "superseded by Q-2026-0001 rev 2" in r.stderr
    cli("quote", "accept", "Q-2026-0001", "--win-opp", ok=True)  # the number names the newest revision
    # 2 x 1000 less 8% = 1840.00; tax 239.20; total 2079.20: the opportunity is won at that amount
    opp = cli.json("opp", "show", oid)
    assert (opp["status"], opp["amount"]) == ("won", "2079.20")
    order_id = cli.id("quote", "convert", "Q-2026-0001")
    r = cli("quote", "convert", "Q-2026-0001")
    assert r.exit_code == 4 and "already converted into order SO-2026-0001" in r.stderr
    o = cli.json("order", "show", order_id)
    assert (o["number"], o["quote"], o["status"], o["total"]) == ("SO-2026-0001", "Q-2026-0001 rev 2", "draft",
                                                                  "2079.20")
    assert cli.json("quote", "show", "Q-2026-0001")["order"] == "SO-2026-0001"
    listed = cli.json("quote", "list", "--all-revisions")
    assert [(x["number"], x["revision"], x["status"]) for x in listed] == [
        ("Q-2026-0001", 2, "accepted"), ("Q-2026-0001", 1, "rejected")]


def test_expired_quote_needs_force(shop, monkeypatch):
    cli = shop
    qid = cli.id("quote", "new", "--customer", "华强电子", "--valid-until", "2026-12-10")
    cli("quote", "add-line", qid, "--product", "R1", ok=True)
    cli("quote", "send", qid, ok=True)
    monkeypatch.setenv("CRM_NOW", "2026-12-20T10:00:00+08:00")
    assert cli.json("quote", "show", qid)["status"] == "expired"
    assert [q["number"] for q in cli.json("quote", "list", "--status", "expired")] == ["Q-2026-0001"]
    r = cli("quote", "convert", qid)
    assert r.exit_code == 4 and "--force" in r.stderr
    cli("quote", "convert", qid, "--force", ok=True)


def test_discount_beyond_the_role_limit_needs_a_manager(shop):
    cli = shop
    qid = cli.id("--as", "bob", "quote", "new", "--customer", "华强电子")
    r = cli("--as", "bob", "quote", "add-line", qid, "--product", "R1", "--discount", "25%")
    assert r.exit_code == 2 and "more than the rep limit of 10%" in r.stderr
    r = cli("--as", "bob", "quote", "add-line", qid, "--product", "R1", "--discount", "25%", "--approve")
    assert r.exit_code == 2 and "only a manager or an admin" in r.stderr
    cli("--as", "carol", "quote", "add-line", qid, "--product", "R1", "--discount", "25%", "--approve", ok=True)
    q = cli.json("quote", "show", qid)
    assert (q["lines"][0]["approved_by"], q["lines"][0]["net"]) == ("carol", "750.00")
    hist = cli.json("history", "quote", qid)
    assert any("approved by carol" in (h["new"] or "") for h in hist)
    # a price set by hand below list counts too: 800 is 20% below 1000
    r = cli("--as", "bob", "quote", "add-line", qid, "--product", "R1", "--price", "800")
    assert r.exit_code == 2


def test_order_credit_delivery_return_plan_pay_receivables(shop, monkeypatch):
    cli = shop
    qid = cli.id("quote", "new", "--customer", "华强电子")
    cli("quote", "add-line", qid, "--product", "R1", "--qty", "12", ok=True)
    # 12 x 1000 less 5% = 11400.00; tax 1482.00; total 12882.00
    cli("quote", "send", qid, ok=True)
    cli("quote", "accept", qid, ok=True)
    first = cli.id("quote", "convert", qid)
    cli("order", "confirm", first, ok=True)   # balance 0 + 12882 <= 20000
    # a second order of 10 x 1000 (list price, no quote; the tier rule gives 5%): 9500 + 1235 = 10735.00
    second = cli.id("order", "new", "--customer", "华强电子")
    cli("order", "add-line", second, "--product", "R1", "--qty", "10", ok=True)
    r = cli("--as", "bob", "order", "confirm", second)
    assert r.exit_code == 4
    assert ("open balance ¥12,882.00 + this order ¥10,735.00 > credit limit ¥20,000.00") in r.stderr
    r = cli("--as", "bob", "order", "confirm", second, "--override-credit", "--reason", "CEO ok")
    assert r.exit_code == 2 and "only a manager or an admin" in r.stderr
    assert cli.json("order", "show", second)["status"] == "draft"
    cli("--as", "carol", "order", "confirm", second, "--override-credit", "--reason", "CEO ok", ok=True)
    assert "CEO ok (carol;" in cli.json("order", "show", second)["credit_override"]
    assert cli.json("customer", "show", "华强电子")["status"] == "active"  # was a prospect

    # deliveries: never more than ordered minus delivered
    cli("order", "deliver", first, "--line", "1", "--qty", "5", ok=True)
    r = cli("order", "deliver", first, "--line", "1", "--qty", "8")
    assert r.exit_code == 4 and "more than the 7 台 still to deliver" in r.stderr
    assert cli.json("order", "show", first)["delivery"] == "partly delivered"
    # return 2 of the 5 delivered: 12882.00 x 2 / 12 = 2147.00 comes off what is due
    cli("order", "return", first, "--line", "1", "--qty", "2", "--reason", "damaged", ok=True)
    r = cli("order", "return", first, "--line", "1", "--qty", "4", "--reason", "x")
    assert r.exit_code == 4 and "more than the 3 台 delivered and not returned" in r.stderr
    o = cli.json("order", "show", first)
    assert (o["returned"], o["balance"]) == ("2147.00", "10735.00")

    # plan: 10735.00 by 30/50/20: 3220.50, 5367.50, the rest 2147.00 (= 10735 x 0.2)
    plan = cli.json("order", "plan", first, "--split", "30%,50%,20%", "--due", "2026-12-15", "--every", "1m")
    assert [(p["due_on"], p["amount"]) for p in plan] == [("2026-12-15", "3220.50"), ("2027-01-15", "5367.50"),
                                                          ("2027-02-15", "2147.00")]
    # pay 5000: the first instalment in full, 1779.50 of the second
    cli("order", "pay", first, "5000", "--date", "2026-12-14", "--method", "bank", ok=True)
    r = cli("order", "pay", first, "6000")
    assert r.exit_code == 4 and "balance of order SO-2026-0001: ¥5,735.00" in r.stderr
    assert cli("order", "plan", first, "--instalments", "2", "--every", "1m").exit_code == 4  # paid already
    assert cli("order", "cancel", first, "--yes").exit_code == 4
    o = cli.json("order", "show", first)
    assert [(i["amount"], i["paid"], i["open"]) for i in o["instalments"]] == [
        ("3220.50", "3220.50", "0.00"), ("5367.50", "1779.50", "3588.00"), ("2147.00", "0.00", "2147.00")]
    assert o["payment"] == "partly paid"

    # as of 2027-02-20: #2 is 36 days overdue (31-60), #3 5 days (0-30); the second order (10735.00,
    # confirmed 2026-12-01 with 30 days' terms) fell due 2026-12-31: 51 days (31-60)
    rows = cli.json("report", "receivables", "--as-of", "2027-02-20")
    assert rows[0] == {"customer": "华强电子", "currency": "CNY", "not_due": "0.00", "d0_30": "2147.00",
                       "d31_60": "14323.00", "d61_90": "0.00", "d91_120": "0.00", "d121_plus": "0.00",
                       "balance": "16470.00", "balance_minor": 1647000}
    assert rows[-1]["customer"] == "TOTAL" and rows[-1]["balance"] == "16470.00"
    # as of 2026-12-10 the payment of 2026-12-14 had not come in: nothing was due yet
    rows = cli.json("report", "receivables", "--as-of", "2026-12-10")
    assert (rows[0]["not_due"], rows[0]["balance"]) == ("21470.00", "21470.00")  # 10735 + 10735

    # dunning in remind for the orders' owner
    monkeypatch.setenv("CRM_NOW", "2027-02-20T09:00:00+08:00")
    out = cli("remind", "--owner", "all", ok=True).stdout
    assert "SO-2026-0001 #2  ¥3,588.00 overdue 36d [华强电子]" in out
    assert "SO-2026-0002 #1  ¥10,735.00 overdue 51d [华强电子]" in out
    listed = cli.json("order", "list", "--payment", "overdue")
    assert [x["number"] for x in listed] == ["SO-2026-0002", "SO-2026-0001"]


def test_illegal_transitions_change_nothing(shop):
    cli = shop
    oid = cli.id("order", "new", "--customer", "华强电子")
    for args, code in [(["order", "add-line", oid, "--product", "R1", "--qty", "-2"], 2),
                       (["order", "add-line", oid, "--text", "x", "--price", "-5"], 2),
                       (["order", "deliver", oid], 4),            # a draft is not delivered
                       (["order", "pay", oid, "10"], 4),
                       (["order", "confirm", oid], 2)]:           # no lines
        r = cli(*args)
        assert r.exit_code == code, (args, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1
    o = cli.json("order", "show", oid)
    assert (o["status"], o["total"], o["lines"]) == ("draft", "0.00", [])
    cli("order", "cancel", oid, "--yes", ok=True)
    assert cli("order", "confirm", oid).exit_code == 4


def test_render_html_shows_chinese_and_totals(shop, monkeypatch):
    cli = shop
    monkeypatch.setenv("CRM_CONFIG", cli.env["CRM_CONFIG"])
    cli("config", "set", "company_name", "深圳云帆科技有限公司", ok=True)
    qid = cli.id("quote", "new", "--customer", "华强电子")
    cli("quote", "add-line", qid, "--product", "R1", "--qty", "2", "--text", "路由器 <R1>", ok=True)
    html = cli("quote", "render", qid, "--format", "html", ok=True).stdout
    assert '<meta charset="utf-8">' in html and "深圳云帆科技有限公司" in html
    assert "路由器 &lt;R1&gt;" in html and "¥2,147.00" in html  # 1900.00 + 247.00
    md = cli("quote", "render", qid, "--format", "markdown", ok=True).stdout
    assert "| Total | ¥2,147.00 |" in md
    text = cli("quote", "render", qid, ok=True).stdout
    assert "Valid until: 2026-12-31" in text and "Total: ¥2,147.00" in text


def test_customer_show_has_quotes_orders_and_credit(shop):
    cli = shop
    qid = cli.id("quote", "new", "--customer", "华强电子")
    cli("quote", "add-line", qid, "--product", "R1", "--qty", "2", ok=True)
    cli("quote", "send", qid, ok=True)
    cli("quote", "accept", qid, ok=True)
    order = cli.id("quote", "convert", qid)
    cli("order", "confirm", order, ok=True)
    show = cli.json("customer", "show", "华强电子")
    assert show["quotes"][0]["prices"] == "R1 2x1000.00-5%"
    assert show["orders"][0]["number"] == "SO-2026-0001"
    # 2 x 950 = 1900.00 + 247.00 tax = 2147.00 owed; headroom 20000 - 2147 = 17853.00
    assert show["credit"] == [{"balance": "2147.00", "credit_limit": "20000.00", "headroom": "17853.00",
                               "last_order": "2026-12-01"}]


def test_installed_crm_runs_the_chain(shop, run):
    shop("quote", "new", "--customer", "华强电子", ok=True)
    assert run("quote", "add-line", "Q-2026-0001", "--product", "R1", "--qty", "2").returncode == 0
    assert run("quote", "send", "Q-2026-0001").returncode == 0
    assert run("quote", "accept", "Q-2026-0001").returncode == 0
    assert run("quote", "convert", "Q-2026-0001", "-q").stdout.strip() == "1"
    assert run("order", "confirm", "SO-2026-0001").returncode == 0
    assert run("order", "deliver", "SO-2026-0001").returncode == 0
    assert run("order", "pay", "SO-2026-0001", "2147").returncode == 0
    assert run("order", "close", "SO-2026-0001").returncode == 0
    out = run("order", "list", "--format", "csv").stdout
    assert out.splitlines()[1].startswith("1,SO-2026-0001,华强电子,closed,delivered,paid,CNY,2147.00")


def test_document_numbers_are_unique_and_gapless_under_concurrency(shop, crm_env):
    import subprocess

    from conftest import CRM_BIN

    script = "; ".join([f"{CRM_BIN} quote new --customer 华强电子 -q"] * 5)
    procs = [subprocess.Popen(["sh", "-c", script], env=crm_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(4)]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    numbers = [q["number"] for q in shop.json("quote", "list")]
    assert sorted(numbers) == [f"Q-2026-{n:04d}" for n in range(1, 21)]


def test_order_export_reimports_into_a_fresh_database(shop, run, tmp_path):
    cli = shop
    oid = cli.id("order", "new", "--customer", "华强电子", "--shipping", "20")
    cli("order", "add-line", oid, "--product", "R1", "--qty", "3", ok=True)
    cli("order", "confirm", oid, ok=True)
    cli("order", "deliver", oid, "--line", "2", "--qty", "2", ok=True)
    cli("order", "return", oid, "--line", "2", "--qty", "1", "--reason", "broken", ok=True)
    cli("order", "plan", oid, "--instalments", "2", "--every", "1m", ok=True)
    cli("order", "pay", oid, "1000", ok=True)
    out = cli("order", "export", ok=True).stdout
    # shipping 20.00 (fee, no tax); 3 x 950 = 2850 + 370.50 tax = 3220.50; total 3240.50;
    # the return of 1 of 3: 3220.50 / 3 = 1073.50; due 2167.00 in two instalments of 1083.50
    assert out.splitlines()[1] == ("SO-2026-0001,华强电子,2026-12-01,CNY,confirmed,30,2026-12-01,tester,,1000.00,"
                                   "2026-12-31:1083.50;2027-01-31:1083.50,1,fee,,Shipping,1,pcs,20.00,0,0,false,0,0")
    path = tmp_path / "orders.csv"
    path.write_text(out, encoding="utf-8")
    fresh = {"CRM_DB": str(tmp_path / "fresh.db"), "CRM_DATABASE_URL": ""}
    assert run("customer", "add", "华强电子", env=fresh).returncode == 0
    assert run("product", "add", "R1", "--name", "Router R1", "--price", "1000", env=fresh).returncode == 0
    assert run("order", "import", str(path), env=fresh).returncode == 0
    assert run("order", "export", env=fresh).stdout == out
    again = run("order", "import", str(path), "--format", "json", env=fresh)
    assert '"skipped": 2' in again.stdout  # idempotent by number
    show = run("order", "show", "SO-2026-0001", "--format", "json", env=fresh).stdout
    assert '"balance": "1167.00"' in show and '"returned": "1073.50"' in show  # 3240.50 - 1073.50 - 1000
    assert run("order", "new", "--customer", "华强电子", "-q", env=fresh).stdout.strip() == "2"
    assert "SO-2026-0002" in run("order", "list", env=fresh).stdout  # the counter moved past the import


def test_filters_edits_and_deletes(shop):
    cli = shop
    a = cli.id("order", "new", "--customer", "华强电子")
    cli("order", "add-line", a, "--product", "R1", "--qty", "2", ok=True)
    cli("order", "add-line", a, "--product", "CABLE", "--qty", "10", ok=True)
    cli("order", "confirm", a, ok=True)
    b = cli.id("order", "new", "--customer", "华强电子")
    cli("order", "add-line", b, "--product", "R1", ok=True)
    cli("order", "confirm", b, ok=True)
    cli("order", "deliver", a, "--line", "1", ok=True)          # what remains of line 1 only
    cli("order", "deliver", b, ok=True)                         # everything
    assert [o["number"] for o in cli.json("order", "list", "--delivery", "partly-delivered")] == ["SO-2026-0001"]
    assert [o["number"] for o in cli.json("order", "list", "--delivery", "delivered")] == ["SO-2026-0002"]
    assert cli("order", "list", "--delivery", "lost").exit_code == 2
    # a product edit changes new lines, not the order already priced
    cli("product", "edit", "R1", "--price", "1200", "--tax", "9%", ok=True)
    p = cli.json("product", "show", "R1")
    assert (p["list_price"], p["tax_rate"]) == ("1200.00", "9")
    assert cli.json("order", "show", b)["total"] == "1073.50"   # 950 + 13% = 1073.50, as priced then
    # a draft quote goes to the trash; a converted one cannot
    q = cli.id("quote", "new", "--customer", "华强电子")
    cli("quote", "delete", q, "--yes", ok=True)
    assert cli.json("quote", "list") == []
    assert cli("quote", "show", "Q-2026-0001").exit_code == 0   # still readable by number (in the trash)


def test_document_text_is_checked_like_every_input(shop):
    cli = shop
    oid = cli.id("order", "new", "--customer", "华强电子")
    for args, words in [(["order", "add-line", oid, "--text", "Bad\x1b[31m", "--price", "1"], "--text must not contain"),
                        (["order", "add-line", oid, "--text", "x" * 301, "--price", "1"], "--text is longer than 300"),
                        (["order", "add-line", oid, "--product", "R1", "--unit", "u" * 17], "--unit is longer than 16"),
                        (["order", "new", "--customer", "华强电子", "--shipping", "-3"], "--shipping"),
                        (["quote", "new", "--customer", "华强电子", "--notes", "a\x07b"], "--notes must not contain"),
                        (["product", "add", "P9", "--name", "n\x1b", "--price", "1"], "--name must not contain"),
                        (["price", "rule", "add", "--price", "1", "--name", "y" * 201], "--name is longer than 200")]:
        r = cli(*args)
        assert r.exit_code == 2 and words in r.stderr and len(r.stderr.splitlines()) == 1, (args[:3], r.stderr)
    assert cli.json("order", "show", oid)["lines"] == [] and cli.json("quote", "list") == []
    assert len(cli.json("order", "list")) == 1 and cli.json("price", "rule", "list")[-1]["id"] == 1
