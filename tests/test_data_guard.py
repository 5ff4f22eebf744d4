"""Input guards: atomic duplicate checks, text lengths and control characters, finite numbers,
unknown --where keys, LIKE wildcards and Unicode case in searches."""

import json
import subprocess

import pytest

from conftest import CRM_BIN


# ---- 1. duplicate checks are atomic --------------------------------------------------------------

def _race(crm_env, args, rounds=3, n=4):
    """Start `n` crm processes at once, `rounds` times; [(exit codes sorted, stderrs)] per round."""
    results = []
    for i in range(rounds):
        procs = [subprocess.Popen([CRM_BIN, *[a.format(i=i) for a in args]], env=crm_env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(n)]
        outs = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
        for p in procs:
            p.stdout.close()
            p.stderr.close()
        results.append(outs)
    return results


def test_concurrent_customer_adds_create_one(cli, crm_env):
    cli("customer", "add", "Warm-up", ok=True)  # the acting user exists before the race
    for i, outs in enumerate(_race(crm_env, ["customer", "add", "RaceCo {i}"])):
        assert sorted(code for code, _ in outs) == [0, 4, 4, 4], outs
        for code, err in outs:
            if code == 4:
                assert err.startswith("crm: error: customer ") and f"'RaceCo {i}' already has this name" in err
                assert err.count("\n") == 1
    names = [r["name"] for r in cli.json("customer", "list")]
    assert names == ["RaceCo 0", "RaceCo 1", "RaceCo 2", "Warm-up"]


def test_concurrent_lead_adds_create_one(cli, crm_env):
    cli("lead", "add", "Warm Up", ok=True)
    for outs in _race(crm_env, ["lead", "add", "Racer", "--email", "same{i}@x.example.com"]):
        assert sorted(code for code, _ in outs) == [0, 4, 4, 4], outs
        for code, err in outs:
            if code == 4:
                assert "'Racer' has the same email (use --force to add it anyway)" in err
                assert err.count("\n") == 1
    emails = sorted(r["email"] for r in cli.json("lead", "list") if r["email"])
    assert emails == ["same0@x.example.com", "same1@x.example.com", "same2@x.example.com"]


def test_force_still_adds_a_deliberate_duplicate(cli):
    cli("customer", "add", "Twin", ok=True)
    assert cli("customer", "add", "Twin").exit_code == 4
    cli("customer", "add", "Twin", "--force", ok=True)
    assert [r["name"] for r in cli.json("customer", "list")] == ["Twin", "Twin"]


# ---- 2. lengths ----------------------------------------------------------------------------------

LONG = "x" * 100_000


@pytest.mark.parametrize("args, message", [
    (["customer", "add", LONG], "--name is longer than 300 characters (100000 given)"),
    (["customer", "add", "A", "--website", LONG], "--website is longer than 300 characters (100000 given)"),
    (["customer", "add", "A", "--phone", LONG], "--phone is longer than 64 characters (100000 given)"),
    (["customer", "add", "A", "--industry", "y" * 101], "--industry is longer than 100 characters (101 given)"),
    (["lead", "add", "y" * 201], "--name is longer than 200 characters (201 given)"),
    (["--as", LONG, "customer", "add", "A"], "--as is longer than 64 characters (100000 given)"),
])
def test_too_long_text_is_a_usage_error(cli, args, message):
    r = cli(*args)
    assert r.exit_code == 2
    assert r.stderr == f"crm: error: {message}\n"
    assert cli.json("customer", "list") == [] and cli.json("lead", "list") == []


def test_too_long_contact_mobile_and_opp_title(cli):
    cli("customer", "add", "Acme", ok=True)
    r = cli("contact", "add", "Bo", "-c", "Acme", "--mobile", LONG)
    assert r.exit_code == 2 and r.stderr == "crm: error: --mobile is longer than 64 characters (100000 given)\n"
    assert cli.json("contact", "list") == []
    r = cli("opp", "add", "t" * 301, "-c", "Acme")
    assert r.exit_code == 2 and "longer than 300 characters (301 given)" in r.stderr
    assert r.stderr.count("\n") == 1 and cli.json("opp", "list") == []


def test_text_at_its_limit_is_stored(cli):
    cli("customer", "add", "n" * 300, "--website", "w" * 300, ok=True)
    [row] = cli.json("customer", "list")
    assert len(row["name"]) == 300 and len(row["website"]) == 300


def test_long_custom_value_and_search(cli):
    r = cli("customer", "add", "A", "--set", "memo=" + "m" * 1001)
    assert r.exit_code == 2 and r.stderr == "crm: error: --set memo is longer than 1000 characters (1001 given)\n"
    cli("customer", "add", "A", ok=True)
    r = cli("customer", "list", "--search", LONG)
    assert r.exit_code == 2
    assert r.stderr == ("crm: error: --search is longer than 200 characters (100000 given) "
                        "(search for a shorter part of the text)\n")
    r = cli("customer", "list", "--where", "name~" + LONG)
    assert r.exit_code == 2 and "--where name~ is longer than 200 characters" in r.stderr


# ---- 3. control characters -------------------------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    (["customer", "add", "Evil\x1b[31mCo"], "--name must not contain a control character (U+001B); remove it"),
    (["customer", "add", "A", "--website", "x\x07y"], "--website must not contain a control character (U+0007)"),
    (["customer", "add", "A\nB"], "--name must not contain a line break; remove it"),
    (["customer", "add", "A", "--set", "memo=x\x9by"], "--set memo must not contain a control character (U+009B)"),
    (["--as", "bob\x1b", "customer", "add", "A"], "--as must not contain a control character (U+001B)"),
    (["lead", "add", "Li\x00"], "--name must not contain a control character (U+0000)"),
])
def test_control_characters_are_refused(cli, args, message):
    r = cli(*args)
    assert r.exit_code == 2
    assert r.stderr.startswith(f"crm: error: {message}") and r.stderr.count("\n") == 1
    assert "\x1b" not in r.stderr and "\x07" not in r.stderr
    assert cli.json("customer", "list") == [] and cli.json("lead", "list") == []


