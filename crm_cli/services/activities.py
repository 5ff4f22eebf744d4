"""Activities: validation, links, due times with their timezone, recurrence, state changes, listings."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from typing import Optional

from pydantic import field_validator
from sqlalchemy import and_, false, or_, select
from sqlmodel import SQLModel

from crm_cli.core.errors import Conflict, NotFound, UsageError, ValidationError
from crm_cli.models import Contact, Customer, User
from crm_cli.models.activity import Activity
from crm_cli.core.validation import column_text
from crm_cli.core.output import Col

OPEN = ("planned", "in_progress")
STATUSES = ("planned", "in_progress", "done", "cancelled")
PRIORITIES = ("low", "normal", "high")
FREQS = {"daily": "DAILY", "weekly": "WEEKLY", "monthly": "MONTHLY", "yearly": "YEARLY",
         "annually": "YEARLY", "fortnightly": "WEEKLY;INTERVAL=2"}
UNIT_FREQ = {"day": "DAILY", "days": "DAILY", "week": "WEEKLY", "weeks": "WEEKLY", "month": "MONTHLY",
             "months": "MONTHLY", "year": "YEARLY", "years": "YEARLY"}
REPEAT_FORMS = "daily, weekly, monthly, yearly, weekdays, 'every 2 weeks', 'RRULE:FREQ=WEEKLY;BYDAY=MO,TH'"

LIST_COLUMNS = [Col("id", "ID", "right"), Col("due", "Due"), Col("late", "Late"), Col("type", "Type"),
                Col("subject", "Subject"), Col("status", "Status"), Col("priority", "Pri"),
                Col("owner", "Owner"), Col("customer", "Customer")]


def activity_types() -> list[str]:
    from crm_cli.core import config

    return [str(t) for t in config.get("activity_types")]


class ActivityIn(SQLModel):
    """Validated input for add/edit (the table model does not validate)."""

    type: Optional[str] = None
    subject: Optional[str] = None
    notes: Optional[str] = None
    priority: Optional[str] = None
    status: Optional[str] = None
    outcome: Optional[str] = None
    duration_min: Optional[int] = None

    @field_validator("*")
    @classmethod
    def _text_rules(cls, v, info):
        return column_text(Activity, info.field_name, v)  # length and control characters

    @field_validator("type")
    @classmethod
    def _type(cls, v):
        if v is not None:
            v = v.strip().lower()
            types = activity_types()
            if v not in types:
                raise ValueError(f"--type must be one of {', '.join(types)}, not '{v}'")
        return v

    @field_validator("subject")
    @classmethod
    def _subject(cls, v):
        if v is not None:
            v = " ".join(v.split())
            if not v:
                raise ValueError("the subject must not be empty")
            if len(v) > 300:
                raise ValueError("the subject is longer than 300 characters")
        return v

    @field_validator("priority")
    @classmethod
    def _priority(cls, v):
        if v is not None:
            v = v.strip().lower()
            if v not in PRIORITIES:
                raise ValueError(f"--priority must be one of {', '.join(PRIORITIES)}, not '{v}'")
        return v

    @field_validator("status")
    @classmethod
    def _status(cls, v):
        if v is not None:
            v = v.strip().lower().replace(" ", "_").replace("-", "_")
            if v not in STATUSES:
                raise ValueError(f"--status must be one of {', '.join(STATUSES)}, not '{v}'")
        return v


def validate(**values) -> ActivityIn:
    from crm_cli.core.validation import validate as run

    return run(ActivityIn, **values)


def parse_duration_min(text: str | None) -> int | None:
    if text is None:
        return None
    from crm_cli.core.dates import parse_duration

    text = str(text).strip()
    if text.isdigit():
        return int(text)
    minutes = int(parse_duration(text, option="--duration").total_seconds() // 60)
    if minutes <= 0 or minutes > 60 * 24 * 31:
        raise ValidationError(f"--duration: '{text}' is out of range", "e.g. 30min, 1h, 90")
    return minutes


# ---- time zones and due times ---------------------------------------------------------------------

def tz_name() -> str | None:
    """The IANA name of the zone local times are entered in (None if the system zone has no name)."""
    from crm_cli.core import context

    return getattr(context.tz(), "key", None)


def zone(name: str | None):
    from crm_cli.core import context

    if name:
        from zoneinfo import ZoneInfo

        try:
            return ZoneInfo(name)
        except Exception:  # an unknown stored name: fall back to the viewer's zone
            return context.tz()
    return context.tz()


def localize(naive: datetime, tz) -> datetime:
    from crm_cli.core.dates import _localize

    return _localize(naive, tz)


def parse_due(text: str, option: str = "--due") -> tuple[datetime, bool, str | None]:
    """-> (due_at UTC, all_day, timezone name). A date without a time is an all-day activity."""
    from crm_cli.core import context
    from crm_cli.core.dates import parse_when

    w = parse_when(text, option=option)
    tz = context.tz()
    if w.has_time:
        return w.utc, False, tz_name()
    midnight = localize(datetime.combine(w.at.date(), time()), tz)
    return midnight.astimezone(timezone.utc), True, tz_name()


def local_due(a: Activity) -> datetime | date | None:
    """The due time in the viewer's zone, or the due day (all-day activities)."""
    if a.due_at is None:
        return None
    if a.all_day:
        return a.due_at.astimezone(zone(a.timezone)).date()
    from crm_cli.core.dates import to_local

    return to_local(a.due_at)


