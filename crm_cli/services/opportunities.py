"""Opportunity rules: create, edit, stage moves (advance/back/move/win/lose/reopen), freeze, history, lists.

Status is one of open | won | lost | frozen. Every stage change writes a row to
opportunity_stage_history (time and user); the row of the stage being left gets its
duration in seconds, so reports average time-in-stage in SQL. A stage change resets the
probability to the new stage's default (an override is per stage).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Optional

from pydantic import field_validator
from sqlalchemy import and_, exists, func, or_, select
from sqlmodel import SQLModel

from crm_cli.core.errors import Conflict, ValidationError
from crm_cli.models import Contact, Customer, User
from crm_cli.models.opportunity import (Competitor, Opportunity, OpportunityCompetitor, OpportunityContact,
                                        Pipeline, Stage, StageChange)
from crm_cli.core.validation import column_text
from crm_cli.core.output import Col
from crm_cli.services import pipelines as pl

EDITABLE = ("title", "probability", "source", "campaign", "next_step", "notes")
SORTS = {"id": Opportunity.id, "title": Opportunity.title, "amount": Opportunity.amount,
         "close": Opportunity.expected_close, "created": Opportunity.created_at,
         "updated": Opportunity.updated_at, "probability": Opportunity.probability,
         "stage": Opportunity.stage_id}
LIST_COLUMNS = [Col("id", "ID", "right"), Col("title", "Title"), Col("customer", "Customer"),
                Col("stage", "Stage"), Col("status", "Status"), Col("amount", "Amount", "right"),
                Col("probability", "Prob %", "right"), Col("expected_close", "Close"), Col("owner", "Owner")]
HISTORY_COLUMNS = [Col("at", "At"), Col("action", "Action"), Col("from_stage", "From"), Col("stage", "Stage"),
                   Col("user", "User"), Col("days_in_stage", "Days in stage", "right")]


class OppIn(SQLModel):
    title: Optional[str] = None
    probability: Optional[int] = None
    source: Optional[str] = None
    campaign: Optional[str] = None
    next_step: Optional[str] = None
    notes: Optional[str] = None

    @field_validator("*")
    @classmethod
    def _text_rules(cls, v, info):
        return column_text(Opportunity, info.field_name, v)  # length and control characters

    @field_validator("title")
    @classmethod
    def _title(cls, v):
        if v is not None and not v.strip():
            raise ValueError("title must not be empty")
        if v is not None and len(v.strip()) > 300:
            raise ValueError("title is longer than 300 characters")
        return v.strip() if v else v

    @field_validator("probability")
    @classmethod
    def _prob(cls, v):
        if v is not None and not 0 <= v <= 100:
            raise ValueError(f"--probability must be between 0 and 100, not {v}")
        return v


def validate(**values) -> OppIn:
    from crm_cli.core.validation import validate as run

    return run(OppIn, **values)


def _now():
    from crm_cli.core import context

    return context.now()


def _user() -> str:
    from crm_cli.core import context

    return context.current_handle()


def _local_date(dt: datetime) -> date:
    from crm_cli.core.dates import to_local

    return to_local(dt).date()


# ---- create / edit ------------------------------------------------------------------------------

def create(session, *, title: str, customer, owner, amount=None, currency=None, pipeline=None, stage=None,
           probability=None, expected_close=None, contact=None, lead_id=None, source=None, campaign=None,
           notes=None, custom=None, next_step=None, competitors=None, contacts=None) -> Opportunity:
    """Create an opportunity (also used by `crm lead convert`).

    customer: Customer; owner: User; amount: Money or None; pipeline/stage: objects or None
    (default pipeline, its first open stage); expected_close: date or None; contact: a Contact;
    contacts: extra [(Contact, role)]; competitors: [Competitor].
    """
    data = validate(title=title, probability=probability, source=source, campaign=campaign, notes=notes,
                    next_step=next_step)
    if customer is None:
        raise ValidationError("an opportunity needs a customer", "pass --customer")
    if pipeline is None:
        pipeline = session.get(Pipeline, stage.pipeline_id) if stage is not None else pl.default_pipeline(session)
    if stage is None:
        stage = pl.first_open_stage(session, pipeline)
    if stage.pipeline_id != pipeline.id:
        raise ValidationError(f"stage '{stage.name}' is not in pipeline '{pipeline.name}'")
    if stage.kind != "open":
        raise Conflict(f"a new opportunity cannot start in the {stage.kind} stage '{stage.name}'",
                       f"add it, then 'crm opp {'win' if stage.kind == 'won' else 'lose'}'")
    if amount is not None and amount.minor < 0:
        raise ValidationError("--amount must not be negative")
    if currency:
        from crm_cli.core.money import check_currency

        currency = check_currency(currency)
    if lead_id is not None:
        from crm_cli.models.lead import Lead
        from crm_cli.core.errors import NotFound

        if session.get(Lead, lead_id) is None:
            raise NotFound(f"no lead with id {lead_id}", "see 'crm lead list'")
    if amount is not None and currency and amount.currency != currency.upper():
        raise ValidationError(f"--amount is in {amount.currency} but --currency says {currency.upper()}")
    now = _now()
    opp = Opportunity(title=data.title, customer_id=customer.id, owner_id=owner.id if owner else None,
                      pipeline_id=pipeline.id, stage_id=stage.id, status="open",
                      amount=amount.minor if amount is not None else None,
                      currency=amount.currency if amount is not None else (currency.upper() if currency else None),
                      probability=data.probability if data.probability is not None else stage.probability,
                      probability_set=data.probability is not None, expected_close=expected_close,
                      stage_changed_at=now, lead_id=lead_id, source=data.source, campaign=data.campaign,
                      next_step=data.next_step, notes=data.notes, custom=custom or {})
    session.add(opp)
    session.flush()
    session.add(StageChange(opportunity_id=opp.id, stage_id=stage.id, from_stage_id=None, action="create",
                            at=now, user=_user()))
    links = list(contacts or [])
    if contact is not None:
        links.insert(0, (contact, None))
    for c, role in links:
        add_contact(session, opp, c, role)
    for comp in competitors or []:
        add_competitor(session, opp, comp)
    session.flush()
    return opp


def parse_contacts(session, items: list[str] | None) -> list[tuple[Contact, str | None]]:
    """`--contact` values: a contact (id or name), optionally with a decision role after the last colon,
    e.g. 'Jane:decision-maker'. Unknown contacts -> NotFound; the role is checked by add_contact."""
    from crm_cli.services import resolve

    out = []
    for item in items or []:
        ref, role = item, None
        if ":" in item:
            ref, role = item.rsplit(":", 1)
        c = resolve.get(session, Contact, ref.strip())
        out.append((c, role.strip() if role else None))
    return out


def resolve_competitors(session, items: list[str] | None) -> list[Competitor]:
    """`--competitor` values (ids or names) -> competitors; unknown ones -> NotFound."""
    from crm_cli.services import resolve

    return [resolve.get(session, Competitor, c) for c in items or []]


def add_contact(session, opp: Opportunity, contact: Contact, role: str | None = None) -> None:
    if contact.customer_id != opp.customer_id:
        raise ValidationError(f"contact {contact.id} '{contact.name}' works at another customer")
    if role:
        from crm_cli.services.contacts import ROLES

        if role not in ROLES:
            raise ValidationError(f"contact role must be one of {', '.join(ROLES)}, not '{role}'")
    link = session.get(OpportunityContact, (opp.id, contact.id))
    if link is None:
        session.add(OpportunityContact(opportunity_id=opp.id, contact_id=contact.id,
                                       role=role or contact.decision_role))
    elif role:
        link.role = role


def add_competitor(session, opp: Opportunity, comp: Competitor) -> None:
    if session.get(OpportunityCompetitor, (opp.id, comp.id)) is None:
        session.add(OpportunityCompetitor(opportunity_id=opp.id, competitor_id=comp.id))


def edit(session, opp: Opportunity, data: OppIn, *, amount=None, customer=None, owner=None, expected_close=None,
         clear_close: bool = False, custom=None, reset_probability: bool = False) -> None:
    changes = data.model_dump(exclude_none=True)
    for k, v in changes.items():
        setattr(opp, k, v)
    if "probability" in changes:
        if opp.status in ("won", "lost"):
            raise Conflict(f"opp {opp.id} is {opp.status}; its probability is fixed", "reopen it first")
        opp.probability_set = True
    if reset_probability:
        opp.probability = session.get(Stage, opp.stage_id).probability
        opp.probability_set = False
    if amount is not None:
        if amount.minor < 0:
            raise ValidationError("--amount must not be negative")
        opp.amount, opp.currency = amount.minor, amount.currency
    if customer is not None and customer.id != opp.customer_id:
        opp.customer_id = customer.id
        session.execute(OpportunityContact.__table__.delete().where(OpportunityContact.opportunity_id == opp.id))
    if owner is not None:
        opp.owner_id = owner.id
    if expected_close is not None:
        opp.expected_close = expected_close
    if clear_close:
        opp.expected_close = None
    if custom is not None:
        opp.custom = custom


def soft_delete(session, opp: Opportunity, now) -> None:
    opp.deleted_at = now


# ---- stage moves -------------------------------------------------------------------------------

def _require_open(opp: Opportunity, verb: str) -> None:
    if opp.status == "frozen":
        raise Conflict(f"opp {opp.id} is frozen; cannot {verb} it", f"unfreeze it first: crm opp unfreeze {opp.id}")
    if opp.status in ("won", "lost"):
        raise Conflict(f"opp {opp.id} is {opp.status}; cannot {verb} it", f"reopen it first: crm opp reopen {opp.id}")


def _enter(session, opp: Opportunity, stage: Stage, action: str, now: datetime) -> None:
    """Record leaving the current stage and entering `stage`."""
    last = session.execute(select(StageChange).where(StageChange.opportunity_id == opp.id,
                                                     StageChange.left_at.is_(None))
                           .order_by(StageChange.id.desc()).limit(1)).scalar_one_or_none()
    if last is not None:
        last.left_at = now
        last.seconds = max(0, int((now - last.at).total_seconds()))
    session.add(StageChange(opportunity_id=opp.id, stage_id=stage.id, from_stage_id=opp.stage_id, action=action,
                            at=now, user=_user()))
    opp.stage_id = stage.id
    opp.pipeline_id = stage.pipeline_id
    opp.stage_changed_at = now
    opp.probability = stage.probability
    opp.probability_set = False


def advance(session, opp: Opportunity) -> Stage:
    _require_open(opp, "advance")
    stages = [s for s in pl.stages_of(session, session.get(Pipeline, opp.pipeline_id)) if s.kind == "open"]
    idx = next((i for i, s in enumerate(stages) if s.id == opp.stage_id), None)
    if idx is None or idx + 1 >= len(stages):
        cur = session.get(Stage, opp.stage_id)
        raise Conflict(f"opp {opp.id} is at the last open stage '{cur.name}'",
                       f"close it with 'crm opp win {opp.id}' or 'crm opp lose {opp.id} --reason ...'")
    _enter(session, opp, stages[idx + 1], "advance", _now())
    return stages[idx + 1]


def back(session, opp: Opportunity) -> Stage:
    _require_open(opp, "move back")
    stages = [s for s in pl.stages_of(session, session.get(Pipeline, opp.pipeline_id)) if s.kind == "open"]
    idx = next((i for i, s in enumerate(stages) if s.id == opp.stage_id), None)
    if not idx:
        cur = session.get(Stage, opp.stage_id)
        raise Conflict(f"opp {opp.id} is at the first stage '{cur.name}'; there is no stage before it")
    _enter(session, opp, stages[idx - 1], "back", _now())
    return stages[idx - 1]


def move(session, opp: Opportunity, stage_ref: str, pipeline: Pipeline | None = None) -> Stage:
    _require_open(opp, "move")
    target_pipeline = pipeline or session.get(Pipeline, opp.pipeline_id)
    stage = pl.find_stage(session, target_pipeline, stage_ref)
    if stage.kind == "won":
        raise Conflict(f"'{stage.name}' is the won stage", f"use 'crm opp win {opp.id}'")
    if stage.kind == "lost":
        raise Conflict(f"'{stage.name}' is the lost stage", f"use 'crm opp lose {opp.id} --reason ...'")
    if stage.id == opp.stage_id:
        raise Conflict(f"opp {opp.id} is already at stage '{stage.name}'")
    _enter(session, opp, stage, "move", _now())
    return stage


def _close(session, opp: Opportunity, stage: Stage, status: str, action: str) -> None:
    now = _now()
    _enter(session, opp, stage, action, now)
    opp.status = status
    opp.closed_at = now
    opp.closed_on = _local_date(now)
    opp.cycle_days = max(0, (now - opp.created_at).days)


def win(session, opp: Opportunity, amount=None) -> Stage:
    _require_open(opp, "win")
    stage = pl.kind_stage(session, session.get(Pipeline, opp.pipeline_id), "won")
    if amount is not None:
        if amount.minor < 0:
            raise ValidationError("--amount must not be negative")
        opp.amount, opp.currency = amount.minor, amount.currency
    _close(session, opp, stage, "won", "win")
    opp.probability = 100
    opp.lost_reason = None
    opp.lost_to_id = None
    return stage


def lost_reasons() -> list[str]:
    from crm_cli.core import config

    return [str(r) for r in (config.get("lost_reasons") or [])]


def lose(session, opp: Opportunity, reason: str | None, competitor: Competitor | None = None) -> Stage:
    reasons = lost_reasons()
    if not reason:
        raise ValidationError("losing an opportunity needs --reason", "one of: " + ", ".join(reasons))
    match = [r for r in reasons if r.lower() == reason.strip().lower()]
    if not match:
        raise ValidationError(f"--reason '{reason}' is not a lost reason",
                              "one of: " + ", ".join(reasons) + " (config key lost_reasons)")
    _require_open(opp, "lose")
    stage = pl.kind_stage(session, session.get(Pipeline, opp.pipeline_id), "lost")
    _close(session, opp, stage, "lost", "lose")
    opp.probability = 0
    opp.lost_reason = match[0]
    if competitor is not None:
        opp.lost_to_id = competitor.id
        add_competitor(session, opp, competitor)
    return stage


def reopen(session, opp: Opportunity, stage_ref: str | None = None) -> Stage:
    if opp.status not in ("won", "lost"):
        raise Conflict(f"opp {opp.id} is {opp.status}, not closed; nothing to reopen")
    pipeline = session.get(Pipeline, opp.pipeline_id)
    if stage_ref:
        stage = pl.find_stage(session, pipeline, stage_ref)
        if stage.kind != "open":
            raise Conflict(f"reopen needs an open stage; '{stage.name}' is {stage.kind}")
    else:  # the open stage it was closed from
        prev = session.execute(select(StageChange.from_stage_id).where(StageChange.opportunity_id == opp.id,
                                                                       StageChange.stage_id == opp.stage_id)
                               .order_by(StageChange.id.desc()).limit(1)).scalar()
        stage = session.get(Stage, prev) if prev else None
        if stage is None or stage.deleted_at is not None or stage.kind != "open" or stage.pipeline_id != pipeline.id:
            stage = [s for s in pl.stages_of(session, pipeline) if s.kind == "open"][-1]
    _enter(session, opp, stage, "reopen", _now())
    opp.status = "open"
    opp.closed_at = None
    opp.closed_on = None
    opp.cycle_days = None
    opp.lost_reason = None
    opp.lost_to_id = None
    return stage


def freeze(session, opp: Opportunity) -> None:
    if opp.status == "frozen":
        raise Conflict(f"opp {opp.id} is already frozen")
    if opp.status != "open":
        raise Conflict(f"opp {opp.id} is {opp.status}; only open opportunities can be frozen")
    opp.status = "frozen"


def unfreeze(session, opp: Opportunity) -> None:
    if opp.status != "frozen":
        raise Conflict(f"opp {opp.id} is {opp.status}, not frozen")
    opp.status = "open"


def delete_stage(session, stage: Stage, move_to: str | None, now: datetime) -> int:
    """Soft-delete a stage; its opportunities must be moved (--move-to) to another stage of the same kind.

    Returns how many opportunities moved. Lives here, not in the pipelines service, because it moves
    opportunities (the pipelines service knows nothing of opportunity rules).
    """
    pipeline = session.get(Pipeline, stage.pipeline_id)
    # trashed opportunities too: restored later, they must not come back into a deleted stage
    held = session.execute(select(func.count()).where(Opportunity.stage_id == stage.id)).scalar()
    moved = 0
    if held:
        if not move_to:
            raise Conflict(f"stage '{stage.name}' holds {held} opportunities",
                           "move them with --move-to STAGE")
        target = pl.find_stage(session, pipeline, move_to)
        if target.id == stage.id:
            raise ValidationError("--move-to names the stage being deleted")
        if target.kind != stage.kind:
            raise Conflict(f"--move-to: stage '{target.name}' is {target.kind}, '{stage.name}' is {stage.kind}",
                           "move opportunities to a stage of the same kind")
        moved = bulk_restage(session, stage, target, now)
    stage.deleted_at = now
    session.flush()
    pl.renumber(session, pipeline, pl.stages_of(session, pipeline))
    return moved


def bulk_restage(session, old: Stage, new: Stage, now: datetime) -> int:
    """Move every opportunity of `old` to `new` (stage deletion), recording the change."""
    opps = session.execute(select(Opportunity).where(Opportunity.stage_id == old.id)).scalars().all()
    for opp in opps:
        _enter(session, opp, new, "move", now)
    return len(opps)


# ---- reading -----------------------------------------------------------------------------------

def closing_range(text: str, option: str = "--closing") -> tuple[date, date]:
    """this-month | next-month | this-quarter | next-quarter | this-year | overdue | DATE..DATE -> [start, end)."""
    from crm_cli.core.dates import parse_date, parse_range

    t = text.strip().lower().replace("_", "-").replace(" ", "-")
    today = _local_date(_now())
    if t in ("this-month", "next-month", "this-quarter", "next-quarter", "this-year", "next-year"):
        months = {"month": 1, "quarter": 3, "year": 12}[t.split("-")[1]]
        start_month = ((today.month - 1) // months) * months + 1
        start = date(today.year, start_month, 1)
        if t.startswith("next"):
            start = _add_months(start, months)
        return start, _add_months(start, months)
    if t == "overdue":
        return date(1, 1, 1), today
    if ".." in text:
        a, b = parse_range(text, option=option)
        return a.date(), b.date()
    d = parse_date(text, option=option)
    return d, d + timedelta(days=1)


def _add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    return date(d.year + y, m + 1, 1)


def list_opps(session, *, sort="id", limit=None, offset=0, **filters) -> list[dict]:
    return list(stream_opps(session, sort=sort, limit=limit, offset=offset, **filters)[0])


def stream_opps(session, *, fields=None, sort="id", limit=None, offset=0, **filters):
    """(records, csv_keys): the listing streamed (Core rows of the columns `fields` need, in chunks)."""
    from crm_cli.core.money import Money
    from crm_cli.services.listing import csv_keys_with_custom, sort_and_page, stream_records

    q = sort_and_page(query(session, **filters), SORTS, sort, Opportunity.id, limit, offset)
    derived = {"amount": (("amount", "currency"),
                          lambda r: Money(r.amount, r.currency) if r.amount is not None else None),
               "frozen": (("status",), lambda r: r.status == "frozen")}
    rows = stream_records(session, q, Opportunity, fields=fields, derived=derived,
                          extra={"customer": Customer.name, "stage": Stage.name, "owner": User.handle,
                                 "pipeline": Pipeline.name},
                          record=lambda r: record(r, r.customer, r.stage, r.owner, r.pipeline))
    return rows, csv_keys_with_custom(session, q, Opportunity.custom, bool(limit is not None or offset))


def query(session, *, owner_id=None, stage=None, pipeline=None, status=None, closing=None, customer=None,
          min_amount=None, stale=None, source=None, search=None, where=None, competitor_id=None):
    """The opportunities the list filters select (not in the trash), with their customer, stage, owner and
    pipeline names."""
    from crm_cli.services import customfields

    q = (select(Opportunity, Customer.name, Stage.name, User.handle, Pipeline.name)
         .join(Customer, Customer.id == Opportunity.customer_id)
         .join(Stage, Stage.id == Opportunity.stage_id)
         .join(Pipeline, Pipeline.id == Opportunity.pipeline_id)
         .outerjoin(User, User.id == Opportunity.owner_id)
         .where(Opportunity.deleted_at.is_(None)))
    if owner_id is not None:
        q = q.where(Opportunity.owner_id == owner_id)
    if pipeline is not None:
        q = q.where(Opportunity.pipeline_id == pipeline.id)
    if stage is not None:
        pipe = pipeline or pl.default_pipeline(session)
        q = q.where(Opportunity.stage_id == pl.find_stage(session, pipe, stage).id)
    if status:
        statuses = [s.strip().lower() for s in status.split(",")]
        for s in statuses:
            if s not in ("open", "won", "lost", "frozen", "closed"):
                raise ValidationError(f"--status must be open, won, lost, frozen or closed, not '{s}'")
        if "closed" in statuses:
            statuses += ["won", "lost"]
        q = q.where(Opportunity.status.in_(statuses))
    if closing:
        start, end = closing_range(closing)
        q = q.where(Opportunity.expected_close >= start, Opportunity.expected_close < end)
    if customer is not None:
        q = q.where(Opportunity.customer_id == customer.id)
    if min_amount is not None:
        q = q.where(Opportunity.amount >= min_amount.minor, Opportunity.currency == min_amount.currency)
    if stale:
        from crm_cli.core.dates import parse_duration

        cutoff = _now() - parse_duration(stale, option="--stale")
        q = q.where(Opportunity.status == "open", Opportunity.stage_changed_at < cutoff)
        act = _activity_clause(cutoff)
        if act is not None:
            q = q.where(~act)
    if competitor_id is not None:
        from crm_cli.models.opportunity import OpportunityCompetitor

        q = q.where(Opportunity.id.in_(select(OpportunityCompetitor.opportunity_id)
                                       .where(OpportunityCompetitor.competitor_id == competitor_id)))
    if source:
        q = q.where(func.lower(Opportunity.source) == source.lower())
    from crm_cli.services.listing import check_search, contains

    if check_search(search):
        text = search.strip()
        q = q.where(or_(contains(session, Opportunity.title, text), contains(session, Customer.name, text)))
    for clause in customfields.where_clauses(session, Opportunity, where):
        q = q.where(clause)
    return q


def _activity_clause(cutoff):
    """EXISTS(an activity on the opp done, due or created since cutoff)."""
    from crm_cli.models.activity import Activity

    table = Activity.__table__
    when = next(table.c[n] for n in ("done_at", "at", "due_at", "created_at") if n in table.c)
    return exists().where(and_(table.c.opportunity_id == Opportunity.id, when >= cutoff))


def record(o: Opportunity, customer: str | None, stage: str | None, owner: str | None,
           pipeline: str | None) -> dict:
    """The opportunity's JSON contract."""
    from crm_cli.core.money import Money

    return {
        "id": o.id, "title": o.title, "customer_id": o.customer_id, "customer": customer,
        "pipeline": pipeline, "stage": stage, "status": o.status, "frozen": o.status == "frozen",
        "amount": Money(o.amount, o.currency) if o.amount is not None else None, "currency": o.currency,
        "probability": o.probability, "expected_close": o.expected_close, "owner": owner,
        "source": o.source, "campaign": o.campaign, "lead_id": o.lead_id, "next_step": o.next_step,
        "closed_at": o.closed_at, "lost_reason": o.lost_reason, "stage_changed_at": o.stage_changed_at,
        "notes": o.notes, "custom": dict(o.custom or {}), "created_at": o.created_at, "updated_at": o.updated_at,
    }


