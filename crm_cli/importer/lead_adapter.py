"""Import/export adapter for leads (see the package docstring for the protocol)."""

from __future__ import annotations

from functools import partial
from typing import Iterator

from sqlalchemy import select

from crm_cli.importer.base import Adapter, Cleaned, RowError
from crm_cli.models.lead import Lead
from crm_cli.core import normalize
from crm_cli.core.validation import checked_phone_key

LEAD_FIELDS = {
    "name": ["full name", "contact name", "contact", "lead name", "person", "联系人", "姓名", "客户姓名",
             "联系人姓名", "名字", "name"],
    "company": ["company name", "account name", "organization", "organisation", "partner name", "business name",
                "employer", "公司", "单位", "公司名称", "单位名称", "企业名称", "企业", "客户名称", "工作单位"],
    "title": ["job title", "job position", "position", "function", "role", "designation", "职位", "职务",
              "头衔", "岗位"],
    "email": ["email address", "e-mail", "e-mail address", "email from", "primary email", "mail",
              "work email", "business email", "emailaddress", "邮箱", "电子邮箱", "电子邮件", "邮件", "email"],
    "phone": ["phone number", "business phone", "work phone", "office phone", "telephone", "tel",
              "telephone number", "telephonenumber", "primary phone", "电话", "座机", "办公电话", "联系电话",
              "固定电话"],
    "mobile": ["mobile phone", "mobile number", "cell", "cell phone", "cellphone", "mobile phone number", "手机",
               "手机号", "手机号码", "移动电话"],
    "source": ["lead source", "source", "origin", "channel", "来源", "线索来源", "客户来源", "渠道"],
    "campaign": ["campaign name", "utm campaign", "市场活动", "活动", "营销活动"],
    "city": ["mailing city", "billing city", "town", "城市", "所在城市"],
    "region": ["state", "province", "state province", "state/province", "mailing state", "billing state",
               "area", "territory", "地区", "省份", "省", "区域", "所在地区"],
    "industry": ["industry type", "sector", "行业", "所属行业"],
    "notes": ["description", "note", "comments", "comment", "remarks", "memo", "internal notes", "备注",
              "说明", "描述", "附注"],
    "owner": ["lead owner", "owner", "assigned to", "salesperson", "sales rep", "user", "owner handle",
              "负责人", "所有人", "销售", "跟进人"],
    "status": ["lead status", "stage", "状态", "线索状态"],
    "disqualify_reason": ["reason", "lost reason", "disqualified reason", "unqualified reason", "原因"],
    "external_id": ["external id", "externalid", "ext id", "record id", "lead id", "xml id", "外部编号",
                    "外部id", "编号"],
}
EXPORT = ["id", "name", "company", "title", "email", "phone", "mobile", "source", "campaign", "city", "region",
          "industry", "status", "disqualify_reason", "owner", "external_id", "notes"]
IMPORT_STATUSES = ("new", "working", "qualified", "disqualified")


def _reason(check, *args) -> str:
    try:
        check(*args)
    except ValueError as exc:
        return str(exc)
    return ""


def _each(values: list, check, errors: dict, default=None, memo: bool = True) -> list:
    """check(value) for each non-empty value (once per distinct value with memo; without, for
    columns whose values are mostly unique); empty -> default. A ValueError rejects the row with
    its message (unless the row already has a reason)."""
    out = []
    append = out.append
    if not memo:
        for i, v in enumerate(values):
            if v is None:
                append(default)
                continue
            try:
                append(check(v))
            except ValueError as exc:
                errors.setdefault(i, str(exc))
                append(None)
        return out
    seen: dict = {}
    for i, v in enumerate(values):
        if v is None:
            append(default)
            continue
        hit = seen.get(v, seen)
        if hit is seen:
            try:
                hit = seen[v] = check(v)
            except ValueError as exc:
                hit = seen[v] = _Bad(str(exc))
        if type(hit) is _Bad:
            errors.setdefault(i, hit.reason)
            append(None)
        else:
            append(hit)
    return out


class _Bad:
    __slots__ = ("reason",)

    def __init__(self, reason: str):
        self.reason = reason


def _phone_key(flag: str, text: str) -> str:
    """The number's key; ValueError (core.validation.phone's message) when it is not a number."""
    return checked_phone_key(text, flag)


