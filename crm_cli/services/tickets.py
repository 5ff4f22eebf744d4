"""Ticket rules: numbering, the status machine, the timeline, SLA targets and their cached due times,
queues and escalation.

Status: new -> open (on assignment or the first staff reply) -> pending (waiting on the customer)
-> resolved -> closed. `resume` (or a customer reply) takes a pending ticket back to open; `reopen`
takes a resolved or closed one back to open. Any other move is a Conflict (exit 4) that changes
nothing. A ticket always has an assignee or a queue (service rule + the ck_tickets_responsible check).

SLA: the policy for (priority, the customer's tier) is read when the ticket is opened, and again on
a priority change (both due times recomputed from the original creation with the new targets).
First response = the first customer-facing reply by staff, the first move to pending, or the
resolution note, whichever comes first; internal notes do not count. The resolution clock pauses
while the ticket is pending, resolved or closed: the business seconds paused add up in `paused_s`
and push the resolution due time back (a reopen continues the clock). While pending and not yet
breached, the resolution due time is unknown (NULL) until the ticket resumes.

Queues: `crm ticket queue add NAME --manager HANDLE [--parent QUEUE]`. A queue's members are the
users whose team is the queue's name (`crm user add ... --team NAME`). Escalating one level up
(`escalate --auto` on a breach): a ticket not yet with its queue's manager goes to that manager;
one with the manager goes to the parent queue (and its manager).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import case, func, or_, select

from crm_cli.core.errors import Conflict, NotFound, UsageError, ValidationError
from crm_cli.core.output import Col
from crm_cli.models import Customer, User
from crm_cli.models.ticket import Ticket, TicketEvent, TicketQueue
from crm_cli.services import numbering

STATUSES = ("new", "open", "pending", "resolved", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")
ACTIVE = ("new", "open", "pending")   # work to do: the SLA clock may run
PAUSED = ("pending", "resolved", "closed")  # the resolution clock stands still
DONE = ("resolved", "closed")
# timeline kinds: note (internal), reply (staff to the customer), customer-reply; status, assign, priority,
# escalation
COMMENT_KINDS = ("note", "reply", "customer-reply")
LIST_COLUMNS = [Col("number", "Number"), Col("subject", "Subject", priority=3), Col("status", "Status"),
                Col("priority", "Priority"), Col("type", "Type", priority=2), Col("customer", "Customer", priority=2),
                Col("assignee", "Assignee"), Col("queue", "Queue", priority=1), Col("due", "Due"),
                Col("sla", "SLA")]
TIMELINE_COLUMNS = [Col("at", "When"), Col("user", "Who"), Col("kind", "What"), Col("text", "Detail")]
QUEUE_COLUMNS = [Col("name", "Queue"), Col("manager", "Manager"), Col("parent", "Parent"),
                 Col("members", "Members")]


# ---- small helpers ---------------------------------------------------------------------------------

def _sla():
    from crm_cli.services import sla

    return sla


def _choices(value: str | None, allowed, flag: str, *, many: bool = False):
    if value is None:
        return None
    wanted = [v.strip().lower() for v in value.split(",") if v.strip()] if many else [value.strip().lower()]
    allowed = [a.lower() for a in allowed]
    for w in wanted:
        if w not in allowed:
            from crm_cli.core.validation import shown

            raise ValidationError(f"{flag} must be one of {', '.join(allowed)}, not '{shown(w, 40)}'")
    if not wanted:
        raise ValidationError(f"{flag} is empty", f"one of {', '.join(allowed)}")
    return wanted if many else wanted[0]


def configured(key: str) -> list[str]:
    from crm_cli.core import config

    return [str(v) for v in config.get(key)]


def duration_text(seconds: int | None) -> str:
    """3h 05m, 2d 4h, 45m, 30s: business time in words."""
    if seconds is None:
        return ""
    s = abs(int(seconds))
    d, rest = divmod(s, 86400)
    h, rest = divmod(rest, 3600)
    m = rest // 60
    if d:
        return f"{d}d {h}h" if h else f"{d}d"
    if h:
        return f"{h}h {m:02d}m" if m else f"{h}h"
    if m:
        return f"{m}m"
    return f"{s}s"


def _user_handle(session, uid: int | None) -> str | None:
    if uid is None:
        return None
    u = session.get(User, uid)
    return u.handle if u else None


def find(session, ref: str, *, include_deleted: bool = False) -> Ticket:
    text = str(ref).strip()
    if text.lstrip("#").isdigit():
        t = session.get(Ticket, int(text.lstrip("#")))
    else:
        t = session.execute(select(Ticket).where(Ticket.number == text.upper())).scalar_one_or_none()
    if t is None or (not include_deleted and t.deleted_at is not None):
        from crm_cli.core.validation import shown

        raise NotFound(f"no ticket '{shown(text)}'", "use its number (T-2026-0001) or id; see 'crm ticket list'")
    return t


def _event(session, t: Ticket, kind: str, now, old=None, new=None, body=None) -> None:
    from crm_cli.core import context

    session.add(TicketEvent(ticket_id=t.id, at=now, user=context.current_handle(), kind=kind,
                            old=None if old is None else str(old)[:200],
                            new=None if new is None else str(new)[:200], body=body))


def _require(t: Ticket, statuses: tuple[str, ...], verb: str, hint: str | None = None) -> None:
    if t.status not in statuses:
        what = " or ".join(statuses)
        raise Conflict(f"ticket {t.number} is {t.status}: only a{'n' if what[0] in 'aeiou' else ''} {what} ticket "
                       f"can be {verb}", hint)


def _text(value: str | None, flag: str, limit: int, multiline: bool = False) -> str | None:
    from crm_cli.core.validation import checked_text

    if value is None:
        return None
    checked_text(value, flag, limit, multiline=multiline)
    return value.strip() or None


# ---- queues ------------------------------------------------------------------------------------------

def get_queue(session, name: str) -> TicketQueue:
    q = session.execute(select(TicketQueue).where(func.lower(TicketQueue.name) == name.strip().lower())
                        ).scalar_one_or_none()
    if q is None:
        from crm_cli.core.validation import shown

        raise NotFound(f"no ticket queue '{shown(name)}'", "add it: crm ticket queue add NAME --manager HANDLE")
    return q


def add_queue(session, name: str, manager: User | None, parent: str | None) -> TicketQueue:
    from crm_cli.core import db

    name = _text(name, "NAME", 100)
    if not name:
        raise UsageError("a queue needs a name")
    db.lock_keys(session, ["ticket-queue:" + name.lower()])
    exists = session.execute(select(TicketQueue.id).where(func.lower(TicketQueue.name) == name.lower())).first()
    if exists:
        raise Conflict(f"ticket queue '{name}' exists already")
    parent_q = get_queue(session, parent) if parent else None
    q = TicketQueue(name=name, manager_id=manager.id if manager else None,
                    parent=parent_q.name if parent_q else None)
    session.add(q)
    session.flush()
    return q


def list_queues(session) -> list[dict]:
    members: dict[str, list[str]] = {}
    for team, handle in session.execute(select(User.team, User.handle).where(User.team.is_not(None),
                                                                             User.deleted_at.is_(None))
                                        .order_by(User.handle)):
        members.setdefault(team.lower(), []).append(handle)
    out = []
    for q in session.execute(select(TicketQueue).order_by(TicketQueue.name)).scalars():
        out.append({"name": q.name, "manager": _user_handle(session, q.manager_id), "parent": q.parent,
                    "members": members.get(q.name.lower(), [])})
    return out


# ---- SLA -------------------------------------------------------------------------------------------------

def _calendar(session, t: Ticket):
    return _sla().get_calendar(session, t.calendar)


def _apply_policy(session, t: Ticket) -> None:
    """The targets of the policy for the ticket's priority and tier (none: no SLA)."""
    sla = _sla()
    policy = sla.policy_for(session, t.priority, t.tier)
    if policy is None:
        t.response_target_s = t.resolution_target_s = None
        t.calendar = sla.get_calendar(session, None).name
        return
    cal = policy.calendar
    t.calendar = cal if isinstance(cal, str) or cal is None else cal.name
    if t.calendar is None:
        t.calendar = sla.get_calendar(session, None).name
    t.response_target_s, t.resolution_target_s = policy.response_s, policy.resolution_s


