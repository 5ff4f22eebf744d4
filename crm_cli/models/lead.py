"""Leads and import batches."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from crm_cli.models.base import CustomJSON, Record, UTCDateTime
# the models its foreign keys point at are imported before a flush needs them (crm_cli.models.load_targets)


class Lead(Record, table=True):
    __tablename__ = "leads"
    __entity__ = "lead"
    __table_args__ = (
        Index("ix_leads_owner_status", "owner_id", "status"),
    )

    name: str = Field(max_length=200, index=True)
    company: str | None = Field(default=None, max_length=300)
    title: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=64)
    mobile: str | None = Field(default=None, max_length=64)
    source: str | None = Field(default=None, max_length=32, index=True)
    campaign: str | None = Field(default=None, max_length=200)  # indexed: ix_leads_campaign_present
    city: str | None = Field(default=None, max_length=100)
    region: str | None = Field(default=None, max_length=100)  # indexed: ix_leads_region_present
    industry: str | None = Field(default=None, max_length=100)  # indexed: ix_leads_industry_present
    notes: str | None = Field(default=None)
    # indexed by ix_leads_owner_status
    owner_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    status: str = Field(default="new", max_length=16, index=True)
    disqualify_reason: str | None = Field(default=None, max_length=300)
    external_id: str | None = Field(default=None, max_length=200)  # unique: ix_*_external_id_present
    import_batch_id: int | None = Field(default=None, index=True)
    custom: dict = Field(default_factory=dict, sa_type=CustomJSON)
    converted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # indexed by partial indexes (linked rows only), ix_leads_converted_*_linked, declared in the
    # migrations only (0006_lean_import_indexes), like the trash indexes (see models/__init__.py)
    converted_customer_id: int | None = Field(default=None, foreign_key="customers.id", ondelete="SET NULL")
    converted_contact_id: int | None = Field(default=None, foreign_key="contacts.id", ondelete="SET NULL")
    converted_opportunity_id: int | None = Field(default=None, foreign_key="opportunities.id",
                                                 ondelete="SET NULL")
    # normalised keys for duplicate detection
    email_key: str | None = Field(default=None, max_length=320, index=True)
    phone_key: str | None = Field(default=None, max_length=32, index=True)
    company_key: str | None = Field(default=None, max_length=300, index=True)


Lead.__open__ = staticmethod(lambda: Lead.status.in_(("new", "working", "qualified")))


class ImportBatch(SQLModel, table=True):
    """One run of `crm ENTITY import`: what, from where, by whom, with what result."""

    __tablename__ = "import_batches"

    id: int | None = Field(default=None, primary_key=True)
    entity: str = Field(max_length=32, index=True)
    file_name: str | None = Field(default=None, max_length=500)
    user: str | None = Field(default=None, max_length=64)
    started_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    read: int = Field(default=0)
    created: int = Field(default=0)
    updated: int = Field(default=0)
    unchanged: int = Field(default=0)
    skipped: int = Field(default=0)
    rejected: int = Field(default=0)
    status: str = Field(default="done", max_length=16)  # done | undone
    undone_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


ENTITY_MODELS = [Lead]
