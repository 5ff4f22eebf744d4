"""crm activity, crm agenda, crm remind: parse options, call services.activities / reminders, print."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from crm_cli.core.options import FormatOpt, JsonOpt, QuietOpt, SetOpt, YesOpt, OwnerOpt, LimitOpt

app = typer.Typer(help="Activities: calls, visits, meetings, tasks; due times, repeats, follow-ups.",
                  no_args_is_help=True)

Ref = Annotated[str, typer.Argument(help="Activity id.")]
DueOpt = Annotated[Optional[str], typer.Option("--due", help="When: 'tomorrow 10am', 'fri', 2026-12-01 "
                                               "(a date alone = all day).")]
TypeOpt = Annotated[Optional[str], typer.Option("--type", "-t", help="call|visit|email|sms|meeting|task|care "
                                                "(config activity_types).")]
CustomerOpt = Annotated[Optional[str], typer.Option("--customer", "-c", help="Customer id or name.")]
ContactOpt = Annotated[Optional[str], typer.Option("--contact", help="Contact id or name.")]
LeadOpt = Annotated[Optional[str], typer.Option("--lead", help="Lead id or name.")]
OppOpt = Annotated[Optional[str], typer.Option("--opp", help="Opportunity id or title.")]
RepeatOpt = Annotated[Optional[str], typer.Option("--repeat", help="daily|weekly|monthly|yearly|weekdays|"
                                                  "'every 2 weeks'|'RRULE:...'")]
UntilOpt = Annotated[Optional[str], typer.Option("--until", help="Last day of the repeats.")]
CountOpt = Annotated[Optional[int], typer.Option("--count", help="Number of occurrences in the series.",
                                                 min=1)]


def _links(s, customer, contact, lead, opp) -> dict:
    from crm_cli.services import activities

    return activities.resolve_links(s, customer=customer, contact=contact, lead=lead, opp=opp)


@app.command("add")
def add(
    subject: Annotated[Optional[str], typer.Argument(help="What to do.", show_default=False)] = None,
    type_: TypeOpt = None,
    due: DueOpt = None,
    duration: Annotated[Optional[str], typer.Option(help="30min, 1h, 90 (minutes).")] = None,
    priority: Annotated[Optional[str], typer.Option(help="low|normal|high")] = None,
    customer: CustomerOpt = None,
    contact: ContactOpt = None,
    lead: LeadOpt = None,
    opp: OppOpt = None,
    owner: Annotated[Optional[str], typer.Option(help="Owner handle (default: you).")] = None,
    cost: Annotated[Optional[str], typer.Option(help="Expense, e.g. 120, '¥350', 'USD 40'.")] = None,
    notes: Optional[str] = None,
    repeat: RepeatOpt = None,
    until: UntilOpt = None,
    count: CountOpt = None,
    set_: SetOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Add an activity (optionally repeating)."""
    from crm_cli.core import db, prompts
    from crm_cli.core.config import default_currency
    from crm_cli.core.money import parse_money
    from crm_cli.core.output import created
    from crm_cli.services import activities, customfields, identity

    subject = prompts.require(subject, "SUBJECT", "Subject")
    data = activities.validate(type=type_, subject=subject, priority=priority, notes=notes,
                               duration_min=activities.parse_duration_min(duration))
    money = parse_money(cost, default=default_currency(), option="--cost") if cost else None
    with db.session_scope() as s:
        links = _links(s, customer, contact, lead, opp)
        own = identity.user_ref(s, owner)
        custom = customfields.parse_sets(s, "activity", set_)
        a = activities.add(s, data, owner=own, due=due, links=links, cost=money, repeat=repeat, until=until,
                           count=count, custom=custom)
        created("activity", a.id, a.subject, quiet)


