"""Opportunities and their sales process: pipelines, stages, stage history, competitors, currency rates.

Money is integer minor units + ISO code. `probability` on an opportunity is the effective win
probability (the stage default unless `probability_set`), so weighted sums are plain SQL.
Durations that reports average (cycle length, time in stage) are stored as whole numbers when
an opportunity closes or leaves a stage, so averages are portable SQL AVGs.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from crm_cli.models.base import CustomJSON, Record, UTCDateTime
# the models its foreign keys point at are imported before a flush needs them (crm_cli.models.load_targets)

STATUSES = ("open", "won", "lost", "frozen")
STAGE_KINDS = ("open", "won", "lost")


class Pipeline(Record, table=True):
    __tablename__ = "pipelines"
    __entity__ = "pipeline"

    name: str = Field(max_length=100, index=True)
    description: str | None = Field(default=None)


class Stage(Record, table=True):
    __tablename__ = "stages"
    __entity__ = "stage"
    __table_args__ = (Index("ix_stages_pipeline_position", "pipeline_id", "position"),)

    pipeline_id: int = Field(foreign_key="pipelines.id", ondelete="CASCADE")
    name: str = Field(max_length=100)
    position: int = Field(default=0)
    probability: int = Field(default=0)
    kind: str = Field(default="open", max_length=8)  # open | won | lost
    quota: int | None = Field(default=None)  # target share (percent) of open opportunities


class Competitor(Record, table=True):
    __tablename__ = "competitors"
    __entity__ = "competitor"

    name: str = Field(max_length=200, index=True)
    website: str | None = Field(default=None, max_length=300)
    strengths: str | None = Field(default=None)
    weaknesses: str | None = Field(default=None)
    notes: str | None = Field(default=None)


class Opportunity(Record, table=True):
    __tablename__ = "opportunities"
    __entity__ = "opp"
    __money__ = {"amount": "currency"}  # amount column -> its currency column (for --where)
    __table_args__ = (
        # the funnel and forecast aggregates read only these columns (covering indexes)
        Index("ix_opps_funnel", "pipeline_id", "deleted_at", "status", "stage_id", "currency", "amount",
              "probability"),
        Index("ix_opps_forecast", "deleted_at", "status", "expected_close", "currency", "amount", "probability"),
        Index("ix_opps_owner_status", "owner_id", "status"),
    )

    title: str = Field(max_length=300, index=True)
    customer_id: int = Field(foreign_key="customers.id", index=True, ondelete="CASCADE")
    pipeline_id: int = Field(foreign_key="pipelines.id")
    stage_id: int = Field(foreign_key="stages.id", index=True)
    owner_id: int | None = Field(default=None, foreign_key="users.id", index=True, ondelete="SET NULL")
    status: str = Field(default="open", max_length=8, index=True)  # open | won | lost | frozen
    amount: int | None = Field(default=None, sa_type=BigInteger, index=True)
    currency: str | None = Field(default=None, max_length=3)
    probability: int = Field(default=0)
    probability_set: bool = Field(default=False)  # True when overridden by hand
    expected_close: date | None = Field(default=None, index=True)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_on: date | None = Field(default=None, index=True)  # local date of closed_at
    cycle_days: int | None = Field(default=None)  # created -> closed, set when it closes
    stage_changed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    lost_reason: str | None = Field(default=None, max_length=64, index=True)
    lost_to_id: int | None = Field(default=None, foreign_key="competitors.id", index=True, ondelete="SET NULL")
    lead_id: int | None = Field(default=None, index=True)  # no FK: leads come in a later migration
    source: str | None = Field(default=None, max_length=64, index=True)
    campaign: str | None = Field(default=None, max_length=100)
    next_step: str | None = Field(default=None, max_length=300)
    notes: str | None = Field(default=None)
    custom: dict = Field(default_factory=dict, sa_type=CustomJSON)
    external_id: str | None = Field(default=None, max_length=200)  # unique: ix_*_external_id_present  # import upsert key
    import_batch_id: int | None = Field(default=None, index=True)


Opportunity.__open__ = staticmethod(lambda: Opportunity.status.in_(("open", "frozen")))


class OpportunityContact(SQLModel, table=True):
    __tablename__ = "opportunity_contacts"

    opportunity_id: int = Field(foreign_key="opportunities.id", primary_key=True, ondelete="CASCADE")
    contact_id: int = Field(foreign_key="contacts.id", primary_key=True, index=True, ondelete="CASCADE")
    role: str | None = Field(default=None, max_length=32)


class OpportunityCompetitor(SQLModel, table=True):
    __tablename__ = "opportunity_competitors"

    opportunity_id: int = Field(foreign_key="opportunities.id", primary_key=True, ondelete="CASCADE")
    competitor_id: int = Field(foreign_key="competitors.id", primary_key=True, index=True, ondelete="CASCADE")


class StageChange(SQLModel, table=True):
    """One row per stage an opportunity entered; `seconds` is filled when it leaves that stage."""

    __tablename__ = "opportunity_stage_history"
    __table_args__ = (Index("ix_stage_history_opp", "opportunity_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    opportunity_id: int = Field(foreign_key="opportunities.id", ondelete="CASCADE")
    stage_id: int = Field(foreign_key="stages.id", index=True)
    from_stage_id: int | None = Field(default=None)
    action: str = Field(max_length=16)  # create | advance | back | move | win | lose | reopen | import
    at: datetime = Field(sa_type=UTCDateTime)
    left_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    seconds: int | None = Field(default=None)
    user: str | None = Field(default=None, max_length=64)


class CurrencyRate(SQLModel, table=True):
    """1 `currency` = `rate` `base` (exact decimal text; conversion happens on aggregated sums)."""

    __tablename__ = "currency_rates"
    __table_args__ = (UniqueConstraint("currency", "base"),)

    id: int | None = Field(default=None, primary_key=True)
    currency: str = Field(max_length=3)
    base: str = Field(max_length=3)
    rate: str = Field(max_length=40)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    updated_by: str | None = Field(default=None, max_length=64)


ENTITY_MODELS = [Opportunity, Pipeline, Stage, Competitor]
