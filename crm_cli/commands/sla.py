"""crm sla: business calendars and SLA policies (the targets of service tickets); docs/sla.md."""

from __future__ import annotations

from typing import Annotated, List, Optional

import typer

from crm_cli.core.options import FormatOpt, JsonOpt, QuietOpt, YesOpt
from crm_cli.core.output import Col

app = typer.Typer(help="SLA: business calendars and policies (response/resolution targets); see docs/sla.md.",
                  no_args_is_help=True)
calendar_app = typer.Typer(help="Business calendars: hours per weekday, holidays, time zone. '24x7' is built in.",
                           no_args_is_help=True)
holiday_app = typer.Typer(help="A calendar's holidays (local dates without business hours).", no_args_is_help=True)
policy_app = typer.Typer(help="SLA policies: response and resolution targets per priority (and customer tier).",
                         no_args_is_help=True)
app.add_typer(calendar_app, name="calendar")
app.add_typer(policy_app, name="policy")
calendar_app.add_typer(holiday_app, name="holiday")

CalendarRef = Annotated[str, typer.Argument(help="Calendar name or id.", show_default=False)]
HoursOpt = Annotated[Optional[List[str]], typer.Option(
    "--hours", help='Business hours in the calendar\'s time zone, e.g. "mon-fri 09:00-12:00,13:00-18:00" '
    '(repeatable: --hours "sat 10:00-14:00").', show_default=False)]
TzOpt = Annotated[Optional[str], typer.Option("--tz", help="IANA time zone of the hours, e.g. Asia/Shanghai.",
                                              show_default=False)]
PriorityOpt = Annotated[Optional[str], typer.Option("--priority", help="low|normal|high|urgent",
                                                    show_default=False)]
TierOpt = Annotated[Optional[str], typer.Option("--tier", help="Only customers of this tier (A-D); more specific "
                                                "than a policy without a tier.", show_default=False)]

CALENDAR_COLUMNS = [Col("id", "ID", "right"), Col("name", "Name"), Col("tz", "Time zone"), Col("hours", "Hours"),
                    Col("holidays", "Holidays", priority=2), Col("policies", "Policies", priority=1)]
POLICY_COLUMNS = [Col("id", "ID", "right"), Col("priority", "Priority"), Col("tier", "Tier"),
                  Col("response", "Response", "right"), Col("resolution", "Resolution", "right"),
                  Col("calendar", "Calendar")]


@calendar_app.command("add")
def calendar_add(name: Annotated[Optional[str], typer.Argument(help="Calendar name.", show_default=False)] = None,
                 tz: TzOpt = None, hours: HoursOpt = None,
                 holiday: Annotated[Optional[List[str]], typer.Option(
                     "--holiday", help="A date without hours, YYYY-MM-DD (repeatable).", show_default=False)] = None,
                 quiet: QuietOpt = False) -> None:
    """Add a business calendar."""
    from crm_cli.core import db, prompts
    from crm_cli.core.output import created
    from crm_cli.services import sla

    name = prompts.require(name, "NAME", "Calendar name")
    tz = prompts.require(tz, "--tz", "Time zone (IANA, e.g. Asia/Shanghai)")
    hours = hours or [prompts.require(None, "--hours", 'Business hours (e.g. "mon-fri 09:00-18:00")')]
    with db.session_scope() as s:
        row = sla.add_calendar(s, name, tz, hours, holiday)
        created("SLA calendar", row.id, f"{row.name} ({row.tz}: {row.hours})", quiet)


