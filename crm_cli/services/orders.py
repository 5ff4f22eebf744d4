"""Order rules: lines, confirmation with the credit check, deliveries and returns, the payment
schedule (instalments), payments, and what is still due.

Status: draft -> confirmed -> closed, or cancelled (only with nothing delivered or paid). Delivery
status (not delivered, partly delivered, delivered) and payment status (unpaid, partly paid, paid,
overdue) are separate dimensions, both computed, both filterable in SQL:

  due      = total - returned            (a return reduces what is due)
  balance  = due - paid
  paid     when balance <= 0; overdue when an instalment due before today is not fully paid;
  partly paid when something is paid; unpaid otherwise.

A return's value is the line's total pro rata, rounded half-up on the cumulative returned
quantity (so returning a whole line gives back exactly its total). Instalments: by default one,
due at confirmation + payment terms days; `plan` replaces them while nothing is paid; a payment
goes to the earliest unpaid instalment first; a return takes its value off the last unpaid ones.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import and_, exists, func, or_, select

from crm_cli.core import docmoney
from crm_cli.core.errors import Conflict, NotFound, UsageError, ValidationError
from crm_cli.core.money import Money
from crm_cli.core.output import Col
from crm_cli.models import Customer, User
from crm_cli.models.document import Delivery, Instalment, Order, OrderLine, Payment
from crm_cli.services import audit, documents, numbering

STATUSES = ("draft", "confirmed", "closed", "cancelled")
DELIVERY = {"none": "not delivered", "partial": "partly delivered", "full": "delivered"}
PAYMENT = ("unpaid", "partly paid", "paid", "overdue")
LIST_COLUMNS = [Col("number", "Number"), Col("customer", "Customer"), Col("status", "Status"),
                Col("delivery", "Delivery"), Col("payment", "Payment"), Col("total", "Total", "right"),
                Col("balance", "Balance", "right"), Col("date", "Date"), Col("owner", "Owner")]
SORTS = {"id": Order.id, "number": Order.number, "total": Order.total, "date": Order.ordered_on,
         "created": Order.created_at, "updated": Order.updated_at}
INSTALMENT_COLUMNS = [Col("seq", "#", "right"), Col("due_on", "Due"), Col("amount", "Amount", "right"),
                      Col("paid", "Paid", "right"), Col("open", "Open", "right"), Col("state", "State")]


today = documents.today


def find(session, ref: str, *, include_deleted: bool = False) -> Order:
    text = str(ref).strip()
    if text.lstrip("#").isdigit():
        o = session.get(Order, int(text.lstrip("#")))
    else:
        o = session.execute(select(Order).where(Order.number == text.upper())).scalar_one_or_none()
    if o is None or (not include_deleted and o.deleted_at is not None):
        raise NotFound(f"no order '{text[:80]}'", "use its number (SO-2026-0001) or id; see 'crm order list'")
    return o


def _require(o: Order, statuses: tuple[str, ...], verb: str) -> None:
    if o.status not in statuses:
        raise Conflict(f"order {o.number} is {o.status}: only a{'n' if statuses[0][0] in 'aeiou' else ''} "
                       f"{' or '.join(statuses)} order can be {verb}")


def create(session, customer: Customer, *, owner: User, currency: str, ordered_on: date,
           payment_terms: int | None = None, notes: str | None = None, quote_id: int | None = None) -> Order:
    if payment_terms is not None and not 0 <= payment_terms <= 3650:
        raise ValidationError("--terms must be 0 to 3650 days")
    from crm_cli.core.validation import checked_text

    checked_text(notes, "--notes", 4000, multiline=True)
    o = Order(number=numbering.next_number(session, "SO", ordered_on.year), customer_id=customer.id,
              owner_id=owner.id, currency=currency, ordered_on=ordered_on,
              payment_terms=payment_terms if payment_terms is not None else customer.payment_terms, notes=notes,
              quote_id=quote_id)
    session.add(o)
    session.flush()
    return o


def from_quote(session, q, quote_line_model, copy_columns: tuple[str, ...]) -> Order:
    """An order with the quote's lines and prices (no retyping, no repricing)."""
    customer = session.get(Customer, q.customer_id)
    owner = session.get(User, q.owner_id) if q.owner_id else None
    if owner is None:
        from crm_cli.services import identity

        owner = identity.current_user(session)
    o = create(session, customer, owner=owner, currency=q.currency, ordered_on=today(),
               payment_terms=q.payment_terms, notes=q.notes, quote_id=q.id)
    for line in documents.lines_of(session, quote_line_model, "quote_id", q.id):
        session.add(OrderLine(**{c: getattr(line, c) for c in copy_columns}, order_id=o.id))
    session.flush()
    documents.recompute(session, o, OrderLine, "order_id")
    return o


