import json

NOW = ("--now", "2026-11-23T09:00")


def _setup(cli):
    cli("customer", "add", "Acme", "-q", ok=True)
    cli("customer", "add", "华强电子", "-q", ok=True)


def test_add_list_show_json_contract(cli):
    _setup(cli)
    oid = cli.id(*NOW, "opp", "add", "ERP rollout", "--customer", "Acme", "--amount", "120k", "--close", "2026-12-15",
                 "--source", "referral")
    assert oid == 1
    rows = cli.json("opp", "list")
    assert len(rows) == 1
    r = rows[0]
    assert set(r) == {"id", "title", "customer_id", "customer", "pipeline", "stage", "status", "frozen", "amount",
                      "currency", "probability", "expected_close", "owner", "source", "campaign", "lead_id",
                      "next_step", "closed_at", "lost_reason", "stage_changed_at", "notes", "custom",
                      "created_at", "updated_at"}
    assert (r["stage"], r["status"], r["amount"], r["currency"], r["probability"], r["expected_close"],
            r["owner"], r["pipeline"]) == ("Prospecting", "open", "120000.00", "CNY", 10, "2026-12-15", "tester",
                                           "Sales")
    shown = cli.json("opp", "show", "ERP")
    assert shown["weighted_amount"] == "12000.00" and shown["contacts"] == []
    assert [h["stage"] for h in shown["stage_history"]] == ["Prospecting"]
    assert cli("opp", "list", ok=True).stdout == \
        "1\tERP rollout\tAcme\tProspecting\topen\t120000.00\t10\t2026-12-15\ttester\n"


def test_stage_moves_win_lose_reopen(cli):
    _setup(cli)
    cli("opp", "add", "Deal", "-c", "Acme", "--amount", "10000", "-q", ok=True)
    cli("opp", "advance", "1", ok=True)
    r = cli("opp", "advance", "1", ok=True)
    assert "advanced to Proposal (50%)" in r.stderr
    cli("opp", "back", "1", ok=True)
    assert cli.json("opp", "show", "1")["stage"] == "Qualification"
    cli("opp", "move", "1", "--stage", "negotiation", ok=True)
    r = cli("opp", "advance", "1")
    assert r.exit_code == 4 and "last open stage 'Negotiation'" in r.stderr
    cli(*NOW, "opp", "win", "1", ok=True)
    o = cli.json("opp", "show", "1")
    assert (o["status"], o["stage"], o["probability"]) == ("won", "Won", 100)
    assert o["closed_at"].startswith("2026-11-23T09:00")
    cli("opp", "reopen", "1", ok=True)
    o = cli.json("opp", "show", "1")
    assert (o["status"], o["stage"], o["closed_at"], o["probability"]) == ("open", "Negotiation", None, 80)
    hist = cli.json("opp", "history", "1")
    assert [h["action"] for h in hist] == ["create", "advance", "advance", "back", "move", "win", "reopen"]
    assert [h["stage"] for h in hist][-2:] == ["Won", "Negotiation"]
    assert all(h["user"] == "tester" for h in hist)


def test_time_in_stage_and_cycle_length(cli):
    _setup(cli)
    cli("--now", "2026-11-01T09:00", "opp", "add", "Deal", "-c", "Acme", "-q", ok=True)
    cli("--now", "2026-11-04T09:00", "opp", "advance", "1", ok=True)
    cli("--now", "2026-11-11T21:00", "opp", "win", "1", ok=True)
    hist = cli.json("opp", "history", "1")
    assert [h["days_in_stage"] for h in hist] == [3.0, 7.5, None]
    r = cli("opp", "history", "1", "--format", "table", ok=True)
    assert "cycle length 10 days" in r.stderr
    assert cli.json("opp", "show", "1")["cycle_days"] == 10


def test_illegal_moves_and_bad_input_change_nothing(cli):
    _setup(cli)
    cli("opp", "add", "Deal", "-c", "Acme", "--amount", "500", "-q", ok=True)
    before = cli.json("opp", "show", "1")
    cases = [
        (("opp", "back", "1"), 4, "first stage"),
        (("opp", "move", "1", "--stage", "Nowhere"), 3, "no stage 'Nowhere' in pipeline 'Sales'"),
        (("opp", "move", "1", "--stage", "Won"), 4, "use 'crm opp win 1'"),
        (("opp", "lose", "1"), 2, "needs --reason"),
        (("opp", "lose", "1", "--reason", "bad-luck"), 2, "is not a lost reason"),
        (("opp", "edit", "1", "--probability", "120"), 2, "between 0 and 100"),
        (("opp", "edit", "1", "--amount", "-5"), 2, "must not be negative"),
        (("opp", "add", "X", "-c", "Acme", "--amount", "-5"), 2, "must not be negative"),
        (("opp", "add", "X", "-c", "Acme", "--probability", "-1"), 2, "between 0 and 100"),
        (("opp", "add", "X", "-c", "Acme", "--stage", "Lost"), 4, "cannot start in the lost stage"),
        (("opp", "add", "X"), 2, "missing --customer"),
        (("opp", "reopen", "1"), 4, "not closed"),
        (("opp", "unfreeze", "1"), 4, "not frozen"),
    ]
    for args, code, text in cases:
        r = cli(*args)
        assert r.exit_code == code, (args, r.exit_code, r.stderr)
        assert text in r.stderr and r.stderr.strip().count("\n") == 0, (args, r.stderr)
    after = cli.json("opp", "show", "1")
    assert after == before
    assert len(cli.json("opp", "list")) == 1