def day_start(d: date) -> datetime:
    """Local midnight of `d`, as UTC."""
    from crm_cli.core import context

    return localize(datetime.combine(d, time()), context.tz()).astimezone(timezone.utc)


def today(now: datetime) -> date:
    from crm_cli.core.dates import to_local

    return to_local(now).date()


def overdue_clause(now: datetime):
    """Open, and due before now (timed) or before today (all-day)."""
    start = day_start(today(now))
    return and_(Activity.status.in_(OPEN), Activity.due_at < now,
                or_(Activity.all_day == false(), Activity.due_at < start))


def is_overdue(a: Activity, now: datetime) -> bool:
    if a.status not in OPEN or a.due_at is None:
        return False
    if a.all_day:
        return local_due(a) < today(now)
    return a.due_at < now


def late_text(a: Activity, now: datetime) -> str | None:
    """'3 days', '5 hours', '40 minutes' for an overdue activity."""
    if not is_overdue(a, now):
        return None
    if a.all_day:
        days = (today(now) - local_due(a)).days
        return f"{days} day{'s' if days != 1 else ''}"
    minutes = max(int((now - a.due_at).total_seconds() // 60), 1)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)

    def unit(n, word):
        return f"{n} {word}{'s' if n != 1 else ''}"

    if days:
        return unit(days, "day") + (" " + unit(hours, "hour") if hours else "")
    if hours:
        return unit(hours, "hour") + (" " + unit(mins, "minute") if mins else "")
    return unit(mins, "minute")


# ---- recurrence ----------------------------------------------------------------------------------

def rule_from_text(text: str) -> tuple[str, int | None, str | None]:
    """A --repeat value -> (RRULE body without COUNT/UNTIL, COUNT, UNTIL text)."""
    t = " ".join(str(text).strip().lower().split())
    if t in FREQS:
        return "FREQ=" + FREQS[t], None, None
    if t in ("weekdays", "every weekday", "workdays"):
        return "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", None, None
    m = re.fullmatch(r"every\s+(other\s+|\d+\s+)?([a-z]+)", t)
    if m and m.group(2) in UNIT_FREQ:
        n = 2 if (m.group(1) or "").strip() == "other" else int((m.group(1) or "1").strip())
        if n < 1 or n > 1000:
            raise ValidationError(f"--repeat: bad interval in '{text}'", "accepted: " + REPEAT_FORMS)
        return "FREQ=" + UNIT_FREQ[m.group(2)] + (f";INTERVAL={n}" if n > 1 else ""), None, None
    raw = str(text).strip()
    if raw.upper().startswith("RRULE:"):
        raw = raw[6:]
    if not raw.upper().startswith("FREQ=") and ";FREQ=" not in raw.upper():
        raise ValidationError(f"--repeat: cannot read '{text}' as a repeat rule", "accepted: " + REPEAT_FORMS)
    parts, count, until = [], None, None
    for part in raw.strip().strip(";").split(";"):
        if "=" not in part:
            raise ValidationError(f"--repeat: bad RRULE part '{part}'", "e.g. RRULE:FREQ=WEEKLY;BYDAY=MO")
        key, value = part.split("=", 1)
        key = key.strip().upper()
        if key == "COUNT":
            if not value.strip().isdigit() or int(value) < 1:
                raise ValidationError(f"--repeat: COUNT must be a positive number, not '{value}'")
            count = int(value)
        elif key == "UNTIL":
            until = value.strip()
        elif key in ("DTSTART", "TZID"):
            raise ValidationError(f"--repeat: {key} does not belong in the rule", "the start is --due")
        else:
            parts.append(f"{key}={value.strip().upper()}")
    body = ";".join(parts)
    freq = re.search(r"(?:^|;)FREQ=([A-Z]+)", body)
    if not freq or freq.group(1) not in ("DAILY", "WEEKLY", "MONTHLY", "YEARLY"):
        raise ValidationError(f"--repeat: FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY in '{text}'")
    if count is not None and until is not None:
        raise ValidationError("--repeat: a rule has COUNT or UNTIL, not both")
    return body, count, until


def _until_from_rrule(text: str) -> datetime:
    """UNTIL=20261231 or 20261231T235959Z from an RRULE."""
    from crm_cli.core import context

    t = text.strip().upper()
    try:
        if re.fullmatch(r"\d{8}", t):
            d = datetime.strptime(t, "%Y%m%d").date()
            return localize(datetime.combine(d, time(23, 59, 59)), context.tz()).astimezone(timezone.utc)
        if re.fullmatch(r"\d{8}T\d{6}Z", t):
            return datetime.strptime(t, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
        if re.fullmatch(r"\d{8}T\d{6}", t):
            return localize(datetime.strptime(t, "%Y%m%dT%H%M%S"), context.tz()).astimezone(timezone.utc)
    except ValueError:
        pass
    raise ValidationError(f"--repeat: bad UNTIL '{text}'", "e.g. UNTIL=20261231 or use --until")


def parse_repeat(text: str, until: str | None, count: int | None, due_at: datetime | None,
                 all_day: bool, tzname: str | None) -> tuple[str, datetime | None, int | None]:
    """Validate a repeat rule against its first occurrence -> (rule, until UTC, count)."""
    from dateutil.rrule import rrulestr

    from crm_cli.core.dates import parse_when

    if due_at is None:
        raise ValidationError("--repeat needs a due date", "add --due, e.g. --due 'monday 9am'")
    body, rule_count, rule_until = rule_from_text(text)
    if count is not None and rule_count is not None and count != rule_count:
        raise ValidationError("--count disagrees with COUNT in the rule")
    count = count if count is not None else rule_count
    until_at = None
    if until is not None:
        w = parse_when(until, option="--until")
        until_at = (w.at if w.has_time else localize(datetime.combine(w.at.date(), time(23, 59, 59)),
                                                     w.at.tzinfo)).astimezone(timezone.utc)
    elif rule_until is not None:
        until_at = _until_from_rrule(rule_until)
    if count is not None and until_at is not None:
        raise ValidationError("give --until or --count, not both")
    if count is not None and not 1 <= count <= 100000:
        raise ValidationError(f"--count must be between 1 and 100000, not {count}")
    if until_at is not None and until_at < due_at:
        raise ValidationError("--until is before the first due date")
    start = due_at.astimezone(zone(tzname)).replace(tzinfo=None)
    try:
        rule = rrulestr("RRULE:" + body, dtstart=start)
        rule.after(start)
    except (ValueError, TypeError, KeyError) as exc:
        raise ValidationError(f"--repeat: bad rule '{text}': {exc}", "accepted: " + REPEAT_FORMS) from None
    return body, until_at, count


def describe_rule(a: Activity) -> str | None:
    if not a.repeat_rule:
        return None
    text = {"FREQ=" + v: k for k, v in FREQS.items() if k not in ("annually", "fortnightly")}.get(a.repeat_rule)
    m = re.fullmatch(r"FREQ=(DAILY|WEEKLY|MONTHLY|YEARLY);INTERVAL=(\d+)", a.repeat_rule)
    if text is None and m:
        unit = {"DAILY": "days", "WEEKLY": "weeks", "MONTHLY": "months", "YEARLY": "years"}[m.group(1)]
        text = f"every {m.group(2)} {unit}"
    if text is None and a.repeat_rule == "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR":
        text = "weekdays"
    return text or "RRULE:" + a.repeat_rule


def next_slot(a: Activity) -> datetime | None:
    """When the rule schedules the occurrence after `a` (UTC), or None when the series ends.

    The rule runs on the wall clock of the activity's own timezone, so 09:00 stays 09:00 across DST.
    """
    from dateutil.rrule import rrulestr

    if not a.repeat_rule:
        return None
    anchor = a.slot_at or a.due_at
    if anchor is None:
        return None
    if a.repeat_count is not None and (a.occurrence or 1) >= a.repeat_count:
        return None
    tz = zone(a.timezone)
    start = anchor.astimezone(tz).replace(tzinfo=None)
    nxt = rrulestr("RRULE:" + a.repeat_rule, dtstart=start).after(start)
    if nxt is None:
        return None
    at = localize(nxt, tz).astimezone(timezone.utc)
    if a.repeat_until is not None and at > a.repeat_until:
        return None
    return at


SERIES_FIELDS = ("type", "subject", "notes", "priority", "duration_min", "owner_id", "cost", "cost_currency",
                 "customer_id", "contact_id", "lead_id", "opportunity_id")


def spawn_next(session, a: Activity) -> Activity | None:
    """Create the next occurrence of `a`'s series (if any)."""
    at = next_slot(a)
    if at is None:
        return None
    values = {f: getattr(a, f) for f in SERIES_FIELDS}
    values.update({k: v for k, v in (a.series_values or {}).items() if k in SERIES_FIELDS})
    nxt = Activity(**values, status="planned", due_at=at, slot_at=at, all_day=a.all_day, timezone=a.timezone,
                   repeat_rule=a.repeat_rule, repeat_until=a.repeat_until, repeat_count=a.repeat_count,
                   series_id=a.series_id or a.id, occurrence=(a.occurrence or 1) + 1, custom=dict(a.custom or {}),
                   series_values={})
    session.add(nxt)
    session.flush()
    return nxt


# ---- links ---------------------------------------------------------------------------------------

def _model_for_table(table: str):
    from crm_cli.models import ENTITIES

    for model in ENTITIES.values():
        if model.__tablename__ == table:
            return model
    raise UsageError(f"{table} are not available in this version")


def resolve_links(session, *, customer=None, contact=None, lead=None, opp=None) -> dict:
    """Resolve link options to ids (unknown -> NotFound). Empty string or 'none' clears a link."""
    from crm_cli.services import resolve

    out: dict = {}

    def ref(value, model, key):
        if value is None:
            return None
        if str(value).strip().lower() in ("", "none"):
            out[key] = None
            return None
        obj = resolve.get(session, model, value)
        out[key] = obj.id
        return obj

    cust = ref(customer, Customer, "customer_id")
    ct = ref(contact, Contact, "contact_id")
    ld = ref(lead, _model_for_table("leads"), "lead_id") if lead is not None else None
    op = ref(opp, _model_for_table("opportunities"), "opportunity_id") if opp is not None else None
    if ct is not None:
        if cust is not None and ct.customer_id != cust.id:
            raise ValidationError(f"contact {ct.id} '{ct.name}' is not at customer {cust.id} '{cust.name}'")
        out.setdefault("customer_id", ct.customer_id)
    for obj in (op, ld):
        cid = getattr(obj, "customer_id", None) if obj is not None else None
        if cid is not None:
            if out.get("customer_id") not in (None, cid) and customer is not None:
                raise ValidationError(f"{obj.__entity__} {obj.id} belongs to another customer "
                                      f"(customer {cid})")
            out.setdefault("customer_id", cid)
    return out


# ---- commands' work -----------------------------------------------------------------------------

def add(session, data: ActivityIn, *, owner: User, due: str | None = None, links: dict | None = None,
        cost=None, repeat: str | None = None, until: str | None = None, count: int | None = None,
        custom: dict | None = None) -> Activity:
    due_at, all_day, tzname = parse_due(due) if due else (None, False, tz_name())
    rule = None
    if repeat is None and (until is not None or count is not None):
        raise UsageError("--until/--count need --repeat")
    if repeat is not None:
        rule, until_at, count = parse_repeat(repeat, until, count, due_at, all_day, tzname)
    values = data.model_dump(exclude_none=True)
    values.setdefault("type", "task")
    a = Activity(**values, owner_id=owner.id, due_at=due_at, all_day=all_day, timezone=tzname,
                 custom=custom or {}, series_values={}, **(links or {}))
    a.status = a.status or "planned"
    if cost is not None:
        a.cost, a.cost_currency = cost.minor, cost.currency
    if rule:
        a.repeat_rule, a.repeat_until, a.repeat_count = rule, until_at, count
        a.occurrence, a.slot_at = 1, due_at
    session.add(a)
    session.flush()
    if rule:
        a.series_id = a.id
    return a


def edit(session, a: Activity, data: ActivityIn, *, series: bool = False, due: str | None = None,
         links: dict | None = None, owner: User | None = None, cost=None, repeat: str | None = None,
         until: str | None = None, count: int | None = None, custom: dict | None = None) -> Activity:
    """Change one occurrence (default) or, with series=True, the series from this occurrence on.

    Repeat rule changes (--repeat/--until/--count) always apply to the series.
    """
    changes = data.model_dump(exclude_none=True)
    if "status" in changes:
        raise UsageError("change the status with start, done or cancel")
    changes.update(links or {})
    if owner is not None:
        changes["owner_id"] = owner.id
    if cost is not None:
        changes["cost"], changes["cost_currency"] = cost.minor, cost.currency
    recurring = bool(a.repeat_rule)
    for key, value in changes.items():
        if recurring and key in SERIES_FIELDS:
            kept = dict(a.series_values or {})
            if series:
                kept.pop(key, None)
            elif key not in kept and getattr(a, key) != value:
                kept[key] = getattr(a, key)
            a.series_values = kept
        setattr(a, key, value)
    if custom is not None:
        a.custom = custom
    if due is not None:
        if a.status not in OPEN:
            raise Conflict(f"activity {a.id} is {a.status}; only open activities can be moved")
        a.due_at, a.all_day, a.timezone = parse_due(due)
        if recurring and series:
            a.slot_at = a.due_at
    if repeat is not None and repeat.strip().lower() in ("none", "no", "never", "off", ""):
        if until is not None or count is not None:
            raise UsageError("--until/--count make no sense with --repeat none")
        a.repeat_rule = a.repeat_until = a.repeat_count = None
        a.series_values = {}
    elif repeat is not None or until is not None or count is not None:
        if repeat is None and not a.repeat_rule:
            raise UsageError("--until/--count need --repeat")
        text = repeat if repeat is not None else "RRULE:" + a.repeat_rule
        anchor = a.slot_at if (recurring and a.slot_at) else a.due_at
        rule, until_at, cnt = parse_repeat(text, until, count, anchor, a.all_day, a.timezone)
        if recurring and until is None and count is None and until_at is None and cnt is None:
            until_at, cnt = a.repeat_until, a.repeat_count  # a new rule keeps the series' bound
        a.repeat_rule, a.repeat_until, a.repeat_count = rule, until_at, cnt
        if not recurring:
            a.series_id, a.occurrence, a.slot_at = a.id, 1, a.due_at
        if cnt is not None and (a.occurrence or 1) > cnt:
            raise ValidationError(f"--count {cnt}: this is already occurrence {a.occurrence}")
    return a


def _need_open(a: Activity, action: str) -> None:
    if a.status not in OPEN:
        raise Conflict(f"activity {a.id} is already {a.status.replace('_', ' ')}; cannot {action} it")


def start(session, a: Activity) -> Activity:
    if a.status != "planned":
        raise Conflict(f"activity {a.id} is {a.status.replace('_', ' ')}; only planned activities can start")
    a.status = "in_progress"
    return a


def done(session, a: Activity, now: datetime, outcome: str | None = None) -> Activity | None:
    """Finish `a`; returns the next occurrence of its series, if any."""
    _need_open(a, "finish")
    a.status, a.done_at = "done", now
    if outcome is not None:
        a.outcome = outcome
    return spawn_next(session, a)


def parse_next(text: str) -> tuple[str | None, str]:
    """'call tomorrow 10am' -> ('call', 'tomorrow 10am'); 'friday' -> (None, 'friday')."""
    words = str(text).split()
    if not words:
        raise ValidationError("--next: empty", "e.g. --next 'call tomorrow 10am'")
    if words[0].lower() in activity_types():
        if len(words) == 1:
            raise ValidationError(f"--next '{text}': when?", "e.g. --next 'call tomorrow 10am'")
        return words[0].lower(), " ".join(words[1:])
    return None, " ".join(words)


def follow_up(session, a: Activity, text: str, subject: str | None, owner_id: int | None) -> Activity:
    kind, when = parse_next(text)
    due_at, all_day, tzname = parse_due(when, option="--next")
    subj = subject or (a.subject if a.subject.lower().startswith("follow up") else f"Follow up: {a.subject}")
    data = validate(type=kind or a.type, subject=subj)
    f = Activity(type=data.type, subject=data.subject, priority=a.priority, owner_id=owner_id or a.owner_id,
                 due_at=due_at, all_day=all_day, timezone=tzname, customer_id=a.customer_id,
                 contact_id=a.contact_id, lead_id=a.lead_id, opportunity_id=a.opportunity_id, custom={},
                 series_values={}, status="planned")
    session.add(f)
    session.flush()
    return f


def cancel(session, a: Activity, series: bool = False) -> Activity | None:
    """Cancel `a`. One occurrence of a series is skipped (the next is created); series=True ends it."""
    _need_open(a, "cancel")
    a.status = "cancelled"
    if series:
        return None
    return spawn_next(session, a)


SNOOZE_FORMS = "e.g. +2d, 2h, 1w, or a date such as 'monday 9am'"


def snooze(session, a: Activity, how: str | None, now: datetime) -> Activity:
    """Push the due time by a duration ('2h', '1d', '+2d', '1w'; from the due time, or from now when
    that is already past) or to a date expression ('monday 9am'). A bare number is refused (2 is
    neither a day of the month nor a number of days: write 2d or 2h), and so is any time earlier
    than the current due time (that is `reschedule`)."""
    from crm_cli.core.dates import _shift, parse_duration, to_local

    _need_open(a, "snooze")
    how = (how or "1d").strip()
    if re.fullmatch(r"[+-]?\s*\d+(?:[.,]\d*)?|[+-]?[.,]\d+", how):
        raise ValidationError(f"snooze: '{how[:40]}' is a bare number; give a unit or a date", SNOOZE_FORMS)
    try:
        delta = parse_duration(how[1:] if how.startswith("+") else how, option="snooze")
    except ValidationError:
        delta = None
    if delta is None:
        due_at, all_day, tz = parse_due(how, option="snooze")
        if a.due_at is not None and due_at <= a.due_at:
            from crm_cli.core.dates import human

            shown = human(to_local(due_at).date() if all_day else due_at)
            raise ValidationError(f"snooze: '{how[:40]}' ({shown}) is not later than the activity's due time "
                                  f"({human(local_due(a))})",
                                  "snooze moves an activity later; to move it earlier use 'crm activity reschedule'")
        a.due_at, a.all_day, a.timezone = due_at, all_day, tz
        return a
    if delta <= timedelta(0):
        raise ValidationError(f"snooze: '{how}' is not a step forward")
    if a.all_day:
        base = max(local_due(a) or today(now), today(now))
        a.due_at = day_start(base + timedelta(days=max(delta.days, 1)))
        a.timezone = tz_name() or a.timezone
        return a
    base = max(a.due_at or now, now)
    if delta % timedelta(days=1) == timedelta(0):  # whole days keep the wall-clock time across DST
        a.due_at = _shift(to_local(base), delta.days, "days").astimezone(timezone.utc)
    else:
        a.due_at = base + delta
    return a


def reschedule(session, a: Activity, when: str) -> Activity:
    _need_open(a, "reschedule")
    a.due_at, a.all_day, a.timezone = parse_due(when, option="WHEN")
    return a


def soft_delete(session, a: Activity, now: datetime) -> None:
    """Move an activity to the trash (`crm trash restore activity ID` brings it back)."""
    a.deleted_at = now


def get(session, ref) -> Activity:
    from crm_cli.services import resolve

    return resolve.get(session, Activity, ref)


# ---- listing -------------------------------------------------------------------------------------

def week_bounds(d: date) -> tuple[date, date]:
    start = d - timedelta(days=d.weekday())
    return start, start + timedelta(days=7)


def live_parents():
    """An activity is out of listings, agendas, reminders and reports while its customer, contact,
    lead or opportunity is in the trash; it is back when that is restored."""
    from crm_cli.services.listing import parents_not_trashed

    return parents_not_trashed(Activity.customer_id, Activity.contact_id, Activity.lead_id,
                               Activity.opportunity_id)


def query(*, now: datetime, owner_id=None, overdue=False, today_only=False, week=False, due_range=None,
          type_=None, status=None, customer_id=None, opp_id=None):
    q = select(Activity, User.handle, Customer.name) \
        .outerjoin(User, User.id == Activity.owner_id) \
        .outerjoin(Customer, Customer.id == Activity.customer_id) \
        .where(Activity.deleted_at.is_(None), live_parents())
    if owner_id is not None:
        q = q.where(Activity.owner_id == owner_id)
    if status in (None, "open"):
        q = q.where(Activity.status.in_(OPEN))
    elif status != "all":
        st = validate(status=status).status
        q = q.where(Activity.status == st)
    if overdue:
        q = q.where(overdue_clause(now))
    if today_only:
        d = today(now)
        q = q.where(Activity.due_at >= day_start(d), Activity.due_at < day_start(d + timedelta(days=1)))
    if week:
        a, b = week_bounds(today(now))
        q = q.where(Activity.due_at >= day_start(a), Activity.due_at < day_start(b))
    if due_range is not None:
        start, end = due_range
        q = q.where(Activity.due_at >= start, Activity.due_at < end)
    if type_:
        q = q.where(Activity.type == validate(type=type_).type)
    if customer_id is not None:
        q = q.where(Activity.customer_id == customer_id)
    if opp_id is not None:
        q = q.where(Activity.opportunity_id == opp_id)
    return q.order_by(Activity.due_at.is_(None), Activity.due_at, Activity.id)


def filter_ids(session, *, customer=None, opp=None) -> tuple[int | None, int | None]:
    """The customer and opportunity ids that `--customer` / `--opp` name (unknown -> NotFound)."""
    from crm_cli.services import resolve

    cust_id = resolve.get(session, Customer, customer).id if customer else None
    opp_id = resolve.get(session, _model_for_table("opportunities"), opp).id if opp else None
    return cust_id, opp_id


def list_activities(session, *, now: datetime, limit: int | None = None, **filters) -> list[dict]:
    return list(stream_activities(session, now=now, limit=limit, **filters)[0])


def stream_activities(session, *, now: datetime, fields=None, limit: int | None = None, **filters):
    """(records, csv_keys): the listing streamed (Core rows of the columns `fields` need, in chunks)."""
    from crm_cli.services.listing import csv_keys_with_custom, stream_records

    q = query(now=now, **filters)
    if limit is not None:
        q = q.limit(limit)
    when = ("due_at", "all_day", "timezone")
    derived = {"due": (when, local_due), "late": (when + ("status",), lambda r: late_text(r, now)),
               "overdue": (when + ("status",), lambda r: is_overdue(r, now))}
    rows = stream_records(session, q, Activity, extra={"owner": User.handle, "customer": Customer.name},
                          record=lambda r: record(r, r.owner, r.customer, now), fields=fields, derived=derived)
    return rows, csv_keys_with_custom(session, q, Activity.custom, limit is not None)


def record(a: Activity, owner: str | None, customer: str | None, now: datetime) -> dict:
    """The activity's JSON contract."""
    from crm_cli.core.money import Money

    return {
        "id": a.id, "type": a.type, "subject": a.subject, "status": a.status, "priority": a.priority,
        "due": local_due(a), "all_day": bool(a.all_day), "timezone": a.timezone,
        "duration_min": a.duration_min, "overdue": is_overdue(a, now), "late": late_text(a, now),
        "owner": owner, "customer_id": a.customer_id, "customer": customer, "contact_id": a.contact_id,
        "lead_id": a.lead_id, "opportunity_id": a.opportunity_id, "outcome": a.outcome, "done_at": a.done_at,
        "cost": Money(a.cost, a.cost_currency) if a.cost is not None else None,
        "repeat": describe_rule(a), "repeat_until": a.repeat_until, "repeat_count": a.repeat_count,
        "series_id": a.series_id, "occurrence": a.occurrence, "notes": a.notes,
        "custom": dict(a.custom or {}), "created_at": a.created_at, "updated_at": a.updated_at,
    }


def show_record(session, a: Activity, now: datetime) -> dict:
    owner = session.execute(select(User.handle).where(User.id == a.owner_id)).scalar_one_or_none()
    cust = session.execute(select(Customer.name).where(Customer.id == a.customer_id)).scalar_one_or_none()
    rec = record(a, owner, cust, now)
    rec["contact"] = (session.execute(select(Contact.name).where(Contact.id == a.contact_id)).scalar()
                      if a.contact_id else None)  # always there: JSON field names are a contract
    return rec


def customer_section(session, customer):
    """`crm customer show`: the customer's open activities, then the five most recent finished ones."""
    from crm_cli.core import context

    now = context.now()
    open_rows = list_activities(session, now=now, customer_id=customer.id)
    q = select(Activity, User.handle, Customer.name).outerjoin(User, User.id == Activity.owner_id) \
        .outerjoin(Customer, Customer.id == Activity.customer_id) \
        .where(Activity.customer_id == customer.id, Activity.deleted_at.is_(None),
               Activity.status.in_(("done", "cancelled"))) \
        .order_by(Activity.done_at.is_(None), Activity.done_at.desc(), Activity.due_at.desc(), Activity.id.desc()) \
        .limit(5)
    recent = [record(a, h, c, now) for a, h, c in session.execute(q).all()]
    return ("activities", open_rows + recent,
            [Col("id", "ID", "right"), Col("due", "Due"), Col("type", "Type"), Col("subject", "Subject"),
             Col("status", "Status"), Col("late", "Late"), Col("owner", "Owner"), Col("outcome", "Outcome")])


# ---- agenda ----------------------------------------------------------------------------------------

AGENDA_COLUMNS = [Col("day", "Day"), Col("time", "Time"), Col("id", "ID", "right"), Col("type", "Type"),
                  Col("subject", "Subject"), Col("status", "Status"), Col("customer", "Customer"),
                  Col("owner", "Owner")]


def agenda(session, *, now: datetime, owner_id, start: date, days: int) -> tuple[list[dict], list[dict]]:
    """(overdue before the window when it includes today, activities in the window) — cancelled left out."""
    lo, hi = day_start(start), day_start(start + timedelta(days=days))
    base = select(Activity, User.handle, Customer.name).outerjoin(User, User.id == Activity.owner_id) \
        .outerjoin(Customer, Customer.id == Activity.customer_id).where(Activity.deleted_at.is_(None), live_parents())
    if owner_id is not None:
        base = base.where(Activity.owner_id == owner_id)
    rows = session.execute(base.where(Activity.due_at >= lo, Activity.due_at < hi,
                                      Activity.status != "cancelled")
                           .order_by(Activity.all_day.desc(), Activity.due_at, Activity.id)).all()
    items = [record(a, h, c, now) for a, h, c in rows]
    items.sort(key=lambda r: (_day_of(r["due"]), not r["all_day"],
                              r["due"].timestamp() if isinstance(r["due"], datetime) else 0, r["id"]))
    late: list[dict] = []
    if start <= today(now) < start + timedelta(days=days):
        q = base.where(overdue_clause(now), Activity.due_at < lo).order_by(Activity.due_at, Activity.id)
        late = [record(a, h, c, now) for a, h, c in session.execute(q).all()]
    return late, items


def _day_of(due) -> date:
    return due if not isinstance(due, datetime) else due.date()


def agenda_rows(late: list[dict], items: list[dict]) -> list[dict]:
    """`crm agenda` as one listing: the overdue ones first (day 'overdue'), then by day, each with a
    day and a time ('all day' for all-day activities)."""
    rows = []
    for group, recs in (("overdue", late), (None, items)):
        for r in recs:
            due = r["due"]
            rows.append({**r, "day": "overdue" if group else _day_of(due),
                         "time": due.strftime("%H:%M") if isinstance(due, datetime) else "all day"})
    return rows


def agenda_groups(rows: list[dict], show_owner: bool = False) -> list[tuple[str, list[str]]]:
    """`crm agenda`'s calendar view: (heading, lines) per day, 'Overdue' first."""
    groups: list[tuple[str, list[str]]] = []
    for r in rows:
        head = "Overdue" if r["day"] == "overdue" else r["day"].strftime("%a %Y-%m-%d")
        if not groups or groups[-1][0] != head:
            groups.append((head, []))
        when = r["time"]
        if r["day"] == "overdue":
            when = _day_of(r["due"]).strftime("%m-%d") + ("" if r["all_day"] else " " + r["time"])
        elif r["duration_min"] and not r["all_day"]:
            when += "-" + (r["due"] + timedelta(minutes=r["duration_min"])).strftime("%H:%M")
        line = f"{when:<11} #{r['id']} {r['type']}: {r['subject']}"
        if r["customer"]:
            line += f" [{r['customer']}]"
        if show_owner and r["owner"]:
            line += f" @{r['owner']}"
        if r["status"] != "planned":
            line += f" ({r['status'].replace('_', ' ')})"
        elif r["late"]:
            line += f" ({r['late']} late)"
        groups[-1][1].append(line)
    return groups


# ---- demo ---------------------------------------------------------------------------------------------

def demo_data(session, ids: dict) -> None:
    """A handful of activities: some overdue, some today, one repeating weekly."""
    users, custs = ids.get("users", {}), ids.get("customers", {})
    me, alice, bob = users.get("me"), users.get("alice"), users.get("bob")
    hq, acme, bj = custs.get("hq"), custs.get("acme"), custs.get("bj")
    if not (me and hq):
        return
    spec = [
        (alice, "call", "回访周总: 报价反馈", "2 days ago 10:00", hq, "high", None),
        (alice, "visit", "拜访华强电子 陈工", "today 14:30", hq, "normal", None),
        (alice, "meeting", "Weekly pipeline review", "monday 9:00", None, "normal", "weekly"),
        (bob, "email", "Send Acme the price list", "yesterday", acme, "normal", None),
        (bob, "call", "Call Jane Smith about the renewal", "tomorrow 11am", acme, "normal", None),
        (me, "task", "准备北京远航方案", "today 17:00", bj, "high", None),
        (me, "care", "节日问候 北京远航", "+3d", bj, "low", None),
    ]
    for owner, kind, subject, due, cust, prio, repeat in spec:
        owner = owner or me
        add(session, validate(type=kind, subject=subject, priority=prio), owner=owner, due=due,
            links={"customer_id": cust.id} if cust else {}, repeat=repeat)