def _share():
    from crm_cli.core import config

    return _sla().at_risk_share(config)


def refresh_sla(session, t: Ticket) -> None:
    """Recompute the cached due and at-risk times (and next_due/next_risk) from the targets, the
    creation time and the pauses so far."""
    t.response_due = t.response_risk_at = t.resolution_due = t.resolution_risk_at = None
    t.next_due = t.next_risk = None
    if t.response_target_s is None and t.resolution_target_s is None:
        return
    sla = _sla()
    cal = _calendar(session, t)
    share = _share()
    created = t.created_at
    if t.response_target_s is not None:
        t.response_due = sla.add_business(cal, created, t.response_target_s)
        t.response_risk_at = sla.risk_at(cal, created, t.response_target_s, 0, share)
    if t.resolution_target_s is not None:
        due = sla.add_business(cal, created, t.resolution_target_s + t.paused_s)
        if t.status == "pending" and t.paused_since is not None and due > t.paused_since:
            due = None  # the clock stands still, not yet breached: unknown until it resumes
        t.resolution_due = due
        t.resolution_risk_at = (sla.risk_at(cal, created, t.resolution_target_s, t.paused_s, share)
                                if due is not None else None)
    outstanding = []
    if t.status in ACTIVE:
        if t.first_response_at is None and t.response_due is not None:
            outstanding.append((t.response_due, t.response_risk_at))
        if t.resolution_due is not None:
            outstanding.append((t.resolution_due, t.resolution_risk_at))
    if outstanding:
        t.next_due = min(d for d, _ in outstanding)
        t.next_risk = min(r if r is not None else d for d, r in outstanding)


