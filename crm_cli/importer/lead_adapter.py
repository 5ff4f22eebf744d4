"""Import/export adapter for leads (see the package docstring for the protocol)."""

from __future__ import annotations

from typing import Iterator

from sqlalchemy import select

from crm_cli.importer.base import Adapter, RowError
from crm_cli.models.lead import Lead
from crm_cli.services import normalize

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

        self.users = {h.lower(): (i, a) for i, h, a in session.execute(select(User.id, User.handle, User.active))}
        d = opts.defaults
        self.default_owner = identity.user_ref(session, d.get("owner")).id
        self.default_source = leads.normalise_source(d["source"]) if d.get("source") else None
        self.default_campaign = d.get("campaign")
        st = (d.get("status") or "new").lower()
        if st not in IMPORT_STATUSES:
            from crm_cli.errors import ValidationError

            raise ValidationError(f"--status must be one of {', '.join(IMPORT_STATUSES)}, not '{st}'")
        self.default_status = st
        self.sources: dict = {}
        self.company_keys: dict = {}

    def clean(self, raw: dict) -> dict:
        """The same rules as LeadIn (services.leads.check_*), called directly: no model per row."""
        from crm_cli.services import leads as L

        get = raw.get
        owner = get("owner")
        if "name" not in raw:
            if "company" not in raw:
                raise RowError("no name and no company")
            raw["name"] = raw["company"]
        try:
            text = L.check_text
            rec = {"name": text("name", raw["name"]), "company": text("company", get("company")),
                   "title": text("title", get("title")), "campaign": text("campaign", get("campaign")),
                   "city": text("city", get("city")), "region": text("region", get("region")),
                   "industry": text("industry", get("industry")), "notes": get("notes"),
                   "email": L.check_email(get("email")), "phone": L.check_phone("phone", get("phone")),
                   "mobile": L.check_phone("mobile", get("mobile"))}
            src = get("source")
            if src is None:
                rec["source"] = self.default_source
            else:
                hit = self.sources.get(src)
                if hit is None:
                    hit = self.sources[src] = L.check_source(src)
                rec["source"] = hit
            status = L.check_status(get("status")) or self.default_status
        except ValueError as exc:
            raise RowError(str(exc)) from None
        if status == "converted":
            raise RowError("status 'converted' cannot be imported; import as qualified and convert")
        rec["status"] = status
        rec["disqualify_reason"] = get("disqualify_reason") if status == "disqualified" else None
        if rec["campaign"] is None:
            rec["campaign"] = self.default_campaign
        if owner:
            hit = self.users.get(owner.lower())
            if hit is None:
                raise RowError(f"no user '{owner}'")
            rec["owner_id"] = hit[0]
        else:
            rec["owner_id"] = self.default_owner
        rec["email_key"] = rec["email"]
        rec["phone_key"] = normalize.phone_key(rec["mobile"] or rec["phone"])
        company = rec["company"]
        if company is None:
            rec["company_key"] = None
        else:
            ck = self.company_keys.get(company)
            if ck is None:
                if len(self.company_keys) > 20000:  # bounded: constant memory
                    self.company_keys.clear()
                ck = self.company_keys[company] = normalize.name_key(company) or ""
            rec["company_key"] = ck or None
        return rec

    def match(self, conn, key: str, values: list) -> dict:
        """Leads, then contacts, then customers with the same email/phone."""
        from crm_cli.models import Contact, Customer

        from crm_cli.importer.base import lookup

        out: dict = {}
        for entity, model in (("lead", Lead), ("contact", Contact), ("customer", Customer)):
            left = list({v for v in values if v not in out})
            if not left:
                break
            for value, ident, lab in lookup(conn, model.__table__, key, left, "name"):
                out.setdefault(value, (entity, ident, lab))
        return out

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
