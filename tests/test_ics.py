"""crm activity export --ics parses back with icalendar: text, times, zones and series round-trip."""

from datetime import date, datetime, timedelta, timezone

import icalendar

NOW = ("--now", "2026-11-23T09:00")


def test_ics_round_trips_through_icalendar(cli):
    subject = "报价; 价格, 交货条款 \\ Q4 framework agreement " + "长" * 60  # > 75 octets
    notes = "第一行, with; punctuation\n第二行 second line"
    cli(*NOW, "customer", "add", "华强电子, Ltd; Shenzhen", ok=True)
    cli(*NOW, "activity", "add", subject, "--type", "meeting", "--customer", "1", "--due", "2026-11-24 10:00",
        "--duration", "90min", "--notes", notes, ok=True)
    cli(*NOW, "activity", "add", "年终拜访", "--due", "2026-12-24", ok=True)
    raw = cli(*NOW, "activity", "export", "--ics", ok=True).stdout_bytes
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    cal = icalendar.Calendar.from_ical(raw)
    timed, allday = cal.walk("VEVENT")
    assert str(timed["SUMMARY"]) == "meeting: " + subject
    assert str(timed["DESCRIPTION"]) == ("Customer: 华强电子, Ltd; Shenzhen\nOwner: tester\n" + notes + "\n"
                                         + "crm activity 1")
    start = timed.decoded("DTSTART")
    assert start.astimezone(timezone.utc) == datetime(2026, 11, 24, 2, 0, tzinfo=timezone.utc)  # 10:00 +08
    assert timed.decoded("DURATION") == timedelta(minutes=90)
    assert timed["UID"] == "activity-1@crm-cli" and timed.decoded("PRIORITY") == 5
    assert [str(c) for c in timed["CATEGORIES"].cats] == ["MEETING"]
    assert allday.decoded("DTSTART") == date(2026, 12, 24) and allday.decoded("DTEND") == date(2026, 12, 25)
    assert str(allday["SUMMARY"]) == "task: 年终拜访"
    (vtz,) = cal.walk("VTIMEZONE")
    assert vtz["TZID"] == "Asia/Shanghai"


def test_ics_series_until_round_trips(cli, monkeypatch):
    monkeypatch.setenv("CRM_TIMEZONE", "Europe/Berlin")
    cli("--now", "2026-10-12T08:00", "activity", "add", "Standup", "--type", "meeting", "--due",
        "2026-10-12 09:00", "--repeat", "weekly", "--until", "2026-12-31", ok=True)
    cal = icalendar.Calendar.from_ical(cli("--now", "2026-10-12T08:00", "activity", "export", "--ics",
                                           ok=True).stdout_bytes)
    (ev,) = cal.walk("VEVENT")
    rule = ev["RRULE"]
    assert rule["FREQ"] == ["WEEKLY"] and "COUNT" not in rule
    assert rule["UNTIL"][0].tzinfo is not None and rule["UNTIL"][0].date() >= date(2026, 12, 30)
