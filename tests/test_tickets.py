"""crm ticket through the CLI: the status machine (and the moves it refuses), the timeline, the JSON
contract of `ticket show`, SLA states on hand-worked timelines (24x7 and a mon-fri calendar), pauses,
priority changes, escalation, remind, the customer section, trash, export.

Times are Asia/Shanghai (+08:00, the test environment's CRM_TIMEZONE); 2026-11-23 is a Monday.
Every due time and duration below is worked out by hand in the comments.
"""

import json

import pytest

MON_09 = "2026-11-23T09:00:00+08:00"


@pytest.fixture
def desk(cli, monkeypatch):
    """Users (tester is the admin), queues support (manager carol) under tier2 (manager dave), an office
    calendar (mon-fri 09:00-18:00, Shanghai), SLA policies normal 4h/48h (24x7) and high 1h/8h (office)."""
    monkeypatch.setenv("CRM_NOW", MON_09)
    cli("user", "add", "tester", "--role", "admin", ok=True)
    cli("user", "add", "bob", "--team", "support", ok=True)
    cli("user", "add", "carol", "--role", "manager", "--team", "support", ok=True)
    cli("user", "add", "dave", "--role", "manager", "--team", "tier2", ok=True)
    cli("ticket", "queue", "add", "tier2", "--manager", "dave", ok=True)
    cli("ticket", "queue", "add", "support", "--manager", "carol", "--parent", "tier2", ok=True)
    cli("sla", "calendar", "add", "office", "--tz", "Asia/Shanghai", "--hours", "mon-fri 09:00-18:00", ok=True)
    cli("sla", "policy", "set", "--priority", "normal", "--response", "4h", "--resolution", "48h", ok=True)
    cli("sla", "policy", "set", "--priority", "high", "--response", "1h", "--resolution", "8h", "--calendar",
        "office", ok=True)
    cli("customer", "add", "Acme", "--tier", "A", ok=True)
    cli("customer", "add", "Beta", "--tier", "B", ok=True)
    return cli


def at(monkeypatch, when):
    monkeypatch.setenv("CRM_NOW", when)


def show(cli, ref):
    return cli.json("ticket", "show", ref)


def one_line_error(r, code, text):
    assert r.exit_code == code, (r.exit_code, r.stdout, r.stderr)
    assert r.stderr.count("\n") == 1 and text in r.stderr, r.stderr
    assert "Traceback" not in r.stderr


def test_status_machine_and_illegal_moves_change_nothing(desk, monkeypatch):
    cli = desk
    tid = cli.id("ticket", "open", "Router broken", "--type", "repair", "--customer", "Acme", "--queue", "support")
    assert show(cli, tid)["status"] == "new"
    before = show(cli, tid)
    # reopening a ticket that is not resolved or closed: a conflict (exit 4), one line, nothing changed
    one_line_error(cli("ticket", "reopen", tid), 4, "ticket T-2026-0001 is new: only a resolved or closed ticket")
    one_line_error(cli("ticket", "resume", tid), 4, "only a pending ticket can be resumed")
    one_line_error(cli("ticket", "close", tid), 4, "only a resolved ticket can be closed")
    # resolving without a note: a usage error (exit 2)
    one_line_error(cli("ticket", "resolve", tid), 2, "resolving needs a resolution note")
    assert show(cli, tid) == before
    cli("ticket", "assign", tid, "--to", "bob", ok=True)  # new -> open on assignment
    assert show(cli, tid)["status"] == "open"
    cli("ticket", "pending", tid, "--note", "which firmware?", ok=True)
    assert show(cli, tid)["status"] == "pending"
    cli("ticket", "comment", tid, "--from-customer", "firmware 2.1", ok=True)  # a customer reply resumes
    assert show(cli, tid)["status"] == "open"
    cli("ticket", "pending", tid, ok=True)
    cli("ticket", "resume", tid, ok=True)
    cli("ticket", "resolve", tid, "--note", "replaced the power supply", ok=True)
    resolved = show(cli, tid)
    assert (resolved["status"], resolved["resolution"]) == ("resolved", "replaced the power supply")
    one_line_error(cli("ticket", "close", tid, "--satisfaction", "7"), 2, "--satisfaction must be 1 to 5, not 7")
    assert show(cli, tid) == resolved
    cli("ticket", "close", tid, "--satisfaction", "5", "--feedback", "fast", ok=True)
    closed = show(cli, tid)
    assert (closed["status"], closed["satisfaction"], closed["feedback"]) == ("closed", 5, "fast")
    one_line_error(cli("ticket", "resolve", tid, "--note", "again"), 4, "is closed")
    cli("ticket", "reopen", tid, "--reason", "it broke again", ok=True)
    assert show(cli, tid)["status"] == "open"
    statuses = [(e["old"], e["new"]) for e in show(cli, tid)["timeline"] if e["kind"] == "status"]
    assert statuses == [(None, "new"), ("new", "open"), ("open", "pending"), ("pending", "open"),
                        ("open", "pending"), ("pending", "open"), ("open", "resolved"), ("resolved", "closed"),
                        ("closed", "open")]