def _business(session, t: Ticket, a: datetime, b: datetime) -> int:
    return int(_sla().business_seconds(_calendar(session, t), a, b)) if b > a else 0


def _responded(session, t: Ticket, now) -> None:
    if t.first_response_at is None:
        t.first_response_at = now
        t.response_s = _business(session, t, t.created_at, now)


def _move(session, t: Ticket, new: str, now, body: str | None = None) -> None:
    """Change the status: the pause bookkeeping, the timeline, the cached SLA times."""
    old = t.status
    if old in PAUSED and new not in PAUSED and t.paused_since is not None:
        t.paused_s += _business(session, t, t.paused_since, now)
        t.paused_since = None
    elif old not in PAUSED and new in PAUSED:
        t.paused_since = now
    t.status = new
    _event(session, t, "status", now, old=old, new=new, body=body)
    refresh_sla(session, t)


def targets(session, t: Ticket, now) -> dict:
    """The SLA part of `ticket show`: due times and the state of each target at `now`."""
    out = {"sla": t.response_target_s is not None or t.resolution_target_s is not None,
           "calendar": t.calendar, "response_due": t.response_due, "resolution_due": t.resolution_due,
           "response_state": None, "resolution_state": None, "response_left_s": None, "response_over_s": None,
           "resolution_left_s": None, "resolution_over_s": None}
    if not out["sla"]:
        return out
    sla = _sla()
    cal = _calendar(session, t)
    share = _share()
    if t.response_target_s is not None:
        r = sla.evaluate(cal, t.created_at, t.response_target_s, 0, now, met_at=t.first_response_at,
                         at_risk_share=share)
        out.update(response_state=r.state, response_left_s=r.left_s, response_over_s=r.over_s)
    if t.resolution_target_s is not None:
        met = t.resolved_at if t.status in DONE else None
        since = t.paused_since if t.status == "pending" else None
        r = sla.evaluate(cal, t.created_at, t.resolution_target_s, t.paused_s, now, met_at=met, paused_since=since,
                         at_risk_share=share)
        out.update(resolution_state=r.state, resolution_left_s=r.left_s, resolution_over_s=r.over_s)
    return out


# ---- creating and changing --------------------------------------------------------------------------

def open_ticket(session, *, subject: str, type_: str, now, priority: str = "normal", description: str | None = None,
                customer: Customer | None = None, contact=None, product=None, order=None,
                assignee: User | None = None, queue: str | None = None, channel: str | None = None,
                reason: str | None = None) -> Ticket:
    from crm_cli.core.dates import to_local

    type_ = _choices(type_, configured("ticket_types"), "--type")
    priority = _choices(priority, PRIORITIES, "--priority")
    channel = _choices(channel, configured("ticket_channels"), "--channel") if channel else None
    subject = _text(subject, "SUBJECT", 300)
    if not subject:
        raise UsageError("a ticket needs a subject")
    description = _text(description, "--description", 4000, multiline=True)
    reason = _check_reason(type_, reason)
    if assignee is None and not queue:
        raise UsageError("a ticket needs someone responsible: --assignee HANDLE or --queue NAME",
                         "queues: crm ticket queue list")
    q = get_queue(session, queue) if queue else None
    if contact is not None and customer is None and contact.customer_id:
        customer = session.get(Customer, contact.customer_id)
    if order is not None and customer is None:
        customer = session.get(Customer, order.customer_id)
    t = Ticket(number=numbering.next_number(session, "T", to_local(now).year), type=type_, priority=priority,
               status="new", channel=channel, subject=subject, description=description,
               customer_id=customer.id if customer else None, contact_id=contact.id if contact else None,
               product_id=product.id if product else None, order_id=order.id if order else None,
               assignee_id=assignee.id if assignee else None, queue=q.name if q else None, reason=reason,
               tier=customer.tier if customer else None, created_at=now, updated_at=now)
    _apply_policy(session, t)
    session.add(t)
    session.flush()
    _event(session, t, "status", now, old=None, new="new", body=subject)
    if assignee is not None:
        _event(session, t, "assign", now, old=None, new=assignee.handle)
        _move(session, t, "open", now)
    else:
        refresh_sla(session, t)
    session.flush()
    return t


