"""`crm remind`: what each owner must act on — overdue, due today, upcoming, birthdays.

Made for cron: nothing due -> no output at all. Plain text unless stdout is a terminal.

Extension point: an entity names its source in the registry (`Entity.remind`, "module:function");
the function takes (session, window) and returns a list of Item; a new kind of item adds its
section to SECTIONS (order instalments due or overdue: "dunning").
"""

from __future__ import annotations

import importlib
import json
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from crm_cli import registry

SOURCES: list[str] = registry.reminder_sources()

# section key -> (title, singular, plural) for the summary line; sources may add sections
SECTIONS: dict[str, tuple[str, str, str]] = {
    "overdue": ("Overdue", "overdue", "overdue"),
    "today": ("Today", "due today", "due today"),
    "upcoming": ("Upcoming", "upcoming", "upcoming"),
    "birthdays": ("Birthdays", "birthday", "birthdays"),
    "dunning": ("Payments due (催款)", "payment due", "payments due"),
    "tickets": ("Tickets at risk or breached", "ticket at risk or breached", "tickets at risk or breached"),
}


@dataclass
class Window:
    now: datetime
    today: date
    days: int
    owner_id: int | None  # None = everybody

    @property
    def end(self) -> date:
        """The first day after the window (exclusive)."""
        return self.today + timedelta(days=self.days + 1)


@dataclass
class Item:
    owner_id: int | None
    section: str
    sort: tuple
    line: str  # one line of text, no colour
    data: dict = field(default_factory=dict)
    overdue: bool = False


def _when(due, show_date: bool) -> str:
    if isinstance(due, datetime):
        return due.strftime("%a %Y-%m-%d %H:%M") if show_date else due.strftime("%H:%M")
    return due.strftime("%a %Y-%m-%d") if show_date else "all day"


def _line(rec: dict, show_date: bool) -> str:
    text = f"#{rec['id']}  {_when(rec['due'], show_date)}  {rec['type']}: {rec['subject']}"
    if rec.get("customer"):
        text += f" [{rec['customer']}]"
    if rec.get("late"):
        text += f" ({rec['late']} late)"
    return text


def activity_items(session, w: Window) -> list[Item]:
    from crm_cli.models.activity import Activity
    from crm_cli.services import activities as acts

    items: list[Item] = []
    late = session.execute(acts.query(now=w.now, owner_id=w.owner_id, overdue=True)).all()
    for a, handle, cname in late:
        rec = acts.record(a, handle, cname, w.now)
        items.append(Item(a.owner_id, "overdue", (a.due_at, a.id), _line(rec, True), rec, overdue=True))
    lo, hi = acts.day_start(w.today), acts.day_start(w.end)
    q = acts.query(now=w.now, owner_id=w.owner_id).where(Activity.due_at >= lo, Activity.due_at < hi)
    for a, handle, cname in session.execute(q).all():
        if acts.is_overdue(a, w.now):
            continue
        rec = acts.record(a, handle, cname, w.now)
        due = rec["due"]
        day = due.date() if isinstance(due, datetime) else due
        section = "today" if day == w.today else "upcoming"
        items.append(Item(a.owner_id, section, (not a.all_day, a.due_at, a.id),
                          _line(rec, section != "today"), rec))
    return items


def birthday_items(session, w: Window) -> list[Item]:
    """Contacts whose birthday falls in the window; they belong to their customer's owner."""
    from sqlalchemy import extract, select

    from crm_cli.models import Contact, Customer

    days: dict[tuple[int, int], date] = {}
    for i in range(min(w.days, 366) + 1):
        d = w.today + timedelta(days=i)
        days[(d.month, d.day)] = d
        if d.month == 2 and d.day == 28 and (d + timedelta(days=1)).month == 3:
            days[(2, 29)] = d  # 29 February birthdays are kept on the 28th in common years
    months = sorted({m for m, _ in days})
    q = select(Contact.id, Contact.name, Contact.birthday, Customer.id, Customer.name, Customer.owner_id) \
        .join(Customer, Customer.id == Contact.customer_id) \
        .where(Contact.deleted_at.is_(None), Customer.deleted_at.is_(None), Contact.birthday.is_not(None),
               extract("month", Contact.birthday).in_(months))
    if w.owner_id is not None:
        q = q.where(Customer.owner_id == w.owner_id)
    items = []
    for cid, name, bday, cust_id, cust, owner_id in session.execute(q).all():
        on = days.get((bday.month, bday.day))
        if on is None:
            continue
        age = on.year - bday.year if 1900 < bday.year < on.year else None
        line = f"{on.strftime('%a %Y-%m-%d')}  {name} [{cust}]" + (f" (turns {age})" if age else "")
        items.append(Item(owner_id, "birthdays", (on, name, cid), line,
                          {"contact_id": cid, "name": name, "customer_id": cust_id, "customer": cust,
                           "birthday": bday, "date": on, "age": age}))
    return items


