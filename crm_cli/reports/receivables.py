"""Receivables: the open balance per customer, aged by due date as of a day, in SQL.

Open amount of an instalment as of day D: payments received up to D (paid_on <= D) settle an
order's instalments earliest first, so with P = those payments and C = the running total of the
order's instalment amounts in due order, the instalment is open by max(0, min(amount, C - P)).
Days overdue = D - due date; the buckets are: not yet due (due after D), 0-30, 31-60, 61-90, 91-120
and 121+ days overdue. Every open amount falls in exactly one bucket, so the buckets always add up
to the balance. Only orders confirmed on or before D (and not cancelled or deleted) count.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, case, func, literal, select

from crm_cli.core.money import Money
from crm_cli.core.output import Col

BUCKETS = (("not_due", "Not yet due"), ("d0_30", "0-30"), ("d31_60", "31-60"), ("d61_90", "61-90"),
           ("d91_120", "91-120"), ("d121_plus", "121+"))
COLUMNS = ([Col("customer", "Customer"), Col("currency", "Cur")] + [Col(k, h, "right") for k, h in BUCKETS]
           + [Col("balance", "Balance", "right")])


def receivables(session, *, as_of: date, owner_id: int | None = None) -> list[dict]:
    from crm_cli.models import Customer
    from crm_cli.models.document import Instalment, Order, Payment

    paid = (select(Payment.order_id, func.sum(Payment.amount).label("paid"))
            .where(Payment.paid_on <= as_of).group_by(Payment.order_id).subquery())
    live = and_(Order.status.in_(("confirmed", "closed")), Order.deleted_at.is_(None), Order.confirmed_on <= as_of)
    if owner_id is not None:
        live = and_(live, Order.owner_id == owner_id)
    running = (select(Instalment.order_id, Instalment.due_on, Instalment.amount,
                      func.sum(Instalment.amount).over(partition_by=Instalment.order_id,
                                                       order_by=(Instalment.seq, Instalment.id)).label("cum"))
               .join(Order, Order.id == Instalment.order_id).where(live).subquery())
    settled = func.coalesce(paid.c.paid, 0)
    open_amount = case((running.c.cum - settled <= 0, literal(0)),
                       (running.c.cum - settled >= running.c.amount, running.c.amount),
                       else_=running.c.cum - settled)
    per_inst = (select(Order.customer_id, Order.currency, running.c.due_on, open_amount.label("open"))
                .select_from(running).join(Order, Order.id == running.c.order_id)
                .outerjoin(paid, paid.c.order_id == running.c.order_id).subquery())
    days = _days_between(session, per_inst.c.due_on, as_of)

    def bucket(cond):
        return func.sum(case((cond, per_inst.c.open), else_=0))

    q = (select(Customer.name, per_inst.c.currency,
                bucket(per_inst.c.due_on > as_of),
                bucket(and_(per_inst.c.due_on <= as_of, days <= 30)),
                bucket(and_(days >= 31, days <= 60)),
                bucket(and_(days >= 61, days <= 90)),
                bucket(and_(days >= 91, days <= 120)),
                bucket(days >= 121),
                func.sum(per_inst.c.open))
         .join(Customer, Customer.id == per_inst.c.customer_id)
         .where(Customer.deleted_at.is_(None))
         .group_by(Customer.id, Customer.name, per_inst.c.currency)
         .having(func.sum(per_inst.c.open) != 0)
         .order_by(func.sum(per_inst.c.open).desc(), Customer.name))
    rows = []
    totals: dict[str, list[int]] = {}
    for name, cur, *amounts in session.execute(q):
        amounts = [int(a or 0) for a in amounts]
        rows.append(_row(name, cur, amounts))
        acc = totals.setdefault(cur, [0] * len(amounts))
        for i, a in enumerate(amounts):
            acc[i] += a
    for cur in sorted(totals):
        rows.append(_row("TOTAL", cur, totals[cur]))
    return rows


def _row(name: str, cur: str, amounts: list[int]) -> dict:
    rec = {"customer": name, "currency": cur}
    for (key, _), minor in zip(BUCKETS, amounts[:-1]):
        rec[key] = Money(minor, cur)
    rec["balance"] = Money(amounts[-1], cur)
    rec["balance_minor"] = amounts[-1]
    return rec


def _days_between(session, due_col, as_of: date):
    """as_of - due_col in whole days, portable: SQLite julianday(), PostgreSQL date subtraction."""
    if session.get_bind().dialect.name == "sqlite":
        return func.cast(func.julianday(literal(as_of.isoformat())) - func.julianday(due_col), _int())
    return literal(as_of) - due_col


def _int():
    from sqlalchemy import Integer

    return Integer()