def _context(session, o: Order):
    return session.get(Customer, o.customer_id), (session.get(User, o.owner_id) if o.owner_id else None)


def add_line(session, o: Order, spec: documents.LineSpec, acting: User) -> OrderLine:
    _require(o, ("draft",), "changed")
    if spec.kind == "fee" and spec.tax_rate is None:
        from crm_cli.core import config

        spec.tax_rate = docmoney.parse_percent(str(config.get("fee_tax_rate")), "fee_tax_rate")
    return documents.put_line(session, o, OrderLine, "order_id", spec, acting, on=o.ordered_on)


def edit_line(session, o: Order, position: int, spec: documents.LineSpec, acting: User) -> OrderLine:
    _require(o, ("draft",), "changed")
    return documents.put_line(session, o, OrderLine, "order_id", spec, acting, on=o.ordered_on, position=position)


# ---- credit ----------------------------------------------------------------------------------------

def open_balance(session, customer: Customer, currency: str, exclude_id: int | None = None) -> int:
    """What the customer still owes on confirmed orders, in `currency`: unpaid instalments, plus
    confirmed amounts not (yet) scheduled in instalments."""
    from crm_cli.services.currency import Converter

    sched = (select(Instalment.order_id, func.sum(Instalment.amount).label("planned"),
                    func.sum(Instalment.amount - Instalment.paid).label("unpaid"))
             .group_by(Instalment.order_id).subquery())
    q = (select(Order.currency, func.sum(func.coalesce(sched.c.unpaid, 0)
                                          + (Order.total - Order.returned - func.coalesce(sched.c.planned, 0))))
         .outerjoin(sched, sched.c.order_id == Order.id)
         .where(Order.customer_id == customer.id, Order.status == "confirmed", Order.deleted_at.is_(None))
         .group_by(Order.currency))
    if exclude_id is not None:
        q = q.where(Order.id != exclude_id)
    rows = session.execute(q).all()
    if all(cur == currency for cur, _ in rows):
        return sum(int(v or 0) for _, v in rows)
    conv = Converter(session)
    return sum(conv.convert(int(v or 0), cur, currency) for cur, v in rows)


