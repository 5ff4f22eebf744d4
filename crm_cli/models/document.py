"""Sales documents: quotes and orders, their lines, deliveries, instalments and payments, and the
counters that number them (Q-2026-0001, SO-2026-0001).

Amounts are integer minor units of the document's currency; quantities, rates and discounts are
integer millionths (qty 500000 = 0.5; tax_rate 130000 = 13 %). Each line stores its rounded
amounts (core/docmoney.py), and each document the plain sums of its lines, so listings and
reports read totals without recomputing them.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from crm_cli.models.base import Record, UTCDateTime
# the models its foreign keys point at are imported before a flush needs them (crm_cli.models.load_targets)


class DocumentCounter(SQLModel, table=True):
    """The last number given per prefix and year; taken with one atomic upsert (services/numbering)."""

    __tablename__ = "document_counters"

    prefix: str = Field(max_length=8, primary_key=True)
    year: int = Field(primary_key=True)
    last: int = Field(default=0)


class LineColumns(SQLModel):
    """What a quote line and an order line share: what is sold, how it is priced, its amounts."""

    position: int = Field(default=1)
    kind: str = Field(default="product", max_length=8)  # product | text | fee
    product_id: int | None = Field(default=None, foreign_key="products.id", index=True, ondelete="SET NULL")
    sku: str | None = Field(default=None, max_length=64)
    description: str = Field(max_length=300)
    qty: int = Field(sa_type=BigInteger)             # millionths
    unit: str = Field(default="pcs", max_length=16)
    unit_price: int = Field(sa_type=BigInteger)      # minor units
    list_price: int | None = Field(default=None, sa_type=BigInteger)  # the product's, when the line was priced
    list_included: bool = Field(default=False)       # ...and whether that list price included tax
    discount: int = Field(default=0)                 # millionths
    tax_rate: int = Field(default=0)                 # millionths
    tax_included: bool = Field(default=False)
    rule_id: int | None = Field(default=None, foreign_key="price_rules.id", ondelete="SET NULL")
    price_source: str = Field(default="list", max_length=8)  # list | rule | manual
    approved_by: str | None = Field(default=None, max_length=64)
    list_amount: int = Field(default=0, sa_type=BigInteger)
    discount_amount: int = Field(default=0, sa_type=BigInteger)
    net: int = Field(default=0, sa_type=BigInteger)
    tax: int = Field(default=0, sa_type=BigInteger)
    total: int = Field(default=0, sa_type=BigInteger)


class Quote(Record, table=True):
    __tablename__ = "quotes"
    __entity__ = "quote"
    __money__ = {"total": "currency", "subtotal": "currency", "tax": "currency"}
    __table_args__ = (UniqueConstraint("number", "revision", name="uq_quotes_number_revision"),
                      Index("ix_quotes_customer_status", "customer_id", "status"))

    number: str = Field(max_length=20, index=True)
    revision: int = Field(default=1)
    customer_id: int = Field(foreign_key="customers.id", ondelete="CASCADE")
    opportunity_id: int | None = Field(default=None, foreign_key="opportunities.id", index=True,
                                       ondelete="SET NULL")
    contact_id: int | None = Field(default=None, foreign_key="contacts.id", ondelete="SET NULL")
    owner_id: int | None = Field(default=None, foreign_key="users.id", index=True, ondelete="SET NULL")
    status: str = Field(default="draft", max_length=10, index=True)  # draft | sent | accepted | rejected
    currency: str = Field(max_length=3)
    issued_on: date = Field()
    valid_until: date = Field(index=True)
    payment_terms: int | None = Field(default=None)
    notes: str | None = Field(default=None, max_length=4000)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reject_reason: str | None = Field(default=None, max_length=300)
    superseded_by_id: int | None = Field(default=None, foreign_key="quotes.id", ondelete="SET NULL")
    order_id: int | None = Field(default=None)  # the order it was converted into (no FK: orders point back)
    subtotal: int = Field(default=0, sa_type=BigInteger)
    discount: int = Field(default=0, sa_type=BigInteger)
    tax: int = Field(default=0, sa_type=BigInteger)
    total: int = Field(default=0, sa_type=BigInteger)


class QuoteLine(LineColumns, table=True):
    __tablename__ = "quote_lines"
    __table_args__ = (Index("ix_quote_lines_quote", "quote_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    quote_id: int = Field(foreign_key="quotes.id", ondelete="CASCADE")


class Order(Record, table=True):
    __tablename__ = "orders"
    __entity__ = "order"
    __money__ = {"total": "currency", "paid": "currency"}
    __table_args__ = (Index("ix_orders_status_id", "status", "id"),
                      Index("ix_orders_customer_status", "customer_id", "status"))

    number: str = Field(max_length=20, unique=True)
    customer_id: int = Field(foreign_key="customers.id", ondelete="CASCADE")
    quote_id: int | None = Field(default=None, foreign_key="quotes.id", index=True, ondelete="SET NULL")
    owner_id: int | None = Field(default=None, foreign_key="users.id", index=True, ondelete="SET NULL")
    status: str = Field(default="draft", max_length=10)  # draft | confirmed | closed | cancelled
    delivery_status: str = Field(default="none", max_length=8, index=True)  # none | partial | full
    currency: str = Field(max_length=3)
    ordered_on: date = Field()
    payment_terms: int | None = Field(default=None)
    notes: str | None = Field(default=None, max_length=4000)
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    confirmed_on: date | None = Field(default=None, index=True)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    credit_override: str | None = Field(default=None, max_length=300)
    subtotal: int = Field(default=0, sa_type=BigInteger)
    discount: int = Field(default=0, sa_type=BigInteger)
    tax: int = Field(default=0, sa_type=BigInteger)
    total: int = Field(default=0, sa_type=BigInteger)
    returned: int = Field(default=0, sa_type=BigInteger)   # value of returned goods (reduces what is due)
    paid: int = Field(default=0, sa_type=BigInteger)
    external_id: str | None = Field(default=None, max_length=200)  # unique: ix_*_external_id_present
    import_batch_id: int | None = Field(default=None, index=True)


class OrderLine(LineColumns, table=True):
    __tablename__ = "order_lines"
    __table_args__ = (Index("ix_order_lines_order", "order_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", ondelete="CASCADE")
    delivered: int = Field(default=0, sa_type=BigInteger)  # millionths
    returned: int = Field(default=0, sa_type=BigInteger)   # millionths
    returned_amount: int = Field(default=0, sa_type=BigInteger)


class Delivery(SQLModel, table=True):
    """A delivery (qty > 0) or a return (qty < 0) of an order line."""

    __tablename__ = "order_deliveries"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True, ondelete="CASCADE")
    line_id: int = Field(foreign_key="order_lines.id", ondelete="CASCADE")
    qty: int = Field(sa_type=BigInteger)  # millionths; negative for a return
    amount: int = Field(default=0, sa_type=BigInteger)  # a return's value (minor units)
    reason: str | None = Field(default=None, max_length=300)
    at: datetime = Field(sa_type=UTCDateTime)
    user: str | None = Field(default=None, max_length=64)


class Instalment(SQLModel, table=True):
    __tablename__ = "order_instalments"
    # an order's instalments in due order, covering what receivables' running sum reads (no sort)
    __table_args__ = (Index("ix_instalments_order_seq", "order_id", "seq", "id", "due_on", "amount", "paid"),
                      Index("ix_instalments_due", "due_on"))

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", ondelete="CASCADE")
    seq: int = Field(default=1)
    due_on: date = Field()
    amount: int = Field(sa_type=BigInteger)
    paid: int = Field(default=0, sa_type=BigInteger)


class Payment(SQLModel, table=True):
    __tablename__ = "order_payments"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True, ondelete="CASCADE")
    amount: int = Field(sa_type=BigInteger)
    paid_on: date = Field()
    method: str | None = Field(default=None, max_length=32)
    reference: str | None = Field(default=None, max_length=100)
    at: datetime = Field(sa_type=UTCDateTime)
    user: str | None = Field(default=None, max_length=64)


ENTITY_MODELS = [Quote, Order]
