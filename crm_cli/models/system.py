"""Tables of the system itself: audit history and custom field definitions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from crm_cli.models.base import UTCDateTime


class History(SQLModel, table=True):
    __tablename__ = "history"
    __table_args__ = (Index("ix_history_entity", "entity", "entity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    entity: str = Field(max_length=32)
    entity_id: int
    action: str = Field(max_length=16)  # create | update | delete | restore | purge
    field: str | None = Field(default=None, max_length=100)
    old: str | None = Field(default=None)
    new: str | None = Field(default=None)
    user: str | None = Field(default=None, max_length=64)
    at: datetime = Field(sa_type=UTCDateTime, index=True)


class CustomField(SQLModel, table=True):
    __tablename__ = "custom_fields"
    __table_args__ = (UniqueConstraint("entity", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    entity: str = Field(max_length=32)
    key: str = Field(max_length=64)
    type: str = Field(default="text", max_length=8)  # text | number | date | bool
    label: str | None = Field(default=None, max_length=200)