def confirm(session, o: Order, now, acting: User, *, override: bool = False, reason: str | None = None) -> dict:
    """Confirm a draft: the credit check (atomic per customer), the default instalment, and a prospect
    becomes an active customer. Returns what the check saw."""
    from crm_cli.core import db
    from crm_cli.services.currency import Converter

    _require(o, ("draft",), "confirmed")
    if not session.execute(select(OrderLine.id).where(OrderLine.order_id == o.id).limit(1)).first():
        raise UsageError(f"order {o.number} has no lines", f"crm order add-line {o.number} --product SKU --qty N")
    if override and not (reason or "").strip():
        raise UsageError("--override-credit needs --reason")
    from crm_cli.core.validation import checked_text

    checked_text(reason, "--reason", 200)
    customer = session.get(Customer, o.customer_id)
    db.lock_keys(session, [f"credit:{customer.id}"])
    seen = {"limit": None, "balance": None, "order": None}
    if customer.credit_limit:
        cur = customer.currency or o.currency
        this = Converter(session).convert(o.total - o.returned, o.currency, cur)
        balance = open_balance(session, customer, cur, exclude_id=o.id)
        seen = {"limit": Money(customer.credit_limit, cur), "balance": Money(balance, cur),
                "order": Money(this, cur)}
        if balance + this > customer.credit_limit:
            figures = (f"open balance {seen['balance']} + this order {seen['order']} > credit limit "
                       f"{seen['limit']}")
            if not override:
                raise Conflict(f"order {o.number} exceeds {customer.name}'s credit: {figures}",
                               "a manager or admin may pass --override-credit --reason \"...\"")
            if acting.role not in ("manager", "admin"):
                raise UsageError(f"only a manager or an admin can --override-credit ({acting.handle} is a "
                                 f"{acting.role})")
            o.credit_override = f"{reason.strip()[:200]} ({acting.handle}; {figures})"[:300]
    o.status, o.confirmed_at = "confirmed", now
    o.confirmed_on = today()
    terms = o.payment_terms or 0
    session.add(Instalment(order_id=o.id, seq=1, due_on=o.confirmed_on + timedelta(days=terms),
                           amount=o.total - o.returned))
    if customer.status == "prospect":
        customer.status = "active"  # the history records it on the customer
    session.flush()
    return seen


# ---- deliveries and returns ------------------------------------------------------------------------

def _goods(session, o: Order) -> list[OrderLine]:
    return [x for x in documents.lines_of(session, OrderLine, "order_id", o.id) if x.kind != "fee"]


def _refresh_delivery(session, o: Order) -> None:
    lines = _goods(session, o)
    delivered = sum(1 for x in lines if x.delivered > 0)
    full = all(x.delivered >= x.qty for x in lines)
    o.delivery_status = "full" if lines and full else ("partial" if delivered else "none")


def deliver(session, o: Order, position: int | None, qty: Decimal | None, now) -> list[tuple[OrderLine, int]]:
    """Deliver `qty` of line `position`, or what remains of every line. Never more than ordered
    minus delivered."""
    _require(o, ("confirmed",), "delivered")
    if position is None:
        if qty is not None:
            raise UsageError("--qty goes with --line")
        todo = [(x, x.qty - x.delivered) for x in _goods(session, o) if x.delivered < x.qty]
        if not todo:
            raise Conflict(f"order {o.number} is already delivered in full")
    else:
        line = documents.find_line(session, OrderLine, "order_id", o, position)
        if line.kind == "fee":
            raise UsageError(f"line {position} of {o.number} is a fee, not goods")
        left = line.qty - line.delivered
        want = documents.m6(qty) if qty is not None else left
        if left <= 0:
            raise Conflict(f"line {position} of {o.number} is already delivered in full")
        if want > left:
            raise Conflict(f"line {position} of {o.number}: {documents.qty_text(want)} is more than the "
                           f"{documents.qty_text(left)} {line.unit} still to deliver")
        todo = [(line, want)]
    from crm_cli.core import context

    for line, n in todo:
        line.delivered += n
        session.add(Delivery(order_id=o.id, line_id=line.id, qty=n, at=now, user=context.current_handle()))
        audit.note(session, "order", o.id, f"line {line.position} delivered", old=None,
                   new=f"{documents.qty_text(n)} {line.unit} (total {documents.qty_text(line.delivered)} of "
                       f"{documents.qty_text(line.qty)})")
    _refresh_delivery(session, o)
    session.flush()
    return todo


