"""Import/export adapters for customers and contacts (see the package docstring for the protocol).

An export imports back without loss: a customer's tags (`;`-separated), the currency of its credit
limit and its parent (by name), a contact's manager (`reports_to`, by name at the same customer).
Tags and references are set once every row is in (link()), so a parent may come later in the file.
"""

from __future__ import annotations

from typing import Iterator

from sqlalchemy import func, select

from crm_cli.importer.base import Adapter, RowError
from crm_cli.models import Contact, Customer
from crm_cli.core import normalize


def _pydantic_reason(exc) -> str:
    err = exc.errors()[0]
    return str(err.get("msg", "invalid value")).removeprefix("Value error, ")


def _written(conn, t, opts, ext, same):
    """The existing record an import row updated: the one with its external id, or with
    --on-duplicate update the one record `same` (its duplicate key) finds. None: it was skipped."""
    if ext:
        row = conn.execute(select(t.c.id).where(t.c.external_id == ext, t.c.deleted_at.is_(None))).first()
        return row[0] if row else None
    if opts.on_duplicate == "update":
        rows = conn.execute(select(t.c.id).where(same, t.c.deleted_at.is_(None)).limit(2)).all()
        return rows[0][0] if len(rows) == 1 else None
    return None


def _row_error(exc) -> RowError:
    """A pydantic error as a reject reason about its field."""
    loc = exc.errors()[0].get("loc") or (None,)
    return RowError(_pydantic_reason(exc), str(loc[0]) if loc[0] is not None else None)


def _parsed(parse, text: str, field: str, **kw):
    """A shared parser's value; its ValidationError rejects the row, about `field`."""
    from crm_cli.core.errors import ValidationError

    try:
        return parse(text, **kw)
    except ValidationError as exc:
        raise RowError(str(exc), field) from None


