"""Products and price rules (the price policy every quote and order line is priced by).

Money is integer minor units + ISO code. Rates and discounts are exact: integer millionths of
the unit (`tax_rate` 130000 = 13 %, `discount` 50000 = 5 %); quantities the same (`min_qty`
500000 = 0.5). See core/docmoney.py and docs/money.md.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Index
from sqlmodel import Field

from crm_cli.models.base import CustomJSON, Record, money_field
# the models its foreign keys point at are imported before a flush needs them (crm_cli.models.load_targets)


class Product(Record, table=True):
    __tablename__ = "products"
    __entity__ = "product"
    __money__ = {"list_price": "currency", "cost": "currency"}

    sku: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200, index=True)
    unit: str = Field(default="pcs", max_length=16)
    category: str | None = Field(default=None, max_length=100, index=True)
    list_price: int = Field(default=0, sa_type=BigInteger)
    currency: str = Field(max_length=3)
    cost: int | None = money_field()
    tax_rate: int = Field(default=0)          # millionths: 130000 = 13 %
    tax_included: bool = Field(default=False)  # list price includes tax
    active: bool = Field(default=True, index=True)
    description: str | None = Field(default=None, max_length=2000)
    custom: dict = Field(default_factory=dict, sa_type=CustomJSON)
    external_id: str | None = Field(default=None, max_length=200)  # unique: ix_*_external_id_present
    import_batch_id: int | None = Field(default=None, index=True)


class PriceRule(Record, table=True):
    """A fixed price or a discount for a product, a category or everything, optionally only for a
    customer or a tier, a rep, from a minimum quantity, within a validity window."""

    __tablename__ = "price_rules"
    __entity__ = "price-rule"
    __money__ = {"price": "currency"}
    __table_args__ = (Index("ix_price_rules_target", "product_id", "category"),)

    name: str | None = Field(default=None, max_length=200)
    product_id: int | None = Field(default=None, foreign_key="products.id", index=True, ondelete="CASCADE")
    category: str | None = Field(default=None, max_length=100)
    customer_id: int | None = Field(default=None, foreign_key="customers.id", index=True, ondelete="CASCADE")
    tier: str | None = Field(default=None, max_length=1)
    rep_id: int | None = Field(default=None, foreign_key="users.id", index=True, ondelete="CASCADE")
    min_qty: int = Field(default=0, sa_type=BigInteger)  # millionths
    valid_from: date | None = Field(default=None)
    valid_to: date | None = Field(default=None)          # inclusive
    price: int | None = Field(default=None, sa_type=BigInteger)  # a fixed unit price...
    currency: str | None = Field(default=None, max_length=3)
    discount: int | None = Field(default=None)           # ...or a discount off the list price (millionths)
    tax_included: bool | None = Field(default=None)      # a fixed price's tax treatment (None: product's)
    priority: int = Field(default=0)
    notes: str | None = Field(default=None, max_length=2000)


ENTITY_MODELS = [Product, PriceRule]