def _check_reason(type_: str, reason: str | None) -> str | None:
    if type_ == "complaint":
        if not reason:
            raise UsageError("a complaint needs --reason", "one of " + ", ".join(configured("complaint_reasons")))
        return _choices(reason, configured("complaint_reasons"), "--reason")
    if reason:
        raise UsageError("--reason is the reason category of a complaint (--type complaint)")
    return None


def edit(session, t: Ticket, now, *, subject=None, description=None, type_=None, priority=None, channel=None,
         reason=None, customer=None, contact=None, product=None, order=None) -> list[str]:
    """Change fields; a priority change recomputes the SLA targets (in the timeline). Returns what changed."""
    changed = []
    if subject is not None:
        subject = _text(subject, "--subject", 300)
        if not subject:
            raise UsageError("--subject must not be empty")
        t.subject = subject
        changed.append("subject")
    if description is not None:
        t.description = _text(description, "--description", 4000, multiline=True)
        changed.append("description")
    new_type = _choices(type_, configured("ticket_types"), "--type") if type_ is not None else t.type
    if type_ is not None or reason is not None:
        t.reason = _check_reason(new_type, reason if reason is not None else t.reason)
        if new_type != t.type:
            t.type = new_type
            changed.append("type")
        if reason is not None:
            changed.append("reason")
    if channel is not None:
        t.channel = _choices(channel, configured("ticket_channels"), "--channel")
        changed.append("channel")
    for name, obj in (("customer", customer), ("contact", contact), ("product", product), ("order", order)):
        if obj is not None:
            setattr(t, f"{name}_id", obj.id)
            changed.append(name)
    if customer is not None and customer.tier != t.tier:
        t.tier = customer.tier
    if priority is not None:
        priority = _choices(priority, PRIORITIES, "--priority")
        if priority != t.priority:
            old = t.priority
            t.priority = priority
            _apply_policy(session, t)
            refresh_sla(session, t)
            body = None
            if t.response_due or t.resolution_due:
                from crm_cli.core.dates import iso

                body = (f"SLA recomputed: response due {iso(t.response_due) or '-'}, "
                        f"resolution due {iso(t.resolution_due) or '-'}")
            _event(session, t, "priority", now, old=old, new=priority, body=body)
            changed.append("priority")
    if not changed:
        raise UsageError("nothing to change", "give --subject, --priority, --type, ... (see --help)")
    t.updated_at = now
    session.flush()
    return changed


def assign(session, t: Ticket, now, *, user: User | None = None, queue: str | None = None,
           kind: str = "assign", body: str | None = None) -> None:
    if t.status == "closed":
        raise Conflict(f"ticket {t.number} is closed: reopen it first", f"crm ticket reopen {t.number}")
    if user is None and not queue:
        raise UsageError("assign to a user (--to HANDLE) or a queue (--queue NAME)")
    old = _who(session, t)
    if queue:
        t.queue = get_queue(session, queue).name
    if user is not None:
        t.assignee_id = user.id
    new = _who(session, t)
    _event(session, t, kind, now, old=old, new=new, body=body)
    if t.status == "new" and t.assignee_id is not None:
        _move(session, t, "open", now)
    t.updated_at = now
    session.flush()


def _who(session, t: Ticket) -> str:
    handle = _user_handle(session, t.assignee_id)
    return " @ ".join(x for x in (handle, f"queue {t.queue}" if t.queue else None) if x) or "-"


def comment(session, t: Ticket, body: str, now, *, internal: bool = False, from_customer: bool = False) -> str:
    """A comment: an internal note, a reply to the customer, or the customer's own message. Returns
    what it did to the status, if anything."""
    body = _text(body, "TEXT", 4000, multiline=True)
    if not body:
        raise UsageError("a comment needs text")
    if internal and from_customer:
        raise UsageError("--internal and --from-customer do not go together")
    kind = "customer-reply" if from_customer else ("note" if internal else "reply")
    _event(session, t, kind, now, body=body)
    note = ""
    if from_customer:
        if t.status == "pending":
            _move(session, t, "open", now, body="customer replied")
            note = "back to open"
    elif not internal:
        _responded(session, t, now)
        if t.status == "new":
            _move(session, t, "open", now)
            note = "open"
        else:
            refresh_sla(session, t)
    t.updated_at = now
    session.flush()
    return note


def pending(session, t: Ticket, now, note: str | None = None) -> None:
    _require(t, ("new", "open"), "set pending", "a pending ticket resumes with 'crm ticket resume'")
    note = _text(note, "--note", 4000, multiline=True)
    _responded(session, t, now)
    _move(session, t, "pending", now, body=note)
    t.updated_at = now


