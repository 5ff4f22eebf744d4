"""The one date parser for every date option, plus ranges and durations.

Accepted forms (local time unless an offset is given):
  ISO dates and datetimes         2026-11-25, 2026-11-25T14:30, 2026-11-25 14:30+08:00
  words                           now, today, tomorrow, yesterday, 今天, 明天, 后天, 昨天
  weekday names (the next one)    monday, fri, next friday
  offsets                         +3d -2w +1m +4h +30min, in 2 weeks, 3 days ago
  ends of periods                 eod eow eom eoq eoy (and sow som soq soy)
  a time after any of the above   tomorrow 9:30, next friday 3pm, today noon
  anything dateutil understands   25 Nov 2026, Nov 25, 2026/11/25, 2026年11月25日
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo

from crm_cli.core.errors import ValidationError

FORMS = ("ISO date/time (2026-11-25, 2026-11-25 14:30), today, tomorrow, yesterday, a weekday, "
         "+3d/-2w/+1m/+4h, 'in 2 weeks', '3 days ago', eow/eom/eoq/eoy, 'next friday 3pm', 'tomorrow 9:30'")

WEEKDAYS = {
    "monday": 0, "mon": 0, "tuesday": 1, "tue": 1, "tues": 1, "wednesday": 2, "wed": 2,
    "thursday": 3, "thu": 3, "thur": 3, "thurs": 3, "friday": 4, "fri": 4,
    "saturday": 5, "sat": 5, "sunday": 6, "sun": 6,
}
UNITS = {
    "min": "minutes", "mins": "minutes", "minute": "minutes", "minutes": "minutes",
    "h": "hours", "hr": "hours", "hrs": "hours", "hour": "hours", "hours": "hours",
    "d": "days", "day": "days", "days": "days",
    "w": "weeks", "wk": "weeks", "wks": "weeks", "week": "weeks", "weeks": "weeks",
    "m": "months", "mo": "months", "mon": "months", "month": "months", "months": "months",
    "q": "quarters", "quarter": "quarters", "quarters": "quarters",
    "y": "years", "yr": "years", "yrs": "years", "year": "years", "years": "years",
}
WORDS = {"today": 0, "tomorrow": 1, "yesterday": -1, "今天": 0, "明天": 1, "后天": 2, "昨天": -1, "前天": -2}
NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
                "seven": 7, "eight": 8, "nine": 9, "ten": 10}

_TIME_RE = re.compile(
    r"^(?:at\s+)?(?:(noon|midnight)|(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?)$", re.I)
_OFFSET_RE = re.compile(r"^([+-])\s*(\d+)\s*([a-z]+)$", re.I)
_IN_RE = re.compile(r"^in\s+(\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten)\s+([a-z]+)$", re.I)
_AGO_RE = re.compile(r"^(\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten)\s*([a-z]+)\s+ago$", re.I)
_CJK_DATE_RE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?$")


@dataclass(frozen=True)
class When:
    """A parsed moment: aware local datetime and whether the text named a time of day."""

    at: datetime
    has_time: bool

    @property
    def utc(self) -> datetime:
        return self.at.astimezone(timezone.utc)


def system_tz() -> tzinfo:
    """The operating system's timezone: $TZ if it names one, else the local zone."""
    import os

    if os.environ.get("TZ"):
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            return ZoneInfo(os.environ["TZ"])
        except (ZoneInfoNotFoundError, ValueError):
            pass
    from dateutil.tz import tzlocal

    return tzlocal()


def _real_now() -> datetime:
    return datetime.now(timezone.utc)


# Where the local timezone and the current time come from when a caller passes no `tz` / `base`.
# core/context registers its own (config `timezone`, --now / CRM_NOW) with use() when imported;
# this module imports nothing from crm_cli but errors, so it can be used (and tested) on its own.
_tz_provider: Callable[[], tzinfo] = system_tz
_now_provider: Callable[[], datetime] = _real_now