def test_open_rules_complaint_reason_and_someone_responsible(desk):
    cli = desk
    one_line_error(cli("ticket", "open", "Rude staff", "--type", "complaint", "--customer", "Acme", "--assignee",
                       "bob"), 2, "a complaint needs --reason")
    one_line_error(cli("ticket", "open", "Rude", "--type", "complaint", "--reason", "weather", "--assignee", "bob"),
                   2, "--reason must be one of product-quality, delivery, service-attitude, price, other")
    one_line_error(cli("ticket", "open", "Nobody", "--type", "inquiry"), 2, "a ticket needs someone responsible")
    one_line_error(cli("ticket", "open", "X", "--type", "party", "--queue", "support"), 2, "--type must be one of")
    one_line_error(cli("ticket", "open", "X", "--type", "inquiry", "--queue", "nowhere"), 3, "no ticket queue")
    assert cli.json("ticket", "list") == []
    cli("ticket", "open", "Rude staff", "--type", "complaint", "--reason", "service-attitude", "--assignee", "bob",
        ok=True)
    cli("ticket", "open", "Price?", "--type", "inquiry", "--queue", "support", ok=True)
    assert [t["number"] for t in cli.json("ticket", "list", "--sort", "number")] == ["T-2026-0001", "T-2026-0002"]
    # the database refuses a ticket with neither an assignee nor a queue, too
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    from crm_cli.core import db

    engine = db.get_engine()
    with pytest.raises(IntegrityError):
        with engine.begin() as conn:
            conn.execute(text("UPDATE tickets SET queue = NULL, assignee_id = NULL WHERE number = 'T-2026-0002'"))
    db.dispose_all()
    # a config list changes the allowed types
    cli("config", "set", "ticket_types", "complaint,warranty", ok=True)
    cli("ticket", "open", "Claim", "--type", "warranty", "--queue", "support", ok=True)


def test_show_json_contract_and_timeline(desk, monkeypatch):
    cli = desk
    tid = cli.id("ticket", "open", "Line down", "--type", "repair", "--customer", "Acme", "--queue", "support",
                 "--channel", "phone", "--description", "no signal since 8:00")
    at(monkeypatch, "2026-11-23T09:10:00+08:00")
    cli("ticket", "comment", tid, "--internal", "probably the modem", ok=True)
    at(monkeypatch, "2026-11-23T09:20:00+08:00")
    cli("ticket", "assign", tid, "--to", "bob", ok=True)
    at(monkeypatch, "2026-11-23T09:30:00+08:00")
    cli("ticket", "comment", tid, "we are on it", ok=True)
    t = show(cli, tid)
    for key in ("number", "status", "priority", "created_at", "first_response_at", "response_due", "resolution_due",
                "response_state", "resolution_state", "paused_seconds", "timeline", "articles"):
        assert key in t, key
    assert (t["number"], t["status"], t["priority"], t["created_at"], t["first_response_at"]) == (
        "T-2026-0001", "open", "normal", "2026-11-23T09:00:00+08:00", "2026-11-23T09:30:00+08:00")
    # normal: 24x7, response 4h -> 13:00, resolution 48h -> Wed 25th 09:00; the note did not count
    assert (t["response_due"], t["resolution_due"]) == ("2026-11-23T13:00:00+08:00", "2026-11-25T09:00:00+08:00")
    assert (t["response_state"], t["resolution_state"], t["paused_seconds"]) == ("met", "due", 0)
    assert t["articles"] == []  # knowledge base suggestions are wired in by the search branch
    assert [(e["at"], e["user"], e["kind"], e["old"], e["new"], e["text"], e["internal"]) for e in t["timeline"]] == [
        ("2026-11-23T09:00:00+08:00", "tester", "status", None, "new", "opened (new): Line down", False),
        ("2026-11-23T09:10:00+08:00", "tester", "note", None, None, "probably the modem", True),
        ("2026-11-23T09:20:00+08:00", "tester", "assign", "queue support", "bob @ queue support",
         "queue support -> bob @ queue support", False),
        ("2026-11-23T09:20:00+08:00", "tester", "status", "new", "open", "new -> open", False),
        ("2026-11-23T09:30:00+08:00", "tester", "reply", None, None, "we are on it", False)]
    table = cli("ticket", "show", tid, "--format", "table", ok=True).stdout
    assert "Timeline" in table and "probably the modem" in table