class CustomerAdapter(Adapter):
    entity = "customer"
    model = Customer
    fields = {
        "name": ["account name", "company", "company name", "organization", "organisation", "customer name",
                 "customer", "account", "business name", "partner name", "客户", "客户名称", "公司", "公司名称",
                 "单位", "单位名称", "企业名称"],
        "status": ["account status", "customer status", "状态", "客户状态"],
        "tier": ["customer tier", "account tier", "等级", "客户等级", "级别"],
        "industry": ["sector", "industry type", "行业", "所属行业"],
        "region": ["city", "billing city", "shipping city", "state", "billing state", "province", "office location",
                   "territory", "地区", "城市", "区域", "省份"],
        "phone": ["phone number", "telephone", "tel", "main phone", "business phone", "office phone", "电话",
                  "联系电话", "座机"],
        "email": ["email address", "e-mail", "mail", "邮箱", "电子邮箱"],
        "website": ["web site", "url", "homepage", "domain", "网站", "网址", "官网"],
        "address": ["street", "billing street", "billingstreet", "shipping street", "street address",
                    "address line 1", "地址", "详细地址", "公司地址"],
        "notes": ["description", "note", "comments", "remarks", "备注", "说明", "描述"],
        "owner": ["account owner", "owner", "assigned to", "salesperson", "负责人", "所有人", "销售"],
        "payment_terms": ["payment term", "terms", "付款期限", "账期"],
        "credit_limit": ["credit", "信用额度"],
        "currency": ["currency code", "币种", "货币"],
        "parent": ["parent account", "parent company", "parent customer", "parent name", "上级客户", "母公司"],
        "tags": ["tag", "labels", "标签"],
        "external_id": ["external id", "externalid", "account id", "customer id", "xml id", "外部编号", "客户编号"],
    }
    required = ("name",)
    keys = ("name_key", "email_key", "phone_key")
    label = "name"
    export_columns = ["id", "name", "status", "tier", "industry", "region", "phone", "email", "website",
                      "address", "parent", "owner", "tags", "payment_terms", "credit_limit", "currency",
                      "external_id", "notes"]

    def prepare(self, session, opts) -> None:
        from pydantic import ValidationError as PydanticError

        from crm_cli.models import User
        from crm_cli.services import customers, identity

        self.default_owner = identity.user_ref(session, opts.defaults.get("owner")).id  # registers you first
        self.users = {h.lower(): i for i, h in session.execute(select(User.id, User.handle))}
        self.In, self.PydanticError = customers.CustomerIn, PydanticError
        self.later: list[tuple] = []  # (name_key, external id, name, tags, parent text) for link()
        self.currency = None  # the configured currency, read on the first credit limit
        self.default_status = opts.defaults.get("status")
        if self.default_status:
            from crm_cli.core.errors import ValidationError

            try:
                self.default_status = self.In.model_validate({"status": self.default_status.lower()}).status
            except PydanticError as exc:
                raise ValidationError(f"--status: {_pydantic_reason(exc)}") from None

    def clean(self, raw: dict) -> dict:
        from crm_cli.core.errors import ValidationError
        from crm_cli.core.money import check_currency, parse_money
        from crm_cli.services.customers import normalise_tag

        owner = raw.pop("owner", None)
        limit = raw.pop("credit_limit", None)
        currency = raw.pop("currency", None)
        parent = raw.pop("parent", None)
        tags = [normalise_tag(tag) for tag in raw.pop("tags", "").split(";") if tag.strip()]
        ext = raw.pop("external_id", None)
        if "status" in raw:
            raw["status"] = raw["status"].lower()
        try:
            data = self.In.model_validate(raw)
        except self.PydanticError as exc:
            raise _row_error(exc) from None
        rec = data.model_dump()

        if limit:
            if self.currency is None:
                from crm_cli.core.config import default_currency

                self.currency = default_currency()
            m = _parsed(parse_money, limit, "credit_limit", currency=currency, default=self.currency,
                        option="credit_limit")
            rec["credit_limit"], rec["currency"] = m.minor, m.currency
        elif currency:
            try:
                rec["currency"] = check_currency(currency)
            except ValidationError as exc:
                raise RowError(f"currency: {exc}") from None
        rec["owner_id"] = self._owner(owner)
        rec["name_key"] = normalize.name_key(rec["name"])
        if tags or parent:
            self.later.append((rec["name_key"], ext, rec["name"], tags, parent))
        rec["email_key"] = normalize.email_key(rec["email"])
        rec["phone_key"] = normalize.phone_key(rec["phone"])
        return rec

    def insert_defaults(self) -> dict:
        return {"status": (self.default_status or "prospect").lower(), "owner_id": self.default_owner}

    def link(self, conn, batch_id: int) -> None:
        """Tags and parents, now that every row is in (through the service: history, cycle check)."""
        from crm_cli.core.errors import ValidationError
        from crm_cli.importer.base import customer_by_name
        from crm_cli.services import customers

        if not self.later:
            return
        t = Customer.__table__
        created: dict = {}
        for ident, key in conn.execute(select(t.c.id, t.c.name_key).where(t.c.import_batch_id == batch_id)
                                       .order_by(t.c.id)):
            created.setdefault(key, ident)
        names: dict = {}
        for key, ext, name, tags, parent in self.later:
            ident = created.get(key) or _written(conn, t, self.opts, ext, t.c.name_key == key)
            if ident is None:  # a duplicate the import skipped
                continue
            c = self.session.get(Customer, ident)
            if parent:
                try:
                    pid = int(parent) if parent.isdigit() else customer_by_name(conn, names, parent)
                except RowError as exc:
                    raise ValidationError(f"customer '{name}': parent: {exc}", "or empty its parent column") \
                        from None
                p = self.session.get(Customer, pid)
                if p is None or p.deleted_at is not None:
                    raise ValidationError(f"customer '{name}': parent: no customer with id {parent}",
                                          "or empty its parent column")
                customers.set_parent(self.session, c, p)
            for tag in tags:
                customers.add_tag(self.session, c, tag)
        self.session.flush()

    def _owner(self, owner):
        if not owner:
            return None  # new records: insert_defaults()
        hit = self.users.get(owner.lower())
        if hit is None:
            raise RowError(f"no user '{owner}'", "owner")
        return hit

    def export_query(self, session, filters: dict):
        """The export as a Core select of the columns it writes, by id."""
        from sqlalchemy.orm import aliased

        from crm_cli.models import User

        self.check_filters(filters, ("owner", "status", "tier", "industry", "region", "tag", "search", "where"))
        parent = aliased(Customer)
        table = Customer.__table__.c
        cols = [table[k] for k in self.export_columns if k in table] + [
            table.credit_limit, table.currency, table.custom, parent.name.label("parent"), User.handle.label("owner")]
        q = select(*cols).outerjoin(User, User.id == Customer.owner_id) \
            .outerjoin(parent, parent.id == Customer.parent_id) \
            .where(Customer.deleted_at.is_(None)).order_by(Customer.id)
        if filters:
            from crm_cli.services import customers, identity

            f = dict(filters)
            f["owner_id"] = identity.owner_filter(session, f.pop("owner", None))
            q = q.where(Customer.id.in_(customers.query(session, **f).with_only_columns(Customer.id)))
        return q

    def export_rows(self, session, filters: dict) -> Iterator[dict]:
        from crm_cli.core.money import Money
        from crm_cli.models import CustomerTag
        from crm_cli.services.listing import stream_chunks

        plain = [k for k in self.export_columns if k not in ("owner", "credit_limit", "parent", "tags")]
        for chunk in stream_chunks(session, self.export_query(session, filters)):
            tags: dict[int, list[str]] = {}
            for cid, tag in session.execute(select(CustomerTag.customer_id, CustomerTag.tag)
                                            .where(CustomerTag.customer_id.in_([r.id for r in chunk]))
                                            .order_by(CustomerTag.customer_id, CustomerTag.tag)):
                tags.setdefault(cid, []).append(tag)
            for c in chunk:
                rec = {k: getattr(c, k) for k in plain}
                rec["parent"] = c.parent
                rec["owner"] = c.owner
                rec["tags"] = ";".join(tags.get(c.id, [])) or None
                rec["credit_limit"] = Money(c.credit_limit, c.currency).plain() if c.credit_limit is not None else None
                rec["custom"] = dict(c.custom or {})
                yield rec


