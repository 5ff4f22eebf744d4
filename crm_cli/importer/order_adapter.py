"""Import/export adapter for orders: one row per order line, the order's own columns repeated on
each of its rows (as spreadsheets and other systems write them).

Rows are grouped into orders by `number`. An order whose number is already in the database is a
duplicate: skipped (the default; so re-importing an export changes nothing) or an error with
--on-duplicate error; orders are never updated by an import. Line amounts are computed again by
the money rules (core/docmoney.py) from qty, unit price, discount and tax, so totals always add
up; the document counter moves past imported numbers, so a new order never takes one.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Iterator

from sqlalchemy import func, insert, select

from crm_cli.importer.base import Adapter, RowError
from crm_cli.models.document import Instalment, Order, OrderLine, Payment

_NUMBER_RE = re.compile(r"^SO-(\d{4})-(\d{4,})$")
HEADER = ("customer", "date", "currency", "status", "payment_terms", "confirmed_on", "notes", "paid", "instalments")


class OrderAdapter(Adapter):
    entity = "order"
    model = Order
    fields = {
        "number": ["order number", "order no", "order", "so number", "sales order", "订单号", "订单编号", "单号"],
        "customer": ["customer name", "account name", "company", "客户", "客户名称"],
        "date": ["order date", "ordered on", "日期", "订单日期"],
        "currency": ["currency code", "币种"],
        "status": ["order status", "状态"],
        "payment_terms": ["terms", "payment term", "账期", "付款期限"],
        "confirmed_on": ["confirmed", "confirmation date", "确认日期"],
        "owner": ["salesperson", "sales rep", "负责人", "业务员"],
        "notes": ["note", "remarks", "备注"],
        "paid": ["amount paid", "paid amount", "已付", "已收款"],
        "instalments": ["payment plan", "schedule", "分期"],
        "line": ["line number", "line no", "行号"],
        "kind": ["line kind", "type", "类型"],
        "sku": ["product code", "item code", "产品编码", "货号"],
        "description": ["product", "item", "product name", "名称", "品名", "描述"],
        "qty": ["quantity", "数量"],
        "unit": ["uom", "单位"],
        "unit_price": ["price", "单价"],
        "discount": ["discount %", "折扣"],
        "tax_rate": ["tax", "vat", "税率"],
        "tax_included": ["price includes tax", "含税"],
        "delivered": ["qty delivered", "已发货"],
        "returned": ["qty returned", "已退货"],
    }
    required = ("number",)
    keys = ()
    label = "number"
    export_columns = ["number", "customer", "date", "currency", "status", "payment_terms", "confirmed_on", "owner",
                      "notes", "paid", "instalments", "line", "kind", "sku", "description", "qty", "unit",
                      "unit_price", "discount", "tax_rate", "tax_included", "delivered", "returned"]

    def prepare(self, session, opts) -> None:
        from crm_cli.core.config import default_currency
        from crm_cli.models import User
        from crm_cli.services import identity

        self.currency = default_currency()
        self.users = {h.lower(): i for i, h in session.execute(select(User.id, User.handle))}
        self.default_owner = identity.user_ref(session, opts.defaults.get("owner")).id
        self.customers: dict = {}
        self.products: dict = {}
        self.mine: dict[str, int] = {}    # numbers created by this import -> order id
        self.refused: set[str] = set()    # numbers skipped or rejected as duplicates

    def clean(self, raw: dict) -> dict:
        from crm_cli.core.dates import parse_date
        from crm_cli.core.docmoney import parse_percent, parse_qty
        from crm_cli.core.money import check_currency

        number = raw["number"].strip().upper()
        m = _NUMBER_RE.match(number)
        if not m:
            raise RowError(f"number: '{number[:40]}' is not an order number like SO-2026-0001")
        rec = {"number": number, "year": int(m.group(1)), "seq": int(m.group(2))}
        if "customer" in raw:
            rec["customer_id"] = self._customer(raw["customer"])
        if "date" in raw:
            rec["ordered_on"] = parse_date(raw["date"], option="date")
        if "confirmed_on" in raw:
            rec["confirmed_on"] = parse_date(raw["confirmed_on"], option="confirmed_on")
        if "currency" in raw:
            rec["currency"] = check_currency(raw["currency"])
        status = raw.get("status", "draft").strip().lower()
        if status not in ("draft", "confirmed", "closed", "cancelled"):
            raise RowError(f"status: must be draft, confirmed, closed or cancelled, not '{status[:20]}'")
        rec["status"] = status
        if "payment_terms" in raw:
            try:
                rec["payment_terms"] = int(raw["payment_terms"])
            except ValueError:
                raise RowError(f"payment_terms: '{raw['payment_terms'][:20]}' is not a whole number of days") from None
        if "owner" in raw:
            owner = self.users.get(raw["owner"].strip().lower())
            if owner is None:
                raise RowError(f"owner: no user '{raw['owner'][:40]}'")
            rec["owner_id"] = owner
        for key in ("notes", "paid"):
            if key in raw:
                rec[key] = raw[key]
        if "instalments" in raw:
            from crm_cli.core.money import parse_money

            plan = []
            for part in raw["instalments"].split(";"):
                bits = part.strip().split(":")
                if len(bits) != 2:
                    raise RowError(f"instalments: '{part[:40]}' is not DATE:AMOUNT")
                day = parse_date(bits[0], option="instalments")
                # checked here, kept as text (the order's currency decides its minor units)
                parse_money(bits[1], rec.get("currency") or self.currency, option="instalments")
                plan.append((day, bits[1]))
            rec["instalments"] = plan
        kind = raw.get("kind", "product").strip().lower()
        if kind not in ("product", "text", "fee"):
            raise RowError(f"kind: must be product, text or fee, not '{kind[:20]}'")
        rec["kind"] = kind
        if "sku" in raw:
            rec["sku"] = raw["sku"].strip().upper()
            rec["product_id"] = self._product(rec["sku"])
        if not raw.get("description") and not rec.get("sku"):
            raise RowError("description: a line needs a description or a sku")
        rec["description"] = (raw.get("description") or rec.get("sku") or "")[:300]
        rec["qty"] = parse_qty(raw.get("qty", "1"), "qty")
        rec["unit"] = (raw.get("unit") or "pcs")[:16]
        if "unit_price" not in raw:
            raise RowError("unit_price: missing")
        rec["unit_price_text"] = raw["unit_price"]
        rec["discount"] = parse_percent(raw.get("discount", "0"), "discount")
        rec["tax_rate"] = parse_percent(raw.get("tax_rate", "0"), "tax_rate")
        included = raw.get("tax_included", "false").strip().lower()
        if included not in ("true", "false", "yes", "no", "1", "0"):
            raise RowError(f"tax_included: '{included[:20]}' is not true/false")
        rec["tax_included"] = included in ("true", "yes", "1")
        for key in ("delivered", "returned"):
            value = raw.get(key, "0").strip()
            rec[key] = Decimal(0) if value in ("", "0") else parse_qty(value, key)
        if rec["delivered"] > rec["qty"] or rec["returned"] > rec["delivered"]:
            raise RowError("delivered: more than the quantity, or returned more than delivered")
        return rec

    def _customer(self, text: str) -> int:
        from crm_cli.importer.base import customer_by_name

        return customer_by_name(self.session.connection(), self.customers, text)

    def _product(self, sku: str) -> int | None:
        from crm_cli.models.product import Product

        if sku not in self.products:
            self.products[sku] = self.session.execute(select(Product.id).where(Product.sku == sku)).scalar()
        return self.products[sku]

    # ---- writing: rows grouped into orders (the engine calls this instead of its row-by-row path) ----
    def write_chunk(self, conn, pending: list, names: tuple, summary, reject, base_row: dict) -> None:
        from crm_cli.core import docmoney
        from crm_cli.core.errors import ValidationError
        from crm_cli.core.money import parse_money

        groups: dict[str, list] = {}
        for line, row, rec, _key in pending:
            groups.setdefault(dict(zip(names, rec))["number"], []).append((line, row, dict(zip(names, rec))))
        for number, rows in groups.items():
            if number in self.refused:
                summary.skipped += len(rows)
                continue
            if number not in self.mine:
                exists = conn.execute(select(Order.id).where(Order.number == number)).first()
                if exists:
                    if self.opts.on_duplicate == "error":
                        for line, row, _ in rows:
                            reject(line, row, f"duplicate: order {number} exists")
                    else:
                        summary.skipped += len(rows)
                    self.refused.add(number)
                    continue
                head = rows[0][2]
                missing = [k for k in ("customer_id", "currency") if head.get(k) is None]
                if missing:
                    for line, row, _ in rows:
                        reject(line, row, f"{missing[0].removesuffix('_id')}: missing on the order's first row")
                    self.refused.add(number)
                    continue
                self.mine[number] = self._insert_order(conn, head, base_row)
                summary.created += 1
                self._bump_counter(conn, head["year"], head["seq"])
            order_id = self.mine[number]
            currency = conn.execute(select(Order.currency).where(Order.id == order_id)).scalar()
            position = conn.execute(select(func.count()).where(OrderLine.order_id == order_id)).scalar_one()
            lines = []
            for line, row, rec in rows:
                try:
                    price = parse_money(rec["unit_price_text"], currency, option="unit_price").minor
                    a = docmoney.line_amounts(rec["qty"], price, rec["discount"], rec["tax_rate"], rec["tax_included"])
                except ValidationError as exc:  # a bad amount rejects the row, as any other bad value
                    reject(line, row, str(exc))
                    continue
                position += 1
                qty6, ret6 = int(rec["qty"] * 1_000_000), int(rec["returned"] * 1_000_000)
                returned_amount = docmoney.round_half_up(Decimal(a.total) * ret6 / qty6) if ret6 else 0
                lines.append({"order_id": order_id, "position": position, "kind": rec["kind"],
                              "product_id": rec.get("product_id"), "sku": rec.get("sku"),
                              "description": rec["description"], "qty": qty6, "unit": rec["unit"],
                              "unit_price": price, "list_price": None, "list_included": False,
                              "discount": int(rec["discount"] * 1_000_000),
                              "tax_rate": int(rec["tax_rate"] * 1_000_000),
                              "tax_included": rec["tax_included"], "rule_id": None, "price_source": "manual",
                              "approved_by": None, "list_amount": a.list, "discount_amount": a.discount, "net": a.net,
                              "tax": a.tax, "total": a.total, "delivered": int(rec["delivered"] * 1_000_000),
                              "returned": ret6, "returned_amount": returned_amount})
            if lines:
                conn.execute(insert(OrderLine.__table__), lines)
            self._settle(conn, order_id, rows[0][2])

    def _insert_order(self, conn, head: dict, base_row: dict) -> int:
        values = {k: v for k, v in base_row.items() if k in Order.__table__.c}
        values.update(number=head["number"], customer_id=head["customer_id"], currency=head["currency"],
                      status=head["status"], ordered_on=head.get("ordered_on") or values["created_at"].date(),
                      confirmed_on=head.get("confirmed_on"), payment_terms=head.get("payment_terms"),
                      notes=head.get("notes"), owner_id=head.get("owner_id") or self.default_owner,
                      delivery_status="none", subtotal=0, discount=0, tax=0, total=0, returned=0, paid=0)
        if values["status"] in ("confirmed", "closed") and values["confirmed_on"] is None:
            values["confirmed_on"] = values["ordered_on"]
        return conn.execute(insert(Order.__table__).values(**values)).inserted_primary_key[0]

    def _settle(self, conn, order_id: int, head: dict) -> None:
        """Totals, delivery status, returned value, the instalments and the paid amount of an order."""
        from datetime import timedelta

        from crm_cli.core.money import parse_money

        t = OrderLine.__table__
        sums = conn.execute(select(func.sum(t.c.list_amount), func.sum(t.c.discount_amount), func.sum(t.c.tax),
                                   func.sum(t.c.total), func.sum(t.c.returned_amount))
                            .where(t.c.order_id == order_id)).one()
        subtotal, discount, tax, total, returned = (int(v or 0) for v in sums)
        goods = conn.execute(select(t.c.qty, t.c.delivered).where(t.c.order_id == order_id, t.c.kind != "fee")).all()
        status = ("full" if goods and all(d >= q for q, d in goods) else
                  "partial" if any(d > 0 for _, d in goods) else "none")
        o = Order.__table__
        order = conn.execute(select(o.c.currency, o.c.status, o.c.confirmed_on, o.c.payment_terms)
                             .where(o.c.id == order_id)).one()
        paid = parse_money(head["paid"], order.currency, option="paid").minor if head.get("paid") else 0
        conn.execute(o.update().where(o.c.id == order_id).values(
            subtotal=subtotal, discount=discount, tax=tax, total=total, returned=returned, paid=paid,
            delivery_status=status))
        i = Instalment.__table__
        conn.execute(i.delete().where(i.c.order_id == order_id))
        if order.status not in ("confirmed", "closed"):
            return
        plan = []
        if head.get("instalments"):
            for n, (day, amount) in enumerate(head["instalments"], start=1):
                plan.append({"order_id": order_id, "seq": n, "due_on": day,
                             "amount": parse_money(amount, order.currency, option="instalments").minor, "paid": 0})
        else:
            plan.append({"order_id": order_id, "seq": 1, "paid": 0, "amount": total - returned,
                         "due_on": order.confirmed_on + timedelta(days=order.payment_terms or 0)})
        left = paid
        for p in plan:
            p["paid"] = min(p["amount"], left)
            left -= p["paid"]
        conn.execute(insert(i), plan)
        if paid:
            from crm_cli.core import context

            conn.execute(insert(Payment.__table__), [{"order_id": order_id, "amount": paid,
                                                     "paid_on": order.confirmed_on, "method": "import",
                                                     "reference": None, "at": context.now(),
                                                     "user": context.current_handle()}])

    def _bump_counter(self, conn, year: int, seq: int) -> None:
        from sqlalchemy import text

        conn.execute(text("INSERT INTO document_counters (prefix, year, last) VALUES ('SO', :y, :n) "
                          "ON CONFLICT (prefix, year) DO UPDATE SET last = CASE WHEN document_counters.last < :n "
                          "THEN :n ELSE document_counters.last END"), {"y": year, "n": seq})

    # ---- export ------------------------------------------------------------------------------------
    def export_rows(self, session, filters: dict) -> Iterator[dict]:
        from crm_cli.core.docmoney import percent_text
        from crm_cli.core.money import Money
        from crm_cli.models import Customer, User
        from crm_cli.services.documents import d6, qty_text

        self.check_filters(filters, ("status", "customer", "owner"))
        q = (select(Order, Customer.name, User.handle).join(Customer, Customer.id == Order.customer_id)
             .outerjoin(User, User.id == Order.owner_id).where(Order.deleted_at.is_(None)).order_by(Order.id))
        if filters.get("status"):
            q = q.where(Order.status == filters["status"])
        if filters.get("customer"):
            from crm_cli.services import resolve

            q = q.where(Order.customer_id == resolve.get(session, Customer, filters["customer"]).id)
        if filters.get("owner"):
            from crm_cli.services import identity

            owner_id = identity.owner_filter(session, filters["owner"])
            if owner_id is not None:
                q = q.where(Order.owner_id == owner_id)
        for o, cname, handle in session.execute(q.execution_options(yield_per=500)).all():
            plan = session.execute(select(Instalment.due_on, Instalment.amount).where(Instalment.order_id == o.id)
                                   .order_by(Instalment.seq)).all()
            head = {"number": o.number, "customer": cname, "date": o.ordered_on, "currency": o.currency,
                    "status": o.status, "payment_terms": o.payment_terms, "confirmed_on": o.confirmed_on,
                    "owner": handle, "notes": o.notes, "paid": Money(o.paid, o.currency).plain() if o.paid else None,
                    "instalments": ";".join(f"{d.isoformat()}:{Money(a, o.currency).plain()}" for d, a in plan)
                    or None}
            for x in session.execute(select(OrderLine).where(OrderLine.order_id == o.id)
                                     .order_by(OrderLine.position)).scalars():
                yield {**head, "line": x.position, "kind": x.kind, "sku": x.sku, "description": x.description,
                       "qty": qty_text(x.qty), "unit": x.unit, "unit_price": Money(x.unit_price, o.currency).plain(),
                       "discount": percent_text(d6(x.discount)), "tax_rate": percent_text(d6(x.tax_rate)),
                       "tax_included": x.tax_included, "delivered": qty_text(x.delivered),
                       "returned": qty_text(x.returned)}