def test_sla_24x7_pause_resume_at_risk_and_breach(desk, monkeypatch):
    cli = desk
    tid = cli.id("ticket", "open", "Slow VPN", "--type", "inquiry", "--customer", "Acme", "--assignee", "bob")
    at(monkeypatch, "2026-11-23T10:00:00+08:00")
    t = show(cli, tid)
    # response 4h from Mon 09:00 -> 13:00: 3h = 10800 s left; resolution 48h -> Wed 09:00: 47h = 169200 s
    assert (t["response_state"], t["response_left_s"], t["resolution_state"], t["resolution_left_s"]) == (
        "due", 10800, "due", 169200)
    at(monkeypatch, "2026-11-23T12:00:00+08:00")
    # 1h left of 4h = 25 %: at risk (at most 25 % left)
    assert show(cli, tid)["response_state"] == "at-risk"
    assert [r["number"] for r in cli.json("ticket", "list", "--at-risk")] == ["T-2026-0001"]
    assert cli.json("ticket", "list", "--breached") == []
    at(monkeypatch, "2026-11-23T12:30:00+08:00")
    cli("ticket", "comment", tid, "--internal", "checking", ok=True)
    assert show(cli, tid)["first_response_at"] is None  # an internal note is no response
    cli("ticket", "pending", tid, "--note", "send us the log", ok=True)  # the first move to pending is
    t = show(cli, tid)
    assert (t["first_response_at"], t["response_state"]) == ("2026-11-23T12:30:00+08:00", "met")
    at(monkeypatch, "2026-11-24T09:00:00+08:00")
    t = show(cli, tid)
    # paused since Mon 12:30: 20h30m = 73800 s so far; the resolution due is unknown while pending
    assert (t["status"], t["paused_seconds"], t["resolution_due"], t["resolution_state"]) == (
        "pending", 73800, None, "due")
    at(monkeypatch, "2026-11-24T10:30:00+08:00")
    cli("ticket", "resume", tid, ok=True)
    t = show(cli, tid)
    # paused 22h = 79200 s: resolution due Wed 09:00 + 22h = Thu 26th 07:00
    assert (t["paused_seconds"], t["resolution_due"], t["resolution_state"]) == (
        79200, "2026-11-26T07:00:00+08:00", "due")
    # at risk from 12h (25 % of 48h) before: Wed 19:00
    at(monkeypatch, "2026-11-25T19:00:00+08:00")
    assert show(cli, tid)["resolution_state"] == "at-risk"
    at(monkeypatch, "2026-11-26T08:30:00+08:00")
    t = show(cli, tid)
    assert (t["resolution_state"], t["resolution_over_s"]) == ("breached", 5400)  # 07:00 -> 08:30
    assert [r["number"] for r in cli.json("ticket", "list", "--breached")] == ["T-2026-0001"]
    assert cli.json("ticket", "list", "--at-risk") == []
    # resolved late stays breached, by the same 1h30m; the clock stops
    cli("ticket", "resolve", tid, "--note", "new VPN profile", ok=True)
    at(monkeypatch, "2026-11-27T08:30:00+08:00")
    t = show(cli, tid)
    assert (t["resolution_state"], t["resolution_over_s"], t["response_state"]) == ("breached", 5400, "met")
    assert cli.json("ticket", "list", "--breached") == []  # nothing outstanding any more


