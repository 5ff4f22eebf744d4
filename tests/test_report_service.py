"""crm report service: every figure worked out by hand from a small ticket history.

Policy normal: 24x7, response 4h (14400 s), resolution 48h; so business time = wall time here.
Times are Asia/Shanghai; Monday 2026-11-23. The report runs at Tue 2026-11-24 11:00.

  T1 repair     Acme  product R1  opened Mon 09:00, reply 10:00 (1h = 3600 s), resolved 15:00 (6h = 21600 s),
                                  closed, satisfaction 5
  T2 complaint  Acme              opened Mon 09:00, reply 12:00 (3h = 10800 s), pending 13:00-15:00 (2h),
                                  resolved 19:00 (10h - 2h paused = 8h = 28800 s), closed, satisfaction 3
  T3 inquiry    Beta              opened Mon 09:00, no reply: response breached (due Mon 13:00); open, 26h old
  T4 complaint  Beta  product R1  opened Tue 10:00, reply 10:30 (30m = 1800 s); open, 1h old
"""

import csv
import io
import json

import pytest

NOW = "2026-11-24T11:00:00+08:00"


@pytest.fixture
def history(cli, monkeypatch):
    def at(when):
        monkeypatch.setenv("CRM_NOW", when)

    at("2026-11-23T08:00:00+08:00")
    cli("user", "add", "tester", "--role", "admin", ok=True)
    cli("user", "add", "bob", ok=True)
    cli("sla", "policy", "set", "--priority", "normal", "--response", "4h", "--resolution", "48h", ok=True)
    cli("customer", "add", "Acme", ok=True)
    cli("customer", "add", "Beta", ok=True)
    cli("product", "add", "R1", "--name", "Router", "--price", "100", ok=True)
    at("2026-11-23T09:00:00+08:00")
    t1 = cli.id("ticket", "open", "Broken", "--type", "repair", "--customer", "Acme", "--product", "R1",
                "--assignee", "bob")
    t2 = cli.id("ticket", "open", "Too dear", "--type", "complaint", "--reason", "price", "--customer", "Acme",
                "--assignee", "tester")
    cli("ticket", "open", "Question", "--type", "inquiry", "--customer", "Beta", "--assignee", "bob", ok=True)
    at("2026-11-23T10:00:00+08:00")
    cli("ticket", "comment", t1, "looking", ok=True)
    at("2026-11-23T12:00:00+08:00")
    cli("ticket", "comment", t2, "we check the price", ok=True)
    at("2026-11-23T13:00:00+08:00")
    cli("ticket", "pending", t2, ok=True)
    at("2026-11-23T15:00:00+08:00")
    cli("ticket", "resolve", t1, "--note", "fixed", ok=True)
    cli("ticket", "close", t1, "--satisfaction", "5", ok=True)
    cli("ticket", "resume", t2, ok=True)
    at("2026-11-23T19:00:00+08:00")
    cli("ticket", "resolve", t2, "--note", "discount given", ok=True)
    cli("ticket", "close", t2, "--satisfaction", "3", ok=True)
    at("2026-11-24T10:00:00+08:00")
    t4 = cli.id("ticket", "open", "Late truck", "--type", "complaint", "--reason", "delivery", "--customer", "Beta",
                "--product", "R1", "--assignee", "bob")
    at("2026-11-24T10:30:00+08:00")
    cli("ticket", "comment", t4, "sorry", ok=True)
    at(NOW)
    return cli


def pick(row, *keys):
    return tuple(row[k] for k in keys)