@calendar_app.command("list")
def calendar_list(fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """The calendars, the built-in 24x7 first."""
    from crm_cli.core import db
    from crm_cli.core.output import emit
    from crm_cli.services import sla

    with db.session_scope() as s:
        rows = sla.calendar_records(s)
    emit(rows, CALENDAR_COLUMNS, fmt, as_json)


@calendar_app.command("show")
def calendar_show(ref: CalendarRef, fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """One calendar: time zone, hours, holidays, the policies that use it."""
    from crm_cli.core import db
    from crm_cli.core.output import emit_record
    from crm_cli.services import sla

    with db.session_scope() as s:
        rec = sla.calendar_records(s, ref)[0]
    emit_record(rec, fmt, as_json)


@calendar_app.command("edit")
def calendar_edit(ref: CalendarRef,
                  name: Annotated[Optional[str], typer.Option("--name", help="New name.", show_default=False)] = None,
                  tz: TzOpt = None,
                  hours: Annotated[Optional[List[str]], typer.Option(
                      "--hours", help="New business hours (replace all of them; repeatable).",
                      show_default=False)] = None) -> None:
    """Rename a calendar, change its time zone or replace its hours (holidays: crm sla calendar holiday)."""
    from crm_cli.core import db
    from crm_cli.core.output import info
    from crm_cli.services import sla

    with db.session_scope() as s:
        row = sla.edit_calendar(s, ref, name=name, tz=tz, hours=hours)
        info(f"updated SLA calendar {row.id}: {row.name} ({row.tz}: {row.hours})")


@calendar_app.command("delete")
def calendar_delete(ref: CalendarRef, yes: YesOpt = False) -> None:
    """Delete a calendar for good (not one a policy uses)."""
    from crm_cli.core import db, prompts
    from crm_cli.core.output import info
    from crm_cli.services import sla

    with db.session_scope() as s:
        name = sla.delete_calendar(s, ref, lambda n: prompts.confirm(f"Delete SLA calendar '{n}'?", yes))
        info(f"deleted SLA calendar '{name}'")


DatesArg = Annotated[List[str], typer.Argument(help="Dates, YYYY-MM-DD.", show_default=False)]


@holiday_app.command("add")
def holiday_add(ref: CalendarRef, dates: DatesArg) -> None:
    """Make dates holidays (no business hours) of a calendar."""
    _holidays(ref, add=dates)


@holiday_app.command("remove")
def holiday_remove(ref: CalendarRef, dates: DatesArg) -> None:
    """Make holidays normal days again."""
    _holidays(ref, remove=dates)


def _holidays(ref: str, add: list[str] | None = None, remove: list[str] | None = None) -> None:
    from crm_cli.core import db
    from crm_cli.core.output import info
    from crm_cli.services import sla

    with db.session_scope() as s:
        r = sla.change_holidays(s, ref, add, remove)
        for verb, days in (("added", r["added"]), ("removed", r["removed"])):
            if days:
                info(f"{verb} holiday{'s' if len(days) > 1 else ''} {', '.join(d.isoformat() for d in days)} "
                     f"{'to' if verb == 'added' else 'from'} SLA calendar '{r['calendar']}'")
        if r["unchanged"]:
            info(f"already a holiday of '{r['calendar']}': {', '.join(d.isoformat() for d in r['unchanged'])}")


@policy_app.command("set")
def policy_set(priority: PriorityOpt = None, tier: TierOpt = None,
               response: Annotated[Optional[str], typer.Option(
                   "--response", help="First-response target in business time: 30m, 4h, 1h30m (d = 24h).",
                   show_default=False)] = None,
               resolution: Annotated[Optional[str], typer.Option(
                   "--resolution", help="Resolution target in business time.", show_default=False)] = None,
               calendar: Annotated[Optional[str], typer.Option(
                   "--calendar", help="Business calendar (default: the built-in 24x7).", show_default=False)] = None,
               ) -> None:
    """Create or change the policy of a priority (and tier): what is not given stays."""
    from crm_cli.core import db, prompts
    from crm_cli.core.output import info
    from crm_cli.services import sla

    priority = prompts.require(priority, "--priority", choices=list(sla.PRIORITIES))
    with db.session_scope() as s:
        row, new = sla.set_policy(s, priority, tier=tier, response=response, resolution=resolution,
                                  calendar=calendar)
        rec = next(r for r in sla.policy_records(s) if r["id"] == row.id)
        info(f"{'created' if new else 'updated'} SLA policy {row.id}: {sla.policy_label(rec['priority'], rec['tier'])}"
             f", response {rec['response']}, resolution {rec['resolution']}, calendar {rec['calendar']}")


@policy_app.command("list")
def policy_list(fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """The policies, urgent first; a tier's own before the any-tier one."""
    from crm_cli.core import db
    from crm_cli.core.output import emit
    from crm_cli.services import sla

    with db.session_scope() as s:
        rows = sla.policy_records(s)
    emit(rows, POLICY_COLUMNS, fmt, as_json)


@policy_app.command("delete")
def policy_delete(priority: PriorityOpt = None, tier: TierOpt = None, yes: YesOpt = False) -> None:
    """Delete the policy of a priority (and tier): tickets it covered fall back to the any-tier one, or none."""
    from crm_cli.core import db, prompts
    from crm_cli.core.output import info
    from crm_cli.services import sla

    priority = prompts.require(priority, "--priority", choices=list(sla.PRIORITIES))
    with db.session_scope() as s:
        label = sla.delete_policy(s, priority, tier, lambda n: prompts.confirm(f"Delete the SLA policy {n}?", yes))
        info(f"deleted SLA policy {label}")


@app.command("due")
def due(start: Annotated[str, typer.Option("--from", help="When the clock starts (your time zone), e.g. "
                                           "'2026-11-23 10:00'.", show_default=False)],
        target: Annotated[str, typer.Option("--target", help="Business time: 30m, 4h, 1h30m.", show_default=False)],
        calendar: Annotated[Optional[str], typer.Option("--calendar", help="Calendar (default: 24x7).",
                                                        show_default=False)] = None,
        paused: Annotated[Optional[str], typer.Option("--paused", help="Business time the clock was paused.",
                                                      show_default=False)] = None,
        fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """When a target is due on a calendar: try a calendar out (docs/sla.md)."""
    from crm_cli.core import db, dates
    from crm_cli.core.output import emit_record
    from crm_cli.services import sla

    when = dates.parse_datetime(start, option="--from")
    with db.session_scope() as s:
        rec = sla.due_record(s, calendar, when, target, paused)
    emit_record(rec, fmt, as_json)
