from __future__ import annotations

from sqlalchemy import Index
from sqlmodel import Field

from crm_cli.models.base import CustomJSON, Record, money_field
# the models its foreign keys point at are imported before a flush needs them (crm_cli.models.load_targets)
from sqlmodel import SQLModel


class Customer(Record, table=True):
    __tablename__ = "customers"
    __entity__ = "customer"
    __money__ = {"credit_limit": "currency"}  # amount column -> its currency column (for --where)
    __table_args__ = (
        Index("ix_customers_owner_status", "owner_id", "status"),
    )

    name: str = Field(max_length=300, index=True)
    status: str = Field(default="prospect", max_length=16, index=True)
    tier: str | None = Field(default=None, max_length=1, index=True)
    industry: str | None = Field(default=None, max_length=100, index=True)
    region: str | None = Field(default=None, max_length=100, index=True)
    phone: str | None = Field(default=None, max_length=64)
    email: str | None = Field(default=None, max_length=320)
    website: str | None = Field(default=None, max_length=300)
    address: str | None = Field(default=None, max_length=500)
    parent_id: int | None = Field(default=None, foreign_key="customers.id", index=True, ondelete="SET NULL")
    owner_id: int | None = Field(default=None, foreign_key="users.id", index=True, ondelete="SET NULL")
    credit_limit: int | None = money_field()
    currency: str | None = Field(default=None, max_length=3)
    payment_terms: int | None = Field(default=None)
    notes: str | None = Field(default=None)
    custom: dict = Field(default_factory=dict, sa_type=CustomJSON)
    # normalised keys for the duplicate guard and search
    name_key: str | None = Field(default=None, max_length=300, index=True)
    email_key: str | None = Field(default=None, max_length=320, index=True)
    phone_key: str | None = Field(default=None, max_length=32, index=True)
    # bulk import: upsert key and the batch that created the record (crm import undo)
    external_id: str | None = Field(default=None, max_length=200)  # unique: ix_*_external_id_present
    import_batch_id: int | None = Field(default=None, index=True)


class CustomerTag(SQLModel, table=True):
    __tablename__ = "customer_tags"

    customer_id: int = Field(foreign_key="customers.id", primary_key=True, ondelete="CASCADE")
    tag: str = Field(max_length=64, primary_key=True, index=True)


class CustomerShare(SQLModel, table=True):
    """`crm customer share ID --with HANDLE`: the user sees the customer and the records under it
    (docs/visibility.md)."""

    __tablename__ = "customer_shares"

    customer_id: int = Field(foreign_key="customers.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="users.id", primary_key=True, index=True, ondelete="CASCADE")
    created_by: str | None = Field(default=None, max_length=64)
