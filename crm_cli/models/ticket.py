"""Service tickets (T-2026-0001), their timeline (ticket_events) and the queues they wait in.

SLA figures cached on the ticket (services/tickets.py keeps them current on every status, priority
and assignment change), so `ticket list --breached/--at-risk` and the default order are plain
indexed SQL:

  response_due, resolution_due          the due times (UTC); resolution_due is NULL while the ticket
                                        is pending and not yet breached (unknown until resume)
  response_risk_at, resolution_risk_at  when each target turns at-risk
  next_due, next_risk                   the earliest of the targets still outstanding (first response
                                        not given; resolution not given): NULL when nothing is
                                        outstanding or the ticket has no SLA. --breached is
                                        next_due <= now, --at-risk next_risk <= now < next_due.
  paused_s, paused_since                business seconds the clock was paused (pending, resolved,
                                        closed), and since when it is paused now
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, Text
from sqlmodel import Field, SQLModel

from crm_cli.models.base import Record, UTCDateTime
# the models its foreign keys point at are imported before a flush needs them (crm_cli.models.load_targets)


class TicketQueue(SQLModel, table=True):
    """A queue (a team that takes tickets): its manager gets the tickets escalated from it, and its
    parent queue is the next level up."""

    __tablename__ = "ticket_queues"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    manager_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    parent: str | None = Field(default=None, max_length=100)


class Ticket(Record, table=True):
    __tablename__ = "tickets"
    __entity__ = "ticket"
    # derived SLA figures: not in `crm history ticket ID` (the timeline has what changed them)
    __history_skip__ = frozenset({"response_due", "resolution_due", "response_risk_at", "resolution_risk_at",
                                  "next_due", "next_risk", "paused_since", "paused_s", "escalated_due",
                                  "response_s", "resolution_s"})
    __table_args__ = (
        CheckConstraint("assignee_id IS NOT NULL OR queue IS NOT NULL", name="ck_tickets_responsible"),
        Index("ix_tickets_status_next_due", "status", "next_due"),
        Index("ix_tickets_assignee_next_due", "assignee_id", "next_due"),
        Index("ix_tickets_queue_next_due", "queue", "next_due"),
        Index("ix_tickets_customer_status", "customer_id", "status"),
        Index("ix_tickets_created_at", "created_at"),
    )

    number: str = Field(max_length=20, unique=True)
    type: str = Field(max_length=32, index=True)
    priority: str = Field(default="normal", max_length=8, index=True)  # low | normal | high | urgent
    status: str = Field(default="new", max_length=10)  # new | open | pending | resolved | closed
    channel: str | None = Field(default=None, max_length=16)
    subject: str = Field(max_length=300)
    description: str | None = Field(default=None, max_length=4000)
    customer_id: int | None = Field(default=None, foreign_key="customers.id", ondelete="SET NULL")
    contact_id: int | None = Field(default=None, foreign_key="contacts.id", index=True, ondelete="SET NULL")
    product_id: int | None = Field(default=None, foreign_key="products.id", index=True, ondelete="SET NULL")
    order_id: int | None = Field(default=None, foreign_key="orders.id", index=True, ondelete="SET NULL")
    assignee_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    queue: str | None = Field(default=None, max_length=100)
    reason: str | None = Field(default=None, max_length=32)  # a complaint's reason category
    resolution: str | None = Field(default=None, max_length=4000)
    satisfaction: int | None = Field(default=None)
    feedback: str | None = Field(default=None, max_length=2000)
    escalation_level: int = Field(default=0)
    # SLA: the policy's targets when opened (or at the last priority change)
    tier: str | None = Field(default=None, max_length=1)
    calendar: str | None = Field(default=None, max_length=64)
    response_target_s: int | None = Field(default=None)
    resolution_target_s: int | None = Field(default=None)
    first_response_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    paused_s: int = Field(default=0)
    paused_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    response_due: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    resolution_due: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    response_risk_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    resolution_risk_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    next_due: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    next_risk: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    response_s: int | None = Field(default=None)    # business seconds to the first response
    resolution_s: int | None = Field(default=None)  # business seconds to resolution, pauses not counted
    escalated_due: datetime | None = Field(default=None, sa_type=UTCDateTime)  # the breach last escalated


class TicketEvent(SQLModel, table=True):
    """One line of a ticket's timeline: a comment (note: internal; reply: to the customer;
    customer-reply: from the customer), a status change, an assignment, a priority change, an escalation."""

    __tablename__ = "ticket_events"
    __table_args__ = (Index("ix_ticket_events_ticket", "ticket_id", "at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id", ondelete="CASCADE")
    at: datetime = Field(sa_type=UTCDateTime)
    user: str | None = Field(default=None, max_length=64)
    kind: str = Field(max_length=16)  # note | reply | customer-reply | status | assign | priority | escalation
    old: str | None = Field(default=None, max_length=200)
    new: str | None = Field(default=None, max_length=200)
    body: str | None = Field(default=None, sa_type=Text)


ENTITY_MODELS = [Ticket]
