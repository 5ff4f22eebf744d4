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
from crm_cli.reports import Conversion, live_opportunities, percent

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


def aggregate_query(pipeline_id: int, owner_id: int | None = None, period: str | None = None):
    """The one SQL aggregate behind the funnel (the benchmark runs it through sqlite3 too)."""
    q = (select(Opportunity.stage_id, Opportunity.currency, func.count().label("n"),
                func.sum(Opportunity.amount).label("amount"),
                func.sum(Opportunity.amount * Opportunity.probability).label("weighted"))
         .where(Opportunity.pipeline_id == pipeline_id, Opportunity.deleted_at.is_(None),
                Opportunity.status != "frozen", live_opportunities())
         .group_by(Opportunity.stage_id, Opportunity.currency))
    if owner_id is not None:
        q = q.where(Opportunity.owner_id == owner_id)
    clause = period_clause(period)
    if clause is not None:
        q = q.where(clause)
    return q


def funnel(session, pipeline, owner_id: int | None = None, period: str | None = None,
           currency: str | None = None) -> tuple[list[dict], str]:
    from crm_cli.core.money import Money
    from crm_cli.services import pipelines
    from crm_cli.services.currency import target_currency, weighted

    stages = pipelines.stages_of(session, pipeline)
    groups = session.execute(aggregate_query(pipeline.id, owner_id, period)).all()
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
