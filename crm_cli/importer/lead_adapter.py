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


def _reason(field: str, check, *args) -> RowError:
    try:
        check(*args)
    except ValueError as exc:
        return RowError(str(exc), field)
    return RowError("", field)


def _each(values: list, check, errors: dict, field: str, default=None, memo: bool = True) -> list:
    """check(value) for each non-empty value (once per distinct value with memo; without, for
    columns whose values are mostly unique); empty -> default. A ValueError rejects the row with
    its message, about `field` (unless the row already has a reason)."""
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
                errors.setdefault(i, RowError(str(exc), field))
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
                hit = seen[v] = _Bad(RowError(str(exc), field))
        if type(hit) is _Bad:
            errors.setdefault(i, hit.reason)
            append(None)
        else:
            append(hit)
    return out


def _padded(values: set) -> list:
    """As engine._padded: a multiple of 512 values, so few distinct statements are prepared."""
    out = list(values)
    out.extend([out[0]] * (-len(out) % 512))
    return out


class _Bad:
    __slots__ = ("reason",)

    def __init__(self, reason: RowError):
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
    # the duplicate rules of `crm lead add` (services.leads.find_duplicates): the same email or
    # phone (the mobile's, the office phone's) as a lead, contact or customer, or the same name at
    # the same company as a lead. A record's phone_key is its mobile's, else its office phone's.
    keys = ("email_key", "phone_key", "office_phone_key", "name_company_key")
    key_aliases = {"office_phone_key": "phone_key"}
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
        self.new_sources: dict[str, str] = {}  # source key -> an unknown source as first written
        self.company_keys: dict = {}

    def clean_columns(self, fields: dict[str, list], n: int, skip: set[int]) -> Cleaned:
        """The rules of LeadIn (services.leads.check_*), applied a column at a time: no model and no
        dict per row (a dict per row cost 0.24 s per 100k rows), and each distinct source, status,
        owner and company is looked at once."""
        from crm_cli.core.validation import control_rows, text
        from crm_cli.services import leads as L

        errors: dict[int, RowError | None] = {i: None for i in skip}  # row -> its first reason
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
                        errors[i] = _reason(f, L.check_text, f, v)
        out["notes"] = col("notes")
        for f in ("name", "company", "title", "campaign", "city", "region", "industry", "external_id", "notes",
                  "email", "phone", "mobile", "disqualify_reason"):  # no control characters (as LeadIn)
            values = out[f] if f in out else col(f)
            for i in control_rows(values, multiline=f == "notes"):
                if i not in errors:
                    errors[i] = _reason(f, text, values[i], f"--{f.replace('_', '-')}", None, f == "notes")
        out["email"] = _each(col("email"), L.check_email, errors, "email", memo=False)
        phone, mobile = col("phone"), col("mobile")
        phone_keys = _each(phone, partial(_phone_key, "--phone"), errors, "phone", memo=False)
        mobile_keys = _each(mobile, partial(_phone_key, "--mobile"), errors, "mobile", memo=False)
        out["phone"], out["mobile"] = phone, mobile
        # empty cells stay None: an update keeps the record's value; new records get insert_defaults()
        out["source"] = _each(col("source"), self._source, errors, "source")
        status = _each(col("status"), self._status, errors, "status")
        out["status"] = status
        reasons = col("disqualify_reason")
        out["disqualify_reason"] = [r if (s or self.default_status) == "disqualified" else None
                                    for r, s in zip(reasons, status)]
        out["owner_id"] = _each(col("owner"), self._owner, errors, "owner")
        out["email_key"] = out["email"]
        out["phone_key"] = [m or p for m, p in zip(mobile_keys, phone_keys)]
        # not a column: the office phone's key when the row has a mobile too (else it is phone_key)
        out["office_phone_key"] = ([p if m else None for m, p in zip(mobile_keys, phone_keys)]
                                   if phone is not none and mobile is not none else none)
        known = self.company_keys
        ck = out["company_key"] = [None if c is None else known.get(c) or self._company_key(c) for c in company]
        # not a column: the duplicate key of "the same name at the same company" (written by no insert)
        out["name_company_key"] = [k + "\x1f" + n.lower() if k and n else None for k, n in zip(ck, name)]
        rows: list = list(zip(*out.values()))
        for i, reason in errors.items():
            rows[i] = reason if reason is not None and str(reason) else None
        return Cleaned(tuple(out), rows)

    def insert_defaults(self) -> dict:
        defaults = {"status": self.default_status, "owner_id": self.default_owner,
                    "source": self.default_source, "campaign": self.default_campaign}
        return {k: v for k, v in defaults.items() if v is not None}

    def _source(self, text: str) -> str:
        """The configured source `text` names; an unknown one is kept as written (its first
        writing) and added to the configured sources at the end, or rejected with --strict-sources."""
        hit = self.sources.get(text)
        if hit is None:
            from crm_cli.services import leads as L

            hit = L.match_source(text)
            if hit is None:
                if self.opts is not None and self.opts.strict_sources:
                    L.check_source(text)  # raises with the one wording
                problem = L.new_source_problem(text)
                if problem:
                    raise ValueError(problem)
                hit = self.new_sources.setdefault(L.source_key(text), text)
            self.sources[text] = hit
        return hit

    def finish(self, summary, keep: bool) -> None:
        """The unknown sources that rows written (or to be written) carry are listed and, when the
        import is kept, added to lead_sources (those of rejected or skipped rows only are not)."""
        new = list(self.new_sources.values())
        if new:
            t = Lead.__table__
            used = set(self.session.connection().execute(select(t.c.source).distinct()
                                                         .where(t.c.source.in_(new))).scalars())
            new = [s for s in new if s in used]
        summary.new_sources = new
        if keep and new:
            from crm_cli.services import leads as L

            L.add_sources(summary.new_sources)

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

    def match(self, conn, key: str, values: list) -> dict:
        if key != "name_company_key":
            return super().match(conn, key, values)
        # as services.leads.find_duplicates: company_key = ? AND lower(name) = ? (indexed company_key)
        wanted = set(values)
        pairs = [v.split("\x1f", 1) for v in wanted]
        companies, names = _padded({c for c, _n in pairs}), _padded({n for _c, n in pairs})
        mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        sql = (f"SELECT company_key, id, name FROM leads WHERE company_key IN ({', '.join([mark] * len(companies))})"
               f" AND lower(name) IN ({', '.join([mark] * len(names))}) AND deleted_at IS NULL")
        out: dict = {}
        for company_key, ident, name in sorted(conn.exec_driver_sql(sql, (*companies, *names)).all(),
                                               key=lambda r: r[1]):
            value = company_key + "\x1f" + name.lower()
            if value in wanted:  # (a pair of this company's and another row's name is not)
                out.setdefault(value, ("lead", ident, name))
        return out

    def has_values(self, conn, key: str) -> bool:
        if key != "name_company_key":
            return super().has_values(conn, key)
        t = Lead.__table__
        return conn.execute(select(t.c.id).where(t.c.company_key.is_not(None), t.c.deleted_at.is_(None))
                            .limit(1)).first() is not None

    def lookup_columns(self) -> set[str]:
        return {"email_key", "phone_key", "company_key"}

    def describe(self, key: str) -> str:
        return {"name_company_key": "name and company", "office_phone_key": "phone"}.get(key) or super().describe(key)

    def export_query(self, session, filters: dict):
        """The export as a Core select of the columns it writes, by id."""
        from crm_cli.models import User
        from crm_cli.services import identity, leads

        self.check_filters(filters, ("owner", "status", "source", "campaign", "region", "industry", "batch",
                                     "search", "where"))
        filters = dict(filters)
        if "owner" in filters:
            filters["owner_id"] = identity.owner_filter(session, filters.pop("owner"))
        table = Lead.__table__.c
        cols = [table[c] for c in EXPORT if c in table] + [User.handle.label("owner"), table.custom]
        return leads.order(leads.query(session, **filters), "id").with_only_columns(*cols,
                                                                                    maintain_column_froms=True)

    def export_rows(self, session, filters: dict) -> Iterator[dict]:
        from crm_cli.services.listing import stream_chunks

        for chunk in stream_chunks(session, self.export_query(session, filters)):
            for r in chunk:
                rec = {c: getattr(r, c, None) for c in EXPORT if c != "owner"}
                rec["owner"] = r.owner
                rec["custom"] = dict(r.custom or {})
                yield rec
