"""The public Maven Analytics pipeline (8,800 deals) imports with documented commands and the funnel matches."""

import csv
from collections import Counter


def handle_for(name: str) -> str:
    """The documented mapping of an agent's name to a user handle: lower case, spaces become dots."""
    return ".".join(name.lower().split())


def test_maven_import_and_funnel(cli, shared_data, monkeypatch):
    d = shared_data / "crm_sales_pipeline_maven"
    deals = list(csv.DictReader(open(d / "sales_pipeline.csv", encoding="utf-8")))
    expected = Counter(r["deal_stage"] for r in deals)
    assert expected == {"Prospecting": 500, "Engaging": 1589, "Won": 4238, "Lost": 2473}
    won_total = sum(int(r["close_value"]) for r in deals if r["deal_stage"] == "Won")

    cli("pipeline", "add", "Maven", "--stage", "Prospecting:10", "--stage", "Engaging:50",
        "--stage", "Won:100:won", "--stage", "Lost:0:lost", "-q", ok=True)
    cli("config", "set", "default_pipeline", "Maven", ok=True)
    cli("customer", "import", str(d / "accounts.csv"), ok=True)
    for team in csv.DictReader(open(d / "sales_teams.csv", encoding="utf-8")):
        cli("user", "add", handle_for(team["sales_agent"]), "--name", team["sales_agent"],
            "--team", team["regional_office"], "-q", ok=True)
    monkeypatch.setenv("CRM_CURRENCY", "USD")
    r = cli("opp", "import", str(d / "sales_pipeline.csv"), ok=True)
    assert "created 8800" in r.stderr and "rejected 0" in r.stderr

    rows = cli.json("report", "funnel")
    assert [(x["stage"], x["count"]) for x in rows] == [("Prospecting", 500), ("Engaging", 1589), ("Won", 4238),
                                                        ("Lost", 2473)]
    won = rows[2]
    assert won["amount"] == f"{won_total}.00" and won["weighted"] == f"{won_total}.00"
    # conversion: reached Engaging = Engaging + Won; won conversion = Won / (Engaging + Won)
    assert rows[1]["conversion"] == round(100 * (1589 + 4238) / (500 + 1589 + 4238), 1)
    assert rows[2]["conversion"] == round(100 * 4238 / (1589 + 4238), 1)

    # owners resolved by name; per-agent counts match the data
    agent = "Moses Frase"
    mine = cli.json("report", "funnel", "--owner", agent)
    per_stage = Counter(r["deal_stage"] for r in deals if r["sales_agent"] == agent)
    assert {x["stage"]: x["count"] for x in mine} == {s: per_stage.get(s, 0) for s in
                                                     ("Prospecting", "Engaging", "Won", "Lost")}
    # deals without an account went to the "(no account)" customer
    no_account = sum(1 for r in deals if not r["account"])
    assert len(cli.json("opp", "list", "--customer", "(no account)")) == no_account
    # win/loss matches the data too
    summary = cli.json("report", "winloss", "--section", "summary")[0]
    assert (summary["won"], summary["lost"]) == (4238, 2473)
    one = next(r for r in deals if r["deal_stage"] == "Won")
    o = [x for x in cli.json("opp", "list", "--search", one["account"], "--status", "won")
         if x["amount"] == f"{one['close_value']}.00"]
    assert o and all(x["currency"] == "USD" for x in o)