def test_sla_on_a_business_calendar_and_priority_change(desk, monkeypatch):
    cli = desk
    at(monkeypatch, "2026-11-27T17:30:00+08:00")  # Friday 17:30
    tid = cli.id("ticket", "open", "Outage", "--type", "repair", "--customer", "Beta", "--queue", "support",
                 "--priority", "high")
    t = show(cli, tid)
    # office hours mon-fri 09-18: response 1h = Fri 17:30-18:00 + Mon 09:00-09:30; resolution 8h = 0.5h Fri +
    # 7.5h Mon -> Mon 16:30
    assert (t["response_due"], t["resolution_due"]) == ("2026-11-30T09:30:00+08:00", "2026-11-30T16:30:00+08:00")
    at(monkeypatch, "2026-11-28T12:00:00+08:00")  # Saturday: the clock stands at 30 min left
    t = show(cli, tid)
    assert (t["response_state"], t["response_left_s"]) == ("due", 1800)
    at(monkeypatch, "2026-11-30T09:20:00+08:00")  # Monday 09:20: 10 min left <= 25 % of 1h
    assert show(cli, tid)["response_state"] == "at-risk"
    at(monkeypatch, "2026-11-30T10:00:00+08:00")
    t = show(cli, tid)
    assert (t["response_state"], t["response_over_s"]) == ("breached", 1800)  # 09:30 -> 10:00
    # priority normal (24x7, 4h/48h), recomputed from the creation Fri 17:30: response Fri 21:30,
    # resolution Sun 29th 17:30
    cli("ticket", "edit", tid, "--priority", "normal", ok=True)
    t = show(cli, tid)
    assert (t["priority"], t["response_due"], t["resolution_due"]) == (
        "normal", "2026-11-27T21:30:00+08:00", "2026-11-29T17:30:00+08:00")
    # Fri 21:30 -> Mon 10:00 = 2d 12h30m = 217800 s; Sun 17:30 -> Mon 10:00 = 16h30m = 59400 s
    assert (t["response_over_s"], t["resolution_state"], t["resolution_over_s"]) == (217800, "breached", 59400)
    change = [e for e in t["timeline"] if e["kind"] == "priority"]
    assert [(e["old"], e["new"]) for e in change] == [("high", "normal")]
    assert "response due 2026-11-27T21:30:00+08:00" in change[0]["text"]
    assert "resolution due 2026-11-29T17:30:00+08:00" in change[0]["text"]


def test_escalate_by_hand_and_auto_once_per_breach(desk, monkeypatch):
    cli = desk
    tid = cli.id("ticket", "open", "Billing error", "--type", "inquiry", "--customer", "Acme", "--queue",
                 "support", "--assignee", "bob")
    other = cli.id("ticket", "open", "Manual", "--type", "inquiry", "--queue", "support")
    at(monkeypatch, "2026-11-23T12:00:00+08:00")
    assert cli("ticket", "escalate", "--auto", ok=True).stdout == ""  # nothing breached: silent
    at(monkeypatch, "2026-11-23T13:30:00+08:00")  # response due 13:00: both breached by 30 min
    r = cli("ticket", "escalate", "--auto", ok=True)
    assert r.stdout.splitlines() == [
        "T-2026-0001\tescalated to carol @ queue support\tresponse SLA breached by 30m",
        "T-2026-0002\tescalated to carol @ queue support\tresponse SLA breached by 30m"]
    assert cli("ticket", "escalate", "--auto", ok=True).stdout == ""  # once per breach
    t = show(cli, tid)
    assert (t["assignee"], t["queue"], t["escalation_level"]) == ("carol", "support", 1)
    esc = [e for e in t["timeline"] if e["kind"] == "escalation"]
    assert [(e["old"], e["new"], e["text"].split(": ", 1)[1]) for e in esc] == [
        ("level 0", "carol @ queue support", "response SLA breached by 30m")]
    # carol answers: the response is late but given; the next breach is the resolution's (Wed 09:00)
    cli("--as", "carol", "ticket", "comment", tid, "sorry for the wait", ok=True)
    cli("ticket", "escalate", other, "--to", "bob", "--reason", "bob knows billing", ok=True)
    assert show(cli, other)["assignee"] == "bob"
    cli("ticket", "comment", other, "on it", ok=True)
    cli("ticket", "resolve", other, "--note", "done", ok=True)
    at(monkeypatch, "2026-11-25T10:00:00+08:00")
    r = cli("ticket", "escalate", "--auto", ok=True)
    # carol is support's manager already: one level up is the parent queue tier2 and its manager dave
    assert r.stdout.splitlines() == ["T-2026-0001\tescalated to dave @ queue tier2\tresolution SLA breached by 1h"]
    assert cli("ticket", "escalate", "--auto", ok=True).stdout == ""
    at(monkeypatch, "2026-11-25T11:00:00+08:00")
    r = cli("ticket", "escalate", "--auto", ok=True)
    assert r.stdout == ""
    one_line_error(cli("ticket", "escalate", tid, "--to", "nobody-here", "--reason", "x"), 3, "no queue or user")
    one_line_error(cli("ticket", "escalate", tid, "--to", "tier2"), 2, "an escalation needs --reason")