def collect(session, w: Window) -> list[dict]:
    """[{owner, sections: {key: [Item]}}] for owners with something to do, sorted by handle."""
    from sqlalchemy import select

    from crm_cli.models import User

    items: list[Item] = []
    for spec in SOURCES:
        module, func = spec.split(":")
        items.extend(getattr(importlib.import_module(module), func)(session, w))
    if not items:
        return []
    ids = {i.owner_id for i in items if i.owner_id is not None}
    handles = dict(session.execute(select(User.id, User.handle).where(User.id.in_(ids))).all()) if ids else {}
    groups: dict[int | None, dict[str, list[Item]]] = {}
    for item in items:
        groups.setdefault(item.owner_id, {}).setdefault(item.section, []).append(item)
    order = sorted(groups, key=lambda o: (o is None, handles.get(o, ""), o or 0))
    out = []
    for owner_id in order:
        sections = groups[owner_id]
        keys = [k for k in SECTIONS if k in sections] + [k for k in sections if k not in SECTIONS]
        out.append({"owner": handles.get(owner_id), "sections": {k: sorted(sections[k], key=lambda i: i.sort)
                                                                 for k in keys}})
    return out


def any_overdue(groups: list[dict]) -> bool:
    return any(i.overdue for g in groups for items in g["sections"].values() for i in items)


def _title(key: str) -> str:
    return SECTIONS.get(key, (key.replace("_", " ").capitalize(),))[0]


def _summary(sections: dict) -> str:
    parts = []
    for key, items in sections.items():
        _, one, many = SECTIONS.get(key, (key, key, key))
        parts.append(f"{len(items)} {one if len(items) == 1 else many}")
    return ", ".join(parts)


def render(groups: list[dict], fmt: str, out=None) -> None:
    """text (plain unless a colour terminal), markdown or json. Nothing due: no output (json: [])."""
    from crm_cli.core.output import color_allowed, machine_value, safe

    out = out or sys.stdout
    if fmt == "json":
        doc = []
        for g in groups:
            obj = {"owner": g["owner"], "summary": {k: len(v) for k, v in g["sections"].items()}}
            for key in SECTIONS:
                obj[key] = []
            for key, items in g["sections"].items():
                obj[key] = [machine_value(i.data) for i in items]
            doc.append(obj)
        out.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
        return
    if not groups:
        return
    if fmt == "markdown":
        chunks = []
        for g in groups:
            lines = [f"## {g['owner'] or '(no owner)'}", "", _summary(g["sections"])]
            for key, items in g["sections"].items():
                lines += ["", f"### {_title(key)}", ""]
                lines += ["- " + safe(i.line, keep="").replace("  ", " ") for i in items]
            chunks.append("\n".join(lines))
        out.write("\n\n".join(chunks) + "\n")
        return
    bold = (lambda s: f"\033[1m{s}\033[0m") if color_allowed() else (lambda s: s)
    red = (lambda s: f"\033[1;31m{s}\033[0m") if color_allowed() else (lambda s: s)
    chunks = []
    for g in groups:
        lines = [bold(f"{g['owner'] or '(no owner)'}: {_summary(g['sections'])}")]
        for key, items in g["sections"].items():
            lines.append(red(_title(key)) if key == "overdue" else bold(_title(key)))
            lines += ["  " + safe(i.line, keep="") for i in items]  # stored text never drives the terminal
        chunks.append("\n".join(lines))
    out.write("\n\n".join(chunks) + "\n")