def return_goods(session, o: Order, position: int, qty: Decimal | None, reason: str, now) -> int:
    """Take back delivered goods: only what was delivered and not yet returned; the value (the line's
    total pro rata) comes off what is due. Returns that value in minor units."""
    _require(o, ("confirmed", "closed"), "returned to")
    if not (reason or "").strip():
        raise UsageError("a return needs --reason")
    from crm_cli.core.validation import checked_text

    checked_text(reason, "--reason", 300)
    line = documents.find_line(session, OrderLine, "order_id", o, position)
    if line.kind == "fee":
        raise UsageError(f"line {position} of {o.number} is a fee, not goods")
    can = line.delivered - line.returned
    want = documents.m6(qty) if qty is not None else can
    if can <= 0:
        raise Conflict(f"nothing of line {position} of {o.number} was delivered (or it was all returned already)")
    if want > can:
        raise Conflict(f"line {position} of {o.number}: {documents.qty_text(want)} is more than the "
                       f"{documents.qty_text(can)} {line.unit} delivered and not returned")
    before = line.returned_amount
    line.returned += want
    line.returned_amount = docmoney.round_half_up(Decimal(line.total) * Decimal(line.returned) / Decimal(line.qty))
    value = line.returned_amount - before
    o.returned += value
    from crm_cli.core import context

    session.add(Delivery(order_id=o.id, line_id=line.id, qty=-want, amount=value, reason=reason.strip()[:300], at=now,
                         user=context.current_handle()))
    _reduce_instalments(session, o, value)
    audit.note(session, "order", o.id, f"line {line.position} returned",
               new=f"{documents.qty_text(want)} {line.unit}, {Money(value, o.currency).plain()}: "
                   f"{reason.strip()[:200]}")
    session.flush()
    return value


def _reduce_instalments(session, o: Order, value: int) -> None:
    rows = list(session.execute(select(Instalment).where(Instalment.order_id == o.id)
                                .order_by(Instalment.seq.desc())).scalars())
    for inst in rows:
        if value <= 0:
            break
        open_ = inst.amount - inst.paid
        take = min(open_, value)
        inst.amount -= take
        value -= take


# ---- instalments and payments ---------------------------------------------------------------------

def instalments(session, o: Order) -> list[Instalment]:
    return list(session.execute(select(Instalment).where(Instalment.order_id == o.id)
                                .order_by(Instalment.seq)).scalars())


def _step(day: date, every: str, n: int) -> date:
    from dateutil.relativedelta import relativedelta

    import re

    m = re.fullmatch(r"\s*(\d+)\s*(d|w|m|y)\s*", every.lower())
    if not m or int(m.group(1)) == 0:
        raise ValidationError(f"--every: cannot read '{every[:40]}'", "e.g. 30d, 2w, 1m, 1y")
    k, unit = int(m.group(1)) * n, m.group(2)
    delta = {"d": relativedelta(days=k), "w": relativedelta(weeks=k), "m": relativedelta(months=k),
             "y": relativedelta(years=k)}[unit]
    return day + delta


def plan(session, o: Order, *, count: int | None = None, every: str | None = None, split: list[str] | None = None,
         due: list[date] | None = None) -> list[Instalment]:
    """Replace the payment schedule while nothing is paid: `count` equal parts every `every`, or a
    `split` by percentages or fixed amounts (the last may be 'rest'), due on `due` dates (or from
    the first due date on, every `every`)."""
    _require(o, ("confirmed",), "planned")
    if o.paid:
        raise Conflict(f"order {o.number} already has payments; its plan can no longer change")
    total = o.total - o.returned
    if split:
        if count is not None:
            raise UsageError("give --instalments or --split, not both")
        if all(s.strip().endswith(("%", "％")) for s in split):
            parts = docmoney.split_by_shares(total, [docmoney.parse_percent(s, "--split") for s in split])
        else:
            from crm_cli.core.money import parse_money

            amounts = [None if s.strip().lower() in ("rest", "余额", "*") else
                       parse_money(s, o.currency, option="--split").minor for s in split]
            parts = docmoney.split_fixed(total, amounts)
    else:
        parts = docmoney.split_equal(total, count or 1)
    first = due[0] if due else (o.confirmed_on or today()) + timedelta(days=o.payment_terms or 0)
    if due and len(due) not in (1, len(parts)):
        raise UsageError(f"--due: give one date (with --every) or {len(parts)} dates, not {len(due)}")
    if len(parts) > 1 and (not due or len(due) == 1) and not every:
        raise UsageError("several instalments need --every (e.g. 1m) or one --due date each")
    dates = due if due and len(due) == len(parts) else [_step(first, every, i) if i else first
                                                        for i in range(len(parts))]
    if any(b < a for a, b in zip(dates, dates[1:])):
        raise ValidationError("--due dates must not go backwards")
    session.execute(Instalment.__table__.delete().where(Instalment.order_id == o.id))
    rows = [Instalment(order_id=o.id, seq=i + 1, due_on=d, amount=a) for i, (a, d) in enumerate(zip(parts, dates))]
    session.add_all(rows)
    audit.note(session, "order", o.id, "instalments", new="; ".join(f"{r.due_on} {Money(r.amount, o.currency).plain()}"
                                                                       for r in rows))
    session.flush()
    return rows


