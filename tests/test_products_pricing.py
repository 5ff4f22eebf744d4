"""Products and price rules through the CLI; prices worked out by hand in each test."""

import json


def _catalogue(cli):
    cli("product", "add", "HQ-1001", "--name", "工业路由器 R1", "--price", "1000", "--cost", "600", "--tax", "13%",
        "--category", "network", "--unit", "台", ok=True)
    cli("product", "add", "hq-1002", "--name", "交换机 S2", "--price", "113", "--tax", "13", "--tax-included",
        "--category", "network", ok=True)
    cli("customer", "add", "华强电子", "--tier", "A", ok=True)
    cli("customer", "add", "Acme Trading", "--tier", "B", ok=True)


def test_product_add_list_show_contract(cli):
    _catalogue(cli)
    rows = cli.json("product", "list")
    assert [(r["sku"], r["list_price"], r["tax_rate"], r["tax_included"], r["margin"], r["unit"]) for r in rows] == [
        ("HQ-1001", "1000.00", "13", False, "40.0%", "台"),   # (1000 - 600) / 1000
        ("HQ-1002", "113.00", "13", True, None, "pcs")]       # SKUs are stored upper case
    show = cli.json("product", "show", "hq-1001")
    assert set(show) >= {"id", "sku", "name", "unit", "category", "list_price", "currency", "cost", "margin",
                         "tax_rate", "tax_included", "active", "custom", "price_rules"}
    assert show["cost"] == "600.00" and show["currency"] == "CNY"


def test_duplicate_sku_and_bad_input_change_nothing(cli):
    _catalogue(cli)
    r = cli("product", "add", "HQ-1001", "--name", "Other", "--price", "5")
    assert r.exit_code == 4 and "SKU HQ-1001 is already product 1" in r.stderr
    for args, code, words in [
        (["product", "add", "X 1", "--name", "n", "--price", "1"], 2, "is not a SKU"),
        (["product", "add", "X1", "--name", "n", "--price", "-1"], 2, "negative"),
        (["product", "add", "X1", "--name", "n", "--price", "1", "--tax", "150%"], 2, "outside 0%..100%"),
        (["product", "add", "X1", "--name", "n", "--price", "1"], 0, ""),
        (["product", "show", "NOPE"], 3, "no product"),
    ]:
        r = cli(*args)
        assert r.exit_code == code, (args, r.stderr)
        assert words in r.stderr
    assert len(cli.json("product", "list")) == 3


def test_deactivate_hides_from_list(cli):
    _catalogue(cli)
    cli("product", "deactivate", "HQ-1002", ok=True)
    assert [r["sku"] for r in cli.json("product", "list")] == ["HQ-1001"]
    assert [r["sku"] for r in cli.json("product", "list", "--inactive")] == ["HQ-1002"]
    cli("product", "deactivate", "HQ-1002", "--undo", ok=True)
    assert len(cli.json("product", "list")) == 2


def test_price_rule_precedence_with_steps(cli):
    _catalogue(cli)
    cli("price", "rule", "add", "--category", "network", "--discount", "5%", ok=True)                     # 1
    cli("price", "rule", "add", "--product", "HQ-1001", "--tier", "A", "--price", "900", ok=True)         # 2
    cli("price", "rule", "add", "--product", "HQ-1001", "--customer", "华强电子", "--min-qty", "10",
        "--price", "850", ok=True)                                                                       # 3
    cli("price", "rule", "add", "--product", "HQ-1001", "--tier", "A", "--price", "880", "--priority", "1",
        ok=True)                                                                                         # 4
    # 12 for 华强电子: its own rule (3) reaches min qty 10 and is the most specific
    q = cli.json("price", "quote", "--product", "HQ-1001", "--customer", "华强电子", "--qty", "12")
    assert (q["rule"], q["unit_price"], q["net"], q["tax"], q["total"]) == (3, "850.00", "10200.00", "1326.00",
                                                                             "11526.00")  # 12 x 850; 13% tax
    assert {s["rule"]: (s["outcome"], s["step"]) for s in q["steps"]} == {
        3: ("applied", None), 1: ("eliminated", "customer"), 2: ("eliminated", "customer"),
        4: ("eliminated", "customer")}
    # 2 for 华强电子: rule 3 needs 10; tier rules 2 and 4 tie until priority: 4 wins
    q = cli.json("price", "quote", "--product", "HQ-1001", "--customer", "华强电子", "--qty", "2")
    assert (q["rule"], q["unit_price"], q["total"]) == (4, "880.00", "1988.80")  # 1760 + 228.80
    steps = {s["rule"]: (s["outcome"], s["step"], s["reason"]) for s in q["steps"]}
    assert steps[2][:2] == ("eliminated", "priority") and steps[3] == ("does not apply", None,
                                                                      "needs qty 10 or more")
    # a tier-B customer gets the category discount: 2 x 1000 less 5% = 1900; tax 247
    q = cli.json("price", "quote", "--product", "HQ-1001", "--customer", "Acme Trading", "--qty", "2")
    assert (q["rule"], q["unit_price"], q["discount"], q["net"], q["tax"], q["total"]) == \
        (1, "1000.00", "5", "1900.00", "247.00", "2147.00")
    # no customer: the discount for everyone, on the tax-included switch: 113 less 5% = 107.35 gross,
    # tax = 107.35 x 13 / 113 = 12.35, net 95.00
    q = cli.json("price", "quote", "--product", "HQ-1002", "--qty", "1")
    assert (q["unit_price"], q["net"], q["tax"], q["total"]) == ("113.00", "95.00", "12.35", "107.35")