def full_record(session, o: Opportunity) -> dict:
    cust = session.get(Customer, o.customer_id)
    stage = session.get(Stage, o.stage_id)
    pipe = session.get(Pipeline, o.pipeline_id)
    owner = session.get(User, o.owner_id) if o.owner_id else None
    rec = record(o, cust.name if cust else None, stage.name if stage else None, owner.handle if owner else None,
                 pipe.name if pipe else None)
    rec["weighted_amount"] = None
    if o.amount is not None:
        from crm_cli.core.money import Money
        from crm_cli.services.currency import weighted

        rec["weighted_amount"] = Money(weighted(o.amount * o.probability), o.currency)
    rec["cycle_days"] = o.cycle_days
    lost_to = session.get(Competitor, o.lost_to_id) if o.lost_to_id else None
    rec["lost_to"] = lost_to.name if lost_to else None
    rec["competitors"] = list(session.execute(
        select(Competitor.name).join(OpportunityCompetitor, OpportunityCompetitor.competitor_id == Competitor.id)
        .where(OpportunityCompetitor.opportunity_id == o.id).order_by(Competitor.name)).scalars())
    rec["contacts"] = [{"id": cid, "name": name, "role": role} for cid, name, role in session.execute(
        select(Contact.id, Contact.name, OpportunityContact.role)
        .join(OpportunityContact, OpportunityContact.contact_id == Contact.id)
        .where(OpportunityContact.opportunity_id == o.id).order_by(Contact.name))]
    return rec