def test_list_filters_and_default_order(desk, monkeypatch):
    cli = desk
    cli("ticket", "open", "Printer jam", "--type", "repair", "--customer", "Acme", "--queue", "support", ok=True)
    at(monkeypatch, "2026-11-23T10:00:00+08:00")
    cli("ticket", "open", "Invoice copy", "--type", "request", "--customer", "Beta", "--assignee", "tester",
        "--priority", "high", ok=True)
    cli("ticket", "open", "Idea: dark mode", "--type", "suggestion", "--assignee", "bob", "--priority", "low",
        ok=True)

    def numbers(*args):
        return [r["number"] for r in cli.json("ticket", "list", *args)]

    # nearest due first: #2 high (office) response Mon 11:00, #1 normal response 13:00; #3 low has no policy
    assert numbers() == ["T-2026-0002", "T-2026-0001", "T-2026-0003"]
    assert numbers("--status", "new") == ["T-2026-0001"]
    assert numbers("--priority", "high,low") == ["T-2026-0002", "T-2026-0003"]
    assert numbers("--type", "repair") == ["T-2026-0001"]
    assert numbers("--assignee", "me") == ["T-2026-0002"]
    assert numbers("--assignee", "bob") == ["T-2026-0003"]
    assert numbers("--queue", "support") == ["T-2026-0001"]
    assert numbers("--customer", "Beta") == ["T-2026-0002"]
    assert numbers("--search", "DARK") == ["T-2026-0003"]
    assert numbers("--age", "1h") == ["T-2026-0001"]
    at(monkeypatch, "2026-11-23T11:30:00+08:00")
    assert numbers("--breached") == ["T-2026-0002"]
    rows = cli.json("ticket", "list")
    assert rows[0]["sla"] == "breached" and rows[0]["due"] == "2026-11-23T11:00:00+08:00"
    one_line_error(cli("ticket", "list", "--status", "done"), 2, "--status must be one of")
    csv_out = cli("ticket", "list", "--format", "csv", ok=True).stdout.splitlines()
    assert csv_out[0].startswith("id,number,subject,status,priority,type,customer,assignee,queue,due,sla")


def test_remind_lists_tickets_at_risk_or_breached(desk, monkeypatch):
    cli = desk
    cli("ticket", "open", "Mine", "--type", "inquiry", "--customer", "Acme", "--assignee", "bob", ok=True)
    cli("ticket", "open", "Queue only", "--type", "inquiry", "--queue", "support", ok=True)
    assert cli("remind", "--owner", "all", ok=True).stdout == ""  # 4h left: nothing to say
    at(monkeypatch, "2026-11-23T12:15:00+08:00")  # 45 min left of 4h: at risk
    out = cli("remind", "--owner", "bob", ok=True).stdout
    assert "Tickets at risk or breached" in out
    assert "T-2026-0001  at-risk, due 2026-11-23 13:00  normal: Mine [Acme]" in out
    # the queue's ticket is for its members (bob, carol: team support) and its manager
    assert "T-2026-0002  at-risk" in out
    doc = json.loads(cli("remind", "--owner", "carol", "--format", "json", ok=True).stdout)
    assert [(i["ticket"], i["state"], i["due"]) for i in doc[0]["tickets"]] == [
        ("T-2026-0002", "at-risk", "2026-11-23T13:00:00+08:00")]
    at(monkeypatch, "2026-11-23T14:00:00+08:00")
    doc = json.loads(cli("remind", "--owner", "bob", "--format", "json", ok=True).stdout)
    assert [(i["ticket"], i["state"]) for i in doc[0]["tickets"]] == [("T-2026-0001", "breached"),
                                                                      ("T-2026-0002", "breached")]
    assert cli("remind", "--owner", "bob", "--exit-status").exit_code == 1  # breached counts as overdue