def use(*, tz: Callable[[], tzinfo] | None = None, now: Callable[[], datetime] | None = None) -> None:
    """Set the providers of the default timezone and of the current time (aware)."""
    global _tz_provider, _now_provider
    if tz is not None:
        _tz_provider = tz
    if now is not None:
        _now_provider = now


def _local_tz(tz: tzinfo | None = None) -> tzinfo:
    return tz if tz is not None else _tz_provider()


def _base_now() -> datetime:
    return _now_provider()


def _shift(d: datetime, n: int, unit: str) -> datetime:
    try:
        return _shift_unchecked(d, n, unit)
    except (OverflowError, ValueError):  # +99999y: past what a calendar can hold
        raise ValidationError(f"{n:+d} {unit} from {d.date().isoformat()} is out of range",
                              f"use a year from {YEARS[0]} to {YEARS[1]}") from None


def _shift_unchecked(d: datetime, n: int, unit: str) -> datetime:
    if unit in ("minutes", "hours", "days", "weeks"):
        if unit in ("days", "weeks"):
            # calendar arithmetic on wall time keeps 09:00 at 09:00 across DST
            naive = d.replace(tzinfo=None) + timedelta(**{unit: n})
            return _localize(naive, d.tzinfo)
        return (d.astimezone(timezone.utc) + timedelta(**{unit: n})).astimezone(d.tzinfo)
    from dateutil.relativedelta import relativedelta

    if unit == "quarters":
        unit, n = "months", 3 * n
    naive = d.replace(tzinfo=None) + relativedelta(**{unit: n})
    return _localize(naive, d.tzinfo)


def _localize(naive: datetime, tz: tzinfo | None) -> datetime:
    """Attach `tz` to a wall-clock time (non-existent times move forward, as calendars do)."""
    aware = naive.replace(tzinfo=tz)
    roundtrip = aware.astimezone(timezone.utc).astimezone(tz).replace(tzinfo=None)
    if roundtrip != naive:  # in a DST gap
        aware = (aware.astimezone(timezone.utc)).astimezone(tz)
    return aware