def test_closed_and_frozen_cannot_move(cli):
    _setup(cli)
    cli("opp", "add", "A", "-c", "Acme", "-q", ok=True)
    cli("opp", "add", "B", "-c", "Acme", "-q", ok=True)
    cli("opp", "freeze", "1", ok=True)
    r = cli("opp", "advance", "1")
    assert r.exit_code == 4 and "frozen" in r.stderr and "unfreeze" in r.stderr
    row = cli.json("opp", "list", "--status", "frozen")[0]
    assert row["id"] == 1 and row["frozen"] is True and row["status"] == "frozen"
    cli("opp", "unfreeze", "1", ok=True)
    cli("opp", "advance", "1", ok=True)
    cli("opp", "lose", "2", "--reason", "price", ok=True)
    for verb in ("advance", "back", "win"):
        r = cli("opp", verb, "2")
        assert r.exit_code == 4 and "is lost" in r.stderr and "reopen" in r.stderr
    assert cli.json("opp", "show", "2")["lost_reason"] == "price"


def test_list_filters(cli):
    _setup(cli)
    cli("user", "add", "alice", "-q", ok=True)
    cli("--now", "2026-11-01T09:00", "opp", "add", "Old", "-c", "Acme", "--amount", "200k", "--close",
        "2026-11-30", "-q", ok=True)
    cli(*NOW, "opp", "add", "New", "-c", "华强电子", "--amount", "50k", "--close", "2027-01-15", "--owner", "alice",
        "-q", ok=True)
    cli(*NOW, "opp", "add", "Dollars", "-c", "Acme", "--amount", "USD 900k", "--stage", "Proposal", "-q", ok=True)

    def ids(*args):
        return [r["id"] for r in cli.json(*NOW, "opp", "list", *args)]

    assert ids("--owner", "alice") == [2]
    assert ids("--stage", "proposal") == [3]
    assert ids("--closing", "this-month") == [1]
    assert ids("--closing", "next-quarter") == [2]
    assert ids("--closing", "2026-12-01..2027-01-31") == [2]
    assert ids("--customer", "华强") == [2]
    assert ids("--min-amount", "100k") == [1]
    assert ids("--min-amount", "USD 100k") == [3]
    assert ids("--stale", "14d") == [1]
    assert ids("--pipeline", "Sales", "--status", "open") == [1, 2, 3]
    assert ids("--sort", "-amount", "--limit", "1") == [3]
    r = cli("opp", "list", "--status", "pending")
    assert r.exit_code == 2 and "--status" in r.stderr


def test_delete_and_restore(cli):
    _setup(cli)
    cli("opp", "add", "Gone", "-c", "Acme", "-q", ok=True)
    r = cli("opp", "delete", "1")
    assert r.exit_code == 2 and "--yes" in r.stderr
    cli("opp", "delete", "1", "--yes", ok=True)
    assert cli.json("opp", "list") == []
    cli("trash", "restore", "opp", "1", ok=True)
    assert [r["title"] for r in cli.json("opp", "list")] == ["Gone"]


def test_contacts_competitors_custom_fields(cli):
    _setup(cli)
    cli("contact", "add", "Jane", "--customer", "Acme", "--role", "user", "-q", ok=True)
    cli("competitor", "add", "Rival", "--strengths", "cheap", "--weaknesses", "slow support", "-q", ok=True)
    cli("opp", "add", "Deal", "-c", "Acme", "--contact", "Jane:decision-maker", "--competitor", "Rival",
        "--set", "region=east", "--next-step", "call CFO", "-q", ok=True)
    o = cli.json("opp", "show", "1")
    assert o["contacts"] == [{"id": 1, "name": "Jane", "role": "decision-maker"}]
    assert o["competitors"] == ["Rival"] and o["custom"] == {"region": "east"} and o["next_step"] == "call CFO"
    cli("opp", "lose", "1", "--reason", "competitor", "--competitor", "Rival", ok=True)
    c = cli.json("competitor", "show", "Rival")
    assert (c["strengths"], c["weaknesses"], c["deals"], c["lost"], c["lost_to"]) == \
        ("cheap", "slow support", 1, 1, 1)
    assert [x["title"] for x in c["opportunities"]] == ["Deal"]
    assert [x["name"] for x in cli.json("competitor", "list")] == ["Rival"]
    assert cli("competitor", "add", "rival").exit_code == 4