@app.command("list")
def list_(
    overdue: Annotated[bool, typer.Option("--overdue", help="Only overdue ones.")] = False,
    today: Annotated[bool, typer.Option("--today", help="Due today.")] = False,
    week: Annotated[bool, typer.Option("--week", help="Due this week (Monday to Sunday).")] = False,
    due: Annotated[Optional[str], typer.Option("--due", help="Due in DATE..DATE.")] = None,
    owner: OwnerOpt = "all",
    type_: TypeOpt = None,
    status: Annotated[Optional[str], typer.Option(help="open (default)|planned|in_progress|done|cancelled|all")]
    = None,
    customer: CustomerOpt = None,
    opp: OppOpt = None,
    limit: LimitOpt = None,
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List activities, sorted by due time; overdue ones are marked (Late column)."""
    from crm_cli.core import context, db
    from crm_cli.core.dates import parse_range
    from crm_cli.core.output import emit, shown_fields
    from crm_cli.services import activities, identity

    rng = parse_range(due, option="--due") if due else None
    with db.session_scope() as s:
        cust_id, opp_id = activities.filter_ids(s, customer=customer, opp=opp)
        rows, csv_keys = activities.stream_activities(
            s, now=context.now(), fields=shown_fields(fmt, as_json, activities.LIST_COLUMNS),
            owner_id=identity.owner_filter(s, owner), overdue=overdue, today_only=today, week=week, due_range=rng,
            type_=type_, status=status, customer_id=cust_id, opp_id=opp_id, limit=limit)
        emit(rows, activities.LIST_COLUMNS, fmt, as_json, csv_keys=csv_keys)


@app.command("show")
def show(ref: Ref, fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """One activity with all its fields."""
    from crm_cli.core import context, db
    from crm_cli.core.output import emit_record
    from crm_cli.services import activities

    with db.session_scope() as s:
        a = activities.get(s, ref)
        emit_record(activities.show_record(s, a, context.now()), fmt, as_json)


@app.command("edit")
def edit(
    ref: Ref,
    subject: Annotated[Optional[str], typer.Option("--subject")] = None,
    type_: TypeOpt = None,
    due: DueOpt = None,
    duration: Optional[str] = None,
    priority: Optional[str] = None,
    customer: CustomerOpt = None,
    contact: ContactOpt = None,
    lead: LeadOpt = None,
    opp: OppOpt = None,
    owner: Optional[str] = None,
    cost: Optional[str] = None,
    notes: Optional[str] = None,
    repeat: Annotated[Optional[str], typer.Option("--repeat", help="New rule for the series; 'none' stops "
                                                  "it.")] = None,
    until: UntilOpt = None,
    count: CountOpt = None,
    series: Annotated[bool, typer.Option("--series", help="Change the whole series from this occurrence "
                                         "on (default: this occurrence only).")] = False,
    set_: SetOpt = None,
) -> None:
    """Change an activity; for a repeating one, this occurrence only unless --series."""
    from crm_cli.core import db
    from crm_cli.core.config import default_currency
    from crm_cli.core.money import parse_money
    from crm_cli.core.output import info
    from crm_cli.services import activities, customfields, identity

    data = activities.validate(type=type_, subject=subject, priority=priority, notes=notes,
                               duration_min=activities.parse_duration_min(duration))
    money = parse_money(cost, default=default_currency(), option="--cost") if cost else None
    with db.session_scope() as s:
        a = activities.get(s, ref)
        links = _links(s, customer, contact, lead, opp)
        own = identity.user_ref(s, owner, default_me=False)
        custom = customfields.parse_sets(s, "activity", set_, a.custom) if set_ else None
        activities.edit(s, a, data, series=series, due=due, links=links, owner=own, cost=money, repeat=repeat,
                        until=until, count=count, custom=custom)
        info(f"updated activity {a.id}: {a.subject}" + (" (and its series)" if series and a.repeat_rule else ""))


@app.command("start")
def start(ref: Ref) -> None:
    """Mark an activity as in progress."""
    from crm_cli.core import db
    from crm_cli.core.output import info
    from crm_cli.services import activities

    with db.session_scope() as s:
        a = activities.start(s, activities.get(s, ref))
        info(f"activity {a.id} in progress: {a.subject}")


@app.command("done")
def done(
    ref: Ref,
    outcome: Annotated[Optional[str], typer.Option("--outcome", "-o", help="What came of it.")] = None,
    next_: Annotated[Optional[str], typer.Option("--next", help="Schedule a follow-up: 'call tomorrow 10am', "
                                                 "'visit next friday', 'monday'.")] = None,
    next_subject: Annotated[Optional[str], typer.Option("--next-subject", help="Subject of the follow-up "
                                                        "(default: 'Follow up: SUBJECT').")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the new follow-up/next id.")] = False,
) -> None:
    """Finish an activity; a repeating one gets its next occurrence; --next adds a follow-up."""
    from crm_cli.core import context, db
    from crm_cli.core.output import created, info
    from crm_cli.services import activities

    with db.session_scope() as s:
        a = activities.get(s, ref)
        nxt = activities.done(s, a, context.now(), outcome)
        info(f"done: activity {a.id} {a.subject}")
        if nxt is not None:
            created("next occurrence", nxt.id, _due_text(nxt), quiet and not next_)
        if next_:
            f = activities.follow_up(s, a, next_, next_subject, None)
            created("follow-up", f.id, f"{f.type} {_due_text(f)}: {f.subject}", quiet)


def _due_text(a) -> str:
    from crm_cli.core.dates import human
    from crm_cli.services import activities

    return human(activities.local_due(a))


@app.command("cancel")
def cancel(ref: Ref,
           series: Annotated[bool, typer.Option("--series", help="End the whole series (default: skip only "
                                                "this occurrence).")] = False) -> None:
    """Cancel an activity (one occurrence of a series is skipped: the next one is created)."""
    from crm_cli.core import db
    from crm_cli.core.output import info
    from crm_cli.services import activities

    with db.session_scope() as s:
        a = activities.get(s, ref)
        nxt = activities.cancel(s, a, series=series)
        info(f"cancelled activity {a.id}: {a.subject}" + (f"; next occurrence {nxt.id} on {_due_text(nxt)}"
                                                           if nxt is not None else ""))


@app.command("snooze")
def snooze(ref: Ref,
           by: Annotated[Optional[str], typer.Argument(help="A duration (2h, 1d, +2d, 1w; default 1d) or a date "
                                                       "('monday 9am'). A bare number such as 2 is refused: "
                                                       "write 2d or 2h.")] = None) -> None:
    """Push an activity later: by a duration from its due time (or from now if overdue), or to a date.

    Never earlier than its current due time (use reschedule for that)."""
    from crm_cli.core import context, db
    from crm_cli.core.output import info
    from crm_cli.services import activities

    with db.session_scope() as s:
        a = activities.snooze(s, activities.get(s, ref), by, context.now())
        info(f"activity {a.id} now due {_due_text(a)}")


@app.command("reschedule")
def reschedule(ref: Ref, when: Annotated[str, typer.Argument(help="New due date/time.")]) -> None:
    """Move an activity to another date/time (one occurrence; the series keeps its rhythm)."""
    from crm_cli.core import db
    from crm_cli.core.output import info
    from crm_cli.services import activities

    with db.session_scope() as s:
        a = activities.reschedule(s, activities.get(s, ref), when)
        info(f"activity {a.id} now due {_due_text(a)}")


@app.command("delete")
def delete(ref: Ref, yes: YesOpt = False) -> None:
    """Move an activity to the trash (`crm trash restore activity ID` brings it back)."""
    from crm_cli.core import context, db, prompts
    from crm_cli.core.output import info
    from crm_cli.services import activities

    with db.session_scope() as s:
        a = activities.get(s, ref)
        prompts.confirm(f"Delete activity {a.id} '{a.subject}'?", yes)
        activities.soft_delete(s, a, context.now())
        info(f"activity {a.id} moved to the trash (crm trash restore activity {a.id})")


@app.command("export")
def export(
    ics: Annotated[bool, typer.Option("--ics", help="iCalendar (RFC 5545) for calendar apps.")] = False,
    output: Annotated[Optional[str], typer.Option("--output", "-o", help="File to write (default: stdout).")]
    = None,
    owner: OwnerOpt = "me",
    due: Annotated[Optional[str], typer.Option("--due", help="Only due in DATE..DATE.")] = None,
    status: Annotated[Optional[str], typer.Option(help="open (default)|done|cancelled|all")] = None,
) -> None:
    """Export activities as an iCalendar file (--ics)."""
    from crm_cli.core import context, db
    from crm_cli.core.dates import parse_range
    from crm_cli.core.errors import UsageError
    from crm_cli.core.output import info, write_document
    from crm_cli.services import identity
    from crm_cli.services import ics as calendar

    if not ics:
        raise UsageError("choose an export format: --ics", "for data use 'crm activity list --format csv'")
    rng = parse_range(due, option="--due") if due else None
    with db.session_scope() as s:
        text, n = calendar.export_ics(s, now=context.now(), owner_id=identity.owner_filter(s, owner),
                                      due_range=rng, status=status)
    if write_document(text, output):
        info(f"wrote {n} activit{'y' if n == 1 else 'ies'} to {output}")


# ---- crm agenda ------------------------------------------------------------------------------------


def agenda(
    date_: Annotated[Optional[str], typer.Argument(metavar="[DATE]", help="Day to show (default today).",
                                                   show_default=False)] = None,
    day: Annotated[bool, typer.Option("--day", help="One day (default).")] = False,
    week: Annotated[bool, typer.Option("--week", help="The week (Monday to Sunday) of DATE.")] = False,
    owner: OwnerOpt = "me",
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Your calendar: activities by day with times; overdue ones first when today is shown."""
    from crm_cli.core import context, db
    from crm_cli.core.dates import parse_date
    from crm_cli.core.errors import UsageError
    from crm_cli.core.output import emit, emit_groups, info
    from crm_cli.services import activities, identity

    if day and week:
        raise UsageError("--day and --week exclude each other")
    now = context.now()
    base = parse_date(date_, option="DATE") if date_ else activities.today(now)
    start, days = (activities.week_bounds(base)[0], 7) if week else (base, 1)
    with db.session_scope() as s:
        late, items = activities.agenda(s, now=now, owner_id=identity.owner_filter(s, owner), start=start,
                                        days=days)
    rows = activities.agenda_rows(late, items)
    if fmt is not None or as_json:
        emit(rows, activities.AGENDA_COLUMNS, fmt, as_json)
        return
    if not rows:
        span = f"week of {start.isoformat()}" if week else base.strftime("%a %Y-%m-%d")
        info(f"nothing scheduled ({span})")
        return
    emit_groups(activities.agenda_groups(rows, show_owner=bool(owner and owner.lower() == "all")))


# ---- crm remind --------------------------------------------------------------------------------------

def remind(
    owner: OwnerOpt = "me",
    days: Annotated[int, typer.Option("--days", min=0, max=366,
                                      help="Also list what is due in the next N days.")] = 0,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text|markdown|json")] = "text",
    exit_status: Annotated[bool, typer.Option("--exit-status", help="Exit 1 when something is overdue.")] = False,
) -> None:
    """What needs doing, by owner: overdue, due today, upcoming, birthdays. Prints nothing when nothing is
    due (so cron sends no mail); plain text when not on a terminal."""
    from crm_cli.core import context, db
    from crm_cli.core.errors import UsageError
    from crm_cli.services import activities, identity, reminders

    fmt = (fmt or "text").lower()
    if fmt == "plain":
        fmt = "text"
    if fmt not in ("text", "markdown", "json"):
        raise UsageError(f"unknown format '{fmt}'", "use text, markdown or json")
    now = context.now()
    with db.session_scope() as s:
        w = reminders.Window(now=now, today=activities.today(now), days=days,
                             owner_id=identity.owner_filter(s, owner))
        groups = reminders.collect(s, w)
    reminders.render(groups, fmt)
    if exit_status and reminders.any_overdue(groups):
        raise typer.Exit(1)
