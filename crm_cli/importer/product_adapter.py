"""Import/export adapter for products (see the package docstring for the protocol).

The SKU is the product's key: a row whose SKU is already a product is a duplicate (skipped, or an
update with --on-duplicate update), so re-importing a catalogue is idempotent.
"""

from __future__ import annotations

from typing import Iterator

from sqlalchemy import select

from crm_cli.importer.base import Adapter, RowError
from crm_cli.models.product import Product

_TRUE = {"true", "yes", "y", "1", "是", "含税"}
_FALSE = {"false", "no", "n", "0", "否", "不含税", ""}


class ProductAdapter(Adapter):
    entity = "product"
    model = Product
    fields = {
        "sku": ["product code", "item code", "code", "item number", "part number", "internal reference",
                "default code", "编码", "产品编码", "物料编码", "货号", "型号编码"],
        "name": ["product name", "product", "item", "item name", "description short", "产品", "产品名称", "名称",
                 "品名"],
        "unit": ["uom", "unit of measure", "unit of sale", "单位", "计量单位"],
        "category": ["product category", "product family", "family", "group", "类别", "产品类别", "分类"],
        "list_price": ["price", "unit price", "sales price", "list", "售价", "单价", "价格", "标准价"],
        "currency": ["currency code", "币种", "货币"],
        "cost": ["cost price", "standard price", "unit cost", "成本", "成本价"],
        "tax_rate": ["tax", "tax rate", "vat", "vat rate", "税率"],
        "tax_included": ["price includes tax", "tax included", "含税"],
        "active": ["is active", "active status", "启用", "状态"],
        "description": ["notes", "details", "描述", "说明", "备注"],
        "external_id": ["external id", "externalid", "product id", "xml id", "外部编号"],
    }
    required = ("sku", "name", "list_price")
    keys = ("sku",)
    label = "name"
    export_columns = ["id", "sku", "name", "unit", "category", "list_price", "currency", "cost", "tax_rate",
                      "tax_included", "active", "external_id", "description"]

    def prepare(self, session, opts) -> None:
        from pydantic import ValidationError as PydanticError

        from crm_cli.services import products

        from crm_cli.core.config import default_currency

        self.In, self.PydanticError = products.ProductIn, PydanticError
        self.currency = default_currency()

    def clean(self, raw: dict) -> dict:
        from crm_cli.core.docmoney import parse_percent
        from crm_cli.core.money import parse_money
        from crm_cli.services.products import to_millionths

        raw.pop("external_id", None)
        price = raw.pop("list_price", None)
        currency = raw.pop("currency", None)
        cost = raw.pop("cost", None)
        rate = raw.pop("tax_rate", None)
        included = raw.pop("tax_included", None)
        active = raw.pop("active", None)
        try:
            data = self.In.model_validate(raw)
        except self.PydanticError as exc:
            err = exc.errors()[0]
            raise RowError(str(err.get("msg", "invalid value")).removeprefix("Value error, ")) from None
        rec = {k: v for k, v in data.model_dump().items() if v is not None}
        if price is not None:
            m = parse_money(price, currency, option="list_price", default=self.currency)
            rec["list_price"], rec["currency"] = m.minor, m.currency
            if cost is not None:
                rec["cost"] = parse_money(cost, m.currency, option="cost").minor
        if rate is not None:
            rec["tax_rate"] = to_millionths(parse_percent(rate, "tax_rate"))
        if included is not None:
            rec["tax_included"] = self._bool(included, "tax_included")
        if active is not None:
            rec["active"] = self._bool(active, "active")
        return rec

    @staticmethod
    def _bool(text: str, column: str) -> bool:
        t = text.strip().lower()
        if t in _TRUE or t == "active":
            return True
        if t in _FALSE or t == "inactive":
            return False
        raise RowError(f"{column}: '{text[:80]}' is not yes/no")

    def insert_defaults(self) -> dict:
        return {"unit": "pcs", "tax_rate": 0, "tax_included": False, "active": True}

    def export_rows(self, session, filters: dict) -> Iterator[dict]:
        from crm_cli.core.docmoney import percent_text
        from crm_cli.core.money import Money
        from crm_cli.services.products import from_millionths

        self.check_filters(filters, ("category", "search", "where"))
        q = select(Product).where(Product.deleted_at.is_(None)).order_by(Product.id)
        if filters.get("category"):
            q = q.where(Product.category == filters["category"])
        if filters.get("search") or filters.get("where"):
            from crm_cli.services import products

            ids = [r["id"] for r in products.list_products(session, active=None, search=filters.get("search"),
                                                           where=filters.get("where"), sort="id")]
            q = q.where(Product.id.in_(ids))
        for p in session.execute(q.execution_options(yield_per=2000)).scalars():
            yield {"id": p.id, "sku": p.sku, "name": p.name, "unit": p.unit, "category": p.category,
                   "list_price": Money(p.list_price, p.currency).plain(), "currency": p.currency,
                   "cost": Money(p.cost, p.currency).plain() if p.cost is not None else None,
                   "tax_rate": percent_text(from_millionths(p.tax_rate)), "tax_included": p.tax_included,
                   "active": p.active, "external_id": p.external_id, "description": p.description,
                   "custom": dict(p.custom or {})}
