import json

NOW = ("--now", "2026-11-23T09:00")


def _data(cli):
    cli("customer", "add", "Acme", "-q", ok=True)
    cli("user", "add", "alice", "-q", ok=True)
    cli("competitor", "add", "Rival", "-q", ok=True)
    add = [("A", "100k", "Prospecting", "2026-11-28", "tester"), ("B", "200k", "Proposal", "2026-12-20", "alice"),
           ("C", "50k", "Negotiation", "2027-01-10", "tester"), ("D", "300k", "Negotiation", None, "alice"),
           ("E", "80k", "Proposal", "2026-11-30", "tester"), ("F", "40k", "Qualification", "2026-11-30", "alice")]
    for title, amount, stage, close, owner in add:
        args = ["--now", "2026-11-01T09:00", "opp", "add", title, "-c", "Acme", "--amount", amount, "--stage", stage,
                "--owner", owner, "--source", "web" if owner == "alice" else "referral", "-q"]
        if close:
            args += ["--close", close]
        cli(*args, ok=True)
    cli("--now", "2026-11-11T09:00", "opp", "win", "E", ok=True)
    cli("--now", "2026-11-21T09:00", "opp", "lose", "F", "--reason", "price", "--competitor", "Rival", ok=True)
    cli("opp", "freeze", "C", ok=True)


def test_funnel_numbers(cli):
    _data(cli)
    rows = cli.json(*NOW, "report", "funnel")
    got = [(r["stage"], r["count"], r["amount"], r["weighted"], r["conversion"], r["share"]) for r in rows]
    # open: A (Prospecting), B (Proposal), D (Negotiation); won E; lost F; C frozen (left out)
    assert got == [("Prospecting", 1, "100000.00", "10000.00", None, 33.3),
                   ("Qualification", 0, "0.00", "0.00", 75.0, 0.0),
                   ("Proposal", 1, "200000.00", "100000.00", 100.0, 33.3),
                   ("Negotiation", 1, "300000.00", "240000.00", 66.7, 33.3),
                   ("Won", 1, "80000.00", "80000.00", 50.0, None),
                   ("Lost", 1, "40000.00", "0.00", None, None)]
    cli("stage", "edit", "Prospecting", "--quota", "40", ok=True)
    r = cli.json("report", "funnel", "--owner", "tester")
    assert [(x["stage"], x["count"]) for x in r if x["count"]] == [("Prospecting", 1), ("Won", 1)]
    assert r[0]["quota"] == 40 and r[0]["vs_quota"] == 60.0
    table = cli("report", "funnel", "--format", "table", ok=True).stdout
    assert "Funnel: Sales (CNY)" in table and "█" in table
    md = cli("report", "funnel", "--format", "markdown", ok=True).stdout
    assert "| Prospecting   |       10 |      1 |" in md  # tabulate's GitHub pipe table
    period = cli.json(*NOW, "report", "funnel", "--period", "this-month")
    assert [(x["stage"], x["count"]) for x in period if x["count"]] == [("Prospecting", 1), ("Won", 1), ("Lost", 1)]


def test_funnel_multi_currency_without_rate_keeps_those_amounts_apart(cli):
    _data(cli)
    cli("opp", "add", "G", "-c", "Acme", "--amount", "USD 1000", "-q", ok=True)
    r = cli("report", "funnel", "--format", "json")
    assert r.exit_code == 0
    assert r.stderr == ("crm: warning: no exchange rate to CNY for USD: USD 1000.00 left out of the CNY amounts "
                        "and shown apart (set a rate with 'crm currency rate USD RATE --base CNY')\n")
    rows = json.loads(r.stdout)
    # G counts in Prospecting; its 1000 USD is not in the CNY amount, but listed apart
    assert (rows[0]["count"], rows[0]["amount"], rows[0]["unconverted"]) == (2, "100000.00", {"USD": "1000.00"})
    assert all(x["unconverted"] == {} for x in rows[1:])
    cli("currency", "rate", "USD", "7", ok=True)
    r = cli("report", "funnel", "--format", "json", ok=True)
    rows = json.loads(r.stdout)
    assert r.stderr == ""
    assert rows[0]["amount"] == "107000.00" and rows[0]["count"] == 2 and rows[0]["unconverted"] == {}


