"""crm activity: add/list/show/edit/start/done/cancel/snooze/reschedule/delete, recurrence, DST, links."""

import json

NOW = ("--now", "2026-11-23T09:00")


def test_add_list_show_json_contract(cli):
    cli("customer", "add", "华强电子", ok=True)
    aid = cli.id(*NOW, "activity", "add", "Call 周总", "--type", "call", "--due", "2026-11-20 10:00",
                 "--customer", "华强", "--duration", "30min", "--priority", "high", "--cost", "¥35")
    rows = cli.json(*NOW, "activity", "list")
    assert len(rows) == 1
    r = rows[0]
    assert set(r) == {"id", "type", "subject", "status", "priority", "due", "all_day", "timezone",
                      "duration_min", "overdue", "late", "owner", "customer_id", "customer", "contact_id",
                      "lead_id", "opportunity_id", "outcome", "done_at", "cost", "repeat", "repeat_until",
                      "repeat_count", "series_id", "occurrence", "notes", "custom", "created_at", "updated_at"}
    assert r["id"] == aid and r["type"] == "call" and r["status"] == "planned" and r["priority"] == "high"
    assert r["due"] == "2026-11-20T10:00:00+08:00" and r["all_day"] is False and r["timezone"] == "Asia/Shanghai"
    assert r["overdue"] is True and r["late"] == "2 days 23 hours"
    assert r["customer"] == "华强电子" and r["owner"] == "tester" and r["duration_min"] == 30
    assert r["cost"] == "35.00"
    shown = cli.json(*NOW, "activity", "show", str(aid))
    assert shown["subject"] == "Call 周总" and shown["contact"] is None


def test_list_sorted_by_due_overdue_marked_plain(cli):
    cli(*NOW, "activity", "add", "Later", "--due", "2026-11-25 09:00", ok=True)
    cli(*NOW, "activity", "add", "Late", "--type", "call", "--due", "2026-11-22 17:30", ok=True)
    cli(*NOW, "activity", "add", "All day today", "--due", "today", ok=True)
    cli(*NOW, "activity", "add", "No date", ok=True)
    out = cli(*NOW, "activity", "list", ok=True).stdout
    assert out == (
        "2\t2026-11-22T17:30:00+08:00\t15 hours 30 minutes\tcall\tLate\tplanned\tnormal\ttester\t\n"
        "3\t2026-11-23\t\ttask\tAll day today\tplanned\tnormal\ttester\t\n"
        "1\t2026-11-25T09:00:00+08:00\t\ttask\tLater\tplanned\tnormal\ttester\t\n"
        "4\t\t\ttask\tNo date\tplanned\tnormal\ttester\t\n")
    assert [r["id"] for r in cli.json(*NOW, "activity", "list", "--overdue")] == [2]
    assert [r["id"] for r in cli.json(*NOW, "activity", "list", "--today")] == [3]
    assert [r["id"] for r in cli.json(*NOW, "activity", "list", "--week")] == [3, 1]  # Sunday 22nd is last week
    assert [r["id"] for r in cli.json(*NOW, "activity", "list", "--due", "2026-11-24..2026-11-30")] == [1]
    assert [r["id"] for r in cli.json(*NOW, "activity", "list", "--type", "call")] == [2]
    # an all-day activity is overdue only from the next day on
    assert cli.json("--now", "2026-11-24T00:30", "activity", "show", "3")["late"] == "1 day"


def test_filters_owner_customer_opp_status(cli):
    cli("user", "add", "alice", ok=True)
    cli("customer", "add", "Acme", ok=True)
    opp = cli.id("opp", "add", "Big deal", "--customer", "Acme", "--amount", "1000")
    a1 = cli.id(*NOW, "activity", "add", "Mine", "--due", "tomorrow", "--opp", str(opp))
    a2 = cli.id(*NOW, "activity", "add", "Hers", "--due", "tomorrow", "--owner", "alice")
    rows = cli.json(*NOW, "activity", "list", "--owner", "alice")
    assert [r["id"] for r in rows] == [a2]
    assert [r["id"] for r in cli.json(*NOW, "activity", "list", "--owner", "me")] == [a1]
    mine = cli.json(*NOW, "activity", "list", "--opp", str(opp))
    assert [r["id"] for r in mine] == [a1] and mine[0]["customer"] == "Acme"  # customer taken from the opp
    assert [r["id"] for r in cli.json(*NOW, "activity", "list", "--customer", "Acme")] == [a1]
    cli(*NOW, "activity", "done", str(a1), ok=True)
    assert [r["id"] for r in cli.json(*NOW, "activity", "list")] == [a2]
    assert [r["id"] for r in cli.json(*NOW, "activity", "list", "--status", "done")] == [a1]
    assert len(cli.json(*NOW, "activity", "list", "--status", "all")) == 2


