"""crm agenda (calendar view) and crm activity export --ics (RFC 5545)."""

import json

ENV = {"CRM_NOW": "2026-11-23T09:00"}
NOW = ("--now", "2026-11-23T09:00")


def _setup(cli):
    cli("customer", "add", "Acme", ok=True)
    cli(*NOW, "activity", "add", "Late call", "--type", "call", "--due", "2026-11-20 10:00", ok=True)      # 1
    cli(*NOW, "activity", "add", "Demo", "--type", "meeting", "--customer", "Acme", "--due", "today 14:00",
        "--duration", "1h", ok=True)                                                                      # 2
    cli(*NOW, "activity", "add", "Samples", "--due", "today", ok=True)                                    # 3
    cli(*NOW, "activity", "add", "Quote", "--due", "2026-11-25 09:30", ok=True)                           # 4
    cli(*NOW, "activity", "add", "Next week", "--due", "2026-11-30 09:00", ok=True)                       # 5
    cli(*NOW, "activity", "add", "Morning", "--due", "today 8:00", ok=True)                               # 6
    cli(*NOW, "activity", "done", "6", ok=True)


def test_agenda_day_and_week_exact(cli, run):
    _setup(cli)
    p = run("agenda", env=ENV)
    assert p.returncode == 0 and p.stderr == ""
    assert p.stdout == (
        "Overdue\n"
        "  11-20 10:00 #1 call: Late call (2 days 23 hours late)\n"
        "\n"
        "Mon 2026-11-23\n"
        "  all day     #3 task: Samples\n"
        "  08:00       #6 task: Morning (done)\n"
        "  14:00-15:00 #2 meeting: Demo [Acme]\n"
    )
    p = run("agenda", "--week", env=ENV)
    assert p.stdout.endswith("\nWed 2026-11-25\n  09:30       #4 task: Quote\n")
    assert "Next week" not in p.stdout
    p = run("agenda", "2026-11-30", env=ENV)
    assert p.stdout == "Mon 2026-11-30\n  09:00       #5 task: Next week\n"  # no overdue group on other days
    p = run("agenda", "2026-12-25", env=ENV)
    assert p.returncode == 0 and p.stdout == "" and "nothing scheduled" in p.stderr
    rows = json.loads(run("agenda", "--week", "--json", env=ENV).stdout)
    assert [(r["day"], r["time"], r["id"]) for r in rows] == [
        ("overdue", "10:00", 1), ("2026-11-23", "all day", 3), ("2026-11-23", "08:00", 6),
        ("2026-11-23", "14:00", 2), ("2026-11-25", "09:30", 4)]
    p = run("agenda", "--day", "--week", env=ENV)
    assert p.returncode == 2 and p.stderr.count("\n") == 1
    p = run("agenda", "someday", env=ENV)
    assert p.returncode == 2 and "cannot read 'someday'" in p.stderr


