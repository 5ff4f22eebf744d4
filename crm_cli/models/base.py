"""Column types and the columns every record shares."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, BigInteger, DateTime
from sqlalchemy.ext.mutable import MutableDict
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator):
    """Stored as naive UTC on every backend; always read back as an aware UTC datetime."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):  # raw text from SQLite when selected through Core text()
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=timezone.utc)


CustomJSON = MutableDict.as_mutable(JSON)


def utcnow() -> datetime:
    from crm_cli.core import context

    return context.now()


def current_handle() -> str:
    from crm_cli.core import context

    return context.current_handle()


class Record(SQLModel):
    """Columns every record table has: id, timestamps, author, soft-delete stamp."""

    # table models are never validated (input models are); building their pydantic schema
    # lazily takes ~0.1 s off every command's start-up
    model_config = {"defer_build": True}

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    created_by: str | None = Field(default_factory=current_handle, max_length=64)
    # indexed by a partial index (only trashed rows), added in models/__init__.py: a plain index on a
    # column that is NULL for almost every row made SQLite's planner prefer it over the sort index
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


def money_field(**kw):
    return Field(default=None, sa_type=BigInteger, **kw)