def test_lead_and_contact_links(cli):
    cli("customer", "add", "Acme", ok=True)
    cli("customer", "add", "Other", ok=True)
    cli("contact", "add", "Jane", "--customer", "Acme", ok=True)
    lead = cli.id("lead", "add", "Wang Wei")
    aid = cli.id(*NOW, "activity", "add", "Call Jane", "--contact", "Jane", "--lead", str(lead))
    r = cli.json(*NOW, "activity", "show", str(aid))
    assert r["contact_id"] == 1 and r["customer_id"] == 1 and r["lead_id"] == lead and r["contact"] == "Jane"
    bad = cli(*NOW, "activity", "add", "Mismatch", "--contact", "Jane", "--customer", "Other")
    assert bad.exit_code == 2 and "is not at customer" in bad.stderr


def test_done_with_next_follow_up(cli):
    cli("customer", "add", "Acme", ok=True)
    aid = cli.id(*NOW, "activity", "add", "Send proposal", "--type", "email", "--customer", "Acme",
                 "--due", "today 10:00")
    r = cli(*NOW, "activity", "done", str(aid), "--outcome", "sent proposal", "--next", "call tomorrow 10am")
    assert r.exit_code == 0 and r.stdout == ""
    assert "created follow-up 2: call 2026-11-24 10:00: Follow up: Send proposal" in r.stderr
    done = cli.json(*NOW, "activity", "show", str(aid))
    assert done["status"] == "done" and done["outcome"] == "sent proposal"
    assert done["done_at"] == "2026-11-23T09:00:00+08:00"
    f = cli.json(*NOW, "activity", "show", "2")
    assert f["type"] == "call" and f["due"] == "2026-11-24T10:00:00+08:00" and f["customer"] == "Acme"
    # a date alone keeps the type and makes an all-day follow-up; -q prints its id
    r = cli(*NOW, "activity", "done", "2", "--next", "friday", "-q", ok=True)
    assert r.stdout == "3\n"
    f = cli.json(*NOW, "activity", "show", "3")
    assert f["type"] == "call" and f["due"] == "2026-11-27" and f["all_day"] is True
    again = cli(*NOW, "activity", "done", str(aid))
    assert again.exit_code == 4 and "already done" in again.stderr
    bad = cli(*NOW, "activity", "done", "3", "--next", "call someday")
    assert bad.exit_code == 2 and "cannot read 'someday'" in bad.stderr
    assert cli.json(*NOW, "activity", "show", "3")["status"] == "planned"  # nothing changed


def test_start_cancel_snooze_reschedule_delete(cli):
    aid = cli.id(*NOW, "activity", "add", "Visit", "--type", "visit", "--due", "2026-11-22 15:00")
    cli(*NOW, "activity", "start", str(aid), ok=True)
    assert cli.json(*NOW, "activity", "show", str(aid))["status"] == "in_progress"
    assert cli(*NOW, "activity", "start", str(aid)).exit_code == 4
    cli(*NOW, "activity", "snooze", str(aid), "2h", ok=True)  # overdue: from now
    assert cli.json(*NOW, "activity", "show", str(aid))["due"] == "2026-11-23T11:00:00+08:00"
    cli(*NOW, "activity", "snooze", str(aid), "1d", ok=True)  # from its due time
    assert cli.json(*NOW, "activity", "show", str(aid))["due"] == "2026-11-24T11:00:00+08:00"
    cli(*NOW, "activity", "snooze", str(aid), "monday 9am", ok=True)
    assert cli.json(*NOW, "activity", "show", str(aid))["due"] == "2026-11-30T09:00:00+08:00"
    cli(*NOW, "activity", "reschedule", str(aid), "2026-12-01", ok=True)
    r = cli.json(*NOW, "activity", "show", str(aid))
    assert r["due"] == "2026-12-01" and r["all_day"] is True
    assert cli(*NOW, "activity", "snooze", str(aid), "never").exit_code == 2
    cli(*NOW, "activity", "cancel", str(aid), ok=True)
    assert cli.json(*NOW, "activity", "show", str(aid))["status"] == "cancelled"
    assert cli(*NOW, "activity", "reschedule", str(aid), "tomorrow").exit_code == 4
    r = cli(*NOW, "activity", "delete", str(aid))
    assert r.exit_code == 2 and "--yes" in r.stderr
    cli(*NOW, "activity", "delete", str(aid), "--yes", ok=True)
    assert cli(*NOW, "activity", "show", str(aid)).exit_code == 3
    cli("trash", "restore", "activity", str(aid), ok=True)
    assert cli.json(*NOW, "activity", "show", str(aid))["status"] == "cancelled"