def test_forecast_by_month_and_quarter(cli):
    _data(cli)
    rows = cli.json(*NOW, "report", "forecast")
    got = [(r["period"], r["currency"], r["open"], r["pipeline"], r["weighted"], r["committed"], r["won_count"],
            r["won"]) for r in rows]
    assert got == [("2026-11", "CNY", 1, "100000.00", "10000.00", "0.00", 1, "80000.00"),
                   ("2026-12", "CNY", 1, "200000.00", "100000.00", "0.00", 0, "0.00"),
                   ("unscheduled", "CNY", 1, "300000.00", "240000.00", "300000.00", 0, "0.00")]
    q = cli.json("report", "forecast", "--by", "quarter", "--owner", "alice")
    assert [(r["period"], r["pipeline"]) for r in q] == [("2026-Q4", "200000.00"), ("unscheduled", "300000.00")]
    cli("opp", "add", "G", "-c", "Acme", "--amount", "USD 1000", "--close", "2026-12-01", "-q", ok=True)
    grouped = cli.json("report", "forecast", "--period", "2026-12-01..2026-12-31")
    assert [(r["period"], r["currency"], r["pipeline"]) for r in grouped] == [
        ("2026-12", "CNY", "200000.00"), ("2026-12", "USD", "1000.00")]
    cli("currency", "rate", "USD", "7.1", ok=True)
    conv = cli.json("report", "forecast", "--period", "2026-12-01..2026-12-31", "--currency", "CNY")
    assert [(r["period"], r["pipeline"], r["weighted"]) for r in conv] == [("2026-12", "207100.00", "100710.00")]
    r = cli("report", "forecast", "--by", "week")
    assert r.exit_code == 2 and "--by" in r.stderr


def test_winloss(cli):
    _data(cli)
    rows = cli.json("report", "winloss")
    by = {(r["section"], r["name"]): r for r in rows}
    s = by[("summary", "all")]
    assert (s["won"], s["lost"], s["win_rate"], s["avg_deal"], s["avg_cycle_days"]) == (1, 1, 50.0, "80000.00", 10.0)
    assert (by[("owner", "alice")]["lost"], by[("owner", "alice")]["win_rate"]) == (1, 0.0)
    assert by[("owner", "tester")]["win_rate"] == 100.0
    assert by[("source", "web")]["lost"] == 1
    assert (by[("competitor", "Rival")]["lost"], by[("competitor", "Rival")]["lost_to"]) == (1, 1)
    assert (by[("lost_reason", "price")]["lost"], by[("lost_reason", "price")]["share"]) == (1, 100.0)
    assert by[("stage_time", "Proposal")]["avg_days"] == 10.0
    assert by[("stage_time", "Qualification")]["avg_days"] == 20.0
    assert cli.json("report", "winloss", "--since", "2026-11-15", "--section", "summary")[0]["lost"] == 1
    assert cli.json("report", "winloss", "--since", "2026-11-15", "--section", "summary")[0]["won"] == 0
    table = cli("report", "winloss", "--format", "table", ok=True).stdout
    assert "By owner" in table and "Lost reasons" in table and "Average time in stage" in table


def test_reports_subprocess(run):
    run("customer", "add", "Acme", "-q", check=True)
    run("opp", "add", "A", "-c", "Acme", "--amount", "1000", "-q", check=True)
    p = run("report", "funnel", check=True)
    assert p.stdout.splitlines()[0] == "Prospecting\t10\t1\t1000.00\t100.00\t\t100.0\t"
    p = run("report", "funnel", "--pipeline", "Nope")
    assert p.returncode == 3 and p.stderr == "crm: error: no pipeline 'Nope' (see 'crm pipeline list')\n"


def test_bad_period_names_the_period_option(cli):
    for report in ("funnel", "forecast"):
        r = cli("report", report, "--period", "blursday")
        assert r.exit_code == 2 and r.stderr.startswith("crm: error: --period: cannot read 'blursday' as a date")
