"""The forecast: per expected-close period, pipeline amount, weighted amount, committed, won so far.

Open opportunities count in the period of their expected close date ("unscheduled" without
one); won ones in the period they closed. Committed = open opportunities whose probability is at
least config `committed_probability` (80: the late stages). Frozen ones are left out.
Without --currency each currency gets its own rows; with it everything is converted, except
amounts in a currency without an exchange rate: those keep their own rows (as without
--currency), with a warning on stderr. Opportunities of a customer in the trash are left out.
"""

from __future__ import annotations

from sqlalchemy import case, extract, func, select

from crm_cli.models.opportunity import Opportunity
from crm_cli.core.output import Col
from crm_cli.reports import Conversion, live_opportunities

COLUMNS = [Col("period", "Period"), Col("currency", "Cur"), Col("open", "Open", "right"),
           Col("pipeline", "Pipeline", "right"), Col("weighted", "Weighted", "right"),
           Col("committed", "Committed", "right"), Col("won_count", "Won", "right"),
           Col("won", "Won amount", "right")]


def _filters(q, owner_id, pipeline_id):
    q = q.where(live_opportunities())
    if owner_id is not None:
        q = q.where(Opportunity.owner_id == owner_id)
    if pipeline_id is not None:
        q = q.where(Opportunity.pipeline_id == pipeline_id)
    return q


def open_query(owner_id=None, pipeline_id=None, committed: int = 80):
    """Open opportunities by (year, month of expected close, currency)."""
    y = extract("year", Opportunity.expected_close)
    m = extract("month", Opportunity.expected_close)
    q = (select(y.label("y"), m.label("m"), Opportunity.currency, func.count().label("n"),
                func.sum(Opportunity.amount).label("amount"),
                func.sum(Opportunity.amount * Opportunity.probability).label("weighted"),
                func.sum(case((Opportunity.probability >= committed, Opportunity.amount), else_=0)).label("committed"))
         .where(Opportunity.deleted_at.is_(None), Opportunity.status == "open")
         .group_by(y, m, Opportunity.currency))
    return _filters(q, owner_id, pipeline_id)


def won_query(owner_id=None, pipeline_id=None):
    y = extract("year", Opportunity.closed_on)
    m = extract("month", Opportunity.closed_on)
    q = (select(y.label("y"), m.label("m"), Opportunity.currency, func.count().label("n"),
                func.sum(Opportunity.amount).label("amount"))
         .where(Opportunity.deleted_at.is_(None), Opportunity.status == "won")
         .group_by(y, m, Opportunity.currency))
    return _filters(q, owner_id, pipeline_id)


def _key(y, m, by: str):
    if y is None:
        return (9999, 99), "unscheduled"
    y, m = int(y), int(m)
    if by == "quarter":
        q = (m - 1) // 3 + 1
        return (y, q), f"{y}-Q{q}"
    return (y, m), f"{y}-{m:02d}"


def forecast(session, by: str = "month", owner_id=None, pipeline_id=None, currency=None,
             period: str | None = None) -> list[dict]:
    from crm_cli.core import config
    from crm_cli.core.errors import ValidationError
    from crm_cli.core.money import Money, check_currency
    from crm_cli.services.currency import weighted

    if by not in ("month", "quarter"):
        raise ValidationError(f"--by must be month or quarter, not '{by}'")
    committed = int(config.get("committed_probability"))
    target = check_currency(currency) if currency else None
    conv = Conversion(session, target) if target else None

    def converted(cur) -> bool:
        return conv is not None and conv.convertible(cur)

    bounds = None
    if period:
        from crm_cli.services.opportunities import closing_range

        bounds = closing_range(period, option="--period")
    buckets: dict = {}

    def slot(y, m, cur):
        if bounds is not None:  # keep months that overlap the --period range
            if y is None:
                return None
            from datetime import date

            first = date(int(y), int(m), 1)
            after = date(int(y) + (int(m) == 12), int(m) % 12 + 1, 1)
            if not (first < bounds[1] and after > bounds[0]):
                return None
        sort, label = _key(y, m, by)
        c = target if converted(cur) else (cur or "???")
        return buckets.setdefault((sort, c), {"period": label, "currency": c, "open": 0, "pipeline": 0,
                                              "weighted": 0, "committed": 0, "won_count": 0, "won": 0})

    def money(minor, cur, aside: bool = False):
        if minor is None:
            return 0
        if converted(cur):
            return conv.convert(minor, cur)
        if conv is not None and aside:
            conv.set_aside(minor, cur)
        return int(minor)

    for r in session.execute(open_query(owner_id, pipeline_id, committed)).all():
        b = slot(r.y, r.m, r.currency)
        if b is None:
            continue
        b["open"] += int(r.n)
        b["pipeline"] += money(r.amount, r.currency, aside=True)
        b["weighted"] += money(weighted(int(r.weighted)) if r.weighted is not None else None, r.currency)
        b["committed"] += money(r.committed, r.currency)
    for r in session.execute(won_query(owner_id, pipeline_id)).all():
        b = slot(r.y, r.m, r.currency)
        if b is None:
            continue
        b["won_count"] += int(r.n)
        b["won"] += money(r.amount, r.currency, aside=True)
    if conv is not None:
        conv.warn("pipeline and won amounts")
    rows = []
    for (_, _c), b in sorted(buckets.items(), key=lambda kv: kv[0]):
        cur = b["currency"]
        for k in ("pipeline", "weighted", "committed", "won"):
            b[k] = Money(b[k], cur) if cur != "???" else None
        if cur == "???":
            b["currency"] = None
        rows.append(b)
    return rows
