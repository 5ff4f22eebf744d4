from __future__ import annotations

from datetime import date

from sqlmodel import Field

from crm_cli.models.base import CustomJSON, Record
# the models its foreign keys point at are imported before a flush needs them (crm_cli.models.load_targets)


class Contact(Record, table=True):
    __tablename__ = "contacts"
    __entity__ = "contact"

    customer_id: int = Field(foreign_key="customers.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=200, index=True)
    title: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=64)
    mobile: str | None = Field(default=None, max_length=64)
    email: str | None = Field(default=None, max_length=320)
    birthday: date | None = Field(default=None)
    reports_to_id: int | None = Field(default=None, foreign_key="contacts.id", index=True, ondelete="SET NULL")
    decision_role: str | None = Field(default=None, max_length=32)
    notes: str | None = Field(default=None)
    custom: dict = Field(default_factory=dict, sa_type=CustomJSON)
    email_key: str | None = Field(default=None, max_length=320, index=True)
    phone_key: str | None = Field(default=None, max_length=32, index=True)
    # bulk import: upsert key and the batch that created the record (crm import undo)
    external_id: str | None = Field(default=None, max_length=200)  # unique: ix_*_external_id_present
    import_batch_id: int | None = Field(default=None, index=True)
