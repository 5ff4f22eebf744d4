"""crm ticket: service tickets — open, assign, comment, pending/resume, resolve, close, reopen, escalate;
SLA due times from the policies of `crm sla`; queues."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from crm_cli.core.options import FormatOpt, JsonOpt, LimitOpt, OffsetOpt, QuietOpt, YesOpt, search_opt, sort_opt

app = typer.Typer(help="Service tickets (T-2026-0001): status new -> open -> pending -> resolved -> closed, a "
                  "timeline, SLA due times (crm sla), queues and escalation.", no_args_is_help=True)
queue_app = typer.Typer(help="Ticket queues: a queue is a team (users whose --team is its name) with a manager; "
                        "escalation goes from a queue to its manager, then to its parent queue.",
                        no_args_is_help=True)
app.add_typer(queue_app, name="queue")

Ref = Annotated[str, typer.Argument(help="Ticket number (T-2026-0001) or id.", show_default=False)]
PriorityOpt = Annotated[Optional[str], typer.Option("--priority", "-p", help="low|normal|high|urgent")]
TypeOpt = Annotated[Optional[str], typer.Option("--type", "-t", help="complaint|repair|inquiry|suggestion|request "
                                                "(config ticket_types).")]
ReasonOpt = Annotated[Optional[str], typer.Option("--reason", help="A complaint's reason category: product-quality|"
                                                  "delivery|service-attitude|price|other (config "
                                                  "complaint_reasons).")]
ChannelOpt = Annotated[Optional[str], typer.Option("--channel", help="phone|email|chat|web|visit|wechat|other "
                                                   "(config ticket_channels).")]


def _links(s, customer, contact, product, order):
    from crm_cli.models import Contact, Customer
    from crm_cli.services import orders, resolve

    return (resolve.get(s, Customer, customer) if customer else None,
            resolve.get(s, Contact, contact) if contact else None,
            _product(s, product) if product else None,
            orders.find(s, order) if order else None)


def _product(s, ref):
    from crm_cli.models import Product
    from crm_cli.services import resolve
    from sqlalchemy import select

    p = s.execute(select(Product).where(Product.sku == ref.strip(), Product.deleted_at.is_(None))).scalar_one_or_none()
    return p if p is not None else resolve.get(s, Product, ref)


@app.command("open")
def open_(
    subject: Annotated[Optional[str], typer.Argument(help="What it is about (one line).", show_default=False)] = None,
    type_: TypeOpt = None,
    priority: PriorityOpt = "normal",
    customer: Annotated[Optional[str], typer.Option("--customer", "-c", help="Customer (id or name).")] = None,
    contact: Annotated[Optional[str], typer.Option(help="Contact (id or name).")] = None,
    product: Annotated[Optional[str], typer.Option(help="Product (SKU or id).")] = None,
    order: Annotated[Optional[str], typer.Option(help="Order (SO-2026-0001 or id).")] = None,
    description: Annotated[Optional[str], typer.Option("--description", "-d")] = None,
    assignee: Annotated[Optional[str], typer.Option("--assignee", "-a", help="me|HANDLE: opens it at once.")]
    = None,
    queue: Annotated[Optional[str], typer.Option("--queue", help="The queue (team) that takes it.")] = None,
    channel: ChannelOpt = None,
    reason: ReasonOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Open a ticket. It needs --assignee or --queue (nobody responsible is impossible); a complaint needs
    --reason. The SLA policy for its priority and the customer's tier sets its due times."""
    from crm_cli.core import context, db, prompts
    from crm_cli.core.output import created
    from crm_cli.services import identity, tickets

    subject = prompts.require(subject, "SUBJECT", "Subject")
    type_ = prompts.require(type_, "--type", "Type")
    with db.session_scope() as s:
        c, ct, p, o = _links(s, customer, contact, product, order)
        who = identity.user_ref(s, assignee, default_me=False, option="--assignee") if assignee else None
        t = tickets.open_ticket(s, subject=subject, type_=type_, priority=priority or "normal", now=context.now(),
                                description=description, customer=c, contact=ct, product=p, order=o, assignee=who,
                                queue=queue, channel=channel, reason=reason)
        created("ticket", t.id, f"{t.number} ({t.status})" + (f" for {c.name}" if c else ""), quiet)


