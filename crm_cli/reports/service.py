"""The service report: ticket volume, complaints, the open backlog by age, first-response and
resolution times in business hours, SLA compliance and satisfaction, per group, in SQL.

Tickets counted: those created in [since, until) (not trashed). Per group (--by type, assignee,
queue, customer or product) and a TOTAL row:

  tickets, complaints, complaint_rate      complaints / tickets, percent (2 decimals)
  open, open_lt_1d, open_1_3d, open_3_7d, open_7d_plus
                                           the open backlog (new, open, pending) by age at `now`:
                                           age < 1 day, 1 to < 3, 3 to < 7, 7 days or more
  response_median_h, response_p90_h        business hours from creation to the first response
  resolution_median_h, resolution_p90_h    business hours from creation to resolution, pauses
                                           (pending) not counted; reopened tickets count when
                                           resolved again
  sla_met, sla_breached, sla_compliance    tickets with an SLA whose outcome is known: breached if
                                           either target was missed (or is past due now), met if
                                           both were met (responded and resolved in time);
                                           compliance = met / (met + breached), percent
  csat_avg, csat_1 .. csat_5               satisfaction at closing: the average (2 decimals) and
                                           how many gave each score

Median: the middle value (the mean of the two middle ones for an even count). p90: the nearest-rank
90th percentile (the ceil(0.9 n)-th smallest). Both over one streamed column per group.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, case, func, or_, select

from crm_cli.core.errors import ValidationError
from crm_cli.core.output import Col

BY = ("type", "assignee", "queue", "customer", "product")
COLUMNS = [Col("group", "Group"), Col("tickets", "Tickets", "right"), Col("complaints", "Compl.", "right"),
           Col("complaint_rate", "Compl. %", "right"), Col("open", "Open", "right"),
           Col("open_lt_1d", "<1d", "right"), Col("open_1_3d", "1-3d", "right"), Col("open_3_7d", "3-7d", "right"),
           Col("open_7d_plus", "7d+", "right"), Col("response_median_h", "1st resp. med h", "right"),
           Col("response_p90_h", "p90", "right"), Col("resolution_median_h", "Resol. med h", "right"),
           Col("resolution_p90_h", "p90 ", "right"), Col("sla_compliance", "SLA %", "right"),
           Col("csat_avg", "CSAT", "right")] + [Col(f"csat_{i}", str(i), "right", priority=1) for i in range(1, 6)]

TWO = Decimal("0.01")


def _dec(value) -> Decimal:
    return Decimal(value).quantize(TWO, ROUND_HALF_UP)


def _pct(part: int, whole: int) -> str | None:
    return str(_dec(Decimal(part) * 100 / Decimal(whole))) if whole else None


def _hours(seconds) -> str | None:
    return None if seconds is None else str(_dec(Decimal(seconds) / Decimal(3600)))


def median(values: list[int]) -> Decimal | None:
    n = len(values)
    if not n:
        return None
    mid = n // 2
    return Decimal(values[mid]) if n % 2 else (Decimal(values[mid - 1]) + Decimal(values[mid])) / 2


def p90(values: list[int]) -> int | None:
    if not values:
        return None
    return values[max(math.ceil(0.9 * len(values)), 1) - 1]


def service_report(session, *, now: datetime, by: str = "type", since: datetime | None = None,
                   until: datetime | None = None) -> list[dict]:
    from crm_cli.models import Customer, Product, User
    from crm_cli.models.ticket import Ticket

    if by not in BY:
        raise ValidationError(f"--by must be one of {', '.join(BY)}, not '{by[:40]}'")
    group = {"type": Ticket.type, "queue": Ticket.queue, "assignee": User.handle, "customer": Customer.name,
             "product": Product.name}[by]
    joins = {"assignee": (User, User.id == Ticket.assignee_id),
             "customer": (Customer, Customer.id == Ticket.customer_id),
             "product": (Product, Product.id == Ticket.product_id)}

    def base(*cols):
        q = select(*cols).select_from(Ticket)
        if by in joins:
            q = q.outerjoin(*joins[by])
        q = q.where(Ticket.deleted_at.is_(None))
        if since is not None:
            q = q.where(Ticket.created_at >= since)
        if until is not None:
            q = q.where(Ticket.created_at < until)
        return q

    active = Ticket.status.in_(("new", "open", "pending"))
    done = Ticket.status.in_(("resolved", "closed"))
    day = timedelta(days=1)

    def count(cond):
        return func.sum(case((cond, 1), else_=0))

    has_sla = or_(Ticket.response_target_s.is_not(None), Ticket.resolution_target_s.is_not(None))
    resp_missed = case((Ticket.response_target_s.is_(None), False),
                       (Ticket.response_s.is_not(None), Ticket.response_s > Ticket.response_target_s),
                       else_=and_(Ticket.response_due.is_not(None), Ticket.response_due <= now))
    resol_missed = case((Ticket.resolution_target_s.is_(None), False),
                        (and_(done, Ticket.resolution_s.is_not(None)),
                         Ticket.resolution_s > Ticket.resolution_target_s),
                        else_=and_(Ticket.resolution_due.is_not(None), Ticket.resolution_due <= now))
    breached = and_(has_sla, or_(resp_missed, resol_missed))
    met = and_(has_sla, ~or_(resp_missed, resol_missed), Ticket.first_response_at.is_not(None), done)
    cols = [func.count(), count(Ticket.type == "complaint"), count(active),
            count(and_(active, Ticket.created_at > now - day)),
            count(and_(active, Ticket.created_at <= now - day, Ticket.created_at > now - 3 * day)),
            count(and_(active, Ticket.created_at <= now - 3 * day, Ticket.created_at > now - 7 * day)),
            count(and_(active, Ticket.created_at <= now - 7 * day)),
            count(met), count(breached), func.sum(Ticket.satisfaction), func.count(Ticket.satisfaction)]
    cols += [count(Ticket.satisfaction == i) for i in range(1, 6)]
    g = group.label("g")
    agg = {row[0]: [int(v or 0) for v in row[1:]]
           for row in session.execute(base(g, *cols).group_by(group))}
    if not agg:
        return []
    times: dict[str, dict] = {"response": {}, "resolution": {}}
    for name, col, cond in (("response", Ticket.response_s, Ticket.response_s.is_not(None)),
                            ("resolution", Ticket.resolution_s, and_(done, Ticket.resolution_s.is_not(None)))):
        q = base(g, col).where(cond).order_by(group, col)
        for key, value in session.execute(q):
            times[name].setdefault(key, []).append(int(value))
    keys = sorted(agg, key=lambda k: (k is None, str(k or "").lower()))
    rows = [_row(k if k is not None else "(none)", agg[k], {n: times[n].get(k, []) for n in times}) for k in keys]
    total = [sum(v[i] for v in agg.values()) for i in range(len(cols))]
    merged = {n: sorted(x for values in times[n].values() for x in values) for n in times}
    rows.append(_row("TOTAL", total, merged))
    return rows


def _row(name, a: list[int], times: dict) -> dict:
    (tickets, complaints, open_, lt1, d13, d37, d7, met, breached, csat_sum, rated, *dist) = a
    rec = {"group": name, "tickets": tickets, "complaints": complaints, "complaint_rate": _pct(complaints, tickets),
           "open": open_, "open_lt_1d": lt1, "open_1_3d": d13, "open_3_7d": d37, "open_7d_plus": d7}
    for n in ("response", "resolution"):
        values = times[n]
        rec[f"{n}_median_h"] = _hours(median(values))
        rec[f"{n}_p90_h"] = _hours(p90(values))
        rec[f"{n}_count"] = len(values)
    rec.update({"sla_met": met, "sla_breached": breached, "sla_compliance": _pct(met, met + breached),
                "csat_avg": str(_dec(Decimal(csat_sum) / Decimal(rated))) if rated else None, "rated": rated})
    for i, n in enumerate(dist, start=1):
        rec[f"csat_{i}"] = n
    return rec

