"""Import/export adapters for customers and contacts (see the package docstring for the protocol)."""

from __future__ import annotations

from typing import Iterator

from sqlalchemy import select

from crm_cli.importer.base import Adapter, RowError
from crm_cli.models import Contact, Customer
from crm_cli.core import normalize


def _pydantic_reason(exc) -> str:
    err = exc.errors()[0]
    return str(err.get("msg", "invalid value")).removeprefix("Value error, ")


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
        "external_id": ["external id", "externalid", "account id", "customer id", "xml id", "外部编号", "客户编号"],
    }
    required = ("name",)
    keys = ("name_key", "email_key", "phone_key")
    label = "name"
    export_columns = ["id", "name", "status", "tier", "industry", "region", "phone", "email", "website",
                      "address", "owner", "payment_terms", "credit_limit", "external_id", "notes"]

    def prepare(self, session, opts) -> None:
        from pydantic import ValidationError as PydanticError

        from crm_cli.models import User
        from crm_cli.services import customers, identity

        self.users = {h.lower(): i for i, h in session.execute(select(User.id, User.handle))}
        self.default_owner = identity.user_ref(session, opts.defaults.get("owner")).id
        self.In, self.PydanticError = customers.CustomerIn, PydanticError
        self.currency = None  # the configured currency, read on the first credit limit
        self.default_status = opts.defaults.get("status")
        if self.default_status:
            from crm_cli.core.errors import ValidationError

            try:
                self.default_status = self.In.model_validate({"status": self.default_status.lower()}).status
            except PydanticError as exc:
                raise ValidationError(f"--status: {_pydantic_reason(exc)}") from None

    def clean(self, raw: dict) -> dict:
        from crm_cli.core.money import parse_money

        owner = raw.pop("owner", None)
        limit = raw.pop("credit_limit", None)
        raw.pop("external_id", None)
        if "status" in raw:
            raw["status"] = raw["status"].lower()
        try:
            data = self.In.model_validate(raw)
        except self.PydanticError as exc:
            raise RowError(_pydantic_reason(exc)) from None
        rec = data.model_dump()

        if limit:
            if self.currency is None:
                from crm_cli.core.config import default_currency

                self.currency = default_currency()
            m = parse_money(limit, default=self.currency, option="credit_limit")
            rec["credit_limit"], rec["currency"] = m.minor, m.currency
        rec["owner_id"] = self._owner(owner)
        rec["name_key"] = normalize.name_key(rec["name"])
        rec["email_key"] = normalize.email_key(rec["email"])
        rec["phone_key"] = normalize.phone_key(rec["phone"])
        return rec

    def insert_defaults(self) -> dict:
        return {"status": (self.default_status or "prospect").lower(), "owner_id": self.default_owner}

    def _owner(self, owner):
        if not owner:
            return None  # new records: insert_defaults()
        hit = self.users.get(owner.lower())
        if hit is None:
            raise RowError(f"no user '{owner}'")
        return hit

    def export_rows(self, session, filters: dict) -> Iterator[dict]:
        from crm_cli.core.money import Money
        from crm_cli.models import User

        q = select(Customer, User.handle).outerjoin(User, User.id == Customer.owner_id) \
            .where(Customer.deleted_at.is_(None)).order_by(Customer.id)
        self.check_filters(filters, ("owner", "status", "tier", "industry", "region", "tag", "search", "where"))
        ids = None
        if filters:
            from crm_cli.services import customers, identity

            f = dict(filters)
            f["owner_id"] = identity.owner_filter(session, f.pop("owner", None))
            ids = [r["id"] for r in customers.list_customers(session, sort="id", **f)]
        if ids is not None:
            q = q.where(Customer.id.in_(ids))
        for c, handle in session.execute(q.execution_options(yield_per=2000)):
            rec = {k: getattr(c, k) for k in self.export_columns if k not in ("owner", "credit_limit")}
            rec["owner"] = handle
            rec["credit_limit"] = Money(c.credit_limit, c.currency) if c.credit_limit is not None else None
            if rec["credit_limit"] is not None:
                rec["credit_limit"] = f"{c.currency} {rec['credit_limit'].plain()}"
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
        "notes": ["description", "note", "comments", "remarks", "备注", "说明"],
        "external_id": ["external id", "externalid", "contact id", "xml id", "外部编号"],
    }
    combine = {"name": ("first_name", "middle_name", "last_name")}
    required = ("name",)
    keys = ("email_key", "phone_key")
    label = "name"
    export_columns = ["id", "name", "customer", "title", "phone", "mobile", "email", "birthday",
                      "decision_role", "external_id", "notes"]

    def prepare(self, session, opts) -> None:
        from pydantic import ValidationError as PydanticError

        from crm_cli.services import contacts

        self.customers: dict[str, int | None] = {}
        self.In, self.PydanticError = contacts.ContactIn, PydanticError

    def _customer(self, text: str) -> int:
        from crm_cli.importer.base import customer_by_name

        return customer_by_name(self.session.connection(), self.customers, text)

    def clean(self, raw: dict) -> dict:
        from crm_cli.core.dates import parse_date

        cust = raw.pop("customer", None)
        raw.pop("external_id", None)
        if not cust:
            raise RowError("no customer (company) for the contact")
        if "birthday" in raw:
            raw["birthday"] = parse_date(raw["birthday"], option="birthday")
        try:
            data = self.In.model_validate(raw)
        except self.PydanticError as exc:
            raise RowError(_pydantic_reason(exc)) from None
        rec = data.model_dump()
        rec["customer_id"] = self._customer(cust)
        rec["email_key"] = normalize.email_key(rec["email"])
        rec["phone_key"] = normalize.phone_key(rec["mobile"] or rec["phone"])
        return rec

    def export_rows(self, session, filters: dict) -> Iterator[dict]:
        q = select(Contact, Customer.name).join(Customer, Customer.id == Contact.customer_id) \
            .where(Contact.deleted_at.is_(None)).order_by(Contact.id)
        self.check_filters(filters, ("customer", "search", "where"))
        if filters:
            from crm_cli.services import contacts, resolve

            cid = resolve.get(session, Customer, filters["customer"]).id if filters.get("customer") else None
            ids = [r["id"] for r in contacts.list_contacts(session, cid, filters.get("search"), None,
                                                           filters.get("where"))]
            q = q.where(Contact.id.in_(ids))
        for c, cname in session.execute(q.execution_options(yield_per=2000)):
            rec = {k: getattr(c, k) for k in self.export_columns if k != "customer"}
            rec["customer"] = cname
            rec["custom"] = dict(c.custom or {})
            yield rec