def test_notes_keep_newlines_and_tabs(cli):
    cli("customer", "add", "A", "--notes", "line one\n\tline two", ok=True)
    assert cli.json("customer", "list")[0]["notes"] == "line one\n\tline two"
    r = cli("customer", "edit", "A", "--notes", "bad\x1bnote")
    assert r.exit_code == 2 and "--notes must not contain a control character (U+001B)" in r.stderr
    assert cli.json("customer", "list")[0]["notes"] == "line one\n\tline two"


# ---- 4. numbers in custom fields are finite ----------------------------------------------------------

@pytest.mark.parametrize("value", ["nan", "inf", "-Infinity", "1e400"])
def test_non_finite_number_is_refused(cli, value):
    cli("field", "add", "customer", "employees", "--type", "number", ok=True)
    cli("customer", "add", "Big", "--set", "employees=5000", ok=True)
    r = cli("customer", "add", "Odd", "--set", f"employees={value}")
    assert r.exit_code == 2
    assert r.stderr == f"crm: error: --set employees: '{value}' is not a finite number\n"
    r = cli("customer", "edit", "Big", "--set", f"employees={value}")
    assert r.exit_code == 2
    rows = cli.json("customer", "list", "--where", "employees>5")
    assert [(r["name"], r["custom"]) for r in rows] == [("Big", {"employees": 5000})]


# ---- 5. unknown --where keys --------------------------------------------------------------------------

@pytest.mark.parametrize("entity", ["customer", "contact", "lead", "opp"])
def test_unknown_where_key_is_a_usage_error(cli, entity):
    r = cli(entity, "list", "--where", "stauts=active")
    assert r.exit_code == 2
    assert r.stderr.startswith("crm: error: --where: unknown field 'stauts' (use one of id, ")
    assert r.stderr.count("\n") == 1 and r.stdout == ""


