"""Competitors: who else is in our deals, their strengths and weaknesses, and our record against them."""

from __future__ import annotations

from sqlalchemy import case, func, select

from crm_cli.core.errors import Duplicate, ValidationError
from crm_cli.models.opportunity import Competitor, Opportunity, OpportunityCompetitor
from crm_cli.core.output import Col

COLUMNS = [Col("id", "ID", "right"), Col("name", "Name"), Col("deals", "Deals", "right"),
           Col("won", "Won", "right"), Col("lost", "Lost", "right"), Col("lost_to", "Lost to them", "right"),
           Col("strengths", "Strengths"), Col("weaknesses", "Weaknesses")]


def add(session, name: str, website=None, strengths=None, weaknesses=None, notes=None) -> Competitor:
    from crm_cli.core.db import lock_keys

    name = (name or "").strip()
    if not name:
        raise ValidationError("competitor name must not be empty")
    _check_texts(name=name, website=website, strengths=strengths, weaknesses=weaknesses, notes=notes)
    lock_keys(session, ["competitor:" + name.lower()])  # until commit: two processes cannot both pass
    if session.execute(select(Competitor.id).where(func.lower(Competitor.name) == name.lower(),
                                                   Competitor.deleted_at.is_(None))).first():
        raise Duplicate(f"competitor '{name}' already exists")
    c = Competitor(name=name, website=website, strengths=strengths, weaknesses=weaknesses, notes=notes)
    session.add(c)
    session.flush()
    return c


def _check_texts(**values) -> None:
    """Length (from the column) and control characters, as every input model checks them."""
    from crm_cli.core.validation import column_text

    for field, value in values.items():
        try:
            column_text(Competitor, field, value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


def edit(session, c: Competitor, **values) -> None:
    _check_texts(**{k: v for k, v in values.items() if k in Competitor.__table__.c})
    for k, v in values.items():
        if v is None:
            continue
        if k == "name":
            v = v.strip()
            if not v:
                raise ValidationError("--name must not be empty")
        setattr(c, k, v or None)


def records(session, competitor_id: int | None = None) -> list[dict]:
    """Competitors with deal counts (SQL aggregates over the opportunities they are in)."""
    link = (select(OpportunityCompetitor.competitor_id.label("cid"),
                   func.count().label("deals"),
                   func.sum(case((Opportunity.status == "won", 1), else_=0)).label("won"),
                   func.sum(case((Opportunity.status == "lost", 1), else_=0)).label("lost"),
                   func.sum(case((Opportunity.lost_to_id == OpportunityCompetitor.competitor_id, 1), else_=0))
                   .label("lost_to"))
            .join(Opportunity, Opportunity.id == OpportunityCompetitor.opportunity_id)
            .where(Opportunity.deleted_at.is_(None))
            .group_by(OpportunityCompetitor.competitor_id).subquery())
    q = (select(Competitor, link.c.deals, link.c.won, link.c.lost, link.c.lost_to)
         .outerjoin(link, link.c.cid == Competitor.id).where(Competitor.deleted_at.is_(None)))
    if competitor_id is not None:
        q = q.where(Competitor.id == competitor_id)
    out = []
    for c, deals, won, lost, lost_to in session.execute(q.order_by(Competitor.name, Competitor.id)):
        out.append({"id": c.id, "name": c.name, "website": c.website, "strengths": c.strengths,
                    "weaknesses": c.weaknesses, "notes": c.notes, "deals": int(deals or 0), "won": int(won or 0),
                    "lost": int(lost or 0), "lost_to": int(lost_to or 0)})
    return out
