"""SLA configuration: business calendars (hours + holidays) and SLA policies (targets per priority/tier).

Configuration, not business records: no trash (a delete is final and is in the history as 'purge');
every change is in the audit history (`crm history sla-calendar 1`, `crm history sla-policy 1`).
A calendar's hours are stored as their canonical text ("mon-fri 09:00-12:00,13:00-18:00; sat 10:00-14:00",
see services/sla.py); its holidays are rows of sla_holidays. The built-in "24x7" calendar is not stored:
a policy without a calendar (calendar_id NULL) runs on it.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from crm_cli.models.base import UTCDateTime, current_handle, utcnow


class _Config(SQLModel):
    """Record's columns without deleted_at (no trash)."""

    model_config = {"defer_build": True}

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    created_by: str | None = Field(default_factory=current_handle, max_length=64)


class SlaCalendar(_Config, table=True):
    __tablename__ = "sla_calendars"
    __entity__ = "sla-calendar"

    name: str = Field(max_length=64, unique=True)
    tz: str = Field(max_length=64)
    hours: str = Field(max_length=2000)  # canonical text: "mon-fri 09:00-18:00; sat 10:00-14:00"


class SlaHoliday(SQLModel, table=True):
    __tablename__ = "sla_holidays"
    __table_args__ = (UniqueConstraint("calendar_id", "day", name="uq_sla_holidays_calendar_day"),)
    model_config = {"defer_build": True}

    id: int | None = Field(default=None, primary_key=True)
    calendar_id: int = Field(foreign_key="sla_calendars.id", ondelete="CASCADE")
    day: date


class SlaPolicy(_Config, table=True):
    __tablename__ = "sla_policies"
    __entity__ = "sla-policy"
    # tier '' = any tier: a unique key that holds on every backend (NULLs are never equal)
    __table_args__ = (UniqueConstraint("priority", "tier", name="uq_sla_policies_priority_tier"),)

    priority: str = Field(max_length=8)          # low | normal | high | urgent
    tier: str = Field(default="", max_length=1)  # '' or a customer tier letter
    response_s: int                              # business seconds
    resolution_s: int
    calendar_id: int | None = Field(default=None, foreign_key="sla_calendars.id", index=True)  # None: 24x7


ENTITY_MODELS = [SlaCalendar, SlaPolicy]