def resume(session, t: Ticket, now) -> None:
    _require(t, ("pending",), "resumed", "resolved or closed tickets come back with 'crm ticket reopen'")
    _move(session, t, "open", now)
    t.updated_at = now


def resolve(session, t: Ticket, note: str | None, now) -> None:
    _require(t, ACTIVE, "resolved")
    note = _text(note, "--note", 4000, multiline=True)
    if not note:
        raise UsageError("resolving needs a resolution note", f"crm ticket resolve {t.number} --note \"...\"")
    _responded(session, t, now)
    if t.status == "pending" and t.paused_since is not None:  # the pause goes on, counted up to now
        t.paused_s += _business(session, t, t.paused_since, now)
        t.paused_since = now
    t.resolution, t.resolved_at = note, now
    # business time taken, pauses not counted
    t.resolution_s = max(_business(session, t, t.created_at, now) - t.paused_s, 0)
    _move(session, t, "resolved", now, body=note)
    t.updated_at = now


def close(session, t: Ticket, now, satisfaction: int | None = None, feedback: str | None = None) -> None:
    if satisfaction is not None and not 1 <= satisfaction <= 5:
        raise ValidationError(f"--satisfaction must be 1 to 5, not {satisfaction}")
    _require(t, ("resolved",), "closed", f"resolve it first: crm ticket resolve {t.number} --note \"...\"")
    feedback = _text(feedback, "--feedback", 2000, multiline=True)
    t.satisfaction, t.feedback, t.closed_at = satisfaction, feedback, now
    body = "; ".join(x for x in (f"satisfaction {satisfaction}/5" if satisfaction else None, feedback) if x) or None
    _move(session, t, "closed", now, body=body)
    t.updated_at = now


def reopen(session, t: Ticket, now, reason: str | None = None) -> None:
    _require(t, DONE, "reopened")
    reason = _text(reason, "--reason", 4000, multiline=True)
    t.resolved_at = t.closed_at = None
    t.resolution_s = None
    _move(session, t, "open", now, body=reason)
    t.updated_at = now


def escalate(session, t: Ticket, now, *, to: str, reason: str) -> str:
    """Hand the ticket to a queue (and its manager) or a user; returns who has it now."""
    _require(t, ACTIVE, "escalated")
    reason = _text(reason, "--reason", 4000, multiline=True)
    if not reason:
        raise UsageError("an escalation needs --reason")
    target = to.strip()
    q = session.execute(select(TicketQueue).where(func.lower(TicketQueue.name) == target.lower())).scalar_one_or_none()
    if q is not None:
        t.queue, t.assignee_id = q.name, q.manager_id if q.manager_id else t.assignee_id
    else:
        from crm_cli.services import identity

        try:
            user = identity.user_ref(session, target, option="--to")
        except NotFound:
            from crm_cli.core.validation import shown

            raise NotFound(f"--to: no queue or user '{shown(target)}'",
                           "see 'crm ticket queue list' and 'crm user list'") from None
        t.assignee_id = user.id
    _escalated(session, t, now, reason)
    return _who(session, t)


def _escalated(session, t: Ticket, now, reason: str) -> None:
    t.escalation_level += 1
    _event(session, t, "escalation", now, old=f"level {t.escalation_level - 1}", new=_who(session, t), body=reason)
    if t.status == "new" and t.assignee_id is not None:
        _move(session, t, "open", now)
    t.updated_at = now
    session.flush()


def level_up(session, t: Ticket) -> tuple[TicketQueue | None, int | None] | None:
    """One level up from where the ticket is: (queue, assignee id), or None at the top."""
    q = session.execute(select(TicketQueue).where(TicketQueue.name == t.queue)).scalar_one_or_none() \
        if t.queue else None
    if q is None and t.assignee_id is not None:  # no queue: the assignee's team, if it is a queue
        team = session.execute(select(User.team).where(User.id == t.assignee_id)).scalar()
        if team:
            q = session.execute(select(TicketQueue).where(func.lower(TicketQueue.name) == team.lower())
                                ).scalar_one_or_none()
    if q is None:
        return None
    if q.manager_id is not None and t.assignee_id != q.manager_id:
        return q, q.manager_id
    if q.parent:
        parent = session.execute(select(TicketQueue).where(TicketQueue.name == q.parent)).scalar_one_or_none()
        if parent is not None:
            return parent, parent.manager_id
    return None