class LeadAdapter(Adapter):
    entity = "lead"
    model = Lead
    fields = LEAD_FIELDS
    combine = {"name": ("first_name", "middle_name", "last_name")}
    required = ("name", "company")
    keys = ("email_key", "phone_key")
    label = "name"
    export_columns = EXPORT

    def prepare(self, session, opts) -> None:
        from crm_cli.models import User
        from crm_cli.services import identity, leads

        d = opts.defaults
        self.default_owner = identity.user_ref(session, d.get("owner")).id  # registers you on first use
        self.users = {h.lower(): (i, a) for i, h, a in session.execute(select(User.id, User.handle, User.active))}
        self.default_source = leads.normalise_source(d["source"]) if d.get("source") else None
        self.default_campaign = d.get("campaign")
        st = (d.get("status") or "new").lower()
        if st not in IMPORT_STATUSES:
            from crm_cli.core.errors import ValidationError

            raise ValidationError(f"--status must be one of {', '.join(IMPORT_STATUSES)}, not '{st}'")
        self.default_status = st
        self.sources: dict = {}
        self.company_keys: dict = {}

    def clean_columns(self, fields: dict[str, list], n: int, skip: set[int]) -> Cleaned:
        """The rules of LeadIn (services.leads.check_*), applied a column at a time: no model and no
        dict per row (a dict per row cost 0.24 s per 100k rows), and each distinct source, status,
        owner and company is looked at once."""
        from crm_cli.services import leads as L

        errors: dict[int, str] = {i: "" for i in skip}  # row -> the first reason it is rejected for
        none = [None] * n

        def col(name: str) -> list:
            return fields.get(name) or none

        company = col("company")
        name = [a if a is not None else b for a, b in zip(col("name"), company)]
        out = {"name": name, "company": company}
        for f in ("title", "campaign", "city", "region", "industry"):
            out[f] = col(f)
        for f in ("name", "company", "title", "campaign", "city", "region", "industry", "external_id"):
            limit = L.TEXT_LIMITS.get(f, 100)
            values = out[f] if f in out else col(f)
            if max(map(len, filter(None, values)), default=0) > limit:  # rare: find the rows
                for i, v in enumerate(values):
                    if v is not None and len(v) > limit and i not in errors:
                        errors[i] = _reason(L.check_text, f, v)
        out["notes"] = col("notes")
        out["email"] = _each(col("email"), L.check_email, errors, memo=False)
        phone, mobile = col("phone"), col("mobile")
        phone_keys = _each(phone, partial(_phone_key, "--phone"), errors, memo=False)
        mobile_keys = _each(mobile, partial(_phone_key, "--mobile"), errors, memo=False)
        out["phone"], out["mobile"] = phone, mobile
        # empty cells stay None: an update keeps the record's value; new records get insert_defaults()
        out["source"] = _each(col("source"), self._source, errors)
        status = _each(col("status"), self._status, errors)
        out["status"] = status
        reasons = col("disqualify_reason")
        out["disqualify_reason"] = [r if (s or self.default_status) == "disqualified" else None
                                    for r, s in zip(reasons, status)]
        out["owner_id"] = _each(col("owner"), self._owner, errors)
        out["email_key"] = out["email"]
        out["phone_key"] = [m or p for m, p in zip(mobile_keys, phone_keys)]
        known = self.company_keys
        out["company_key"] = [None if c is None else known.get(c) or self._company_key(c) for c in company]
        rows: list = list(zip(*out.values()))
        for i, reason in errors.items():
            rows[i] = RowError(reason) if reason else None
        return Cleaned(tuple(out), rows)

    def insert_defaults(self) -> dict:
        defaults = {"status": self.default_status, "owner_id": self.default_owner,
                    "source": self.default_source, "campaign": self.default_campaign}
        return {k: v for k, v in defaults.items() if v is not None}

    def _source(self, text: str) -> str:
        hit = self.sources.get(text)
        if hit is None:
            from crm_cli.services import leads as L

            hit = self.sources[text] = L.check_source(text)
        return hit

    def _status(self, text: str) -> str:
        # 'converted' is accepted: an exported converted lead comes back as converted (its links
        # to the customer it became are not in the file), and cannot be converted a second time
        from crm_cli.services import leads as L

        return L.check_status(text)

    def _owner(self, handle: str) -> int:
        hit = self.users.get(handle.lower())
        if hit is None:
            raise ValueError(f"no user '{handle}'")
        return hit[0]

    def _company_key(self, company: str) -> str | None:
        ck = self.company_keys.get(company)
        if ck is None:
            if len(self.company_keys) > 20000:  # bounded: constant memory
                self.company_keys.clear()
            ck = self.company_keys[company] = normalize.name_key(company) or ""
        return ck or None

    def match_tables(self):
        """Leads, then contacts, then customers with the same email/phone."""
        from crm_cli.models import Contact, Customer

        return [("lead", Lead, "name"), ("contact", Contact, "name"), ("customer", Customer, "name")]

    def export_rows(self, session, filters: dict) -> Iterator[dict]:
        from crm_cli.services import identity, leads

        self.check_filters(filters, ("owner", "status", "source", "campaign", "region", "industry", "batch",
                                     "search", "where"))
        filters = dict(filters)
        if "owner" in filters:
            filters["owner_id"] = identity.owner_filter(session, filters.pop("owner"))
        q = leads.order(leads.query(session, **filters), "id")
        for lead, handle in session.execute(q.execution_options(yield_per=2000)):
            rec = {c: getattr(lead, c, None) for c in EXPORT if c != "owner"}
            rec["owner"] = handle
            rec["custom"] = dict(lead.custom or {})
            yield rec
