def test_default_pipeline_on_new_database(cli):
    rows = cli.json("pipeline", "list")
    assert rows == [{"id": 1, "name": "Sales", "description": "New business", "default": True, "stages": 6,
                     "open_opps": 0}]
    stages = cli.json("stage", "list")
    assert [(s["name"], s["probability"], s["kind"]) for s in stages] == [
        ("Prospecting", 10, "open"), ("Qualification", 20, "open"), ("Proposal", 50, "open"),
        ("Negotiation", 80, "open"), ("Won", 100, "won"), ("Lost", 0, "lost")]


def test_add_pipeline_with_stages_and_default_config(cli):
    pid = cli.id("pipeline", "add", "Renewals", "--stage", "Contacted:30", "--stage", "Quoted:70",
                 "--stage", "Renewed:100:won", "--stage", "Churned:0:lost")
    assert pid == 2
    shown = cli.json("pipeline", "show", "Renewals")
    assert [(s["position"], s["name"], s["kind"]) for s in shown["stages"]] == [
        (1, "Contacted", "open"), (2, "Quoted", "open"), (3, "Renewed", "won"), (4, "Churned", "lost")]
    cli("customer", "add", "Acme", "-q", ok=True)
    cli("opp", "add", "Renewal 2027", "-c", "Acme", "--pipeline", "Renewals", "-q", ok=True)
    assert cli.json("opp", "show", "1")["stage"] == "Contacted"
    cli("config", "set", "default_pipeline", "Renewals", ok=True)
    cli("opp", "add", "Next", "-c", "Acme", "-q", ok=True)
    assert cli.json("opp", "show", "2")["pipeline"] == "Renewals"
    assert [p["name"] for p in cli.json("pipeline", "list") if p["default"]] == ["Renewals"]
    r = cli("pipeline", "add", "renewals")
    assert r.exit_code == 4 and "already exists" in r.stderr
    for spec, text in [("X:150", "between 0 and 100"), ("X:abc", "not a whole number"), ("X:10:maybe", "kind")]:
        r = cli("pipeline", "add", "Bad", "--stage", spec)
        assert r.exit_code == 2 and text in r.stderr, r.stderr
    r = cli("pipeline", "add", "Bad", "--stage", "W:100:won", "--stage", "W2:100:won")
    assert r.exit_code == 2 and "at most one won stage" in r.stderr
    assert len(cli.json("pipeline", "list")) == 2


def test_stage_add_edit_move_quota(cli):
    sid = cli.id("stage", "add", "Demo", "--probability", "35", "--after", "Qualification", "--quota", "25")
    names = [s["name"] for s in cli.json("stage", "list")]
    assert names == ["Prospecting", "Qualification", "Demo", "Proposal", "Negotiation", "Won", "Lost"]
    cli("stage", "add", "Review", "--probability", "90", "-q", ok=True)  # after the last open stage
    assert [s["name"] for s in cli.json("stage", "list")][5] == "Review"
    cli("customer", "add", "Acme", "-q", ok=True)
    cli("opp", "add", "Deal", "-c", "Acme", "--stage", "Demo", "-q", ok=True)
    cli("opp", "add", "Fixed", "-c", "Acme", "--stage", "Demo", "--probability", "5", "-q", ok=True)
    r = cli("stage", "edit", "Demo", "--probability", "40", ok=True)
    assert "1 open opps now at 40%" in r.stderr
    assert [o["probability"] for o in cli.json("opp", "list")] == [40, 5]
    cli("stage", "move", str(sid), "--position", "1", ok=True)
    stages = cli.json("stage", "list")
    assert [s["name"] for s in stages][:2] == ["Demo", "Prospecting"]
    assert stages[0]["quota"] == 25 and stages[0]["opps"] == 2
    for args, code, text in [
        (("stage", "edit", "Demo", "--probability", "101"), 2, "between 0 and 100"),
        (("stage", "add", "Close", "--probability", "100", "--kind", "won"), 4, "already has a won stage"),
        (("stage", "edit", "Won", "--quota", "10"), 2, "open stages only"),
        (("stage", "edit", "Nope", "--name", "x"), 3, "no stage 'Nope'"),
        (("stage", "add", "demo", "--probability", "10"), 4, "already has a stage"),
        (("stage", "add", "X"), 2, "missing --probability"),
    ]:
        r = cli(*args)
        assert r.exit_code == code and text in r.stderr, (args, r.stderr)
    assert len(cli.json("stage", "list")) == 8