def test_where_accepts_declared_and_used_custom_keys(cli):
    cli("field", "add", "customer", "employees", "--type", "number", ok=True)
    cli("customer", "add", "A", "--set", "sector=steel", "--status", "active", ok=True)
    assert [r["name"] for r in cli.json("customer", "list", "--where", "status=active")] == ["A"]
    assert [r["name"] for r in cli.json("customer", "list", "--where", "sector=steel")] == ["A"]
    assert cli.json("customer", "list", "--where", "employees>5") == []
    r = cli("customer", "export", "--where", "stauts=active")
    assert r.exit_code == 2 and "unknown field 'stauts'" in r.stderr


# ---- 6. wildcards and Unicode case in searches ----------------------------------------------------

def test_search_wildcards_are_literal(cli):
    for name in ("Acme", "Beta", "100% Cotton", "snake_case Ltd"):
        cli("customer", "add", name, ok=True)
    assert [r["name"] for r in cli.json("customer", "list", "--search", "%")] == ["100% Cotton"]
    assert [r["name"] for r in cli.json("customer", "list", "--search", "_")] == ["snake_case Ltd"]
    assert [r["name"] for r in cli.json("customer", "list", "--where", "name~%")] == ["100% Cotton"]
    cli("lead", "add", "Ann", "--company", "Acme", ok=True)
    cli("lead", "add", "50%", ok=True)
    assert [r["name"] for r in cli.json("lead", "list", "--search", "%")] == ["50%"]
    cli("contact", "add", "Bo", "-c", "Acme", ok=True)
    cli("contact", "add", "a_b", "-c", "Beta", ok=True)
    assert [r["name"] for r in cli.json("contact", "list", "--search", "_")] == ["a_b"]


def test_case_insensitive_matching_is_unicode_aware(cli):
    for name in ("ΩMEGA Ltd", "Ärzte GmbH", "Plain"):
        cli("customer", "add", name, ok=True)
    assert [r["name"] for r in cli.json("customer", "list", "--where", "name~ω")] == ["ΩMEGA Ltd"]
    assert [r["name"] for r in cli.json("customer", "list", "--where", "name~ärzte")] == ["Ärzte GmbH"]
    assert [r["name"] for r in cli.json("customer", "list", "--search", "ωmega")] == ["ΩMEGA Ltd"]
    cli("contact", "add", "Σοφία", "-c", "Plain", ok=True)
    assert [r["name"] for r in cli.json("contact", "list", "--search", "σοφ")] == ["Σοφία"]
    cli("lead", "add", "Émile", ok=True)
    assert [r["name"] for r in cli.json("lead", "list", "--search", "émi")] == ["Émile"]


def test_import_rejects_control_characters_and_long_text(cli, tmp_path):
    leads = tmp_path / "leads.csv"
    leads.write_text("name,email,city,notes\nGood,g@x.cn,Shanghai,\"two\nlines\"\nBad\x1bName,b@x.cn,,\n"
                     "Ok,o@x.cn,C\x07ity,\n", encoding="utf-8")
    r = cli("lead", "import", str(leads), "--allow-rejects", "--rejects", str(tmp_path / "bad.csv"), ok=True)
    assert "created 1" in r.stderr and "rejected 2" in r.stderr
    import csv

    reasons = [row[-1] for row in csv.reader(open(tmp_path / "bad.csv", encoding="utf-8"))][1:]
    assert reasons == ["name must not contain a control character (U+001B); remove it",  # the file's columns
                       "city must not contain a control character (U+0007); remove it"]
    assert [(x["name"], x["notes"]) for x in cli.json("lead", "list")] == [("Good", "two\nlines")]
    customers = tmp_path / "customers.csv"
    customers.write_text("name,website\nFine,fine.example.com\nEvil\x1bCo,\nLong," + "w" * 301 + "\n",
                         encoding="utf-8")
    r = cli("customer", "import", str(customers), "--allow-rejects", "--rejects", str(tmp_path / "cbad.csv"),
            ok=True)
    reasons = [row[-1] for row in csv.reader(open(tmp_path / "cbad.csv", encoding="utf-8"))][1:]
    assert reasons == ["name must not contain a control character (U+001B); remove it",
                       "website is longer than 300 characters (301 given)"]
    assert [x["name"] for x in cli.json("customer", "list")] == ["Fine"]