def test_weekly_series_with_count(cli):
    aid = cli.id(*NOW, "activity", "add", "Team sync", "--type", "meeting", "--due", "2026-11-23 10:00",
                 "--repeat", "weekly", "--count", "3")
    first = cli.json(*NOW, "activity", "show", str(aid))
    assert first["repeat"] == "weekly" and first["repeat_count"] == 3 and first["occurrence"] == 1
    r = cli(*NOW, "activity", "done", str(aid), ok=True)
    assert "created next occurrence 2: 2026-11-30 10:00" in r.stderr
    second = cli.json(*NOW, "activity", "show", "2")
    assert second["series_id"] == aid and second["occurrence"] == 2 and second["subject"] == "Team sync"
    cli(*NOW, "activity", "cancel", "2", ok=True)  # skipping one occurrence creates the next
    third = cli.json(*NOW, "activity", "show", "3")
    assert third["due"] == "2026-12-07T10:00:00+08:00" and third["occurrence"] == 3
    r = cli(*NOW, "activity", "done", "3", ok=True)
    assert "next occurrence" not in r.stderr
    assert cli.json(*NOW, "activity", "list") == []


def test_repeat_forms_and_until(cli):
    a = cli.id(*NOW, "activity", "add", "Report", "--due", "2026-11-23", "--repeat", "every 2 weeks",
               "--until", "2026-12-07")
    assert cli.json(*NOW, "activity", "show", str(a))["repeat"] == "every 2 weeks"
    cli(*NOW, "activity", "done", str(a), ok=True)
    assert cli.json(*NOW, "activity", "show", "2")["due"] == "2026-12-07"
    cli(*NOW, "activity", "done", "2", ok=True)  # 2026-12-21 is after --until
    assert cli.json(*NOW, "activity", "list") == []
    b = cli.id(*NOW, "activity", "add", "Month end", "--due", "2026-11-30 17:00", "--repeat",
               "RRULE:FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=2")
    r = cli.json(*NOW, "activity", "show", str(b))
    assert r["repeat"] == "RRULE:FREQ=MONTHLY;BYMONTHDAY=-1" and r["repeat_count"] == 2
    cli(*NOW, "activity", "done", str(b), ok=True)
    assert cli.json(*NOW, "activity", "show", str(b + 1))["due"] == "2026-12-31T17:00:00+08:00"


def test_dst_weekly_stays_at_nine_local(cli, monkeypatch):
    monkeypatch.setenv("CRM_TIMEZONE", "Europe/Berlin")
    aid = cli.id("--now", "2026-10-19T08:00", "activity", "add", "Standup", "--type", "meeting",
                 "--due", "2026-10-19 09:00", "--repeat", "weekly")
    assert cli.json("activity", "show", str(aid))["due"] == "2026-10-19T09:00:00+02:00"
    cli("--now", "2026-10-19T10:00", "activity", "done", str(aid), ok=True)
    nxt = cli.json("activity", "show", "2")
    assert nxt["due"] == "2026-10-26T09:00:00+01:00"  # clocks went back on 2026-10-25; still 09:00
    # the stored instant is 08:00 UTC now, not 07:00 UTC
    monkeypatch.setenv("CRM_TIMEZONE", "UTC")
    assert cli.json("activity", "show", "2")["due"] == "2026-10-26T08:00:00+00:00"
    # viewed from Shanghai the series still follows Berlin's wall clock
    monkeypatch.setenv("CRM_TIMEZONE", "Asia/Shanghai")
    cli("--now", "2026-10-26T17:00", "activity", "done", "2", ok=True)
    assert cli.json("activity", "show", "3")["due"] == "2026-11-02T16:00:00+08:00"


def test_dst_snooze_whole_days_keeps_wall_clock(cli, monkeypatch):
    monkeypatch.setenv("CRM_TIMEZONE", "Europe/Berlin")
    aid = cli.id("--now", "2026-10-24T08:00", "activity", "add", "Call", "--due", "2026-10-24 09:00")
    cli("--now", "2026-10-24T08:00", "activity", "snooze", str(aid), "2d", ok=True)
    assert cli.json("activity", "show", str(aid))["due"] == "2026-10-26T09:00:00+01:00"


