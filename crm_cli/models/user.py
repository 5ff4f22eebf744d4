from __future__ import annotations

from sqlmodel import Field

from crm_cli.models.base import Record


class User(Record, table=True):
    __tablename__ = "users"
    __entity__ = "user"

    handle: str = Field(max_length=64, unique=True, index=True)
    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    role: str = Field(default="rep", max_length=16)
    team: str | None = Field(default=None, max_length=100)
    active: bool = Field(default=True)
    # the PostgreSQL login role whose queries the row-level security policies limit to what this
    # user sees (`crm user add HANDLE --db-role`; docs/visibility.md)
    db_role: str | None = Field(default=None, max_length=63, unique=True, index=True)