def _unfold(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")


def test_ics_export_structure(cli, tmp_path):
    long = "Discuss the 2027 framework agreement, pricing; delivery\\terms — 价格与交货条款 " * 2
    cli(*NOW, "activity", "add", long.strip(), "--type", "meeting", "--due", "2026-11-24 10:00",
        "--duration", "45min", "--notes", "line one\nline two", ok=True)                                  # 1
    cli(*NOW, "activity", "add", "Holiday card", "--type", "care", "--due", "2026-12-24", ok=True)       # 2
    out = tmp_path / "a.ics"
    r = cli(*NOW, "activity", "export", "--ics", "-o", str(out), ok=True)
    assert "wrote 2 activities" in r.stderr
    raw = out.read_bytes()
    assert raw.startswith(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") and raw.endswith(b"END:VCALENDAR\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"")  # only CRLF line ends
    for line in raw.split(b"\r\n"):
        assert len(line) <= 75, line  # folded at 75 octets
        line.decode("utf-8")  # never split inside a UTF-8 character
    lines = _unfold(raw.decode("utf-8"))
    assert lines.count("BEGIN:VEVENT") == 2 and "TZID:Asia/Shanghai" in lines
    summary = [ln for ln in lines if ln.startswith("SUMMARY:")][0]
    assert summary == "SUMMARY:meeting: " + long.strip().replace("\\", "\\\\").replace(",", "\\,") \
        .replace(";", "\\;")
    assert "UID:activity-1@crm-cli" in lines and "DTSTAMP:20261123T010000Z" in lines
    assert "DTSTART;TZID=Asia/Shanghai:20261124T100000" in lines and "DURATION:PT45M" in lines
    assert "DTSTART;VALUE=DATE:20261224" in lines and "DTEND;VALUE=DATE:20261225" in lines
    desc = [ln for ln in lines if ln.startswith("DESCRIPTION:")][0]
    assert desc == "DESCRIPTION:Owner: tester\\nline one\\nline two\\ncrm activity 1"
    # stdout gives the same calendar
    r = cli(*NOW, "activity", "export", "--ics", ok=True)
    assert r.stdout_bytes.replace(b"\r\n", b"\n") == raw.replace(b"\r\n", b"\n")
    r = cli(*NOW, "activity", "export")
    assert r.exit_code == 2 and "--ics" in r.stderr


def test_ics_series_rrule_and_dst_timezone(cli, monkeypatch):
    monkeypatch.setenv("CRM_TIMEZONE", "Europe/Berlin")
    cli("--now", "2026-10-12T08:00", "activity", "add", "Standup", "--type", "meeting", "--due",
        "2026-10-12 09:00", "--repeat", "weekly", "--count", "5", ok=True)
    cli("--now", "2026-10-12T10:00", "activity", "done", "1", ok=True)
    cli("--now", "2026-10-12T10:00", "activity", "reschedule", "2", "2026-10-20 11:00", ok=True)
    r = cli("--now", "2026-10-12T10:00", "activity", "export", "--ics", "--status", "all", ok=True)
    lines = _unfold(r.stdout_bytes.decode("utf-8"))
    # the finished occurrence stands alone; the open one carries the rest of the series (4 left)
    # and, since it was moved, an override for that one date
    assert "UID:activity-1@crm-cli" in lines
    assert lines.count("UID:series-1@crm-cli") == 2
    assert "RRULE:FREQ=WEEKLY;COUNT=4" in lines
    assert "DTSTART;TZID=Europe/Berlin:20261019T090000" in lines
    assert "RECURRENCE-ID;TZID=Europe/Berlin:20261019T090000" in lines
    assert "DTSTART;TZID=Europe/Berlin:20261020T110000" in lines
    # VTIMEZONE (icalendar's) carries the real transitions, e.g. the end of summer time on 2026-10-25
    from datetime import datetime

    import icalendar

    cal = icalendar.Calendar.from_ical(r.stdout_bytes)
    (vtz,) = cal.walk("VTIMEZONE")
    assert vtz["TZID"] == "Europe/Berlin"
    tz = vtz.to_tz(lookup_tzid=False)  # from the VTIMEZONE itself, not the tz database
    assert datetime(2026, 10, 24, 12, tzinfo=tz).utcoffset().total_seconds() == 2 * 3600
    assert datetime(2026, 10, 26, 12, tzinfo=tz).utcoffset().total_seconds() == 3600
    assert datetime(2026, 3, 30, 12, tzinfo=tz).utcoffset().total_seconds() == 2 * 3600
    assert datetime(2027, 1, 5, 12, tzinfo=tz).utcoffset().total_seconds() == 3600


def test_agenda_owner_all_marks_owners_and_status(cli, run):
    cli("user", "add", "alice", ok=True)
    cli(*NOW, "activity", "add", "Mine", "--due", "today 10:00", ok=True)                                 # 1
    cli(*NOW, "activity", "add", "Hers", "--due", "today 11:00", "--owner", "alice", ok=True)            # 2
    cli(*NOW, "activity", "start", "2", ok=True)
    p = run("agenda", "--owner", "all", env=ENV)
    assert p.stdout == ("Mon 2026-11-23\n"
                        "  10:00       #1 task: Mine @tester\n"
                        "  11:00       #2 task: Hers @alice (in progress)\n")
    assert run("agenda", env=ENV).stdout == "Mon 2026-11-23\n  10:00       #1 task: Mine\n"