class ContactAdapter(Adapter):
    entity = "contact"
    model = Contact
    fields = {
        "name": ["full name", "contact name", "contact", "person", "姓名", "联系人", "联系人姓名", "名字"],
        "customer": ["company", "company name", "account name", "account", "organization", "organisation",
                     "customer name", "related company", "employer", "公司", "公司名称", "单位", "客户",
                     "客户名称", "所属客户"],
        "title": ["job title", "job position", "position", "function", "职位", "职务"],
        "phone": ["phone number", "business phone", "work phone", "office phone", "telephone", "tel",
                  "telephonenumber", "电话", "座机", "办公电话"],
        "mobile": ["mobile phone", "mobile number", "cell", "cell phone", "手机", "手机号", "手机号码"],
        "email": ["email address", "e-mail", "emailaddress", "mail", "邮箱", "电子邮箱", "电子邮件"],
        "birthday": ["birthdate", "date of birth", "dob", "生日", "出生日期"],
        "decision_role": ["role", "decision role", "buying role", "角色"],
        "reports_to": ["reports to", "manager", "boss", "上级", "汇报对象"],
        "notes": ["description", "note", "comments", "remarks", "备注", "说明"],
        "external_id": ["external id", "externalid", "contact id", "xml id", "外部编号"],
    }
    combine = {"name": ("first_name", "middle_name", "last_name")}
    required = ("name",)
    keys = ("email_key", "phone_key")
    label = "name"
    export_columns = ["id", "name", "customer", "title", "phone", "mobile", "email", "birthday",
                      "decision_role", "reports_to", "external_id", "notes"]

    def prepare(self, session, opts) -> None:
        from pydantic import ValidationError as PydanticError

        from crm_cli.services import contacts

        self.customers: dict[str, int | None] = {}
        self.later: list[tuple] = []  # (customer id, name, email key, external id, manager) for link()
        self.In, self.PydanticError = contacts.ContactIn, PydanticError

    def _customer(self, text: str) -> int:
        from crm_cli.importer.base import customer_by_name

        try:
            return customer_by_name(self.session.connection(), self.customers, text)
        except RowError as exc:
            raise RowError(str(exc), "customer") from None

    def clean(self, raw: dict) -> dict:
        from crm_cli.core.dates import parse_date

        cust = raw.pop("customer", None)
        boss = raw.pop("reports_to", None)
        ext = raw.pop("external_id", None)
        if not cust:
            raise RowError("no customer (company) for the contact")
        if "birthday" in raw:
            raw["birthday"] = _parsed(parse_date, raw["birthday"], "birthday", option="birthday")
        try:
            data = self.In.model_validate(raw)
        except self.PydanticError as exc:
            raise _row_error(exc) from None
        rec = data.model_dump()
        rec["customer_id"] = self._customer(cust)
        rec["email_key"] = normalize.email_key(rec["email"])
        rec["phone_key"] = normalize.phone_key(rec["mobile"] or rec["phone"])
        if boss:
            self.later.append((rec["customer_id"], rec["name"], rec["email_key"], rec["phone_key"], ext, boss))
        return rec

    def link(self, conn, batch_id: int) -> None:
        """Managers (reports_to: a contact's name at the same customer), now that every row is in."""
        from crm_cli.core.errors import ValidationError
        from crm_cli.services import contacts

        if not self.later:
            return
        t = Contact.__table__
        created: dict = {}
        for ident, cid, name in conn.execute(select(t.c.id, t.c.customer_id, t.c.name)
                                             .where(t.c.import_batch_id == batch_id).order_by(t.c.id)):
            created.setdefault((cid, name), ident)
        for cid, name, email_key, phone_key, ext, boss in self.later:
            same = (t.c.email_key == email_key) if email_key else (t.c.phone_key == phone_key)
            ident = created.get((cid, name)) or (_written(conn, t, self.opts, ext, same)
                                                 if ext or email_key or phone_key else None)
            if ident is None:  # a duplicate the import skipped
                continue
            found = conn.execute(select(t.c.id).where(t.c.customer_id == cid, t.c.deleted_at.is_(None),
                                                      func.lower(t.c.name) == boss.lower()).limit(2)).all()
            if len(found) != 1:
                raise ValidationError(f"contact '{name}': reports_to: {'no' if not found else 'more than one'} "
                                      f"contact '{boss}' at the same customer",
                                      "import the manager too (in any order), or empty the reports_to column")
            c = self.session.get(Contact, ident)
            contacts.set_reports_to(self.session, c, self.session.get(Contact, found[0][0]))
        self.session.flush()

    def export_query(self, session, filters: dict):
        """The export as a Core select of the columns it writes, by id."""
        from sqlalchemy.orm import aliased

        self.check_filters(filters, ("customer", "search", "where"))
        boss = aliased(Contact)
        table = Contact.__table__.c
        cols = [table[k] for k in self.export_columns if k in table] + [
            table.custom, Customer.name.label("customer"), boss.name.label("reports_to")]
        q = select(*cols).join(Customer, Customer.id == Contact.customer_id) \
            .outerjoin(boss, boss.id == Contact.reports_to_id) \
            .where(Contact.deleted_at.is_(None)).order_by(Contact.id)
        if filters:
            from crm_cli.services import contacts, resolve

            cid = resolve.get(session, Customer, filters["customer"]).id if filters.get("customer") else None
            chosen = contacts.query(session, customer_id=cid, search=filters.get("search"),
                                    where=filters.get("where")).with_only_columns(Contact.id)
            q = q.where(Contact.id.in_(chosen))
        return q

    def export_rows(self, session, filters: dict) -> Iterator[dict]:
        from crm_cli.services.listing import stream_chunks

        plain = [k for k in self.export_columns if k not in ("customer", "reports_to")]
        for chunk in stream_chunks(session, self.export_query(session, filters)):
            for c in chunk:
                rec = {k: getattr(c, k) for k in plain}
                rec["customer"] = c.customer
                rec["reports_to"] = c.reports_to
                rec["custom"] = dict(c.custom or {})
                yield rec