def test_edit_one_occurrence_or_the_series(cli):
    aid = cli.id(*NOW, "activity", "add", "Review", "--type", "meeting", "--due", "2026-11-23 10:00",
                 "--repeat", "weekly")
    cli(*NOW, "activity", "edit", str(aid), "--subject", "Review (board present)", "--due",
        "2026-11-24 15:00", ok=True)
    cli(*NOW, "activity", "done", str(aid), ok=True)
    nxt = cli.json(*NOW, "activity", "show", "2")
    # one occurrence changed: the series keeps its subject and its Monday 10:00 rhythm
    assert nxt["subject"] == "Review" and nxt["due"] == "2026-11-30T10:00:00+08:00"
    cli(*NOW, "activity", "edit", "2", "--subject", "Weekly review", "--due", "2026-12-01 11:00", "--series",
        ok=True)
    cli(*NOW, "activity", "done", "2", ok=True)
    third = cli.json(*NOW, "activity", "show", "3")
    assert third["subject"] == "Weekly review" and third["due"] == "2026-12-08T11:00:00+08:00"
    cli(*NOW, "activity", "edit", "3", "--repeat", "every 2 weeks", ok=True)
    cli(*NOW, "activity", "done", "3", ok=True)
    assert cli.json(*NOW, "activity", "show", "4")["due"] == "2026-12-22T11:00:00+08:00"
    cli(*NOW, "activity", "edit", "4", "--repeat", "none", ok=True)
    cli(*NOW, "activity", "done", "4", ok=True)
    assert cli.json(*NOW, "activity", "list") == []


def test_bad_input_changes_nothing(cli):
    cli("customer", "add", "Acme", ok=True)
    cases = [
        (("--repeat", "every fortnight", "--due", "today"), 2, "cannot read 'every fortnight' as a repeat rule"),
        (("--repeat", "RRULE:FREQ=WEEKLY;BYDAY=XX", "--due", "today"), 2, "--repeat: bad rule"),
        (("--repeat", "RRULE:FREQ=HOURLY", "--due", "today"), 2, "FREQ must be DAILY"),
        (("--repeat", "weekly"), 2, "--repeat needs a due date"),
        (("--repeat", "weekly", "--due", "today", "--until", "2026-11-01"), 2, "--until is before"),
        (("--repeat", "weekly", "--due", "today", "--until", "eom", "--count", "3"), 2, "not both"),
        (("--due", "blursday"), 2, "--due: cannot read 'blursday' as a date"),
        (("--customer", "99"), 3, "no customer with id 99"),
        (("--opp", "42"), 3, "no opp"),
        (("--lead", "7"), 3, "no lead with id 7"),
        (("--type", "party"), 2, "--type must be one of call, visit, email, sms, meeting, task, care"),
        (("--priority", "urgent"), 2, "--priority must be one of low, normal, high"),
        (("--duration", "forever"), 2, "--duration"),
        (("--cost", "lots"), 2, "cannot read 'lots' as an amount"),
    ]
    for args, code, message in cases:
        r = cli(*NOW, "activity", "add", "X", *args)
        assert r.exit_code == code, (args, r.stderr)
        assert message in r.stderr, (args, r.stderr)
        assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    r = cli(*NOW, "activity", "add")
    assert r.exit_code == 2 and "missing SUBJECT" in r.stderr
    assert cli.json(*NOW, "activity", "list", "--status", "all") == []
    aid = cli.id(*NOW, "activity", "add", "Keep", "--due", "tomorrow 9am")
    r = cli(*NOW, "activity", "edit", str(aid), "--subject", "Changed", "--customer", "nobody")
    assert r.exit_code == 3
    r = cli(*NOW, "activity", "edit", str(aid), "--subject", "Changed", "--repeat", "sometimes")
    assert r.exit_code == 2
    assert cli.json(*NOW, "activity", "show", str(aid))["subject"] == "Keep"
    assert cli(*NOW, "activity", "show", "999").exit_code == 3


def test_custom_activity_types_from_config(cli):
    cli("config", "set", "activity_types", "call,demo", ok=True)
    assert cli(*NOW, "activity", "add", "Show it", "--type", "demo", "--due", "today").exit_code == 0
    assert cli(*NOW, "activity", "add", "Visit", "--type", "visit").exit_code == 2