def test_dated_rule_beats_undated_and_windows(cli):
    _catalogue(cli)
    cli("price", "rule", "add", "--product", "HQ-1001", "--price", "950", ok=True)
    cli("price", "rule", "add", "--product", "HQ-1001", "--price", "800", "--from", "2026-12-01", "--to",
        "2026-12-31", ok=True)
    q = cli.json("price", "quote", "--product", "HQ-1001", "--date", "2026-12-15")
    assert (q["rule"], q["unit_price"]) == (2, "800.00")
    assert {s["rule"]: s["step"] for s in q["steps"]}[1] == "date"
    q = cli.json("price", "quote", "--product", "HQ-1001", "--date", "2027-01-01")
    assert (q["rule"], q["unit_price"]) == (1, "950.00")


def test_a_rule_that_would_tie_is_refused_naming_the_first(cli):
    _catalogue(cli)
    cli("price", "rule", "add", "--product", "HQ-1001", "--tier", "A", "--price", "900", ok=True)
    r = cli("price", "rule", "add", "--product", "HQ-1001", "--tier", "A", "--discount", "3%")
    assert r.exit_code == 4 and "tie with price rule 1" in r.stderr
    # overlapping windows tie too; disjoint ones do not
    cli("price", "rule", "add", "--product", "HQ-1001", "--price", "1", "--from", "2027-01-01", "--to",
        "2027-01-31", ok=True)
    assert cli("price", "rule", "add", "--product", "HQ-1001", "--price", "2", "--from", "2027-01-31").exit_code == 4
    cli("price", "rule", "add", "--product", "HQ-1001", "--price", "2", "--from", "2027-02-01", ok=True)
    assert [r["id"] for r in cli.json("price", "rule", "list")] == [1, 2, 3]
    for args, words in [(["--product", "HQ-1001"], "either --price or --discount"),
                        (["--product", "HQ-1001", "--price", "1", "--discount", "1"], "either --price or"),
                        (["--category", "x", "--product", "HQ-1001", "--price", "1"], "not both"),
                        (["--price", "1", "--from", "2027-02-01", "--to", "2027-01-01"], "before --from")]:
        r = cli("price", "rule", "add", *args)
        assert r.exit_code == 2 and words in r.stderr, (args, r.stderr)


def test_rule_edit_and_delete(cli):
    _catalogue(cli)
    cli("price", "rule", "add", "--product", "HQ-1001", "--price", "900", ok=True)
    cli("price", "rule", "edit", "1", "--discount", "10%", ok=True)
    rec = cli.json("price", "rule", "show", "1")
    assert (rec["price"], rec["discount"], rec["product"]) == (None, "10", "HQ-1001")
    assert cli("price", "rule", "delete", "1").exit_code == 2  # needs --yes off a TTY
    cli("price", "rule", "delete", "1", "--yes", ok=True)
    assert cli.json("price", "rule", "list") == []
    q = cli.json("price", "quote", "--product", "HQ-1001")
    assert (q["rule"], q["unit_price"]) == (None, "1000.00")


def test_product_export_reimports_into_a_fresh_database(cli, run, tmp_path):
    _catalogue(cli)
    out = cli("product", "export", ok=True).stdout
    assert out.splitlines()[1] == "1,HQ-1001,工业路由器 R1,台,network,1000.00,CNY,600.00,13,false,true,,"
    path = tmp_path / "p.csv"
    path.write_text(out, encoding="utf-8")
    fresh = tmp_path / "fresh.db"
    env = {"CRM_DB": str(fresh), "CRM_DATABASE_URL": ""}
    assert run("product", "import", str(path), env=env).returncode == 0
    again = run("product", "import", str(path), "--format", "json", env=env)
    assert json.loads(again.stdout)["skipped"] == 2  # idempotent by SKU
    assert run("product", "export", env=env).stdout == out