def test_by_type_hand_computed(history):
    rows = history.json("report", "service")
    assert [r["group"] for r in rows] == ["complaint", "inquiry", "repair", "TOTAL"]
    by = {r["group"]: r for r in rows}
    volume = ("tickets", "complaints", "complaint_rate", "open", "open_lt_1d", "open_1_3d", "open_3_7d",
              "open_7d_plus")
    # complaints T2, T4: 2 of 2 = 100 %; open T4 (1h old); inquiry T3 open, 26h old: 1-3 days
    assert pick(by["complaint"], *volume) == (2, 2, "100.00", 1, 1, 0, 0, 0)
    assert pick(by["inquiry"], *volume) == (1, 0, "0.00", 1, 0, 1, 0, 0)
    assert pick(by["repair"], *volume) == (1, 0, "0.00", 0, 0, 0, 0, 0)
    assert pick(by["TOTAL"], *volume) == (4, 2, "50.00", 2, 1, 1, 0, 0)
    times = ("response_median_h", "response_p90_h", "resolution_median_h", "resolution_p90_h")
    # complaint responses 1800, 10800: median (1800 + 10800) / 2 = 6300 s = 1.75 h; p90 = the 2nd (ceil 1.8)
    assert pick(by["complaint"], *times) == ("1.75", "3.00", "8.00", "8.00")
    assert pick(by["inquiry"], *times) == (None, None, None, None)
    assert pick(by["repair"], *times) == ("1.00", "1.00", "6.00", "6.00")
    # all: responses 1800, 3600, 10800 -> median 3600 = 1.00 h, p90 the 3rd (ceil 2.7) = 3.00 h;
    # resolutions 21600, 28800 -> median 25200 = 7.00 h, p90 the 2nd = 8.00 h
    assert pick(by["TOTAL"], *times) == ("1.00", "3.00", "7.00", "8.00")
    sla = ("sla_met", "sla_breached", "sla_compliance")
    # met: T1, T2 (responded and resolved in time); breached: T3 (no response by Mon 13:00); T4 still running
    assert pick(by["complaint"], *sla) == (1, 0, "100.00")
    assert pick(by["inquiry"], *sla) == (0, 1, "0.00")
    assert pick(by["TOTAL"], *sla) == (2, 1, "66.67")  # 2 / 3
    csat = ("csat_avg", "rated", "csat_1", "csat_2", "csat_3", "csat_4", "csat_5")
    assert pick(by["complaint"], *csat) == ("3.00", 1, 0, 0, 1, 0, 0)
    assert pick(by["TOTAL"], *csat) == ("4.00", 2, 0, 0, 1, 0, 1)  # (5 + 3) / 2


def test_by_customer_product_assignee_and_period(history):
    by_customer = {r["group"]: r for r in history.json("report", "service", "--by", "customer")}
    # complaint rate per customer: Acme 1 of 2 (T2), Beta 1 of 2 (T4)
    assert pick(by_customer["Acme"], "tickets", "complaints", "complaint_rate", "csat_avg") == (2, 1, "50.00", "4.00")
    assert pick(by_customer["Beta"], "tickets", "complaints", "complaint_rate", "csat_avg") == (2, 1, "50.00", None)
    by_product = [(r["group"], r["tickets"], r["complaints"], r["complaint_rate"])
                  for r in history.json("report", "service", "--by", "product")]
    # R1: T1, T4 (one complaint); no product: T2, T3 (one complaint)
    assert by_product == [("Router", 2, 1, "50.00"), ("(none)", 2, 1, "50.00"), ("TOTAL", 4, 2, "50.00")]
    by_assignee = {r["group"]: r for r in history.json("report", "service", "--by", "assignee")}
    # bob: T1, T3, T4; responses 3600, 1800 -> median 2700 s = 0.75 h
    assert pick(by_assignee["bob"], "tickets", "response_median_h", "sla_met", "sla_breached") == (3, "0.75", 1, 1)
    assert pick(by_assignee["tester"], "tickets", "resolution_median_h") == (1, "8.00")
    # only the tickets opened since Tuesday: T4
    rows = history.json("report", "service", "--since", "2026-11-24")
    assert [(r["group"], r["tickets"]) for r in rows] == [("complaint", 1), ("TOTAL", 1)]
    assert history.json("report", "service", "--until", "2026-11-01") == []


def test_every_format(history):
    out = history("report", "service", "--format", "csv", ok=True).stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[-1]["group"] == "TOTAL" and rows[-1]["sla_compliance"] == "66.67"
    lines = history("report", "service", "--format", "jsonl", ok=True).stdout.splitlines()
    assert json.loads(lines[0])["group"] == "complaint"
    for fmt in ("table", "plain", "markdown"):
        assert "TOTAL" in history("report", "service", "--format", fmt, ok=True).stdout
    r = history("report", "service", "--by", "weather")
    assert r.exit_code == 2 and "--by must be one of type, assignee, queue, customer, product" in r.stderr