@app.command("list")
def list_(
    status: Annotated[Optional[str], typer.Option(help="new,open,pending,resolved,closed (comma list); 'active' = "
                                                  "new,open,pending.")] = None,
    priority: PriorityOpt = None,
    type_: TypeOpt = None,
    assignee: Annotated[Optional[str], typer.Option("--assignee", "-a", help="me|HANDLE")] = None,
    queue: Annotated[Optional[str], typer.Option(help="A queue's tickets.")] = None,
    customer: Annotated[Optional[str], typer.Option("--customer", "-c")] = None,
    breached: Annotated[bool, typer.Option("--breached", help="A target past due (still open).")] = False,
    at_risk: Annotated[bool, typer.Option("--at-risk", help="A target at risk, none breached yet.")] = False,
    age: Annotated[Optional[str], typer.Option("--age", help="Opened at least this long ago: 3d, 12h, 2w.")]
    = None,
    search: search_opt("Text in the subject, or the number.") = None,
    sort: sort_opt("due|priority|number|created|updated|id") = "due",
    limit: LimitOpt = None,
    offset: OffsetOpt = 0,
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List tickets, the nearest due time first (tickets with nothing due last)."""
    from crm_cli.core import context, db
    from crm_cli.core.output import emit
    from crm_cli.models import Customer
    from crm_cli.services import resolve, tickets

    now = context.now()
    with db.session_scope() as s:
        cid = resolve.get(s, Customer, customer).id if customer else None
        rows = tickets.list_rows(s, now, status=status, priority=priority, type_=type_,
                                 assignee_id=tickets.mine_filter(s, assignee), queue=queue, customer_id=cid,
                                 breached=breached, at_risk=at_risk, age=tickets.age_of(age), search=search, sort=sort,
                                 limit=limit, offset=offset)
        emit(rows, tickets.LIST_COLUMNS, fmt, as_json)


@app.command("show")
def show(ref: Ref, fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """A ticket: its fields, SLA targets (met, due with business time left, at-risk, breached by how much),
    and its timeline."""
    from crm_cli.core import context, db
    from crm_cli.core.output import Col, emit_record
    from crm_cli.services import tickets

    now = context.now()
    with db.session_scope() as s:
        rec = tickets.record(s, tickets.find(s, ref, include_deleted=True), now)
    events = rec.pop("timeline")
    articles = rec.pop("articles")
    for key in ("response", "resolution"):
        if rec[f"{key}_state"] in ("due", "at-risk") and rec[f"{key}_left_s"] is not None:
            rec[f"{key}_left"] = tickets.duration_text(rec[f"{key}_left_s"])
        elif rec[f"{key}_state"] == "breached" and rec[f"{key}_over_s"] is not None:
            rec[f"{key}_over"] = tickets.duration_text(rec[f"{key}_over_s"])
    sections = [("timeline", events, tickets.TIMELINE_COLUMNS),
                ("articles", articles, [Col("id", "Article"), Col("title", "Title")])]
    emit_record(rec, fmt, as_json, sections=sections)


@app.command("edit")
def edit(
    ref: Ref,
    subject: Annotated[Optional[str], typer.Option()] = None,
    description: Annotated[Optional[str], typer.Option("--description", "-d")] = None,
    type_: TypeOpt = None,
    priority: Annotated[Optional[str], typer.Option("--priority", "-p", help="low|normal|high|urgent: recomputes "
                                                    "both SLA due times from the creation time.")] = None,
    channel: ChannelOpt = None,
    reason: ReasonOpt = None,
    customer: Annotated[Optional[str], typer.Option("--customer", "-c")] = None,
    contact: Annotated[Optional[str], typer.Option()] = None,
    product: Annotated[Optional[str], typer.Option()] = None,
    order: Annotated[Optional[str], typer.Option()] = None,
) -> None:
    """Change a ticket's fields (a priority change is in the timeline, with the new due times)."""
    from crm_cli.core import context, db
    from crm_cli.core.output import info
    from crm_cli.services import tickets

    with db.session_scope() as s:
        t = tickets.find(s, ref)
        c, ct, p, o = _links(s, customer, contact, product, order)
        changed = tickets.edit(s, t, context.now(), subject=subject, description=description, type_=type_,
                               priority=priority, channel=channel, reason=reason, customer=c, contact=ct, product=p,
                               order=o)
        info(f"ticket {t.number}: changed {', '.join(changed)}")


@app.command("assign")
def assign(
    ref: Ref,
    to: Annotated[Optional[str], typer.Option("--to", help="me|HANDLE")] = None,
    queue: Annotated[Optional[str], typer.Option("--queue", help="Move it to this queue.")] = None,
) -> None:
    """Give a ticket to a user and/or a queue; a new ticket becomes open when a user has it."""
    from crm_cli.core import context, db
    from crm_cli.core.output import info
    from crm_cli.services import identity, tickets

    with db.session_scope() as s:
        t = tickets.find(s, ref)
        who = identity.user_ref(s, to, option="--to") if to is not None else None
        tickets.assign(s, t, context.now(), user=who, queue=queue)
        info(f"ticket {t.number} is with {tickets._who(s, t)} ({t.status})")


@app.command("comment")
def comment(
    ref: Ref,
    text: Annotated[str, typer.Argument(help="The comment.", show_default=False)],
    internal: Annotated[bool, typer.Option("--internal", help="An internal note (not the customer's to see; does "
                                           "not count as a response).")] = False,
    from_customer: Annotated[bool, typer.Option("--from-customer", help="The customer's message (a pending ticket "
                                                "goes back to open).")] = False,
) -> None:
    """Add a comment: a reply to the customer (the first is the first response), an --internal note, or the
    customer's own message (--from-customer)."""
    from crm_cli.core import context, db
    from crm_cli.core.output import info
    from crm_cli.services import tickets

    with db.session_scope() as s:
        t = tickets.find(s, ref)
        moved = tickets.comment(s, t, text, context.now(), internal=internal, from_customer=from_customer)
        kind = "customer reply" if from_customer else ("internal note" if internal else "reply")
        info(f"ticket {t.number}: {kind} added" + (f"; {moved}" if moved else ""))


def _move_command(verb: str, doc: str):
    def command(ref: Ref) -> None:
        from crm_cli.core import context, db
        from crm_cli.core.output import info
        from crm_cli.services import tickets

        with db.session_scope() as s:
            t = tickets.find(s, ref)
            getattr(tickets, verb)(s, t, context.now())
            info(f"ticket {t.number} is {t.status}")

    command.__doc__ = doc
    return command


@app.command("pending")
def pending(ref: Ref, note: Annotated[Optional[str], typer.Option("--note", help="What the customer is asked "
                                                                    "for.")] = None) -> None:
    """Wait on the customer: the SLA clock pauses (the first move to pending counts as the first response)."""
    from crm_cli.core import context, db
    from crm_cli.core.output import info
    from crm_cli.services import tickets

    with db.session_scope() as s:
        t = tickets.find(s, ref)
        tickets.pending(s, t, context.now(), note)
        info(f"ticket {t.number} is pending")


app.command("resume")(_move_command("resume", "Take a pending ticket back to open: the SLA clock runs again."))


@app.command("resolve")
def resolve_(ref: Ref, note: Annotated[Optional[str], typer.Option("--note", "-n", help="The resolution "
                                                                     "(required).")] = None) -> None:
    """Resolve a ticket with a resolution note; the clock stops."""
    from crm_cli.core import context, db
    from crm_cli.core.output import info
    from crm_cli.services import tickets

    with db.session_scope() as s:
        t = tickets.find(s, ref)
        tickets.resolve(s, t, note, context.now())
        info(f"ticket {t.number} is resolved")


@app.command("close")
def close(ref: Ref,
          satisfaction: Annotated[Optional[int], typer.Option("--satisfaction", help="The customer's rating, "
                                                              "1-5.")] = None,
          feedback: Annotated[Optional[str], typer.Option(help="The customer's words.")] = None) -> None:
    """Close a resolved ticket, with the customer's satisfaction (1-5) and feedback."""
    from crm_cli.core import context, db
    from crm_cli.core.output import info
    from crm_cli.services import tickets

    with db.session_scope() as s:
        t = tickets.find(s, ref)
        tickets.close(s, t, context.now(), satisfaction, feedback)
        info(f"ticket {t.number} is closed")


@app.command("reopen")
def reopen(ref: Ref, reason: Annotated[Optional[str], typer.Option(help="Why.")] = None) -> None:
    """Reopen a resolved or closed ticket; its resolution clock continues where it stopped."""
    from crm_cli.core import context, db
    from crm_cli.core.output import info
    from crm_cli.services import tickets

    with db.session_scope() as s:
        t = tickets.find(s, ref)
        tickets.reopen(s, t, context.now(), reason)
        info(f"ticket {t.number} is open again")


@app.command("escalate")
def escalate(
    ref: Annotated[Optional[str], typer.Argument(help="Ticket number or id (not with --auto).",
                                                 show_default=False)] = None,
    to: Annotated[Optional[str], typer.Option("--to", help="QUEUE (to it and its manager) or HANDLE.")] = None,
    reason: Annotated[Optional[str], typer.Option(help="Why (required).")] = None,
    auto: Annotated[bool, typer.Option("--auto", help="Every breached ticket one level up (queue -> its manager "
                                       "-> the parent queue), once per breach; one line per ticket on stdout, "
                                       "nothing when nothing is breached. For cron.")] = False,
) -> None:
    """Escalate a ticket to a queue or a user, or (--auto) every breached ticket one level up."""
    from crm_cli.core import context, db
    from crm_cli.core.errors import UsageError
    from crm_cli.core.output import info
    from crm_cli.services import tickets

    if auto:
        if ref or to or reason:
            raise UsageError("--auto takes no ticket, --to or --reason")
        with db.session_scope() as s:
            lines = tickets.auto_escalate(s, context.now())
        for line in lines:
            typer.echo(line)
        return
    if not ref:
        raise UsageError("give a ticket (or --auto)")
    if not to:
        raise UsageError("--to QUEUE|HANDLE is required")
    with db.session_scope() as s:
        t = tickets.find(s, ref)
        who = tickets.escalate(s, t, context.now(), to=to, reason=reason or "")
        info(f"ticket {t.number} escalated to {who}")


@app.command("delete")
def delete(ref: Ref, yes: YesOpt = False) -> None:
    """Move a ticket to the trash (crm trash restore ticket ID brings it back)."""
    from crm_cli.core import context, db, prompts
    from crm_cli.core.output import info
    from crm_cli.services import tickets

    with db.session_scope() as s:
        t = tickets.find(s, ref)
        prompts.confirm(f"Delete ticket {t.number}?", yes)
        tickets.soft_delete(s, t, context.now())
        info(f"ticket {t.number} moved to the trash")


@app.command("export")
def export(
    fmt: Annotated[str, typer.Option("--format", "-f", help="csv|json|jsonl|table|plain|markdown")] = "csv",
    output: Annotated[Optional[str], typer.Option("--output", "-o", help="Write to this file (default: "
                                                  "stdout).")] = None,
    status: Annotated[Optional[str], typer.Option(help="Comma list, or 'active'.")] = None,
    customer: Annotated[Optional[str], typer.Option("--customer", "-c")] = None,
) -> None:
    """Export tickets with their SLA figures (every field of the list, and more), in any format."""
    import sys

    from crm_cli.core import context, db
    from crm_cli.core.errors import CrmError, UsageError
    from crm_cli.core.options import Format
    from crm_cli.core.output import emit, info
    from crm_cli.models import Customer
    from crm_cli.services import resolve, tickets

    try:
        f = Format(fmt.lower())
    except ValueError:
        raise UsageError(f"--format must be one of {', '.join(x.value for x in Format)}") from None
    now = context.now()
    fh = None
    if output:
        try:
            fh = open(output, "w", newline="", encoding="utf-8")
        except OSError as exc:
            raise CrmError(f"--output: cannot write {output}: {exc.strerror}") from None
    count = 0
    try:
        with db.session_scope() as s:
            cid = resolve.get(s, Customer, customer).id if customer else None

            def rows():
                nonlocal count
                for rec in tickets.export_rows(s, now, status=status, customer_id=cid):
                    count += 1
                    yield rec

            old, sys.stdout = sys.stdout, fh or sys.stdout
            try:
                emit(rows(), tickets.EXPORT_COLUMNS, f)
            finally:
                sys.stdout = old
    finally:
        if fh:
            fh.close()
    info(f"exported {count} tickets" + (f" to {output}" if output else ""))


@queue_app.command("add")
def queue_add(
    name: Annotated[str, typer.Argument(help="The queue (a team name).", show_default=False)],
    manager: Annotated[Optional[str], typer.Option(help="HANDLE: escalations from this queue go to them.")] = None,
    parent: Annotated[Optional[str], typer.Option(help="The queue one level up.")] = None,
) -> None:
    """Add a queue. Its members are the users whose team is its name (crm user add/edit --team NAME)."""
    from crm_cli.core import db
    from crm_cli.core.output import info
    from crm_cli.services import identity, tickets

    with db.session_scope() as s:
        m = identity.user_ref(s, manager, option="--manager") if manager else None
        q = tickets.add_queue(s, name, m, parent)
        info(f"ticket queue '{q.name}' added" + (f", manager {m.handle}" if m else ""))


@queue_app.command("list")
def queue_list(fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """The queues, their managers, parents and members."""
    from crm_cli.core import db
    from crm_cli.core.output import emit
    from crm_cli.services import tickets

    with db.session_scope() as s:
        rows = tickets.list_queues(s)
    emit(rows, tickets.QUEUE_COLUMNS, fmt, as_json)