def test_customer_show_has_opportunities(cli):
    _setup(cli)
    cli("opp", "add", "Deal", "-c", "Acme", "--amount", "1000", "-q", ok=True)
    shown = cli.json("customer", "show", "Acme")
    assert [(o["title"], o["stage"]) for o in shown["opportunities"]] == [("Deal", "Prospecting")]


def test_transfer_moves_only_open_opps(cli):
    _setup(cli)
    cli("user", "add", "alice", "-q", ok=True)
    cli("user", "add", "bob", "-q", ok=True)
    cli("opp", "add", "Open", "-c", "Acme", "--owner", "alice", "-q", ok=True)
    cli("opp", "add", "Won", "-c", "Acme", "--owner", "alice", "-q", ok=True)
    cli("opp", "win", "2", ok=True)
    cli("customer", "transfer", "--from", "alice", "--to", "bob", ok=True)
    assert [(o["title"], o["owner"]) for o in cli.json("opp", "list")] == [("Open", "bob"), ("Won", "alice")]


def test_subprocess_exact_output_and_errors(run):
    assert run("customer", "add", "Acme", "-q", check=True).stdout == "1\n"
    p = run("opp", "add", "Deal", "--customer", "Acme", "--amount", "¥12万", "-q", check=True)
    assert p.stdout == "1\n"
    p = run("opp", "advance", "1", check=True)
    assert p.stdout == "" and p.stderr == "opp 1 'Deal' advanced to Qualification (20%)\n"
    p = run("opp", "list", "--format", "csv", check=True)
    assert p.stdout.splitlines()[1].startswith("1,Deal,1,Acme,Sales,Qualification,open,false,120000.00,CNY,20,")
    p = run("opp", "lose", "1")
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr.startswith("crm: error: losing an opportunity needs --reason") and p.stderr.count("\n") == 1
    assert "Traceback" not in p.stderr
    p = run("opp", "move", "1", "--stage", "Nope")
    assert p.returncode == 3 and p.stderr.count("\n") == 1
    assert json.loads(run("opp", "show", "1", "--json", check=True).stdout)["stage"] == "Qualification"


def test_where_reads_amounts_and_dates_like_their_columns(cli):
    cli("customer", "add", "Acme", ok=True)
    for title, amount in (("Big", "2000000"), ("Small", "45000"), ("Yen", "JPY 5000000")):
        cli("opp", "add", title, "--customer", "Acme", "--amount", amount, ok=True)
    titles = [o["title"] for o in cli.json("opp", "list", "--where", "amount>1000000", "--sort", "id")]
    assert titles == ["Big", "Yen"]  # a million in each deal's own currency, not in cents
    assert [o["title"] for o in cli.json("opp", "list", "--where", "created_at<tomorrow", "--sort", "id")] == \
        ["Big", "Small", "Yen"]
    assert cli.json("opp", "list", "--where", "created_at>tomorrow") == []
    r = cli("opp", "list", "--where", "created_at>blursday")
    assert r.exit_code == 2 and r.stderr.startswith("crm: error: --where created_at: cannot read 'blursday' as a date")


def test_edit_currency_needs_the_amount_and_rates_stay_in_range(cli):
    cli("customer", "add", "Acme", ok=True)
    cli("opp", "add", "Deal", "--customer", "Acme", "--amount", "5000", ok=True)
    r = cli("opp", "edit", "1", "--currency", "EUR")
    assert r.exit_code == 2 and "--currency goes with --amount" in r.stderr
    cli("opp", "edit", "1", "--amount", "5000", "--currency", "EUR", ok=True)
    assert (cli.json("opp", "show", "1")["amount"], cli.json("opp", "show", "1")["currency"]) == ("5000.00", "EUR")
    for rate in ("1e400", "1e-400"):
        r = cli("currency", "rate", "EUR", rate)
        assert r.exit_code == 2 and "out of range" in r.stderr


def test_contact_roles_parsed_from_the_last_colon(cli):
    _setup(cli)
    cli("contact", "add", "Jane", "--customer", "Acme", "--role", "user", "-q", ok=True)
    cli("contact", "add", "Li: Wei", "--customer", "Acme", "-q", ok=True)
    cli("opp", "add", "Deal", "-c", "Acme", "--contact", "Jane : coach", "--contact", "Li: Wei:technical",
        "--contact", "Jane:decision-maker", "-q", ok=True)
    assert cli.json("opp", "show", "1")["contacts"] == [
        {"id": 1, "name": "Jane", "role": "decision-maker"}, {"id": 2, "name": "Li: Wei", "role": "technical"}]
    r = cli("opp", "edit", "1", "--contact", "Jane:boss")
    assert r.exit_code == 2 and "contact role must be one of" in r.stderr
    r = cli("opp", "edit", "1", "--contact", "Nobody:coach")
    assert r.exit_code == 3
    assert cli.json("opp", "show", "1")["contacts"][0]["role"] == "decision-maker"
