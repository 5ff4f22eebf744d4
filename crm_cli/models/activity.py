"""Activities: calls, visits, meetings, tasks... due at a time (or on a day), maybe repeating.

Due times are stored in UTC (`due_at`) together with the IANA timezone the wall-clock time was
entered in (`timezone`), so a repeating 09:00 stays at 09:00 local across daylight-saving changes.
All-day activities (`all_day`) store local midnight of their day.

Recurrence: `repeat_rule` is an RFC 5545 RRULE body without COUNT/UNTIL (e.g. FREQ=WEEKLY;INTERVAL=2);
`repeat_count` / `repeat_until` bound the series. Only the current occurrence exists as a row;
finishing (or cancelling) it creates the next. `series_id` is the id of the first occurrence,
`occurrence` its 1-based number, `slot_at` the time the rule scheduled it (snoozing or rescheduling
one occurrence moves `due_at`, never the series). Editing one occurrence only keeps the series'
values of the fields it changed in `series_values`, so the next occurrence gets them back.

Links to tickets, quotes and orders are added by a later migration when those features exist.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index
from sqlmodel import Field

from crm_cli.models.base import CustomJSON, Record, UTCDateTime
# the models its foreign keys point at are imported before a flush needs them (crm_cli.models.load_targets)


class Activity(Record, table=True):
    __tablename__ = "activities"
    __entity__ = "activity"
    __money__ = {"cost": "cost_currency"}  # amount column -> its currency column (for --where)
    __table_args__ = (
        Index("ix_activities_owner_status_due", "owner_id", "status", "due_at"),
        Index("ix_activities_status_due", "status", "due_at"),
    )

    type: str = Field(default="task", max_length=32, index=True)
    subject: str = Field(max_length=300)
    notes: str | None = Field(default=None)
    status: str = Field(default="planned", max_length=16)
    priority: str = Field(default="normal", max_length=8)
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    all_day: bool = Field(default=False)
    timezone: str | None = Field(default=None, max_length=64)
    duration_min: int | None = Field(default=None)
    outcome: str | None = Field(default=None)
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    owner_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    cost: int | None = Field(default=None, sa_type=BigInteger)
    cost_currency: str | None = Field(default=None, max_length=3)
    customer_id: int | None = Field(default=None, foreign_key="customers.id", index=True, ondelete="SET NULL")
    contact_id: int | None = Field(default=None, foreign_key="contacts.id", index=True, ondelete="SET NULL")
    lead_id: int | None = Field(default=None, foreign_key="leads.id", index=True, ondelete="SET NULL")
    opportunity_id: int | None = Field(default=None, foreign_key="opportunities.id", index=True,
                                       ondelete="SET NULL")
    repeat_rule: str | None = Field(default=None, max_length=500)
    repeat_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    repeat_count: int | None = Field(default=None)
    series_id: int | None = Field(default=None, index=True)
    occurrence: int | None = Field(default=None)
    slot_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    series_values: dict = Field(default_factory=dict, sa_type=CustomJSON)
    custom: dict = Field(default_factory=dict, sa_type=CustomJSON)


Activity.__open__ = staticmethod(lambda: Activity.status.in_(("planned", "in_progress")))

ENTITY_MODELS = [Activity]