def auto_escalate(session, now) -> list[str]:
    """Every breached ticket one level up, once per breach (a breach = the due time that passed). One
    line per ticket handled, for cron."""
    rows = session.execute(select(Ticket).where(Ticket.deleted_at.is_(None), Ticket.next_due <= now,
                                                Ticket.status.in_(ACTIVE),
                                                or_(Ticket.escalated_due.is_(None),
                                                    Ticket.escalated_due != Ticket.next_due))
                           .order_by(Ticket.next_due, Ticket.id)).scalars().all()
    lines = []
    for t in rows:
        which = "response" if t.first_response_at is None and t.response_due == t.next_due else "resolution"
        over = _business(session, t, t.next_due, now)
        why = f"{which} SLA breached by {duration_text(over)}"
        t.escalated_due = t.next_due
        up = level_up(session, t)
        if up is None:
            _event(session, t, "escalation", now, old=_who(session, t), new=None,
                   body=f"{why}; no level above to escalate to")
            lines.append(f"{t.number}\tnot escalated: no level above {_who(session, t)}\t{why}")
            continue
        q, manager_id = up
        t.queue = q.name
        if manager_id is not None:
            t.assignee_id = manager_id
        _escalated(session, t, now, why)
        lines.append(f"{t.number}\tescalated to {_who(session, t)}\t{why}")
    session.flush()
    return lines


def soft_delete(session, t: Ticket, now) -> None:
    t.deleted_at = now


# ---- reading -------------------------------------------------------------------------------------------

def _names(session, t: Ticket) -> dict:
    from crm_cli.models import Contact, Product
    from crm_cli.models.document import Order

    def name(model, ident, col):
        if ident is None:
            return None
        obj = session.get(model, ident)
        return getattr(obj, col) if obj else None

    return {"customer": name(Customer, t.customer_id, "name"), "contact": name(Contact, t.contact_id, "name"),
            "product": name(Product, t.product_id, "sku"), "order": name(Order, t.order_id, "number")}


def timeline(session, t: Ticket) -> list[dict]:
    out = []
    q = select(TicketEvent).where(TicketEvent.ticket_id == t.id).order_by(TicketEvent.at, TicketEvent.id)
    for e in session.execute(q).scalars():
        if e.kind == "status":
            text = f"{e.old} -> {e.new}" if e.old else f"opened ({e.new})"
        elif e.kind in ("assign", "escalation", "priority"):
            text = f"{e.old or '-'} -> {e.new or '-'}"
        else:
            text = ""
        if e.body:
            text = f"{text}: {e.body}" if text else e.body
        out.append({"at": e.at, "user": e.user, "kind": e.kind, "old": e.old, "new": e.new,
                    "text": e.body if e.kind in COMMENT_KINDS else text, "internal": e.kind == "note"})
    return out


def record(session, t: Ticket, now) -> dict:
    rec = {"id": t.id, "number": t.number, "status": t.status, "priority": t.priority, "type": t.type,
           "reason": t.reason, "subject": t.subject, "description": t.description, "channel": t.channel}
    rec.update(_names(session, t))
    rec.update({"assignee": _user_handle(session, t.assignee_id), "queue": t.queue,
                "escalation_level": t.escalation_level, "created_at": t.created_at, "created_by": t.created_by,
                "first_response_at": t.first_response_at, "resolved_at": t.resolved_at, "closed_at": t.closed_at,
                "resolution": t.resolution, "satisfaction": t.satisfaction, "feedback": t.feedback})
    rec.update(targets(session, t, now))
    # business seconds the clock stood still, the pause going on now included
    rec["paused_seconds"] = t.paused_s + (_business(session, t, t.paused_since, now) if t.paused_since else 0)
    rec["deleted_at"] = t.deleted_at
    from crm_cli.services import kb

    rec["articles"] = kb.articles_for_ticket(session, t.id)  # the knowledge base articles that solved it
    rec["timeline"] = timeline(session, t)
    return rec


def sla_state(next_due, next_risk, now) -> str:
    if next_due is None:
        return ""
    if next_due <= now:
        return "breached"
    if next_risk is not None and next_risk <= now:
        return "at-risk"
    return "due"


