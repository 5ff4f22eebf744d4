"""Win/loss: win rate by owner, source and competitor; lost reasons; average deal size and
cycle length; average time in each stage. Closed opportunities only (won or lost), optionally
closed on or after --since.

Every row has the same fields (a section and a name), so every --format works:
section = summary | owner | source | competitor | lost_reason | stage_time.
"""

from __future__ import annotations

from sqlalchemy import case, func, select

from crm_cli.models import User
from crm_cli.models.opportunity import Competitor, Opportunity, OpportunityCompetitor, Stage, StageChange
from crm_cli.core.output import Col
from crm_cli.reports import Conversion, live_opportunities, percent

SECTIONS = ("summary", "owner", "source", "competitor", "lost_reason", "stage_time")
COLUMNS = [Col("section", "Section"), Col("name", "Name"), Col("won", "Won", "right"), Col("lost", "Lost", "right"),
           Col("win_rate", "Win %", "right"), Col("avg_deal", "Avg deal", "right"),
           Col("avg_cycle_days", "Avg cycle d", "right"), Col("share", "Share %", "right"),
           Col("avg_days", "Avg days", "right")]
SECTION_COLUMNS = {
    "summary": ["name", "won", "lost", "win_rate", "avg_deal", "avg_cycle_days"],
    "owner": ["name", "won", "lost", "win_rate", "avg_deal", "avg_cycle_days"],
    "source": ["name", "won", "lost", "win_rate", "avg_deal", "avg_cycle_days"],
    "competitor": ["name", "won", "lost", "win_rate", "avg_deal", "lost_to"],
    "lost_reason": ["name", "lost", "share"],
    "stage_time": ["name", "count", "avg_days"],
}
TITLES = {"summary": "Overall", "owner": "By owner", "source": "By source", "competitor": "By competitor",
          "lost_reason": "Lost reasons", "stage_time": "Average time in stage"}


def _base(q, since, owner_id, pipeline_id):
    q = q.where(Opportunity.deleted_at.is_(None), Opportunity.status.in_(("won", "lost")), live_opportunities())
    if since is not None:
        q = q.where(Opportunity.closed_on >= since)
    if owner_id is not None:
        q = q.where(Opportunity.owner_id == owner_id)
    if pipeline_id is not None:
        q = q.where(Opportunity.pipeline_id == pipeline_id)
    return q


def _measures():
    won = Opportunity.status == "won"
    return [func.sum(case((won, 1), else_=0)).label("won"),
            func.sum(case((won, 0), else_=1)).label("lost"),
            func.sum(case((won, Opportunity.amount), else_=0)).label("won_amount"),
            func.sum(case((won & Opportunity.amount.is_not(None), 1), else_=0)).label("won_priced"),
            func.sum(case((won, Opportunity.cycle_days), else_=None)).label("cycle_sum"),
            func.sum(case((won & Opportunity.cycle_days.is_not(None), 1), else_=0)).label("cycle_n")]


def _grouped(session, key, since, owner_id, pipeline_id, join=None, extra=None):
    q = select(key.label("key"), Opportunity.currency, *_measures(), *(extra or []))
    if join is not None:
        q = join(q)
    q = _base(q, since, owner_id, pipeline_id).group_by(key, Opportunity.currency)
    return session.execute(q).all()


def _fold(rows, conv, target, label=lambda k: k, extra_keys=()) -> dict:
    """Merge per-currency group rows: counts add up, won amounts convert to `target`; those in a
    currency without a rate stay out of the average deal, in `unconverted`."""
    out: dict = {}
    for r in rows:
        k = r.key
        g = out.setdefault(k, {"name": label(k), "won": 0, "lost": 0, "won_amount": 0, "won_priced": 0,
                               "cycle_sum": 0, "cycle_n": 0, "unconverted": {}, **{e: 0 for e in extra_keys}})
        g["won"] += int(r.won or 0)
        g["lost"] += int(r.lost or 0)
        if r.won_amount and not conv.convertible(r.currency):
            g["unconverted"][r.currency] = g["unconverted"].get(r.currency, 0) + int(r.won_amount)
        else:
            g["won_amount"] += conv.convert(int(r.won_amount or 0), r.currency) if r.won_amount else 0
            g["won_priced"] += int(r.won_priced or 0)
        g["cycle_sum"] += int(r.cycle_sum or 0)
        g["cycle_n"] += int(r.cycle_n or 0)
        for e in extra_keys:
            g[e] += int(getattr(r, e) or 0)
    return out