@pytest.mark.parametrize("args, message", [
    (["user", "add", "bob", "--team", "t" * 10_000], "--team is longer than 100 characters (10000 given)"),
    (["user", "add", "bob", "--name", "Bob\x1b]0;pwned\x07"], "--name must not contain a control character (U+001B)"),
    (["pipeline", "add", "P" * 101], "pipeline name is longer than 100 characters (101 given)"),
    (["pipeline", "add", "Renewals", "--stage", "S\x1bx:10"], "stage name must not contain a control character (U+001B)"),
    (["pipeline", "add", "Renewals", "--description", "a\x07"], "--description must not contain a control character"),
    (["stage", "add", "S" * 101, "--probability", "10"], "stage name is longer than 100 characters (101 given)"),
    (["competitor", "add", "C" * 201], "--name is longer than 200 characters (201 given)"),
    (["competitor", "add", "Rival", "--website", "w" * 301], "--website is longer than 300 characters (301 given)"),
    (["competitor", "add", "Rival", "--strengths", "fast\x1b[2J"], "--strengths must not contain a control character"),
])
def test_other_entities_check_length_and_control_characters(cli, args, message):
    before = {e: cli.json(e, "list") for e in ("user", "pipeline", "competitor")}
    r = cli(*args)
    assert r.exit_code == 2
    assert r.stderr.startswith(f"crm: error: {message}") and r.stderr.count("\n") == 1
    assert len(r.stderr) < 300
    assert {e: cli.json(e, "list") for e in ("user", "pipeline", "competitor")} == before


def test_tags_check_length_and_control_characters(cli):
    cli("customer", "add", "Acme", ok=True)
    r = cli("customer", "tag", "Acme", "vip\x1b")
    assert r.exit_code == 2 and r.stderr == "crm: error: --tag must not contain a control character (U+001B); remove it\n"
    r = cli("customer", "tag", "Acme", "t" * 1000)
    assert r.exit_code == 2
    assert r.stderr.startswith("crm: error: bad tag 'tttttttt") and r.stderr.endswith("...' (tags are 1 to 64 characters)\n")
    assert len(r.stderr) < 160
    assert cli.json("customer", "list")[0]["tags"] == []


def test_concurrent_pipeline_and_competitor_adds_create_one(cli, crm_env):
    cli("competitor", "add", "Warm-up", ok=True)
    for args in (["pipeline", "add", "Race {i}"], ["competitor", "add", "Rival {i}"]):
        for outs in _race(crm_env, args, rounds=2):
            assert sorted(code for code, _ in outs) == [0, 4, 4, 4], outs
    names = sorted(r["name"] for r in cli.json("pipeline", "list"))
    assert [n for n in names if n.startswith("Race")] == ["Race 0", "Race 1"]
    assert sorted(r["name"] for r in cli.json("competitor", "list")) == ["Rival 0", "Rival 1", "Warm-up"]


def test_first_commands_at_once_create_the_acting_user_once(cli, crm_env):
    outs = _race(crm_env, ["customer", "add", "Fresh {i}", "--force"], rounds=1)[0]
    assert sorted(code for code, _ in outs) == [0, 0, 0, 0], outs
    assert [u["handle"] for u in cli.json("user", "list")] == ["tester"]


def test_opp_and_product_search_escape_wildcards(cli):
    cli("customer", "add", "Acme", ok=True)
    cli("opp", "add", "Deal 100%", "--customer", "Acme", ok=True)
    cli("opp", "add", "Other deal", "--customer", "Acme", ok=True)
    assert [o["title"] for o in cli.json("opp", "list", "--search", "%")] == ["Deal 100%"]
    assert cli.json("opp", "list", "--search", "_") == []
    cli("product", "add", "P_1", "--name", "Ωmega box", "--price", "1", ok=True)
    cli("product", "add", "P2", "--name", "Plain", "--price", "1", ok=True)
    assert [p["sku"] for p in cli.json("product", "list", "--search", "_")] == ["P_1"]
    assert [p["sku"] for p in cli.json("product", "list", "--search", "ωMEGA")] == ["P_1"]
