"""The funnel: per stage of one pipeline, count, amount, weighted amount, conversion, share vs quota.

Conversion: an opportunity has *reached* an open stage when it sits in that stage or a later
open stage, or is won. conversion(stage) = reached(stage) / reached(previous open stage); for the
won stage it is won / reached(last open stage). Lost opportunities count in their own row only.
Share: the stage's part of the open opportunities (count), next to its quota (target share).
Frozen opportunities are left out, and so are those of a customer in the trash.
Amounts are converted to one currency (--currency, or the data's one currency, or the configured
one); amounts in a currency without an exchange rate still count as opportunities, but their
amounts stay apart, per stage in `unconverted` ({currency: amount}), with a warning on stderr.
"""

from __future__ import annotations

from sqlalchemy import and_, func, or_, select

from crm_cli.models.opportunity import Opportunity
from crm_cli.core.output import Col
from crm_cli.reports import Conversion, percent

COLUMNS = [Col("stage", "Stage"), Col("probability", "Prob %", "right"), Col("count", "Opps", "right"),
           Col("amount", "Amount", "right"), Col("weighted", "Weighted", "right"),
           Col("conversion", "Conv %", "right"), Col("share", "Share %", "right"),
           Col("quota", "Quota %", "right")]
BAR_WIDTH = 20


def period_clause(period: str | None):
    """--period: open opps by expected close, closed ones by their close date."""
    if not period:
        return None
    from crm_cli.services.opportunities import closing_range

    start, end = closing_range(period, option="--period")
    return or_(and_(Opportunity.status == "open", Opportunity.expected_close >= start,
                    Opportunity.expected_close < end),
               and_(Opportunity.status.in_(("won", "lost")), Opportunity.closed_on >= start,
                    Opportunity.closed_on < end))


def aggregate_query(pipeline_id: int, owner_id: int | None = None, period: str | None = None,
                    trashed: bool = False):
    """The SQL aggregate behind the funnel (the benchmark runs it through sqlite3 too), per (currency,
    stage): count, amount, weighted amount and how many have an amount.

    Its plan is named by its shape: it reads only the columns of the covering index ix_opps_funnel
    (pipeline_id, deleted_at, status, stage_id, currency, amount, probability), and it groups by
    (currency, stage_id), an order no index gives, so the stage_id index (which SQLite picks with
    ANALYZE statistics when grouping by stage_id first, then reads the table row by row) is no good
    choice. Opportunities of a customer in the trash are not filtered row by row (that reads each
    row's customer_id from the table): `trashed=True` is the same aggregate over just them (through the
    customers' trash index), which funnel() subtracts."""
    q = (select(Opportunity.currency, Opportunity.stage_id, func.count().label("n"),
                func.sum(Opportunity.amount).label("amount"),
                func.sum(Opportunity.amount * Opportunity.probability).label("weighted"),
                func.count(Opportunity.amount).label("priced"))
         .where(Opportunity.pipeline_id == pipeline_id, Opportunity.deleted_at.is_(None),
                Opportunity.status != "frozen")
         .group_by(Opportunity.currency, Opportunity.stage_id))
    if trashed:
        from crm_cli.models import Customer

        # the table's own alias (not an ORM alias): who sees which opportunity is already in the outer
        # query's criteria (services/visibility); the customers joined here are only the trashed ones
        gone = Customer.__table__.alias("gone")
        q = q.join(gone, gone.c.id == Opportunity.customer_id).where(gone.c.deleted_at.is_not(None))
    if owner_id is not None:
        q = q.where(Opportunity.owner_id == owner_id)
    clause = period_clause(period)
    if clause is not None:
        q = q.where(clause)
    return q


class _Group:
    __slots__ = ("stage_id", "currency", "n", "amount", "weighted", "priced")

    def __init__(self, g) -> None:
        self.stage_id, self.currency, self.n = g.stage_id, g.currency, int(g.n)
        self.amount, self.weighted, self.priced = int(g.amount or 0), int(g.weighted or 0), int(g.priced)


