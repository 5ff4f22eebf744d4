"""iCalendar (RFC 5545) export of activities, written by hand (no dependency).

CRLF line endings, lines folded at 75 octets (never inside a UTF-8 character), TEXT values
escaped, a UID and DTSTAMP per event, DTSTART with TZID (and a VTIMEZONE built from the zone's
real transitions) or VALUE=DATE for all-day activities, RRULE for the open occurrence of a series.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

PRODID = "-//crm-cli//crm activity export//EN"
PRIORITY = {"high": 1, "normal": 5, "low": 9}


def escape(text: str) -> str:
    return (str(text).replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def fold(line: str) -> str:
    """Split a content line into pieces of at most 75 octets joined by CRLF + space."""
    out, cur, size, limit = [], [], 0, 75
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > limit:
            out.append("".join(cur))
            cur, size, limit = [], 0, 74  # the leading space of a continuation line is one octet
        cur.append(ch)
        size += n
    out.append("".join(cur))
    return "\r\n ".join(out)


def _utc(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _offset(td: timedelta) -> str:
    secs = int(td.total_seconds())
    sign = "+" if secs >= 0 else "-"
    secs = abs(secs)
    h, rem = divmod(secs, 3600)
    m, s = divmod(rem, 60)
    return f"{sign}{h:02d}{m:02d}" + (f"{s:02d}" if s else "")


def vtimezone(name: str, first_year: int, last_year: int) -> list[str]:
    """A VTIMEZONE listing the zone's actual offset changes between the two years."""
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(name)
    start = datetime(first_year, 1, 1, tzinfo=timezone.utc)
    end = datetime(last_year + 1, 1, 1, tzinfo=timezone.utc)

    def off(t):
        return t.astimezone(tz).utcoffset()

    def block(kind, wall, frm, to, abbr):
        return [f"BEGIN:{kind}", f"DTSTART:{wall.strftime('%Y%m%dT%H%M%S')}", f"TZOFFSETFROM:{_offset(frm)}",
                f"TZOFFSETTO:{_offset(to)}"] + ([f"TZNAME:{abbr}"] if abbr else []) + [f"END:{kind}"]

    first = start.astimezone(tz)
    lines = ["BEGIN:VTIMEZONE", f"TZID:{name}"]
    lines += block("DAYLIGHT" if first.dst() else "STANDARD", first.replace(tzinfo=None), first.utcoffset(),
                   first.utcoffset(), first.tzname())
    t, step = start, timedelta(days=1)
    while t < end:
        nxt = t + step
        a, b = off(t), off(nxt)
        if a != b:
            lo, hi = t, nxt  # offset a at lo, b at hi: bisect to the minute
            while hi - lo > timedelta(minutes=1):
                mid = lo + (hi - lo) / 2
                if off(mid) == a:
                    lo = mid
                else:
                    hi = mid
            at = hi.replace(second=0, microsecond=0)
            local = at.astimezone(tz)
            wall_before = (at + a).replace(tzinfo=None)
            lines += block("DAYLIGHT" if local.dst() else "STANDARD", wall_before, a, b, local.tzname())
        t = nxt
    lines.append("END:VTIMEZONE")
    return lines


def _dt_prop(prop: str, moment: datetime, tzname: str | None) -> str:
    if tzname:
        from zoneinfo import ZoneInfo

        return f"{prop};TZID={tzname}:{moment.astimezone(ZoneInfo(tzname)).strftime('%Y%m%dT%H%M%S')}"
    return f"{prop}:{_utc(moment)}"


def _local_date(moment: datetime, tzname: str | None) -> date:
    from crm_cli.services.activities import zone

    return moment.astimezone(zone(tzname)).date()


def _rrule(a) -> str | None:
    from crm_cli.services.activities import OPEN

    if not a.repeat_rule or a.status not in OPEN:
        return None
    rule = "RRULE:" + a.repeat_rule
    if a.repeat_count is not None:
        rule += f";COUNT={max(a.repeat_count - (a.occurrence or 1) + 1, 1)}"
    elif a.repeat_until is not None:
        rule += (f";UNTIL={_local_date(a.repeat_until, a.timezone).strftime('%Y%m%d')}" if a.all_day
                 else f";UNTIL={_utc(a.repeat_until)}")
    return rule


def _zone_name(a) -> str | None:
    if a.all_day or not a.timezone:
        return None
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(a.timezone)
        return a.timezone
    except Exception:
        return None


def _event(a, owner: str | None, customer: str | None, stamp: str, start: datetime, *,
           rrule: str | None = None, recurrence_id: datetime | None = None, host: str = "crm-cli") -> list[str]:
    tzname = _zone_name(a)
    series = rrule is not None or recurrence_id is not None
    uid = f"series-{a.series_id or a.id}@{host}" if series else f"activity-{a.id}@{host}"
    lines = ["BEGIN:VEVENT", f"UID:{uid}", f"DTSTAMP:{stamp}"]
    if a.all_day:
        d = _local_date(start, a.timezone)
        lines.append(f"DTSTART;VALUE=DATE:{d.strftime('%Y%m%d')}")
        lines.append(f"DTEND;VALUE=DATE:{(d + timedelta(days=1)).strftime('%Y%m%d')}")
    else:
        lines.append(_dt_prop("DTSTART", start, tzname))
        if a.duration_min:
            lines.append(f"DURATION:PT{a.duration_min}M")
    if recurrence_id is not None:
        if a.all_day:
            lines.append(f"RECURRENCE-ID;VALUE=DATE:{_local_date(recurrence_id, a.timezone).strftime('%Y%m%d')}")
        else:
            lines.append(_dt_prop("RECURRENCE-ID", recurrence_id, tzname))
    if rrule:
        lines.append(rrule)
    lines.append("SUMMARY:" + escape(f"{a.type}: {a.subject}"))
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
    lines.append("DESCRIPTION:" + escape("\n".join(desc)))
    lines.append("CATEGORIES:" + escape(a.type.upper()))
    lines.append(f"PRIORITY:{PRIORITY.get(a.priority, 5)}")
    lines.append("STATUS:" + ("CANCELLED" if a.status == "cancelled" else "CONFIRMED"))
    lines.append(f"CREATED:{_utc(a.created_at)}")
    lines.append(f"LAST-MODIFIED:{_utc(a.updated_at)}")
    lines.append("END:VEVENT")
    return lines


def calendar(rows, now: datetime) -> str:
    """rows: (Activity, owner handle, customer name) -> the whole VCALENDAR text (CRLF)."""
    stamp = _utc(now)
    events: list[str] = []
    zones: dict[str, list[int]] = {}
    for a, owner, customer in rows:
        if a.due_at is None:
            continue
        rrule = _rrule(a)
        tzname = _zone_name(a)
        years = [a.due_at.year]
        if rrule and a.slot_at is not None and a.slot_at != a.due_at:
            # the series keeps its slot; this occurrence was moved: an override with RECURRENCE-ID
            events += _event(a, owner, customer, stamp, a.slot_at, rrule=rrule)
            events += _event(a, owner, customer, stamp, a.due_at, recurrence_id=a.slot_at)
            years.append(a.slot_at.year)
        else:
            events += _event(a, owner, customer, stamp, a.due_at, rrule=rrule)
        if rrule:
            years.append((a.repeat_until.year if a.repeat_until else a.due_at.year + 2))
        if tzname:
            zones.setdefault(tzname, []).extend(years)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH"]
    for name, years in sorted(zones.items()):
        lines += vtimezone(name, min(years) - 1, max(years) + 1)
    lines += events
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