def _period_end(d: datetime, what: str) -> datetime:
    day = d.date()
    if what == "d":
        end = day
    elif what == "w":
        end = day + timedelta(days=6 - day.weekday())
    elif what == "m":
        end = _month_end(day.year, day.month)
    elif what == "q":
        end = _month_end(day.year, ((day.month - 1) // 3) * 3 + 3)
    else:
        end = date(day.year, 12, 31)
    return _localize(datetime.combine(end, time(23, 59, 59)), d.tzinfo)


def _period_start(d: datetime, what: str) -> datetime:
    day = d.date()
    if what == "d":
        start = day
    elif what == "w":
        start = day - timedelta(days=day.weekday())
    elif what == "m":
        start = day.replace(day=1)
    elif what == "q":
        start = date(day.year, ((day.month - 1) // 3) * 3 + 1, 1)
    else:
        start = date(day.year, 1, 1)
    return _localize(datetime.combine(start, time()), d.tzinfo)


def _month_end(year: int, month: int) -> date:
    import calendar

    return date(year, month, calendar.monthrange(year, month)[1])


def _parse_time(text: str) -> time | None:
    m = _TIME_RE.match(text.strip())
    if not m:
        return None
    if m.group(1):
        return time(12) if m.group(1).lower() == "noon" else time(0)
    hour = int(m.group(2))
    minute = int(m.group(3) or 0)
    second = int(m.group(4) or 0)
    ampm = (m.group(5) or "").lower().replace(".", "")
    if not m.group(3) and not ampm:
        return None  # a bare number is not a time
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return time(hour, minute, second)


def _amount(word: str) -> int:
    return int(word) if word.isdigit() else NUMBER_WORDS[word.lower()]


def _parse_day_part(text: str, now: datetime) -> datetime | None:
    """Parse everything but a trailing time of day. Returns local midnight-or-moment, or None."""
    t = text.strip().lower()
    midnight = _localize(datetime.combine(now.date(), time()), now.tzinfo)
    if t == "now":
        return now
    if t in WORDS:
        return _shift(midnight, WORDS[t], "days")
    if t in ("eod", "eow", "eom", "eoq", "eoy"):
        return _period_end(now, t[2])
    if t in ("sod", "sow", "som", "soq", "soy"):
        return _period_start(now, t[2])
    if t in ("next week", "next month", "next quarter", "next year"):
        unit = t.split()[1] + "s"
        return _period_start(_shift(now, 1, unit), unit[0])
    words = t.split()
    if words and words[0] == "next" and len(words) == 2 and words[1] in WEEKDAYS:
        t = words[1]
    if t in WEEKDAYS:
        ahead = (WEEKDAYS[t] - now.weekday()) % 7 or 7
        return _shift(midnight, ahead, "days")
    m = _OFFSET_RE.match(t)
    if m and m.group(3) in UNITS:
        n = int(m.group(2)) * (1 if m.group(1) == "+" else -1)
        unit = UNITS[m.group(3)]
        base = now if unit in ("minutes", "hours") else midnight
        return _shift(base, n, unit)
    m = _IN_RE.match(t)
    if m and m.group(2) in UNITS:
        unit = UNITS[m.group(2)]
        base = now if unit in ("minutes", "hours") else midnight
        return _shift(base, _amount(m.group(1)), unit)
    m = _AGO_RE.match(t)
    if m and m.group(2) in UNITS:
        unit = UNITS[m.group(2)]
        base = now if unit in ("minutes", "hours") else midnight
        return _shift(base, -_amount(m.group(1)), unit)
    m = _CJK_DATE_RE.match(text.strip())
    if m:
        try:
            return _localize(datetime(int(m.group(1)), int(m.group(2)), int(m.group(3))), now.tzinfo)
        except ValueError:
            return None
    return None


def _iso(text: str, tz: tzinfo) -> When | None:
    t = text.strip()
    if not re.match(r"^\d{4}-\d{2}-\d{2}", t):
        return None
    try:
        if len(t) == 10:
            d = date.fromisoformat(t)
            return When(_localize(datetime.combine(d, time()), tz), False)
        dt = datetime.fromisoformat(t.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = _localize(dt, tz)
    return When(dt.astimezone(tz), True)


YEARS = (1900, 2999)  # further out is a typo; year 9999 also broke calendar exports and arithmetic


def parse_when(text: str, base: datetime | None = None, option: str = "date", *, tz: tzinfo | None = None) -> When:
    """Parse a date expression into a local aware datetime, noting whether a time was given.

    `base` is "now" (default: the registered clock), `tz` the local timezone (default: the registered one).
    """
    when = _parse_when(text, base, option, tz)
    if not YEARS[0] <= when.at.year <= YEARS[1]:
        raise ValidationError(f"{option}: {when.at.date().isoformat()} is out of range",
                              f"use a year from {YEARS[0]} to {YEARS[1]}")
    return when


def _parse_when(text: str, base: datetime | None, option: str, tz: tzinfo | None) -> When:
    if text is None or not str(text).strip():
        raise ValidationError(f"{option}: empty date", "accepted: " + FORMS)
    tz = _local_tz(tz)
    now = (base or _base_now()).astimezone(tz)
    raw = " ".join(str(text).split())
    iso = _iso(raw, tz)
    if iso:
        return iso
    day = _parse_day_part(raw, now)
    if day is not None:
        offset = _OFFSET_RE.match(raw.lower())
        has_time = raw.lower() == "now" or bool(offset and UNITS.get(offset.group(3)) in ("minutes", "hours"))
        return When(day, has_time)
    # "<day part> <time>" or "<time>" alone (today at that time)
    only_time = _parse_time(raw)
    if only_time:
        return When(_localize(datetime.combine(now.date(), only_time), tz), True)
    parts = raw.split(" ")
    for cut in range(len(parts) - 1, 0, -1):
        head, tail = " ".join(parts[:cut]), " ".join(parts[cut:])
        tod = _parse_time(tail)
        if tod is None:
            continue
        day = _parse_day_part(head, now) or (_iso(head, tz).at if _iso(head, tz) else None)
        if day is not None:
            return When(_localize(datetime.combine(day.date(), tod), tz), True)
    return _fallback(raw, now, tz, option)


def _fallback(raw: str, now: datetime, tz: tzinfo, option: str) -> When:
    from dateutil import parser as du

    if not re.search(r"\d", raw) and not re.search(
            r"jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec", raw, re.I):
        raise ValidationError(f"{option}: cannot read '{raw}' as a date", "accepted: " + FORMS)
    default = datetime.combine(now.date(), time())
    try:
        dt = du.parse(raw, default=default)
    except (ValueError, OverflowError, TypeError):
        raise ValidationError(f"{option}: cannot read '{raw}' as a date", "accepted: " + FORMS) from None
    has_time = dt.time() != time() or bool(re.search(r"\d:\d", raw))
    if dt.tzinfo is None:
        dt = _localize(dt, tz)
    return When(dt.astimezone(tz), has_time)


def parse_datetime(text: str, base: datetime | None = None, option: str = "date", *,
                   tz: tzinfo | None = None) -> datetime:
    """An aware datetime (local tz) for `text`."""
    return parse_when(text, base=base, option=option, tz=tz).at


def parse_date(text: str, base: datetime | None = None, option: str = "date", *, tz: tzinfo | None = None) -> date:
    return parse_when(text, base=base, option=option, tz=tz).at.date()


def parse_range(text: str, option: str = "range", *, base: datetime | None = None,
                tz: tzinfo | None = None) -> tuple[datetime, datetime]:
    """'DATE..DATE' (either side may be empty) -> [start, end) as aware datetimes."""
    if ".." not in text:
        raise ValidationError(f"{option}: expected START..END, got '{text}'", "e.g. 2026-01-01..2026-03-31")
    left, right = text.split("..", 1)
    start = (parse_when(left, base, option, tz=tz).at if left.strip()
             else datetime(1, 1, 2, tzinfo=timezone.utc))
    if right.strip():
        end_when = parse_when(right, base, option, tz=tz)
        end = end_when.at if end_when.has_time else _shift(end_when.at, 1, "days")
    else:
        end = datetime(9999, 12, 30, tzinfo=timezone.utc)
    if end <= start:
        raise ValidationError(f"{option}: the range '{text}' ends before it starts")
    return start, end


def parse_duration(text: str, option: str = "duration") -> timedelta:
    """'30d', '2w', '4h', '90min', '1m' (30 days) -> timedelta."""
    m = re.match(r"^\s*(\d+)\s*([a-z]+)\s*$", str(text).lower())
    if not m or m.group(2) not in UNITS:
        raise ValidationError(f"{option}: cannot read '{text}' as a duration", "e.g. 30d, 2w, 4h, 90min")
    n, unit = int(m.group(1)), UNITS[m.group(2)]
    factor = {"minutes": timedelta(minutes=1), "hours": timedelta(hours=1), "days": timedelta(days=1),
              "weeks": timedelta(weeks=1), "months": timedelta(days=30), "quarters": timedelta(days=91),
              "years": timedelta(days=365)}[unit]
    return n * factor


def to_local(dt: datetime | None, *, tz: tzinfo | None = None) -> datetime | None:
    """`dt` in the local timezone (naive datetimes are UTC)."""
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(_local_tz(tz))


def iso(dt: datetime | date | None, *, tz: tzinfo | None = None) -> str | None:
    """ISO-8601 for machine formats: datetimes in local time with offset."""
    if dt is None:
        return None
    if isinstance(dt, datetime):
        return to_local(dt, tz=tz).isoformat(timespec="seconds")
    return dt.isoformat()


def human(dt: datetime | date | None, *, tz: tzinfo | None = None) -> str:
    """Short local form for tables."""
    if dt is None:
        return ""
    if isinstance(dt, datetime):
        return to_local(dt, tz=tz).strftime("%Y-%m-%d %H:%M")
    return dt.isoformat()