def list_query(session, *, now, status=None, priority=None, type_=None, assignee_id=None, queue=None,
               customer_id=None, breached=False, at_risk=False, age=None, search=None, sort="due",
               limit=None, offset=0):
    """The Core select of `ticket list` (every filter is an indexed column)."""
    from crm_cli.services.listing import check_search, contains

    q = (select(Ticket.id, Ticket.number, Ticket.subject, Ticket.status, Ticket.priority, Ticket.type,
                Customer.name.label("customer"), User.handle.label("assignee"), Ticket.queue, Ticket.next_due,
                Ticket.next_risk, Ticket.created_at)
         .outerjoin(Customer, Customer.id == Ticket.customer_id).outerjoin(User, User.id == Ticket.assignee_id)
         .where(Ticket.deleted_at.is_(None)))
    if status:
        words = [w.strip().lower() for w in status.split(",") if w.strip()]
        if "active" in words:
            words = [w for w in words if w != "active"] + list(ACTIVE)
        q = q.where(Ticket.status.in_(_choices(",".join(words), STATUSES, "--status", many=True)))
    if priority:
        q = q.where(Ticket.priority.in_(_choices(priority, PRIORITIES, "--priority", many=True)))
    if type_:
        q = q.where(Ticket.type.in_(_choices(type_, configured("ticket_types"), "--type", many=True)))
    if assignee_id is not None:
        q = q.where(Ticket.assignee_id == assignee_id)
    if queue:
        q = q.where(Ticket.queue == get_queue(session, queue).name)
    if customer_id is not None:
        q = q.where(Ticket.customer_id == customer_id)
    if breached and at_risk:
        q = q.where(Ticket.next_risk <= now)
    elif breached:
        q = q.where(Ticket.next_due <= now)
    elif at_risk:
        # read through the index on next_risk (few rows are at risk), not a range of next_due (most
        # open tickets are due later): the CASE keeps the planner off ix_tickets_next_due
        q = q.where(Ticket.next_risk <= now, case((Ticket.next_due > now, 1), else_=0) == 1)
    if age is not None:
        q = q.where(Ticket.created_at <= now - age)
    if search:
        check_search(search)
        q = q.where(or_(contains(session, Ticket.subject, search), Ticket.number == search.strip().upper()))
    sorts = {"due": Ticket.next_due, "number": Ticket.number, "created": Ticket.created_at,
             "updated": Ticket.updated_at, "priority": case({p: i for i, p in enumerate(PRIORITIES)},
                                                              value=Ticket.priority), "id": Ticket.id}
    key = sort.lstrip("-")
    if key not in sorts:
        raise ValidationError(f"--sort: unknown field '{key}'", "use one of " + ", ".join(sorts))
    col = sorts[key]
    desc = sort.startswith("-")
    if key == "due" and at_risk and not breached:  # sorted after the few rows are found (see above)
        col = func.coalesce(Ticket.next_due, Ticket.next_risk)
    if key == "due" and not (breached or at_risk):  # no due time (no SLA, nothing outstanding) last
        q = q.order_by(Ticket.next_due.is_(None), col.desc() if desc else col.asc(), Ticket.id)
    else:
        q = q.order_by(col.desc() if desc else col.asc(), Ticket.id)
    if offset:
        q = q.offset(offset)
    if limit is not None:
        q = q.limit(limit)
    return q


def list_rows(session, now, **filters):
    for r in session.execute(list_query(session, now=now, **filters)):
        yield {"id": r.id, "number": r.number, "subject": r.subject, "status": r.status, "priority": r.priority,
               "type": r.type, "customer": r.customer, "assignee": r.assignee, "queue": r.queue, "due": r.next_due,
               "sla": sla_state(r.next_due, r.next_risk, now), "created_at": r.created_at}


# ---- customer show, remind --------------------------------------------------------------------------

def customer_section(session, customer) -> list:
    """`crm customer show`: the customer's open tickets, and its service summary (satisfaction)."""
    from crm_cli.core import context

    now = context.now()
    open_rows = list(list_rows(session, now, customer_id=customer.id, status="active"))
    n, avg, rated = session.execute(
        select(func.count(), func.avg(Ticket.satisfaction), func.count(Ticket.satisfaction))
        .where(Ticket.customer_id == customer.id, Ticket.deleted_at.is_(None))).one()
    if not n:
        return []
    from decimal import ROUND_HALF_UP, Decimal

    summary = {"tickets": n, "open_tickets": len(open_rows), "rated": rated,
               "satisfaction_avg": (str(Decimal(str(avg)).quantize(Decimal("0.01"), ROUND_HALF_UP))
                                    if avg is not None else None)}
    sections = []
    if open_rows:
        sections.append(("tickets", [{k: r[k] for k in ("number", "subject", "status", "priority", "assignee", "due",
                                                         "sla")} for r in open_rows],
                         [Col("number", "Ticket"), Col("subject", "Subject"), Col("status", "Status"),
                          Col("priority", "Priority"), Col("assignee", "Assignee"), Col("due", "Due"),
                          Col("sla", "SLA")]))
    sections.append(("service", [summary], [Col("tickets", "Tickets", "right"), Col("open_tickets", "Open", "right"),
                                            Col("satisfaction_avg", "Satisfaction", "right"),
                                            Col("rated", "Rated", "right")]))
    return sections


