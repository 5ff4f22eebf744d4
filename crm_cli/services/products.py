"""Products: the catalogue quotes and orders are priced from (SKU, unit, list price, cost, tax)."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from typing import Optional

from pydantic import field_validator
from sqlalchemy import func, or_, select
from sqlmodel import SQLModel

from crm_cli.core.docmoney import percent_text
from crm_cli.core.errors import Ambiguous, Duplicate, NotFound, ValidationError
from crm_cli.core.money import Money
from crm_cli.models.product import Product

MILLION = Decimal(1_000_000)
SORTS = {"id": Product.id, "sku": Product.sku, "name": Product.name, "category": Product.category,
         "price": Product.list_price, "created": Product.created_at, "updated": Product.updated_at}
_SKU_RE = re.compile(r"^[\w][\w.\-/#+]{0,63}$")


def sku_key(text: str | None) -> str:
    """SKUs are compared width- and case-insensitively: stored NFKC, upper case, trimmed."""
    return unicodedata.normalize("NFKC", text or "").strip().upper()


def to_millionths(fraction: Decimal) -> int:
    return int(fraction * MILLION)


def from_millionths(value: int | None) -> Decimal | None:
    return None if value is None else Decimal(value) / MILLION


class ProductIn(SQLModel):
    """Validated input for add/edit (the table model does not validate)."""

    sku: Optional[str] = None
    name: Optional[str] = None
    unit: Optional[str] = None
    category: Optional[str] = None
    description: Optional[str] = None

    @field_validator("*")
    @classmethod
    def _text_rules(cls, v, info):
        from crm_cli.core.validation import column_text

        return column_text(Product, info.field_name, v)  # length and control characters

    @field_validator("sku")
    @classmethod
    def _sku(cls, v):
        if v is None:
            return v
        v = sku_key(v)
        if not _SKU_RE.match(v):
            raise ValueError(f"--sku '{v[:80]}' is not a SKU (letters, digits and . - / # +, no spaces, "
                             "at most 64)")
        return v

    @field_validator("name")
    @classmethod
    def _name(cls, v):
        if v is not None and not v.strip():
            raise ValueError("--name must not be empty")
        if v is not None and len(v.strip()) > 200:
            raise ValueError("--name is longer than 200 characters")
        return v.strip() if v else v

    @field_validator("unit")
    @classmethod
    def _unit(cls, v):
        if v is not None:
            v = v.strip()
            if not v or len(v) > 16:
                raise ValueError("--unit must be 1 to 16 characters, e.g. pcs, kg, m, 套")
        return v

    @field_validator("category")
    @classmethod
    def _category(cls, v):
        if v is not None:
            v = v.strip()
            if len(v) > 100:
                raise ValueError("--category is longer than 100 characters")
        return v or None

    @field_validator("description")
    @classmethod
    def _description(cls, v):
        if v is not None and len(v) > 2000:
            raise ValueError("--description is longer than 2000 characters")
        return v


def find(session, ref: str, *, include_inactive: bool = True) -> Product:
    """A product by SKU (first), id, or unambiguous name."""
    text = str(ref).strip()
    live = Product.deleted_at.is_(None)
    hit = session.execute(select(Product).where(Product.sku == sku_key(text), live)).scalar_one_or_none()
    if hit is not None:
        return hit
    if text.lstrip("#").isdigit():
        p = session.get(Product, int(text.lstrip("#")))
        if p is not None and p.deleted_at is None:
            return p
        raise NotFound(f"no product with SKU or id {text}", "see 'crm product list'")
    folded = text.casefold()
    rows = session.execute(select(Product).where(live, func.lower(Product.name) == text.lower())).scalars().all()
    if not rows:
        like = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = session.execute(select(Product).where(live, func.lower(Product.name).like(f"%{like}%", escape="\\"))
                               .limit(11)).scalars().all()
        rows = [p for p in rows if folded in p.name.casefold()] or rows
    if len(rows) == 1:
        return rows[0]
    if rows:
        raise Ambiguous("product", text, [f"{p.sku} {p.name}" for p in rows])
    raise NotFound(f"no product '{text[:80]}'", "use the SKU; see 'crm product list'")


def add(session, data: ProductIn, *, list_price: Money, cost: Money | None = None,
        tax_rate: Decimal = Decimal(0), tax_included: bool = False, custom: dict | None = None) -> Product:
    if not data.sku:
        raise ValidationError("missing --sku", "every product needs a SKU, e.g. --sku HQ-1001")
    if not data.name:
        raise ValidationError("missing --name")
    if cost is not None and cost.currency != list_price.currency:
        raise ValidationError(f"--cost is in {cost.currency} but the list price is in {list_price.currency}")
    _check_sku_free(session, data.sku)
    p = Product(sku=data.sku, name=data.name, unit=data.unit or "pcs", category=data.category,
                description=data.description, list_price=list_price.minor, currency=list_price.currency,
                cost=cost.minor if cost else None, tax_rate=to_millionths(tax_rate), tax_included=tax_included,
                custom=custom or {})
    session.add(p)
    session.flush()  # the unique index on sku settles a race with another process
    return p


def _check_sku_free(session, sku: str, exclude_id: int | None = None) -> None:
    q = select(Product).where(Product.sku == sku)
    if exclude_id is not None:
        q = q.where(Product.id != exclude_id)
    other = session.execute(q).scalar_one_or_none()
    if other is not None:
        where = f" (in the trash: crm trash restore product {other.id})" if other.deleted_at else ""
        raise Duplicate(f"SKU {sku} is already product {other.id} '{other.name}'{where}")


def edit(session, p: Product, data: ProductIn, *, list_price: Money | None = None, cost: Money | None | bool = False,
         tax_rate: Decimal | None = None, tax_included: bool | None = None, custom: dict | None = None) -> None:
    if data.sku and data.sku != p.sku:
        _check_sku_free(session, data.sku, p.id)
        p.sku = data.sku
    for key in ("name", "unit", "description"):
        value = getattr(data, key)
        if value is not None:
            setattr(p, key, value)
    if data.category is not None or "category" in data.model_fields_set:
        p.category = data.category
    if list_price is not None:
        p.list_price, p.currency = list_price.minor, list_price.currency
    if cost is not False:
        if cost is not None and cost.currency != p.currency:
            raise ValidationError(f"--cost is in {cost.currency} but the list price is in {p.currency}")
        p.cost = cost.minor if cost is not None else None
    if tax_rate is not None:
        p.tax_rate = to_millionths(tax_rate)
    if tax_included is not None:
        p.tax_included = tax_included
    if custom is not None:
        p.custom = custom


def margin(p: Product) -> str | None:
    """(list net price - cost) / list net price, in percent with one decimal; None without a cost."""
    if p.cost is None or not p.list_price:
        return None
    net = Decimal(p.list_price)
    if p.tax_included:
        rate = from_millionths(p.tax_rate) or Decimal(0)
        net = net / (1 + rate)
    value = ((net - Decimal(p.cost)) / net * 100).quantize(Decimal("0.1"))
    return f"{value}%"


def record(p: Product) -> dict:
    return {"id": p.id, "sku": p.sku, "name": p.name, "unit": p.unit, "category": p.category,
            "list_price": Money(p.list_price, p.currency), "currency": p.currency,
            "cost": Money(p.cost, p.currency) if p.cost is not None else None, "margin": margin(p),
            "tax_rate": percent_text(from_millionths(p.tax_rate)), "tax_included": p.tax_included,
            "active": p.active, "description": p.description, "custom": dict(p.custom or {}),
            "created_at": p.created_at, "updated_at": p.updated_at}


def list_products(session, *, active: bool | None = True, category: str | None = None, search: str | None = None,
                  where: list[str] | None = None, sort: str = "sku", limit: int | None = None,
                  offset: int = 0) -> list[dict]:
    from crm_cli.services import customfields
    from crm_cli.services.listing import sort_and_page

    q = select(Product).where(Product.deleted_at.is_(None))
    if active is not None:
        q = q.where(Product.active.is_(active))
    if category:
        q = q.where(Product.category == category.strip())
    from crm_cli.services.listing import check_search, contains

    if check_search(search):
        text = search.strip()
        q = q.where(or_(contains(session, Product.name, text), contains(session, Product.sku, text)))
    for clause in customfields.where_clauses(session, Product, where):
        q = q.where(clause)
    q = sort_and_page(q, SORTS, sort, Product.id, limit, offset)
    return [record(p) for p in session.execute(q).scalars()]
