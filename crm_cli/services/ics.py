"""iCalendar (RFC 5545) export of activities, through the icalendar library.

icalendar folds lines at 75 octets (never inside a UTF-8 character), escapes TEXT values and writes
CRLF. Each event has a UID and DTSTAMP; DTSTART carries a TZID (with a VTIMEZONE built from the zone's
real transitions) or VALUE=DATE for all-day activities; the open occurrence of a series carries the RRULE.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

PRODID = "-//crm-cli//crm activity export//EN"
PRIORITY = {"high": 1, "normal": 5, "low": 9}


def _local_date(moment: datetime, tzname: str | None) -> date:
    from crm_cli.services.activities import zone

    return moment.astimezone(zone(tzname)).date()


def _zone(a):
    """The activity's zone (a ZoneInfo) when it is a timed activity in a known zone, else None (UTC)."""
    if a.all_day or not a.timezone:
        return None
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(a.timezone)
    except (KeyError, ValueError):  # ZoneInfoNotFoundError is a KeyError; a malformed name a ValueError
        return None


def _moment(moment: datetime, tz) -> datetime:
    return moment.astimezone(tz if tz is not None else timezone.utc)


def _rrule(a):
    from icalendar import vRecur

    from crm_cli.services.activities import OPEN

    if not a.repeat_rule or a.status not in OPEN:
        return None
    rule = vRecur.from_ical(a.repeat_rule)
    if a.repeat_count is not None:
        rule["COUNT"] = [max(a.repeat_count - (a.occurrence or 1) + 1, 1)]
    elif a.repeat_until is not None:
        rule["UNTIL"] = [_local_date(a.repeat_until, a.timezone) if a.all_day
                         else a.repeat_until.astimezone(timezone.utc)]
    return rule


def _event(a, owner: str | None, customer: str | None, stamp: datetime, start: datetime, *,
           rrule=None, recurrence_id: datetime | None = None, host: str = "crm-cli"):
    from icalendar import Event

    tz = _zone(a)
    series = rrule is not None or recurrence_id is not None
    ev = Event()
    ev.add("uid", f"series-{a.series_id or a.id}@{host}" if series else f"activity-{a.id}@{host}")
    ev.add("dtstamp", stamp)
    if a.all_day:
        d = _local_date(start, a.timezone)
        ev.add("dtstart", d)
        ev.add("dtend", d + timedelta(days=1))
    else:
        ev.add("dtstart", _moment(start, tz))
        if a.duration_min:
            ev.add("duration", timedelta(minutes=a.duration_min))
    if recurrence_id is not None:
        ev.add("recurrence-id", _local_date(recurrence_id, a.timezone) if a.all_day
               else _moment(recurrence_id, tz))
    if rrule is not None:
        ev.add("rrule", rrule)
    ev.add("summary", f"{a.type}: {a.subject}")
    desc = []
    if customer:
        desc.append(f"Customer: {customer}")
    if owner:
        desc.append(f"Owner: {owner}")
    if a.notes:
        desc.append(a.notes)
    if a.outcome:
        desc.append(f"Outcome: {a.outcome}")
    desc.append(f"crm activity {a.id}")
    ev.add("description", "\n".join(desc))
    ev.add("categories", [a.type.upper()])
    ev.add("priority", PRIORITY.get(a.priority, 5))
    ev.add("status", "CANCELLED" if a.status == "cancelled" else "CONFIRMED")
    ev.add("created", a.created_at.astimezone(timezone.utc))
    ev.add("last-modified", a.updated_at.astimezone(timezone.utc))
    return ev


def calendar(rows, now: datetime) -> str:
    """rows: (Activity, owner handle, customer name) -> the whole VCALENDAR text (CRLF)."""
    from icalendar import Calendar

    cal = Calendar()
    cal.add("version", "2.0")
    cal.add("prodid", PRODID)
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    stamp = now.astimezone(timezone.utc)
    years: list[int] = []
    for a, owner, customer in rows:
        if a.due_at is None:
            continue
        rrule = _rrule(a)
        years.append(a.due_at.year)
        if rrule is not None and a.slot_at is not None and a.slot_at != a.due_at:
            # the series keeps its slot; this occurrence was moved: an override with RECURRENCE-ID
            cal.add_component(_event(a, owner, customer, stamp, a.slot_at, rrule=rrule))
            cal.add_component(_event(a, owner, customer, stamp, a.due_at, recurrence_id=a.slot_at))
            years.append(a.slot_at.year)
        else:
            cal.add_component(_event(a, owner, customer, stamp, a.due_at, rrule=rrule))
        if rrule is not None:
            years.append(a.repeat_until.year if a.repeat_until else a.due_at.year + 2)
    if years:
        # a VTIMEZONE for every zone an event uses, with the zone's transitions over the years it spans
        cal.add_missing_timezones(first_date=date(min(years) - 1, 1, 1), last_date=date(max(years) + 2, 1, 1))
    return cal.to_ical().decode("utf-8")


def export_ics(session, *, now, owner_id=None, due_range=None, status=None) -> tuple[str, int]:
    """`crm activity export --ics`: the iCalendar text and how many activities (with a due time) it holds."""
    from crm_cli.services.activities import query

    rows = session.execute(query(now=now, owner_id=owner_id, due_range=due_range, status=status)).all()
    return calendar(rows, now), sum(1 for a, _o, _c in rows if a.due_at is not None)
