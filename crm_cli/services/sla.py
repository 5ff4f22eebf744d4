"""SLA: business calendars, policies, and the business-time arithmetic of due times (docs/sla.md).

The math (Calendar, add_business, business_seconds, evaluate, risk_at, parse_hours, parse_target)
is pure: no session, aware datetimes in and aware UTC datetimes out. A calendar's windows are wall-clock
times in its own time zone (zoneinfo: DST-correct); a business second is a real second that falls inside
a window on a day that is not a holiday. The walk goes a whole local day at a time (a few datetime
operations per day), so ten years of searching is a few milliseconds.

The session functions (get_calendar, policy_for, the calendar and policy commands' services) sit below.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from fractions import Fraction
from functools import lru_cache

from crm_cli.core.errors import Conflict, CrmError, NotFound, ValidationError

UTC = timezone.utc
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PRIORITIES = ("low", "normal", "high", "urgent")
TIERS = ("A", "B", "C", "D")
BUILT_IN = "24x7"
SEARCH_DAYS = 3660          # the walk gives up after ~10 years without enough business time
MAX_TARGET_S = 10_000 * 3600  # the longest target: 10000 business hours
DAY_S = 86400


@dataclass(frozen=True)
class Calendar:
    name: str
    tz: str                                           # IANA name
    windows: tuple[tuple[tuple[int, int], ...], ...]  # 7 entries (Mon..Sun): sorted ((start_sec, end_sec), ...)
    holidays: frozenset[date] = frozenset()           # local dates with no hours


TWENTY_FOUR_SEVEN = Calendar(BUILT_IN, "UTC", tuple(((0, DAY_S),) for _ in range(7)), frozenset())


@lru_cache(maxsize=64)
def _zone(name: str):
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


def check_tz(name: str, option: str = "--tz") -> str:
    from zoneinfo import ZoneInfoNotFoundError

    text = (name or "").strip()
    try:
        if not text or text != name.strip() or "\x00" in text:
            raise ValueError
        _zone(text)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValidationError(f"{option}: unknown time zone '{_shown(name)}'",
                              "use an IANA name such as Asia/Shanghai or Europe/Berlin") from None
    return text


def _shown(value) -> str:
    from crm_cli.core.errors import clip

    return clip(value)


# ---------------------------------------------------------------------------------------------------
# the walk


def _at(tz, day: date, secs: int) -> datetime:
    """Local wall time `secs` after midnight of `day` (24:00 = next midnight), as UTC. A wall time in a
    DST gap maps like zoneinfo's fold=0 (02:30 on a spring-forward night is 03:30 summer time)."""
    if secs >= DAY_S:
        day, secs = day + timedelta(days=secs // DAY_S), secs % DAY_S
    local = datetime.combine(day, time(secs // 3600, secs % 3600 // 60, secs % 60), tzinfo=tz)
    return local.astimezone(UTC)


def _intervals(cal: Calendar, tz, day: date) -> list[tuple[datetime, datetime]]:
    """The business intervals (UTC, half-open) of one local day."""
    if day in cal.holidays:
        return []
    out = []
    for s, e in cal.windows[day.weekday()]:
        a, b = _at(tz, day, s), _at(tz, day, e)
        if b > a:
            out.append((a, b))
    return out


def _utc(dt: datetime, what: str) -> datetime:
    if dt.tzinfo is None:
        raise ValueError(f"{what}: naive datetime given to the SLA engine")
    return dt.astimezone(UTC)


def _no_hours(cal: Calendar) -> CrmError:
    return CrmError(f"calendar '{cal.name}' has no business hours within 10 years",
                    f"give it hours: crm sla calendar edit {cal.name} --hours ...")


def add_business(cal: Calendar, start: datetime, seconds: int) -> datetime:
    """The instant `seconds` business seconds after `start` (UTC). Outside hours the clock starts at the
    next opening; the result may be exactly a closing time. seconds == 0: `start` if inside hours, else
    the next opening."""
    if seconds < 0:
        raise ValueError("add_business: negative seconds")
    start = _utc(start, "start")
    if not any(cal.windows):
        raise _no_hours(cal)
    tz = _zone(cal.tz)
    remaining = timedelta(seconds=seconds)
    day = start.astimezone(tz).date() - timedelta(days=1)  # the day before: a window ending at 24:00 on a
    for _ in range(SEARCH_DAYS + 1):                        # DST night may reach past local midnight
        for a, b in _intervals(cal, tz, day):
            if b <= start:
                continue
            a = max(a, start)
            avail = b - a
            if remaining <= avail:
                return a + remaining
            remaining -= avail
        day += timedelta(days=1)
    raise _no_hours(cal)


def business_seconds(cal: Calendar, a: datetime, b: datetime) -> int:
    """Business seconds in [a, b) (whole seconds, rounded down); 0 if b <= a."""
    a, b = _utc(a, "a"), _utc(b, "b")
    if b <= a:
        return 0
    tz = _zone(cal.tz)
    day, last = a.astimezone(tz).date() - timedelta(days=1), b.astimezone(tz).date()
    total = timedelta(0)
    while day <= last:
        for s, e in _intervals(cal, tz, day):
            lo, hi = max(s, a), min(e, b)
            if hi > lo:
                total += hi - lo
        day += timedelta(days=1)
    return int(total.total_seconds())


def in_hours(cal: Calendar, at: datetime) -> bool:
    """Whether `at` is inside a business window (closing time itself is not)."""
    return add_business(cal, at, 0) == _utc(at, "at")


# ---------------------------------------------------------------------------------------------------
# evaluation of one clock


@dataclass(frozen=True)
class Target:
    """One clock's evaluation at `now`."""

    state: str             # "met" | "due" | "at-risk" | "breached"
    due: datetime          # effective due time (UTC) given pauses so far (while paused: the due if resumed now)
    left_s: int | None     # business seconds left (state due/at-risk), else None
    over_s: int | None     # business seconds over (breached), else None


def risk_threshold(target_s: int, share: Fraction) -> int:
    """The business seconds left from which a clock is at risk: share x target, rounded down."""
    return int(Fraction(target_s) * share)  # int() of a non-negative Fraction rounds down


def evaluate(cal: Calendar, created: datetime, target_s: int, paused_s: int, now: datetime, *,
             met_at: datetime | None = None, paused_since: datetime | None = None,
             at_risk_share: Fraction = Fraction(1, 4)) -> Target:
    """The state of a clock of `target_s` business seconds started at `created`.

    paused_s: business seconds of completed pauses; paused_since: the start of a running pause (its
    business time up to `now` counts as paused). due = add_business(created, target_s + paused).
    met_at given: met if met_at <= due, else breached by business_seconds(due, met_at).
    Otherwise: breached if now > due (by business_seconds(due, now), which is 0 while still outside hours
    after a due at closing time); at risk if at most risk_threshold(target_s, share) seconds are left;
    else due."""
    now = _utc(now, "now")
    paused = paused_s + (business_seconds(cal, paused_since, now) if paused_since is not None else 0)
    due = add_business(cal, created, target_s + paused)
    if met_at is not None:
        met_at = _utc(met_at, "met_at")
        if met_at <= due:
            return Target("met", due, None, None)
        return Target("breached", due, None, business_seconds(cal, due, met_at))
    if now > due:
        return Target("breached", due, None, business_seconds(cal, due, now))
    left = business_seconds(cal, max(now, _utc(created, "created")), due)
    state = "at-risk" if left <= risk_threshold(target_s, at_risk_share) else "due"
    return Target(state, due, left, None)


def describe(t: Target) -> str:
    """A clock's state for people: 'met', 'due in 2h30m', 'at risk: 30m left', 'breached by 1h15m'."""
    if t.state == "met":
        return "met"
    if t.state == "breached":
        return f"breached by {format_seconds(t.over_s)}"
    if t.state == "at-risk":
        return f"at risk: {format_seconds(t.left_s)} left"
    return f"due in {format_seconds(t.left_s)}"


def risk_at(cal: Calendar, created: datetime, target_s: int, paused_s: int,
            share: Fraction = Fraction(1, 4)) -> datetime:
    """When the at-risk threshold is crossed (no further pauses): the first instant with at most
    risk_threshold(target_s, share) business seconds left."""
    return add_business(cal, created, target_s - risk_threshold(target_s, share) + paused_s)


def at_risk_share(config=None) -> Fraction:
    """The at-risk share from the config key sla_at_risk (a percentage, default 25)."""
    if config is None:
        from crm_cli.core import config
    value = config.get("sla_at_risk")  # the config module, or a dict of settings
    return Fraction(int(value if value is not None else 25), 100)


# ---------------------------------------------------------------------------------------------------
# parsing and formatting: business hours, durations


_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_WINDOW = re.compile(r"^\s*([^-\s]+)\s*-\s*([^-\s]+)\s*$")


def _hhmm(text: str, spec: str, *, end: bool) -> int:
    m = _TIME.match(text)
    if m:
        h, mi = int(m.group(1)), int(m.group(2))
        if mi < 60 and (h < 24 or (end and h == 24 and mi == 0)):
            return h * 3600 + mi * 60
    raise ValidationError(f"--hours: bad time '{_shown(text)}' in '{_shown(spec)}'",
                          "use HH:MM from 00:00 to 24:00, e.g. \"mon-fri 09:00-18:00\"")


def _day(text: str, spec: str) -> int:
    name = text.strip().lower()[:3] if len(text.strip()) >= 3 else text
    full = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
    if text.strip().lower() in full or text.strip().lower() in DAYS:
        return DAYS.index(name)
    raise ValidationError(f"--hours: bad day name '{_shown(text)}' in '{_shown(spec)}'",
                          "use mon, tue, wed, thu, fri, sat, sun, a range such as mon-fri, or a list such as "
                          "mon,wed")


def _days(text: str, spec: str) -> list[int]:
    out: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if part.lower() in ("daily", "every day"):
            out.extend(range(7))
            continue
        first, sep, last = part.partition("-")
        a = _day(first, spec)
        b = _day(last, spec) if sep else a
        if b < a:
            raise ValidationError(f"--hours: the day range '{_shown(part)}' ends before it starts",
                                  "write it in week order (Mon..Sun), e.g. sat-sun or fri,sat,sun")
        out.extend(range(a, b + 1))
    return out


def _fmt_time(secs: int) -> str:
    return f"{secs // 3600:02d}:{secs % 3600 // 60:02d}"


def parse_hours(specs: list[str] | tuple[str, ...]) -> tuple[tuple[tuple[int, int], ...], ...]:
    """--hours values ("mon-fri 09:00-12:00,13:00-18:00", "sat 10:00-14:00"; ';' also separates specs)
    -> 7 sorted tuples of (start_sec, end_sec). Touching windows are joined; overlapping ones, an end at or
    before its start, bad day names or times are a ValidationError. No hours at all is refused."""
    days: list[list[tuple[int, int]]] = [[] for _ in range(7)]
    pieces = [p.strip() for spec in specs for p in str(spec).split(";") if p.strip()]
    if not pieces:
        raise ValidationError("--hours: no business hours given", "e.g. --hours \"mon-fri 09:00-18:00\"")
    for spec in pieces:
        m = re.match(r"^(\S+(?:\s*,\s*\S+)*?)\s+(\d.*)$", spec)
        if not m:
            raise ValidationError(f"--hours: cannot read '{_shown(spec)}'",
                                  "write DAYS HH:MM-HH:MM[,HH:MM-HH:MM], e.g. \"mon-fri 09:00-12:00,13:00-18:00\"")
        which = _days(m.group(1), spec)
        for window in m.group(2).split(","):
            w = _WINDOW.match(window)
            if not w:
                raise ValidationError(f"--hours: cannot read the window '{_shown(window.strip())}' in "
                                      f"'{_shown(spec)}'", "write HH:MM-HH:MM, e.g. 09:00-18:00")
            s, e = _hhmm(w.group(1), spec, end=False), _hhmm(w.group(2), spec, end=True)
            if e <= s:
                raise ValidationError(f"--hours: the window {w.group(1)}-{w.group(2)} ends at or before it "
                                      f"starts", "windows cannot cross midnight: split them, e.g. "
                                      "\"mon 22:00-24:00\" and \"tue 00:00-06:00\"")
            for d in which:
                days[d].append((s, e))
    out = []
    for d, windows in enumerate(days):
        windows.sort()
        merged: list[tuple[int, int]] = []
        for s, e in windows:
            if merged and s < merged[-1][1]:
                ps, pe = merged[-1]
                raise ValidationError(f"--hours: overlapping windows on {DAYS[d]}: {_fmt_time(ps)}-{_fmt_time(pe)} "
                                      f"and {_fmt_time(s)}-{_fmt_time(e)}", "give each time of day once")
            if merged and s == merged[-1][1]:
                merged[-1] = (merged[-1][0], e)
            else:
                merged.append((s, e))
        out.append(tuple(merged))
    return tuple(out)


def format_hours(windows) -> str:
    """The canonical text of a week's windows: runs of days with the same hours, '; ' between them
    ("mon-fri 09:00-12:00,13:00-18:00; sat 10:00-14:00"); '' if none."""
    parts, d = [], 0
    while d < 7:
        e = d
        while e + 1 < 7 and windows[e + 1] == windows[d]:
            e += 1
        if windows[d]:
            days = DAYS[d] if d == e else f"{DAYS[d]}-{DAYS[e]}"
            parts.append(days + " " + ",".join(f"{_fmt_time(s)}-{_fmt_time(t)}" for s, t in windows[d]))
        d = e + 1
    return "; ".join(parts)


_UNIT_S = {"d": DAY_S, "h": 3600, "m": 60}


def parse_target(text: str, option: str) -> int:
    """'30m', '4h', '1h30m', '2d' (d = 24 hours of business time) -> business seconds; 0, negatives and
    anything else are a ValidationError naming the option."""
    raw = str(text or "").strip().lower().replace(" ", "")
    hint = "e.g. 30m, 4h or 1h30m; d = 24 hours of business time"
    if re.fullmatch(r"-\d.*|0+|0+[dhm]", raw):
        raise ValidationError(f"{option}: must be more than 0, not '{_shown(text)}'", hint)
    if re.fullmatch(r"\d+", raw):
        raise ValidationError(f"{option}: '{_shown(text)}' needs a unit", hint)
    if not re.fullmatch(r"(\d+[dhm])+", raw):
        raise ValidationError(f"{option}: cannot read '{_shown(text)}' as a duration", hint)
    parts = re.findall(r"(\d+)([dhm])", raw)
    units = [u for _, u in parts]
    if len(set(units)) != len(units) or units != sorted(units, key="dhm".index):
        raise ValidationError(f"{option}: cannot read '{_shown(text)}' as a duration", hint)
    seconds = sum(int(n) * _UNIT_S[u] for n, u in parts)
    if seconds <= 0:
        raise ValidationError(f"{option}: must be more than 0, not '{_shown(text)}'", hint)
    if seconds > MAX_TARGET_S:
        raise ValidationError(f"{option}: at most 10000h, not '{_shown(text)}'", hint)
    return seconds


def format_seconds(seconds: int | None) -> str:
    """Business seconds for people: '1h30m', '45m', '26h', '30s' ('0m' for 0)."""
    if seconds is None:
        return ""
    h, rest = divmod(int(seconds), 3600)
    m, s = divmod(rest, 60)
    out = (f"{h}h" if h else "") + (f"{m}m" if m else "")
    if not out:
        return f"{s}s" if s else "0m"
    return out


# ---------------------------------------------------------------------------------------------------
# session functions


def _calendar_of(row, holidays) -> Calendar:
    return Calendar(row.name, row.tz, parse_hours([row.hours]) if row.hours else tuple(() for _ in range(7)),
                    frozenset(holidays))


def _find_calendar(session, name: str):
    from sqlalchemy import select

    from crm_cli.models.sla import SlaCalendar

    text = str(name).strip()
    row = session.execute(select(SlaCalendar).where(SlaCalendar.name == text)).scalar_one_or_none()
    if row is None and text.isdigit():
        row = session.get(SlaCalendar, int(text))
    if row is None:
        raise NotFound(f"no SLA calendar '{_shown(name)}'", "see crm sla calendar list")
    return row


def _holidays(session, calendar_id: int) -> list[date]:
    from sqlalchemy import select

    from crm_cli.models.sla import SlaHoliday

    return list(session.execute(select(SlaHoliday.day).where(SlaHoliday.calendar_id == calendar_id)
                                .order_by(SlaHoliday.day)).scalars())


def get_calendar(session, name: str | None) -> Calendar:
    """The calendar called `name` (or its id); None or "24x7": the built-in one. Unknown: NotFound."""
    if name is None or str(name).strip().lower() == BUILT_IN:
        return TWENTY_FOUR_SEVEN
    row = _find_calendar(session, name)
    return _calendar_of(row, _holidays(session, row.id))


def calendar_by_id(session, calendar_id: int | None) -> Calendar:
    """The calendar of a policy's calendar_id (None: the built-in 24x7)."""
    if calendar_id is None:
        return TWENTY_FOUR_SEVEN
    from crm_cli.models.sla import SlaCalendar

    row = session.get(SlaCalendar, calendar_id)
    return _calendar_of(row, _holidays(session, row.id))


@dataclass(frozen=True)
class Policy:
    priority: str
    tier: str | None
    response_s: int
    resolution_s: int
    calendar: str          # the calendar's name ("24x7" for the built-in)


def check_priority(value: str, option: str = "--priority") -> str:
    v = str(value or "").strip().lower()
    if v not in PRIORITIES:
        raise ValidationError(f"{option} must be one of {', '.join(PRIORITIES)}, not '{_shown(value)}'")
    return v


def check_tier(value: str | None, option: str = "--tier") -> str | None:
    if value is None:
        return None
    v = str(value).strip().upper()
    if v not in TIERS:
        raise ValidationError(f"{option} must be one of {', '.join(TIERS)}, not '{_shown(value)}'")
    return v


def _policy_rows(session):
    from sqlalchemy import select

    from crm_cli.models.sla import SlaCalendar, SlaPolicy

    return select(SlaPolicy, SlaCalendar.name).outerjoin(SlaCalendar, SlaCalendar.id == SlaPolicy.calendar_id)


def _policy(row, cal_name) -> Policy:
    return Policy(row.priority, row.tier or None, row.response_s, row.resolution_s, cal_name or BUILT_IN)


def policy_for(session, priority: str, tier: str | None) -> Policy | None:
    """The policy of a ticket: (priority, tier) beats (priority, any tier); None: no SLA."""
    from crm_cli.models.sla import SlaPolicy

    tiers = [tier.upper(), ""] if tier else [""]
    rows = session.execute(_policy_rows(session).where(SlaPolicy.priority == priority,
                                                       SlaPolicy.tier.in_(tiers))).all()
    best = sorted(rows, key=lambda r: r[0].tier == "")  # the tier's own first
    return _policy(*best[0]) if best else None


# --- calendars --------------------------------------------------------------------------------------


def _check_name(name: str) -> str:
    from crm_cli.core.validation import checked_text

    text = checked_text(str(name or "").strip(), "NAME", 64)
    if not text:
        raise ValidationError("NAME must not be empty")
    if text.lower() == BUILT_IN:
        raise ValidationError(f"'{BUILT_IN}' is the built-in calendar", "choose another name")
    if text.isdigit():
        raise ValidationError(f"a calendar name cannot be a number: '{text}'", "ids are numbers")
    return text


def parse_holiday(text: str, option: str = "--holiday") -> date:
    try:
        return date.fromisoformat(str(text).strip())
    except ValueError:
        raise ValidationError(f"{option}: bad date '{_shown(text)}'", "use YYYY-MM-DD, e.g. 2026-10-01") from None


def _canonical_hours(specs) -> str:
    windows = parse_hours(specs)
    text = format_hours(windows)
    if len(text) > 2000:
        raise ValidationError("--hours: too many windows (at most 2000 characters of hours)")
    return text


def add_calendar(session, name: str, tz: str, hours: list[str], holidays: list[str] | None = None):
    """A new calendar; every value is checked before anything is written."""
    from sqlalchemy import select

    from crm_cli.core import db
    from crm_cli.models.sla import SlaCalendar, SlaHoliday

    name = _check_name(name)
    tz = check_tz(tz)
    text = _canonical_hours(hours or [])
    days = sorted({parse_holiday(h) for h in holidays or []})
    db.lock_keys(session, ["sla-calendars"])
    if session.execute(select(SlaCalendar.id).where(SlaCalendar.name == name)).first():
        raise Conflict(f"an SLA calendar '{name}' exists already", f"change it: crm sla calendar edit {name}")
    row = SlaCalendar(name=name, tz=tz, hours=text)
    session.add(row)
    session.flush()
    for d in days:
        session.add(SlaHoliday(calendar_id=row.id, day=d))
    if days:
        session.flush()
        from crm_cli.services import audit

        audit.note(session, "sla-calendar", row.id, "holidays", None, ", ".join(d.isoformat() for d in days))
    return row


def edit_calendar(session, ref: str, *, name: str | None = None, tz: str | None = None,
                  hours: list[str] | None = None):
    from sqlalchemy import select

    from crm_cli.core import db
    from crm_cli.models.sla import SlaCalendar

    row = _editable(session, ref)
    new_name = _check_name(name) if name is not None else None
    new_tz = check_tz(tz) if tz is not None else None
    text = _canonical_hours(hours) if hours else None
    if new_name is None and new_tz is None and text is None:
        raise ValidationError("nothing to change", "give --name, --tz or --hours")
    if new_name is not None and new_name != row.name:
        db.lock_keys(session, ["sla-calendars"])
        if session.execute(select(SlaCalendar.id).where(SlaCalendar.name == new_name)).first():
            raise Conflict(f"an SLA calendar '{new_name}' exists already", "choose another name")
        row.name = new_name
    if new_tz is not None:
        row.tz = new_tz
    if text is not None:
        row.hours = text
    session.flush()
    return row


def _editable(session, ref: str):
    if str(ref).strip().lower() == BUILT_IN:
        raise ValidationError(f"the '{BUILT_IN}' calendar is built in and cannot be changed",
                              "add your own: crm sla calendar add NAME --tz ... --hours ...")
    return _find_calendar(session, ref)


def _policies_using(session, calendar_id: int) -> list[str]:
    from sqlalchemy import select

    from crm_cli.models.sla import SlaPolicy

    rows = session.execute(select(SlaPolicy.priority, SlaPolicy.tier).where(SlaPolicy.calendar_id == calendar_id)
                           .order_by(SlaPolicy.id)).all()
    return [policy_label(p, t) for p, t in rows]


def policy_label(priority: str, tier: str | None) -> str:
    return f"{priority}/tier {tier}" if tier else f"{priority}/any tier"


def delete_calendar(session, ref: str, confirm=None) -> str:
    """Delete a calendar for good (configuration: no trash). One a policy uses: Conflict naming it.
    `confirm(name)` is called once the delete is known to be possible."""
    from crm_cli.core import db

    row = _editable(session, ref)
    db.lock_keys(session, ["sla-policies"])
    users = _policies_using(session, row.id)
    if users:
        what = "policy" if len(users) == 1 else "policies"
        raise Conflict(f"SLA calendar '{row.name}' is used by the {what} {', '.join(users)}",
                       "give it another calendar first: crm sla policy set --priority P [--tier T] --calendar C")
    name = row.name
    if confirm is not None:
        confirm(name)
    session.delete(row)
    session.flush()
    return name


def change_holidays(session, ref: str, add: list[str] | None = None, remove: list[str] | None = None) -> dict:
    """Add and remove holidays of a calendar: (added, removed) dates. Adding one it has, or removing one it
    has not, changes nothing for that date (said in `unchanged`)."""
    from sqlalchemy import delete

    from crm_cli.models.sla import SlaHoliday
    from crm_cli.services import audit

    row = _editable(session, ref)
    to_add = sorted({parse_holiday(d, "DATE") for d in add or []})
    to_remove = sorted({parse_holiday(d, "DATE") for d in remove or []})
    both = set(to_add) & set(to_remove)
    if both:
        raise ValidationError(f"{min(both).isoformat()} is both added and removed", "give it once")
    have = set(_holidays(session, row.id))
    missing = [d for d in to_remove if d not in have]
    if missing:
        raise NotFound(f"{missing[0].isoformat()} is not a holiday of calendar '{row.name}'",
                       f"see crm sla calendar show {row.name}")
    added = [d for d in to_add if d not in have]
    for d in added:
        session.add(SlaHoliday(calendar_id=row.id, day=d))
    if to_remove:
        session.execute(delete(SlaHoliday).where(SlaHoliday.calendar_id == row.id, SlaHoliday.day.in_(to_remove)))
    session.flush()
    if added:
        audit.note(session, "sla-calendar", row.id, "holidays", None, ", ".join(d.isoformat() for d in added))
    if to_remove:
        audit.note(session, "sla-calendar", row.id, "holidays", ", ".join(d.isoformat() for d in to_remove), None)
    return {"calendar": row.name, "added": added, "removed": to_remove,
            "unchanged": [d for d in to_add if d in have]}


CALENDAR_FIELDS = ("id", "name", "tz", "hours", "holidays", "built_in", "policies")


def calendar_records(session, ref: str | None = None) -> list[dict]:
    """The calendars (the built-in 24x7 first), or the one named `ref`."""
    from sqlalchemy import select

    from crm_cli.models.sla import SlaCalendar, SlaHoliday, SlaPolicy

    built_in = {"id": None, "name": BUILT_IN, "tz": "UTC", "hours": format_hours(TWENTY_FOUR_SEVEN.windows),
                "holidays": [], "built_in": True}
    if ref is not None and str(ref).strip().lower() == BUILT_IN:
        rows = []
    elif ref is not None:
        rows = [_find_calendar(session, ref)]
    else:
        rows = list(session.execute(select(SlaCalendar).order_by(SlaCalendar.name)).scalars())
    ids = [r.id for r in rows]
    holidays: dict[int, list[date]] = {i: [] for i in ids}
    policies: dict[int | None, list[str]] = {}
    if ids:
        for cid, day in session.execute(select(SlaHoliday.calendar_id, SlaHoliday.day)
                                        .where(SlaHoliday.calendar_id.in_(ids)).order_by(SlaHoliday.day)):
            holidays[cid].append(day)
    q = select(SlaPolicy.calendar_id, SlaPolicy.priority, SlaPolicy.tier).order_by(SlaPolicy.id)
    for cid, priority, tier in session.execute(q):
        policies.setdefault(cid, []).append(policy_label(priority, tier))
    out = []
    if ref is None or str(ref).strip().lower() == BUILT_IN:
        out.append(built_in | {"policies": policies.get(None, [])})
    for r in rows:
        out.append({"id": r.id, "name": r.name, "tz": r.tz, "hours": r.hours, "holidays": holidays[r.id],
                    "built_in": False, "policies": policies.get(r.id, [])})
    return out


# --- policies ---------------------------------------------------------------------------------------


def set_policy(session, priority: str, *, tier: str | None = None, response: str | None = None,
               resolution: str | None = None, calendar: str | None = None):
    """Create or change the policy of (priority, tier): (row, created?). A new one needs both targets; a
    change keeps what is not given. --calendar 24x7 puts it back on the built-in calendar."""
    from sqlalchemy import select

    from crm_cli.core import db
    from crm_cli.models.sla import SlaPolicy

    priority = check_priority(priority)
    tier = check_tier(tier)
    response_s = parse_target(response, "--response") if response is not None else None
    resolution_s = parse_target(resolution, "--resolution") if resolution is not None else None
    db.lock_keys(session, ["sla-policies"])  # before the calendar is looked up: delete_calendar takes it too
    calendar_id: int | None | bool = False  # False: not given
    if calendar is not None:
        calendar_id = None if str(calendar).strip().lower() == BUILT_IN else _find_calendar(session, calendar).id
    row = session.execute(select(SlaPolicy).where(SlaPolicy.priority == priority,
                                                  SlaPolicy.tier == (tier or ""))).scalar_one_or_none()
    created = row is None
    if created:
        for value, flag in ((response_s, "--response"), (resolution_s, "--resolution")):
            if value is None:
                raise ValidationError(f"a new policy needs {flag}", "e.g. --response 30m --resolution 4h")
        row = SlaPolicy(priority=priority, tier=tier or "", response_s=response_s, resolution_s=resolution_s,
                        calendar_id=None if calendar_id is False else calendar_id)
        session.add(row)
    else:
        if response_s is None and resolution_s is None and calendar_id is False:
            raise ValidationError("nothing to change", "give --response, --resolution or --calendar")
        if response_s is not None:
            row.response_s = response_s
        if resolution_s is not None:
            row.resolution_s = resolution_s
        if calendar_id is not False:
            row.calendar_id = calendar_id
    if row.response_s > row.resolution_s:
        raise ValidationError(f"the response target ({format_seconds(row.response_s)}) is longer than the "
                              f"resolution target ({format_seconds(row.resolution_s)})",
                              "a first response cannot be due after the resolution")
    session.flush()
    return row, created


def delete_policy(session, priority: str, tier: str | None = None, confirm=None) -> str:
    from sqlalchemy import select

    from crm_cli.models.sla import SlaPolicy

    priority = check_priority(priority)
    tier = check_tier(tier)
    row = session.execute(select(SlaPolicy).where(SlaPolicy.priority == priority,
                                                  SlaPolicy.tier == (tier or ""))).scalar_one_or_none()
    if row is None:
        raise NotFound(f"no SLA policy for {policy_label(priority, tier)}", "see crm sla policy list")
    if confirm is not None:
        confirm(policy_label(priority, tier))
    session.delete(row)
    session.flush()
    return policy_label(priority, tier)


POLICY_FIELDS = ("id", "priority", "tier", "response", "resolution", "response_s", "resolution_s", "calendar")


def policy_records(session) -> list[dict]:
    """The policies, by priority (urgent first), the tier-specific ones before the any-tier one."""
    rows = session.execute(_policy_rows(session)).all()
    rank = {p: i for i, p in enumerate(reversed(PRIORITIES))}
    rows.sort(key=lambda r: (rank.get(r[0].priority, 9), r[0].tier == "", r[0].tier))
    return [{"id": p.id, "priority": p.priority, "tier": p.tier or None,
             "response": format_seconds(p.response_s), "resolution": format_seconds(p.resolution_s),
             "response_s": p.response_s, "resolution_s": p.resolution_s, "calendar": cal or BUILT_IN}
            for p, cal in rows]


def due_record(session, calendar: str | None, start: datetime, target: str, paused: str | None = None) -> dict:
    """`crm sla due`: when a clock of `target` business time started at `start` is due (and at risk) on a
    calendar, `paused` business time added."""
    cal = get_calendar(session, calendar)
    target_s = parse_target(target, "--target")
    paused_s = parse_target(paused, "--paused") if paused is not None else 0
    share = at_risk_share()
    due = add_business(cal, start, target_s + paused_s)
    tz = _zone(cal.tz)
    return {"calendar": cal.name, "tz": cal.tz, "start": start, "clock_starts": add_business(cal, start, 0),
            "target": format_seconds(target_s), "target_s": target_s, "paused_s": paused_s,
            "at_risk_from": risk_at(cal, start, target_s, paused_s, share), "due": due,
            "due_calendar_time": due.astimezone(tz).isoformat(timespec="seconds")}