def balance(o: Order) -> int:
    return o.total - o.returned - o.paid


def pay(session, o: Order, amount: Money, paid_on: date, now, method: str | None = None,
        reference: str | None = None) -> list[tuple[int, int]]:
    """Record a payment; it goes to the earliest unpaid instalment first. Returns (seq, amount) pairs."""
    from crm_cli.core import context, db

    _require(o, ("confirmed", "closed"), "paid")
    if amount.currency != o.currency:
        raise ValidationError(f"the payment is in {amount.currency}, the order in {o.currency}")
    if amount.minor <= 0:
        raise ValidationError("a payment must be more than 0")
    from crm_cli.core.validation import checked_text

    checked_text(method, "--method", 32)
    checked_text(reference, "--reference", 100)
    db.lock_keys(session, [f"order:{o.id}"])
    session.refresh(o)
    owed = balance(o)
    if amount.minor > owed:
        raise Conflict(f"{amount} is more than the balance of order {o.number}: {Money(max(owed, 0), o.currency)}",
                       "pay at most the balance")
    left = amount.minor
    split = []
    for inst in instalments(session, o):
        if left <= 0:
            break
        take = min(inst.amount - inst.paid, left)
        if take > 0:
            inst.paid += take
            left -= take
            split.append((inst.seq, take))
    o.paid += amount.minor
    session.add(Payment(order_id=o.id, amount=amount.minor, paid_on=paid_on, method=method, reference=reference,
                        at=now, user=context.current_handle()))
    audit.note(session, "order", o.id, "payment", new=f"{amount.plain()} {o.currency} on {paid_on}"
               + (f" ({method})" if method else "") + (f" ref {reference}" if reference else ""))
    session.flush()
    return split


def cancel(session, o: Order, now, reason: str | None = None) -> None:
    _require(o, ("draft", "confirmed"), "cancelled")
    from crm_cli.core.validation import checked_text

    checked_text(reason, "--reason", 300)
    delivered = session.execute(select(func.count()).where(Delivery.order_id == o.id)).scalar_one()
    if delivered or o.paid:
        raise Conflict(f"order {o.number} has deliveries or payments; it cannot be cancelled",
                       "return the goods and settle the balance, then close it")
    o.status, o.closed_at = "cancelled", now
    session.execute(Instalment.__table__.delete().where(Instalment.order_id == o.id))
    if reason:
        audit.note(session, "order", o.id, "cancel reason", new=reason[:300])


def close(session, o: Order, now, force: bool = False) -> None:
    _require(o, ("confirmed",), "closed")
    if not force and (o.delivery_status != "full" or balance(o) > 0):
        raise Conflict(f"order {o.number} is {DELIVERY[o.delivery_status]} with a balance of "
                       f"{Money(max(balance(o), 0), o.currency)}", "--force closes it all the same")
    o.status, o.closed_at = "closed", now


# ---- reading ----------------------------------------------------------------------------------------

def _overdue_clause(day: date):
    return exists().where(Instalment.order_id == Order.id, Instalment.due_on < day, Instalment.paid < Instalment.amount)


def payment_state(o: Order, overdue: bool) -> str:
    if o.status in ("draft", "cancelled"):
        return "unpaid" if not o.paid else "partly paid"
    if balance(o) <= 0:
        return "paid"
    if overdue:
        return "overdue"
    return "partly paid" if o.paid else "unpaid"