def _groups(session, pipeline_id: int, owner_id: int | None, period: str | None) -> list[_Group]:
    """The aggregate of the live opportunities: all of them less those of a customer in the trash.
    `amount` is None for a group without any amount (as SUM gives)."""
    groups = {(g.stage_id, g.currency): _Group(g)
              for g in session.execute(aggregate_query(pipeline_id, owner_id, period))}
    for t in session.execute(aggregate_query(pipeline_id, owner_id, period, trashed=True)):
        g = groups[(t.stage_id, t.currency)]
        g.n -= int(t.n)
        g.amount -= int(t.amount or 0)
        g.weighted -= int(t.weighted or 0)
        g.priced -= int(t.priced)
    out = [g for g in groups.values() if g.n]
    for g in out:
        if not g.priced:
            g.amount = g.weighted = None
    return sorted(out, key=lambda g: (g.stage_id, g.currency is not None, g.currency or ""))


def funnel(session, pipeline, owner_id: int | None = None, period: str | None = None,
           currency: str | None = None) -> tuple[list[dict], str]:
    from crm_cli.core.money import Money
    from crm_cli.services import pipelines
    from crm_cli.services.currency import target_currency, weighted

    stages = pipelines.stages_of(session, pipeline)
    groups = _groups(session, pipeline.id, owner_id, period)
    target = target_currency({g.currency for g in groups if g.amount is not None}, currency)
    conv = Conversion(session, target)
    per: dict[int, dict] = {s.id: {"count": 0, "amount": 0, "weighted": 0, "unconverted": {}} for s in stages}
    for g in groups:
        slot = per.setdefault(g.stage_id, {"count": 0, "amount": 0, "weighted": 0, "unconverted": {}})
        slot["count"] += int(g.n)
        if g.amount is None:
            continue
        if conv.convertible(g.currency):
            slot["amount"] += conv.convert(int(g.amount), g.currency)
            slot["weighted"] += conv.convert(weighted(int(g.weighted)), g.currency)
        else:
            slot["unconverted"][g.currency] = slot["unconverted"].get(g.currency, 0) + int(g.amount)
            conv.set_aside(g.amount, g.currency)
    conv.warn("amounts")
    open_stages = [s for s in stages if s.kind == "open"]
    won_count = sum(per[s.id]["count"] for s in stages if s.kind == "won")
    open_total = sum(per[s.id]["count"] for s in open_stages)
    reached = {}
    running = won_count
    for s in reversed(open_stages):
        running += per[s.id]["count"]
        reached[s.id] = running
    rows = []
    prev_reached = None
    for s in stages:
        p = per[s.id]
        if s.kind == "open":
            conversion = percent(reached[s.id], prev_reached) if prev_reached is not None else None
            prev_reached = reached[s.id]
            share = percent(p["count"], open_total)
        elif s.kind == "won":
            conversion = percent(won_count, prev_reached) if prev_reached is not None else None
            share = None
        else:
            conversion, share = None, None
        rows.append({"stage": s.name, "kind": s.kind, "probability": s.probability, "count": p["count"],
                     "amount": Money(p["amount"], target), "weighted": Money(p["weighted"], target),
                     "conversion": conversion, "share": share, "quota": s.quota,
                     "vs_quota": round(share - s.quota, 1) if share is not None and s.quota is not None else None,
                     "unconverted": {c: Money(v, c) for c, v in sorted(p["unconverted"].items())}})
    return rows, target


def bar_rows(rows: list[dict]) -> list[dict]:
    """Rows with a proportional bar of the count (for tables)."""
    top = max((r["count"] for r in rows), default=0)
    out = []
    for r in rows:
        n = round(BAR_WIDTH * r["count"] / top) if top else 0
        out.append({**r, "bar": "█" * n if n else ("▏" if r["count"] else "")})
    return out