def test_delete_stage_needs_move_to(cli):
    cli("customer", "add", "Acme", "-q", ok=True)
    cli("opp", "add", "Deal", "-c", "Acme", "--stage", "Proposal", "-q", ok=True)
    r = cli("stage", "delete", "Proposal", "--yes")
    assert r.exit_code == 4 and "holds 1 opportunities" in r.stderr and "--move-to" in r.stderr
    r = cli("stage", "delete", "Proposal", "--yes", "--move-to", "Won")
    assert r.exit_code == 4 and "same kind" in r.stderr
    assert cli.json("opp", "show", "1")["stage"] == "Proposal"
    cli("stage", "delete", "Proposal", "--yes", "--move-to", "Negotiation", ok=True)
    o = cli.json("opp", "show", "1")
    assert (o["stage"], o["probability"]) == ("Negotiation", 80)
    assert [h["action"] for h in o["stage_history"]] == ["create", "move"]
    stages = cli.json("stage", "list")
    assert [(s["position"], s["name"]) for s in stages][:3] == [(1, "Prospecting"), (2, "Qualification"),
                                                                (3, "Negotiation")]
    cli("stage", "delete", "Qualification", "--yes", ok=True)
    assert len(cli.json("stage", "list")) == 4


def test_currency_rates(cli):
    cli("currency", "rate", "USD", "7.12", ok=True)
    cli("currency", "rate", "EUR", "7.70", ok=True)
    rows = cli.json("currency", "rate")
    assert [(r["currency"], r["base"], r["rate"]) for r in rows] == [("EUR", "CNY", "7.70"), ("USD", "CNY", "7.12")]
    cli("currency", "rate", "USD", "7.2", ok=True)
    assert [r["rate"] for r in cli.json("currency", "rate", "USD")] == ["7.2"]
    for args, text in [(("currency", "rate", "USD", "0"), "positive"), (("currency", "rate", "USD", "abc"),
                                                                         "not a number"),
                       (("currency", "rate", "CNY", "1"), "base currency"), (("currency", "rate", "US", "1"),
                                                                            "ISO 4217")]:
        r = cli(*args)
        assert r.exit_code == 2 and text in r.stderr
    cli("currency", "rate", "EUR", "--delete", ok=True)
    assert [r["currency"] for r in cli.json("currency", "list")] == ["USD"]


def test_pipeline_subprocess(run):
    p = run("pipeline", "list", check=True)
    assert p.stdout == "1\tSales\t6\t0\ttrue\tNew business\n"
    p = run("stage", "list", "--format", "csv", check=True)
    assert p.stdout.splitlines()[0] == "id,position,name,probability,kind,quota,opps"
    assert p.stdout.splitlines()[1] == "1,1,Prospecting,10,open,,0"
    p = run("stage", "add", "X", "--probability", "200")
    assert p.returncode == 2 and p.stderr == "crm: error: --probability must be between 0 and 100, not 200\n"


def test_trash_purge_keeps_a_deleted_stage_named_in_stage_history(cli):
    cli("customer", "add", "Acme", ok=True)
    cli("opp", "add", "Deal", "--customer", "Acme", ok=True)
    cli("opp", "add", "Gone", "--customer", "Acme", ok=True)
    cli("opp", "advance", "1", ok=True)
    cli("opp", "advance", "2", ok=True)
    cli("opp", "delete", "2", "--yes", ok=True)  # in the trash, still in Qualification
    cli("stage", "delete", "Qualification", "--move-to", "Prospecting", "--yes", ok=True)
    cli("trash", "restore", "opp", "2", ok=True)
    assert cli.json("opp", "show", "2")["stage"] == "Prospecting"  # moved with the others
    out = cli.json("--now", "2099-01-01", "trash", "purge", "--older-than", "0d", "--yes")
    assert out == [] and [s["label"] for s in cli.json("trash", "list")] == ["Qualification"]