def test_customer_show_section_trash_and_export(desk, monkeypatch, tmp_path):
    cli = desk
    for subject, score in (("One", "4"), ("Two", "5")):
        tid = cli.id("ticket", "open", subject, "--type", "inquiry", "--customer", "Acme", "--assignee", "bob")
        cli("ticket", "resolve", tid, "--note", "answered", ok=True)
        cli("ticket", "close", tid, "--satisfaction", score, ok=True)
    cli("ticket", "open", "Three", "--type", "repair", "--customer", "Acme", "--queue", "support", ok=True)
    c = cli.json("customer", "show", "Acme")
    assert [(t["number"], t["status"]) for t in c["tickets"]] == [("T-2026-0003", "new")]
    # (4 + 5) / 2 = 4.50
    assert c["service"] == [{"tickets": 3, "open_tickets": 1, "rated": 2, "satisfaction_avg": "4.50"}]
    assert "tickets" not in cli.json("customer", "show", "Beta")
    # delete -> trash -> restore
    cli("ticket", "delete", "T-2026-0003", "--yes", ok=True)
    assert [t["number"] for t in cli.json("ticket", "list")] == ["T-2026-0001", "T-2026-0002"]
    assert any(r["entity"] == "ticket" and r["label"] == "Three" for r in cli.json("trash", "list"))
    cli("trash", "restore", "ticket", "3", ok=True)
    assert len(cli.json("ticket", "list")) == 3
    # export in every format
    out = cli("ticket", "export", ok=True).stdout.splitlines()
    assert out[0].startswith("number,type,priority,status,channel,subject,description,customer")
    assert len(out) == 4
    rows = json.loads(cli("ticket", "export", "--format", "json", ok=True).stdout)
    assert [(r["number"], r["satisfaction"]) for r in rows] == [("T-2026-0001", 4), ("T-2026-0002", 5),
                                                                ("T-2026-0003", None)]
    for fmt in ("jsonl", "markdown", "plain", "table"):
        assert "T-2026-0003" in cli("ticket", "export", "--format", fmt, ok=True).stdout
    cli("ticket", "export", "--output", str(tmp_path / "t.csv"), ok=True)
    assert (tmp_path / "t.csv").read_text(encoding="utf-8").count("T-2026-") == 3


def test_installed_crm_runs_a_ticket_through(cli, run, monkeypatch):
    monkeypatch.setenv("CRM_NOW", MON_09)
    cli("sla", "policy", "set", "--priority", "urgent", "--response", "30m", "--resolution", "4h", ok=True)
    cli("user", "add", "bob", ok=True)
    assert cli.id("ticket", "open", "Fire", "--type", "repair", "--priority", "urgent", "--assignee", "bob") == 1
    p = run("ticket", "list", "--breached", "--format", "csv", env={"CRM_NOW": "2026-11-23T09:45:00+08:00"},
            check=True)
    lines = p.stdout.splitlines()
    # response due 09:30 (30 min after 09:00): breached at 09:45
    assert len(lines) == 2 and lines[1].startswith("1,T-2026-0001,Fire,open,urgent,repair,,bob,,")
    assert lines[1].endswith(",2026-11-23T09:30:00+08:00,breached,2026-11-23T09:00:00+08:00")
    p = run("ticket", "reopen", "1", env={"CRM_NOW": MON_09})
    assert p.returncode == 4 and p.stderr.count("\n") == 1 and "only a resolved or closed ticket" in p.stderr