def remind_items(session, w):
    """Active tickets at risk or breached, for their assignee; a ticket with only a queue is for the
    queue's members (users whose team is its name) and its manager."""
    from crm_cli.core.dates import human
    from crm_cli.services.reminders import Item

    now = w.now
    q = (select(Ticket.id, Ticket.number, Ticket.subject, Ticket.priority, Ticket.assignee_id, Ticket.queue,
                Ticket.next_due, Ticket.next_risk, Customer.name)
         .outerjoin(Customer, Customer.id == Ticket.customer_id)
         .where(Ticket.deleted_at.is_(None), Ticket.next_risk <= now, Ticket.status.in_(ACTIVE)))
    rows = session.execute(q.order_by(Ticket.next_due, Ticket.id)).all()
    if not rows:
        return []
    queues = {qq.name: qq for qq in session.execute(select(TicketQueue)).scalars()}
    teams: dict[str, list[int]] = {}
    for uid, team in session.execute(select(User.id, User.team).where(User.team.is_not(None),
                                                                      User.deleted_at.is_(None))):
        teams.setdefault(team.lower(), []).append(uid)
    items = []
    for r in rows:
        if r.assignee_id is not None:
            owners = [r.assignee_id]
        else:
            owners = list(teams.get((r.queue or "").lower(), []))
            manager = queues[r.queue].manager_id if r.queue in queues else None
            if manager is not None and manager not in owners:
                owners.append(manager)
        if w.owner_id is not None:
            owners = [o for o in owners if o == w.owner_id]
        breached = r.next_due <= now
        state = "breached" if breached else "at-risk"
        line = (f"{r.number}  {state}, due {human(r.next_due)}  {r.priority}: {r.subject}"
                + (f" [{r.name}]" if r.name else ""))
        data = {"ticket": r.number, "subject": r.subject, "priority": r.priority, "state": state, "due": r.next_due,
                "customer": r.name, "queue": r.queue}
        for owner in owners:
            items.append(Item(owner, "tickets", (r.next_due, r.id), line, data, overdue=breached))
    return items


def mine_filter(session, ref: str | None) -> int | None:
    from crm_cli.services import identity

    return identity.owner_filter(session, ref, "--assignee")


def age_of(text: str | None) -> timedelta | None:
    if text is None:
        return None
    from crm_cli.core.dates import parse_duration

    return parse_duration(text, "--age")

# ---- export ------------------------------------------------------------------------------------------

EXPORT_COLUMNS = [Col("number", "Number"), Col("type", "Type"), Col("priority", "Priority"), Col("status", "Status"),
                  Col("subject", "Subject"), Col("customer", "Customer"), Col("assignee", "Assignee"),
                  Col("queue", "Queue"), Col("created_at", "Created"), Col("response_due", "Response due"),
                  Col("resolution_due", "Resolution due"), Col("satisfaction", "CSAT", "right")]


def export_rows(session, now, *, status=None, customer_id=None):
    """Every ticket (not trashed) with its fields and SLA figures, streamed in number order."""
    from crm_cli.models import Contact, Product
    from crm_cli.models.document import Order

    q = (select(Ticket, Customer.name, Contact.name, Product.sku, Order.number, User.handle)
         .outerjoin(Customer, Customer.id == Ticket.customer_id).outerjoin(Contact, Contact.id == Ticket.contact_id)
         .outerjoin(Product, Product.id == Ticket.product_id).outerjoin(Order, Order.id == Ticket.order_id)
         .outerjoin(User, User.id == Ticket.assignee_id).where(Ticket.deleted_at.is_(None)))
    if status:
        words = [w.strip().lower() for w in status.split(",") if w.strip()]
        if "active" in words:
            words = [w for w in words if w != "active"] + list(ACTIVE)
        q = q.where(Ticket.status.in_(_choices(",".join(words), STATUSES, "--status", many=True)))
    if customer_id is not None:
        q = q.where(Ticket.customer_id == customer_id)
    for t, cname, ctname, sku, onum, handle in session.execute(q.order_by(Ticket.id)).yield_per(1000):
        yield {"number": t.number, "type": t.type, "priority": t.priority, "status": t.status, "channel": t.channel,
               "subject": t.subject, "description": t.description, "customer": cname, "contact": ctname,
               "product": sku, "order": onum, "assignee": handle, "queue": t.queue, "reason": t.reason,
               "created_at": t.created_at, "first_response_at": t.first_response_at, "resolved_at": t.resolved_at,
               "closed_at": t.closed_at, "response_due": t.response_due, "resolution_due": t.resolution_due,
               "response_s": t.response_s, "resolution_s": t.resolution_s, "paused_seconds": t.paused_s,
               "sla": sla_state(t.next_due, t.next_risk, now), "resolution": t.resolution,
               "satisfaction": t.satisfaction, "feedback": t.feedback}