def history(session, o: Opportunity) -> tuple[list[dict], dict]:
    """Stage changes with time in stage, plus a summary (cycle length, days open)."""
    rows = session.execute(select(StageChange).where(StageChange.opportunity_id == o.id)
                           .order_by(StageChange.id)).scalars().all()
    ids = {r.stage_id for r in rows} | {r.from_stage_id for r in rows if r.from_stage_id}
    names = dict(session.execute(select(Stage.id, Stage.name).where(Stage.id.in_(ids))).all()) if ids else {}
    now = _now()
    out = []
    for r in rows:
        end = r.left_at or (None if o.status in ("won", "lost") else now)
        secs = r.seconds if r.seconds is not None else (int((end - r.at).total_seconds()) if end else None)
        out.append({"at": r.at, "action": r.action, "from_stage": names.get(r.from_stage_id),
                    "stage": names.get(r.stage_id), "user": r.user,
                    "days_in_stage": round(secs / 86400, 1) if secs is not None else None,
                    "current": r.left_at is None})
    summary = {"id": o.id, "status": o.status, "created_at": o.created_at, "closed_at": o.closed_at,
               "cycle_days": o.cycle_days,
               "days_open": None if o.closed_at else max(0, (now - o.created_at).days)}
    return out, summary


def customer_section(session, customer):
    rows = list_opps(session, customer=customer, sort="-created")
    return ("opportunities", rows, [Col("id", "ID", "right"), Col("title", "Title"), Col("stage", "Stage"),
                                    Col("status", "Status"), Col("amount", "Amount", "right"),
                                    Col("expected_close", "Close"), Col("owner", "Owner")])