def _row(section, g, target) -> dict:
    from crm_cli.core.money import Money

    avg = None
    if g["won_priced"]:
        avg = Money(int(round(g["won_amount"] / g["won_priced"])), target)
    return {"section": section, "name": g["name"], "won": g["won"], "lost": g["lost"],
            "win_rate": percent(g["won"], g["won"] + g["lost"]), "avg_deal": avg,
            "avg_cycle_days": round(g["cycle_sum"] / g["cycle_n"], 1) if g["cycle_n"] else None,
            "share": None, "avg_days": None, "count": None, "lost_to": g.get("lost_to"),
            "unconverted": {c: Money(v, c) for c, v in sorted(g["unconverted"].items())}}


def winloss(session, since=None, owner_id=None, pipeline_id=None, currency=None) -> list[dict]:
    from sqlalchemy import literal

    from crm_cli.services.currency import target_currency

    cur_rows = session.execute(_base(select(Opportunity.currency).distinct(), since, owner_id, pipeline_id)).all()
    target = target_currency({r.currency for r in cur_rows}, currency)
    conv = Conversion(session, target)
    rows: list[dict] = []
    # summary
    total = _fold(_grouped(session, literal("all"), since, owner_id, pipeline_id), conv, target, lambda k: "all")
    for g in total.values():
        rows.append(_row("summary", g, target))
        for cur, minor in g["unconverted"].items():
            conv.set_aside(minor, cur)
    conv.warn("won amounts (average deal)")
    # by owner
    by_owner = _fold(_grouped(session, Opportunity.owner_id, since, owner_id, pipeline_id), conv, target)
    handles = dict(session.execute(select(User.id, User.handle)).all())
    for k, g in sorted(by_owner.items(), key=lambda kv: (-(kv[1]["won"] + kv[1]["lost"]), str(kv[0]))):
        g["name"] = handles.get(k) if k is not None else "(none)"
        rows.append(_row("owner", g, target))
    # by source
    by_source = _fold(_grouped(session, Opportunity.source, since, owner_id, pipeline_id), conv, target)
    for k, g in sorted(by_source.items(), key=lambda kv: (-(kv[1]["won"] + kv[1]["lost"]), str(kv[0]))):
        g["name"] = k if k is not None else "(none)"
        rows.append(_row("source", g, target))
    # by competitor (deals the competitor was in; lost_to = lost to them)
    lost_to = func.sum(case((Opportunity.lost_to_id == OpportunityCompetitor.competitor_id, 1), else_=0))
    by_comp = _fold(_grouped(
        session, OpportunityCompetitor.competitor_id, since, owner_id, pipeline_id,
        join=lambda q: q.select_from(OpportunityCompetitor).join(
            Opportunity, Opportunity.id == OpportunityCompetitor.opportunity_id),
        extra=[lost_to.label("lost_to")]), conv, target, extra_keys=("lost_to",))
    names = dict(session.execute(select(Competitor.id, Competitor.name)).all())
    for k, g in sorted(by_comp.items(), key=lambda kv: (-(kv[1]["won"] + kv[1]["lost"]), str(kv[0]))):
        g["name"] = names.get(k, str(k))
        rows.append(_row("competitor", g, target))
    # lost reasons
    q = _base(select(Opportunity.lost_reason, func.count().label("n")), since, owner_id, pipeline_id) \
        .where(Opportunity.status == "lost").group_by(Opportunity.lost_reason)
    reasons = session.execute(q).all()
    lost_total = sum(int(r.n) for r in reasons)
    for r in sorted(reasons, key=lambda r: (-int(r.n), str(r.lost_reason))):
        rows.append({"section": "lost_reason", "name": r.lost_reason or "(none)", "won": None, "lost": int(r.n),
                     "win_rate": None, "avg_deal": None, "avg_cycle_days": None,
                     "share": percent(int(r.n), lost_total), "avg_days": None, "count": None, "lost_to": None,
                     "unconverted": {}})
    # average time in each stage (stages the closed opportunities have left)
    q = (select(StageChange.stage_id, func.count().label("n"), func.avg(StageChange.seconds).label("avg"))
         .join(Opportunity, Opportunity.id == StageChange.opportunity_id)
         .where(StageChange.seconds.is_not(None)).group_by(StageChange.stage_id))
    q = _base(q, since, owner_id, pipeline_id)
    stage_rows = session.execute(q).all()
    stages = {s.id: s for s in session.execute(select(Stage).where(
        Stage.id.in_([r.stage_id for r in stage_rows]))).scalars()} if stage_rows else {}
    for r in sorted(stage_rows, key=lambda r: (stages[r.stage_id].pipeline_id, stages[r.stage_id].position)):
        rows.append({"section": "stage_time", "name": stages[r.stage_id].name, "won": None, "lost": None,
                     "win_rate": None, "avg_deal": None, "avg_cycle_days": None, "share": None,
                     "avg_days": round(float(r.avg) / 86400, 1), "count": int(r.n), "lost_to": None,
                     "unconverted": {}})
    return rows