def record(session, o: Order) -> dict:
    customer, owner = _context(session, o)
    day = today()
    overdue = session.execute(select(Instalment.id).where(
        Instalment.order_id == o.id, Instalment.due_on < day, Instalment.paid < Instalment.amount).limit(1)
    ).first() is not None
    quote_number = None
    if o.quote_id:
        from crm_cli.models.document import Quote

        q = session.get(Quote, o.quote_id)
        quote_number = documents.quote_label(q) if q else None
    rec = {"id": o.id, "number": o.number, "status": o.status, "delivery": DELIVERY[o.delivery_status],
           "payment": payment_state(o, overdue), "customer": customer.name if customer else None,
           "owner": owner.handle if owner else None, "quote": quote_number, "currency": o.currency,
           "date": o.ordered_on, "payment_terms": o.payment_terms, "confirmed_on": o.confirmed_on,
           "credit_override": o.credit_override, "notes": o.notes}
    rec.update(documents.totals_record(o))
    rec.update({"returned": Money(o.returned, o.currency), "paid": Money(o.paid, o.currency),
                "balance": Money(balance(o), o.currency), "balance_minor": balance(o)})
    lines = []
    for x in documents.lines_of(session, OrderLine, "order_id", o.id):
        r = documents.line_record(x, o.currency)
        r.update({"delivered": documents.qty_text(x.delivered), "returned": documents.qty_text(x.returned)})
        lines.append(r)
    rec["lines"] = lines
    rec["instalments"] = [instalment_record(i, o.currency, day) for i in instalments(session, o)]
    return rec


def instalment_record(i: Instalment, currency: str, day: date) -> dict:
    open_ = i.amount - i.paid
    state = "paid" if open_ <= 0 else ("overdue" if i.due_on < day else "due")
    return {"seq": i.seq, "due_on": i.due_on, "amount": Money(i.amount, currency), "paid": Money(i.paid, currency),
            "open": Money(max(open_, 0), currency), "state": state}


def list_orders(session, *, status=None, delivery=None, payment=None, customer_id=None, owner_id=None,
                sort="-number", limit=None, offset=0) -> list[dict]:
    from crm_cli.services.listing import sort_and_page

    day = today()
    overdue = _overdue_clause(day)
    q = (select(Order, Customer.name, User.handle, overdue.label("overdue"))
         .join(Customer, Customer.id == Order.customer_id).outerjoin(User, User.id == Order.owner_id)
         .where(Order.deleted_at.is_(None)))
    if status:
        wanted = _choices(status, STATUSES, "--status")
        q = q.where(Order.status.in_(wanted))
    if delivery:
        names = {"not-delivered": "none", "none": "none", "partly-delivered": "partial", "partial": "partial",
                 "delivered": "full", "full": "full"}
        wanted = _choices(delivery, tuple(names), "--delivery")
        q = q.where(Order.delivery_status.in_({names[w] for w in wanted}))
    if payment:
        wanted = _choices(payment.replace(" ", "-"), ("unpaid", "partly-paid", "paid", "overdue"), "--payment")
        open_ = Order.total - Order.returned - Order.paid > 0
        live = Order.status.in_(("confirmed", "closed"))
        parts = []
        for w in wanted:
            if w == "paid":
                parts.append(and_(live, ~open_))
            elif w == "overdue":
                parts.append(and_(live, open_, overdue))
            elif w == "partly-paid":
                parts.append(and_(open_, Order.paid > 0, or_(~live, ~overdue)))
            else:
                parts.append(and_(open_, Order.paid == 0, or_(~live, ~overdue)))
        q = q.where(or_(*parts))
    if customer_id is not None:
        q = q.where(Order.customer_id == customer_id)
    if owner_id is not None:
        q = q.where(Order.owner_id == owner_id)
    q = sort_and_page(q, SORTS, sort, Order.id.desc(), limit, offset)
    out = []
    for o, cname, handle, is_overdue in session.execute(q):
        out.append({"id": o.id, "number": o.number, "customer": cname, "status": o.status,
                    "delivery": DELIVERY[o.delivery_status], "payment": payment_state(o, bool(is_overdue)),
                    "currency": o.currency, "total": Money(o.total, o.currency), "paid": Money(o.paid, o.currency),
                    "balance": Money(balance(o), o.currency), "total_minor": o.total, "balance_minor": balance(o),
                    "date": o.ordered_on, "owner": handle})
    return out