def test_customer_show_section_and_transfer(cli):
    cli("user", "add", "alice", ok=True)
    cli("user", "add", "bob", ok=True)
    cli("customer", "add", "Acme", "--owner", "alice", ok=True)
    a1 = cli.id(*NOW, "activity", "add", "Open one", "--customer", "Acme", "--owner", "alice", "--due", "tomorrow")
    a2 = cli.id(*NOW, "activity", "add", "Finished", "--customer", "Acme", "--owner", "alice", "--due", "today")
    cli(*NOW, "activity", "done", str(a2), "--outcome", "ordered", ok=True)
    shown = cli.json(*NOW, "customer", "show", "Acme")
    assert [(r["id"], r["status"]) for r in shown["activities"]] == [(a1, "planned"), (a2, "done")]
    moved = {r["entity"]: r["moved"] for r in cli.json("customer", "transfer", "--from", "alice", "--to", "bob")}
    assert moved["activity"] == 1
    assert cli.json(*NOW, "activity", "show", str(a1))["owner"] == "bob"
    assert cli.json(*NOW, "activity", "show", str(a2))["owner"] == "alice"  # done ones stay


def test_history_records_changes(cli):
    aid = cli.id(*NOW, "activity", "add", "Call", "--due", "tomorrow")
    cli(*NOW, "activity", "done", str(aid), "--outcome", "ok", ok=True)
    hist = cli.json("history", "activity", str(aid))
    assert hist[0]["action"] == "create"
    assert any(h["field"] == "status" and h["new"] == "done" for h in hist)


def test_report_activity(cli):
    cli("user", "add", "alice", ok=True)
    cli("customer", "add", "Acme", ok=True)
    cli("customer", "add", "Beta", ok=True)
    cli(*NOW, "activity", "add", "a", "--type", "call", "--customer", "Acme", "--due", "2026-11-20 10:00",
        "--cost", "100", ok=True)
    cli(*NOW, "activity", "add", "b", "--type", "call", "--customer", "Acme", "--due", "2026-11-21", "--cost",
        "50.5", ok=True)
    cli(*NOW, "activity", "add", "c", "--type", "visit", "--customer", "Beta", "--due", "2026-11-25", ok=True)
    cli(*NOW, "activity", "add", "d", "--type", "task", "--owner", "alice", "--due", "2026-10-01", ok=True)
    cli(*NOW, "activity", "done", "2", ok=True)
    cli(*NOW, "activity", "start", "3", ok=True)
    rows = cli.json(*NOW, "report", "activity")
    assert rows == [
        {"key": "alice", "total": 1, "planned": 1, "in_progress": 0, "done": 0, "cancelled": 0, "overdue": 1,
         "completion_rate": 0.0, "customers": 0, "per_customer": None, "cost": {}},
        {"key": "tester", "total": 3, "planned": 1, "in_progress": 1, "done": 1, "cancelled": 0, "overdue": 1,
         "completion_rate": 33.3, "customers": 2, "per_customer": 1.5, "cost": {"CNY": "150.50"}},
    ]
    by_type = cli.json(*NOW, "report", "activity", "--by", "type", "--since", "2026-11-01")
    assert [(r["key"], r["total"]) for r in by_type] == [("call", 2), ("visit", 1)]
    assert cli(*NOW, "report", "activity", "--by", "colour").exit_code == 2


def test_subprocess_activity_list(run):
    env = {"CRM_NOW": "2026-11-23T09:00"}
    p = run("activity", "add", "Call 周总", "--type", "call", "--due", "2026-11-23 08:00", "-q", env=env)
    assert p.returncode == 0 and p.stdout == "1\n" and p.stderr == ""
    p = run("activity", "list", "--overdue", "--owner", "tester", env=env)
    assert p.returncode == 0 and p.stderr == ""
    assert p.stdout == "1\t2026-11-23T08:00:00+08:00\t1 hour\tcall\tCall 周总\tplanned\tnormal\ttester\t\n"
    p = run("activity", "done", "9", env=env)
    assert p.returncode == 3 and p.stdout == "" and p.stderr == "crm: error: no activity with id 9 (see 'crm activity list')\n"
    p = run("activity", "list", "--json", env=env)
    assert p.returncode == 0 and [a["id"] for a in json.loads(p.stdout)] == [1]


def test_no_success_message_for_a_change_rolled_back(cli):
    """'done' is not reported when the follow-up's date is bad and the whole change is rolled back."""
    aid = cli.id(*NOW, "activity", "add", "Call back", "--due", "today 10:00")
    r = cli(*NOW, "activity", "done", str(aid), "--next", "blursday")
    assert r.exit_code == 2 and r.stdout == "" and r.stderr.count("\n") == 1 and "done:" not in r.stderr
    assert r.stderr.startswith("crm: error: ")
    assert cli.json(*NOW, "activity", "show", str(aid))["status"] == "planned"