def demo_data(session, ids: dict) -> None:
    """A few opportunities at different stages for `crm demo`."""
    from crm_cli.core.money import Money
    from crm_cli.services import identity

    customers = ids.get("customers") or {}
    users = ids.get("users") or {}
    me = users.get("me") or identity.current_user(session)
    pipe = pl.default_pipeline(session)
    stages = pl.stage_lookup(session, pipe)
    today = _local_date(_now())
    plan = [("hq", "华强电子 MES 升级", Money(850_000_00, "CNY"), "proposal", 30, users.get("alice")),
            ("hq", "华强电子 年度维保", Money(120_000_00, "CNY"), "negotiation", 10, users.get("alice")),
            ("group", "华强集团 ERP 一期", Money(2_000_000_00, "CNY"), "qualification", 75, users.get("alice")),
            ("acme", "Acme CRM rollout", Money(45_000_00, "USD"), "prospecting", 60, users.get("bob")),
            ("bj", "远航 数据平台", Money(300_000_00, "CNY"), "proposal", 45, me)]
    made = {}
    for key, title, money, stage, days, owner in plan:
        cust = customers.get(key)
        if cust is None:
            continue
        made[title] = create(session, title=title, customer=cust, owner=owner or me, amount=money, pipeline=pipe,
                             stage=stages[stage], expected_close=today + timedelta(days=days), source="referral")
    from crm_cli.services.currency import set_rate

    set_rate(session, "USD", "7.10", base="CNY")  # so reports can total CNY and USD deals
    won = made.get("华强电子 年度维保")
    if won is not None:
        win(session, won)
    ids["opps"] = made