def _choices(text: str, allowed: tuple[str, ...], flag: str) -> list[str]:
    wanted = [s.strip().lower() for s in text.split(",") if s.strip()]
    for w in wanted:
        if w not in allowed:
            raise ValidationError(f"{flag} must be one of {', '.join(allowed)}, not '{w[:40]}'")
    return wanted


def customer_sections(session, customer) -> list:
    """`crm customer show`: the customer's orders, then its balance, credit headroom and last order."""
    return [customer_section(session, customer), credit_section(session, customer)]


def customer_section(session, customer):
    """`crm customer show`: orders, the open balance, the credit headroom and the last order date."""
    rows = list_orders(session, customer_id=customer.id, sort="-number")
    if not rows:
        return None
    return ("orders", [{k: r[k] for k in ("number", "status", "delivery", "payment", "total", "balance", "date")}
                       for r in rows],
            [Col("number", "Order"), Col("status", "Status"), Col("delivery", "Delivery"), Col("payment", "Payment"),
             Col("total", "Total", "right"), Col("balance", "Balance", "right"), Col("date", "Date")])


def credit_section(session, customer):
    """`crm customer show`: balance, credit headroom and the last order date (one row)."""
    last = session.execute(select(func.max(Order.ordered_on)).where(
        Order.customer_id == customer.id, Order.deleted_at.is_(None), Order.status.in_(("confirmed", "closed"))
    )).scalar()
    if last is None and not customer.credit_limit:
        return None
    cur = customer.currency or _default_currency()
    try:
        owed = open_balance(session, customer, cur)
    except ValidationError:
        owed = None
    rec = {"balance": Money(owed, cur) if owed is not None else None,
           "credit_limit": Money(customer.credit_limit, cur) if customer.credit_limit else None,
           "headroom": (Money(customer.credit_limit - owed, cur) if customer.credit_limit and owed is not None
                        else None),
           "last_order": last}
    return ("credit", [rec], [Col("balance", "Balance", "right"), Col("credit_limit", "Credit limit", "right"),
                              Col("headroom", "Headroom", "right"), Col("last_order", "Last order")])


def _default_currency() -> str:
    from crm_cli.core.config import default_currency

    return default_currency()


# ---- reminders (dunning, 催款) ----------------------------------------------------------------------

def remind_instalments(session, w):
    """Instalments due (within the window) or overdue, for the order's owner."""
    from crm_cli.services.reminders import Item

    q = (select(Instalment, Order.number, Order.owner_id, Order.currency, Customer.name)
         .join(Order, Order.id == Instalment.order_id).join(Customer, Customer.id == Order.customer_id)
         .where(Order.status == "confirmed", Order.deleted_at.is_(None), Customer.deleted_at.is_(None),
                Instalment.paid < Instalment.amount, Instalment.due_on < w.end))
    if w.owner_id is not None:
        q = q.where(Order.owner_id == w.owner_id)
    items = []
    for inst, number, owner_id, cur, cname in session.execute(q.order_by(Instalment.due_on, Instalment.id)):
        open_ = Money(inst.amount - inst.paid, cur)
        late = (w.today - inst.due_on).days
        when = f"overdue {late}d" if late > 0 else ("due today" if late == 0 else f"due {inst.due_on.isoformat()}")
        line = f"{number} #{inst.seq}  {open_} {when} [{cname}]"
        data = {"order": number, "instalment": inst.seq, "due_on": inst.due_on, "open": open_, "customer": cname,
                "days_overdue": max(late, 0)}
        items.append(Item(owner_id, "dunning", (inst.due_on, inst.id), line, data, overdue=late > 0))
    return items

