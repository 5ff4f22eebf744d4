"""Lead rules: validation, duplicate detection (leads, contacts, customers), assignment,
qualification and conversion into customer + contact (+ opportunity) in one transaction."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Optional

from pydantic import field_validator
from sqlalchemy import func, or_, select
from sqlmodel import SQLModel

from crm_cli.core.errors import Conflict, Duplicate, ValidationError
from crm_cli.models import Contact, Customer, User
from crm_cli.models.lead import Lead
from crm_cli.core.validation import checked_text, column_text, shown
from crm_cli.core import normalize

STATUSES = ("new", "working", "qualified", "disqualified", "converted")
OPEN = ("new", "working", "qualified")
EDITABLE = ("name", "company", "title", "email", "phone", "mobile", "source", "campaign", "city", "region",
            "industry", "notes", "status", "external_id")
SORTS = {"id": Lead.id, "name": Lead.name, "company": Lead.company, "status": Lead.status,
         "source": Lead.source, "created": Lead.created_at, "updated": Lead.updated_at}

# words people (and other CRMs) use for the configured sources: Salesforce's Lead Source picklist
# (current and older orgs), HubSpot's original sources, SuiteCRM/EspoCRM/Odoo values, and Chinese
# (incl. the Chinese labels of those CRMs); compared ignoring case, width, spaces and punctuation
SOURCE_SYNONYMS = {
    "web": ["website", "web site", "online", "internet", "web form", "webform", "inbound", "seo",
            "organic search", "search engine", "direct traffic", "social media", "organic social", "social",
            "facebook", "linkedin", "twitter",
            "网站", "官网", "网络", "网页", "线上", "表单", "网站表单", "在线咨询", "搜索引擎", "自然搜索", "直接访问",
            "直接流量", "社交媒体", "社交网络", "自然社交", "微信", "微博"],
    "referral": ["referred", "referrals", "partner", "partner referral", "external referral", "word of mouth",
                 "customer referral", "employee referral", "existing customer", "employee",
                 "推荐", "转介绍", "介绍", "朋友介绍", "客户推荐", "合作伙伴推荐", "合作伙伴", "伙伴推荐", "员工推荐",
                 "老客户介绍", "老客户推荐", "现有客户", "引荐", "口碑"],
    "trade-show": ["trade show", "tradeshow", "exhibition", "expo", "fair", "conference", "seminar",
                   "seminar internal", "seminar partner",
                   "展会", "展览会", "会展", "博览会", "会议", "研讨会"],
    "phone-in": ["phone", "phone inquiry", "inbound call", "call", "cold call", "telephone", "电话",
                 "来电", "电话咨询", "热线", "400电话"],
    "campaign": ["email", "email campaign", "email marketing", "newsletter", "advertisement", "ad", "ads",
                 "marketing", "paid search", "paid social", "other campaigns", "public relations", "direct mail",
                 "ppc", "google ads",
                 "活动", "市场活动", "广告", "邮件", "邮件营销", "电子邮件营销", "付费搜索", "付费社交", "其他营销活动",
                 "竞价", "百度推广", "直邮", "公关"],
    "list": ["purchased list", "bought list", "list import", "名单", "名录", "数据", "购买名单", "购买的列表",
             "已购买列表", "购买列表"],
    "other": ["others", "misc", "unknown", "offline", "offline sources", "self generated",
              "其他", "其它", "线下", "线下来源", "自拓", "自主开发"],
}
SOURCE_MAX = 32  # leads.source


def sources() -> list[str]:
    from crm_cli.core import config

    value = config.get("lead_sources")
    return [str(v) for v in (value or [])]


_source_cache: dict = {}
_PUNCT = re.compile(r"[\W_]+")


def source_key(text: str) -> str:
    """'Trade Show', 'trade_show', 'TRADE-SHOW' -> 'trade show' (width, case, punctuation ignored)."""
    return " ".join(_PUNCT.sub(" ", normalize.fold(text)).split()) or normalize.fold(text)


def _source_table() -> dict[str, str]:
    configured = tuple(sources())
    cached = _source_cache.get(configured)
    if cached is not None:
        return cached
    table: dict[str, str] = {}
    for s in configured:
        table.setdefault(source_key(s), s)
    for s in configured:
        for syn in SOURCE_SYNONYMS.get(s, []):
            table.setdefault(source_key(syn), s)
    _source_cache.clear()
    _source_cache[configured] = table
    return table


def match_source(text: str) -> str | None:
    """The configured source `text` names (itself or an alias), or None."""
    return _source_table().get(source_key(text))


def normalise_source(text: str | None) -> str | None:
    """'Trade Show', '展会', 'trade_show' -> 'trade-show'; unknown -> ValidationError."""
    if text is None or not str(text).strip():
        return None
    found = match_source(text)
    if found is None:
        raise ValidationError(f"--source must be one of {', '.join(sources())}, not '{text}'",
                              "configure more with 'crm config set lead_sources ...'")
    return found


def new_source_problem(text: str) -> str | None:
    """Why `text` cannot become a configured source (an import adds unknown sources), or None."""
    if len(text) > SOURCE_MAX:
        return f"--source is longer than {SOURCE_MAX} characters"
    if "," in text or not text.isprintable():
        return f"--source '{text}' cannot be added to lead_sources (it has a comma or a control character)"
    return None


def add_sources(new: list[str]) -> None:
    """Append sources to the configured lead_sources (the config file), re-read first: another
    crm may have added some meanwhile."""
    from crm_cli.core import config

    config.reset()
    have = sources()
    keys = {source_key(s) for s in have}
    more = [s for s in new if source_key(s) not in keys]
    if more:
        config.set_value("lead_sources", ",".join(have + more))


TEXT_LIMITS = {"name": 200, "company": 300, "title": 200, "campaign": 200, "external_id": 200, "city": 100,
               "region": 100, "industry": 100}
_EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


# the rules, as plain functions: LeadIn (add/edit) and the import adapter both call them
def check_text(field: str, v):
    if v is not None:
        v = v.strip()
        limit = TEXT_LIMITS.get(field, 100)
        if len(v) > limit:
            raise ValueError(f"--{field.replace('_', '-')} is longer than {limit} characters")
        if not v and field == "name":
            raise ValueError("--name must not be empty")
    return v or None


_PLAIN_EMAIL = re.compile(r"[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+")


def check_email(v):
    if not v:
        return None
    low = v.lower()
    if _PLAIN_EMAIL.fullmatch(low):  # the usual case: its key is itself, lower-cased
        return low
    key = normalize.email_key(v)
    if not key or not _EMAIL_RE.fullmatch(key):
        raise ValueError(f"--email '{shown(v)}' is not an email address")
    return key


def check_phone(field: str, v):
    from crm_cli.core.validation import phone

    return phone(v, f"--{field}") or None


def check_source(v):
    if v is None:
        return v
    try:
        return normalise_source(v)
    except ValidationError as exc:
        raise ValueError(exc.message) from None


def check_status(v):
    if v is not None:
        v = v.strip().lower()
        if v not in STATUSES:
            raise ValueError(f"--status must be one of {', '.join(STATUSES)}, not '{v}'")
    return v


class LeadIn(SQLModel):
    """Validated input for add/edit (the table model does not validate); imports use the same rules."""

    name: Optional[str] = None
    company: Optional[str] = None
    title: Optional[str] = None
    email: Optional[str] = None
    phone: Optional[str] = None
    mobile: Optional[str] = None
    source: Optional[str] = None
    campaign: Optional[str] = None
    city: Optional[str] = None
    region: Optional[str] = None
    industry: Optional[str] = None
    notes: Optional[str] = None
    status: Optional[str] = None
    external_id: Optional[str] = None

    @field_validator("*")
    @classmethod
    def _text_rules(cls, v, info):
        return column_text(Lead, info.field_name, v)  # length and control characters

    @field_validator("name", "company", "title", "campaign", "city", "region", "industry", "external_id")
    @classmethod
    def _text(cls, v, info):
        return check_text(info.field_name, v)

    @field_validator("email")
    @classmethod
    def _email(cls, v):
        return check_email(v)

    @field_validator("phone", "mobile")
    @classmethod
    def _phone(cls, v, info):
        return check_phone(info.field_name, v)

    @field_validator("source")
    @classmethod
    def _source(cls, v):
        return check_source(v)

    @field_validator("status")
    @classmethod
    def _status(cls, v):
        return check_status(v)


def validate(**values) -> LeadIn:
    from crm_cli.core.validation import validate as _validate

    return _validate(LeadIn, **values)


def keys_for(email=None, phone=None, mobile=None, company=None) -> dict:
    return {"email_key": normalize.email_key(email), "phone_key": normalize.phone_key(mobile or phone),
            "company_key": normalize.name_key(company)}


def set_keys(lead: Lead) -> None:
    for k, v in keys_for(lead.email, lead.phone, lead.mobile, lead.company).items():
        setattr(lead, k, v)


# ---- duplicates -------------------------------------------------------------------------------------

def find_duplicates(session, *, name=None, email=None, phone=None, mobile=None, company=None,
                    exclude_id=None, lock: bool = False) -> list[tuple[str, int, str, str]]:
    """Records that look like the same person: [(entity, id, label, why)], leads first.

    Same email or phone as a lead, contact or customer; or the same name at the same company as a lead.
    """
    from crm_cli.core.db import lock_keys

    ek = normalize.email_key(email)
    pks = {k for k in (normalize.phone_key(phone), normalize.phone_key(mobile)) if k}
    ck = normalize.name_key(company)
    if lock:  # held until the caller's transaction ends: two processes adding the same lead cannot both pass
        lock_keys(session, [ek and "email:" + ek, *("phone:" + k for k in pks),
                            ck and name and f"lead:{ck}:{name.strip().lower()}"])
    out: list[tuple[str, int, str, str]] = []
    for entity, model in (("lead", Lead), ("contact", Contact), ("customer", Customer)):
        conds = []
        if ek:
            conds.append(model.email_key == ek)
        if pks:
            conds.append(model.phone_key.in_(pks))
        if entity == "lead" and ck and name:
            conds.append((model.company_key == ck) & (func.lower(model.name) == name.strip().lower()))
        if not conds:
            continue
        q = select(model).where(or_(*conds), model.deleted_at.is_(None)).order_by(model.id).limit(10)
        if entity == "lead" and exclude_id:
            q = q.where(model.id != exclude_id)
        for obj in session.execute(q).scalars():
            why = "email" if ek and obj.email_key == ek else "phone" if obj.phone_key in pks \
                else "name and company"
            out.append((entity, obj.id, obj.name, why))
    return out


def possible_duplicates(session, lead: Lead) -> list[dict]:
    """`crm lead show`: records that look like this lead, leaving out what it was converted into."""
    return [{"entity": e, "id": i, "name": n, "same": why}
            for e, i, n, why in find_duplicates(session, name=lead.name, email=lead.email, phone=lead.phone,
                                                mobile=lead.mobile, company=lead.company, exclude_id=lead.id)
            if not (e == "contact" and i == lead.converted_contact_id)
            and not (e == "customer" and i == lead.converted_customer_id)]


def duplicate_error(matches) -> Duplicate:
    entity, ident, label, why = matches[0]
    more = f" (and {len(matches) - 1} more)" if len(matches) > 1 else ""
    return Duplicate(f"{entity} {ident} '{label}' has the same {why}{more}",
                     "use --force to add it anyway")


def customer_matches(session, lead: Lead) -> list[tuple[Customer, str]]:
    """Customers this lead probably belongs to: same company name, or a contact/customer with its email/phone."""
    out: list[tuple[Customer, str]] = []
    seen: set[int] = set()

    def add(c, why):
        if c is not None and c.id not in seen and c.deleted_at is None:
            seen.add(c.id)
            out.append((c, why))

    if lead.company_key:
        for c in session.execute(select(Customer).where(Customer.name_key == lead.company_key,
                                                        Customer.deleted_at.is_(None)).order_by(Customer.id)
                                 .limit(5)).scalars():
            add(c, "company name")
    for key, why in ((lead.email_key, "email"), (lead.phone_key, "phone")):
        if not key:
            continue
        col = Contact.email_key if why == "email" else Contact.phone_key
        for ct in session.execute(select(Contact).where(col == key, Contact.deleted_at.is_(None))
                                  .order_by(Contact.id).limit(5)).scalars():
            add(session.get(Customer, ct.customer_id), f"{why} (contact {ct.id} '{ct.name}')")
        ccol = Customer.email_key if why == "email" else Customer.phone_key
        for c in session.execute(select(Customer).where(ccol == key, Customer.deleted_at.is_(None))
                                 .order_by(Customer.id).limit(5)).scalars():
            add(c, why)
    return out


# ---- add / edit ---------------------------------------------------------------------------------------

def add(session, data: LeadIn, *, owner: User | None, custom: dict | None = None, force: bool = False,
        confirm=None) -> Lead:
    """Create a lead; a duplicate (lead, contact or customer) is refused unless forced or confirmed."""
    values = data.model_dump(exclude_none=True)
    if not values.get("name"):
        raise ValidationError("missing NAME", "a lead needs a person's name")
    status = values.get("status") or "new"
    if status == "converted":
        raise ValidationError("a lead becomes 'converted' only through 'crm lead convert'")
    if status == "disqualified":
        raise ValidationError("a lead is disqualified with a reason: add it, then "
                              "'crm lead disqualify ID --reason ...'")
    if values.get("external_id"):
        other = session.execute(select(Lead.id).where(Lead.external_id == values["external_id"])).scalar()
        if other:
            raise Duplicate(f"lead {other} already has external id '{values['external_id']}'")
    if not force:
        matches = find_duplicates(session, name=data.name, email=data.email, phone=data.phone,
                                  mobile=data.mobile, company=data.company, lock=True)
        if matches and not (confirm and confirm(matches)):
            raise duplicate_error(matches)
    lead = Lead(**values, owner_id=owner.id if owner else None, custom=custom or {})
    lead.status = status
    set_keys(lead)
    session.add(lead)
    session.flush()
    return lead


def edit(session, lead: Lead, data: LeadIn, *, custom: dict | None = None, owner: User | None = None,
         force: bool = False) -> Lead:
    changes = data.model_dump(exclude_none=True)
    if "status" in changes and changes["status"] != lead.status:
        if changes["status"] in ("converted", "disqualified") or lead.status in ("converted", "disqualified"):
            raise Conflict(f"lead {lead.id} is {lead.status}; use 'crm lead qualify/disqualify/reopen/convert' "
                           "to change that status")
    if "external_id" in changes:
        other = session.execute(select(Lead.id).where(Lead.external_id == changes["external_id"],
                                                      Lead.id != lead.id)).scalar()
        if other:
            raise Duplicate(f"lead {other} already has external id '{changes['external_id']}'")
    if not force and any(k in changes for k in ("email", "phone", "mobile", "name", "company")):
        matches = find_duplicates(session, name=changes.get("name") or lead.name, email=changes.get("email"),
                                  phone=changes.get("phone"), mobile=changes.get("mobile"),
                                  company=changes.get("company", lead.company), exclude_id=lead.id, lock=True)
        matches = [m for m in matches if not (m[0] == "contact" and m[1] == lead.converted_contact_id)]
        if matches:
            raise duplicate_error(matches)
    for k, v in changes.items():
        setattr(lead, k, v)
    if custom is not None:
        lead.custom = custom
    if owner is not None:
        lead.owner_id = owner.id
    set_keys(lead)
    return lead


# ---- listing -----------------------------------------------------------------------------------------

def query(session, *, owner_id=None, status=None, source=None, campaign=None, region=None, industry=None,
          search=None, where=None, include_closed=True, batch=None, page=None):
    from crm_cli.services import customfields

    q = select(Lead, User.handle).outerjoin(User, User.id == Lead.owner_id).where(Lead.deleted_at.is_(None))
    if owner_id is not None:
        q = q.where(Lead.owner_id == owner_id)
    if status:
        wanted = [s.strip().lower() for s in status.split(",") if s.strip()]
        bad = [s for s in wanted if s not in STATUSES and s != "open"]
        if bad:
            raise ValidationError(f"--status: unknown status '{bad[0]}'", "one of " + ", ".join(STATUSES)
                                  + ", open")
        expanded = set()
        for s in wanted:
            expanded.update(OPEN if s == "open" else (s,))
        q = q.where(Lead.status.in_(sorted(expanded)))
    elif not include_closed:
        q = q.where(Lead.status.in_(OPEN))
    if source:
        q = q.where(Lead.source == normalise_source(source))
    if campaign:
        q = q.where(func.lower(Lead.campaign) == campaign.lower())
    if region:
        q = q.where(func.lower(Lead.region) == region.lower())
    if industry:
        q = q.where(func.lower(Lead.industry) == industry.lower())
    if batch is not None:
        q = q.where(Lead.import_batch_id == batch)
    from crm_cli.services.listing import check_search, contains, indexed, like_pattern

    if check_search(search):
        s = search.strip()
        conds = [contains(session, Lead.name, s), contains(session, Lead.company, s),
                 contains(session, Lead.email, s)]
        pk = normalize.phone_search_key(s, whole=False)
        pk = pk if pk and len(pk) >= 4 else None
        if pk:
            conds.append(Lead.phone_key.like(like_pattern(pk), escape="\\"))
        ck = normalize.name_key(s)
        if ck:
            conds.append(Lead.company_key.like(like_pattern(ck), escape="\\"))
        hit = indexed(session, "lead", Lead.id, s, pk, ck, page=page)  # page: rows the caller needs
        if hit is not None:
            q = q.where(hit)
        q = q.where(or_(*conds))
    for clause in customfields.where_clauses(session, Lead, where):
        q = q.where(clause)
    return q


def order(q, sort: str):
    from crm_cli.services.listing import sort_and_page

    return sort_and_page(q, SORTS, sort, Lead.id)


def list_leads(session, *, sort="-id", limit=None, offset=0, **filters) -> list[dict]:
    return list(stream_leads(session, sort=sort, limit=limit, offset=offset, **filters)[0])


def stream_leads(session, *, fields=None, sort="-id", limit=None, offset=0, **filters):
    """(records, csv_keys): the listing streamed (Core rows of the columns `fields` need, in chunks)."""
    from crm_cli.services.listing import csv_keys_with_custom, sort_and_page, stream_records

    page = None if limit is None else limit + (offset or 0)
    q = sort_and_page(query(session, page=page, **filters), SORTS, sort, Lead.id, limit, offset)
    rows = stream_records(session, q, Lead, extra={"owner": User.handle}, record=lambda r: record(r, r.owner),
                          fields=fields, keys=RECORD_KEYS)
    return rows, csv_keys_with_custom(session, q, Lead.custom, bool(limit is not None or offset))


RECORD_KEYS = ("id", "name", "company", "title", "email", "phone", "mobile", "source", "campaign", "city", "region",
               "industry", "status", "disqualify_reason", "owner", "external_id", "notes", "custom",
               "converted_customer_id", "converted_contact_id", "converted_opportunity_id", "converted_at",
               "import_batch_id", "created_at", "updated_at")  # record()'s fields, each the column of that name


def record(lead: Lead, owner: str | None) -> dict:
    """The lead's JSON contract."""
    return {
        "id": lead.id, "name": lead.name, "company": lead.company, "title": lead.title, "email": lead.email,
        "phone": lead.phone, "mobile": lead.mobile, "source": lead.source, "campaign": lead.campaign,
        "city": lead.city, "region": lead.region, "industry": lead.industry, "status": lead.status,
        "disqualify_reason": lead.disqualify_reason, "owner": owner, "external_id": lead.external_id,
        "notes": lead.notes, "custom": dict(lead.custom or {}),
        "converted_customer_id": lead.converted_customer_id, "converted_contact_id": lead.converted_contact_id,
        "converted_opportunity_id": lead.converted_opportunity_id, "converted_at": lead.converted_at,
        "import_batch_id": lead.import_batch_id, "created_at": lead.created_at, "updated_at": lead.updated_at,
    }


def owner_handle(session, user_id):
    if user_id is None:
        return None
    return session.execute(select(User.handle).where(User.id == user_id)).scalar_one_or_none()


# ---- workflow ------------------------------------------------------------------------------------------

def soft_delete(session, lead: Lead, now) -> None:
    """Move a lead to the trash (`crm trash restore lead ID` brings it back)."""
    lead.deleted_at = now


def select_for_assign(session, *, owner_id=None, status=None, source=None, campaign=None, region=None,
                      batch=None, unassigned: bool = False) -> list[Lead]:
    """The leads `crm lead assign` selects by filters (status defaults to open), in id order."""
    q = query(session, owner_id=owner_id, status=status or "open", source=source, campaign=campaign,
              region=region, batch=batch)
    if unassigned:
        q = q.where(Lead.owner_id.is_(None))
    return [lead for lead, _ in session.execute(q.order_by(Lead.id)).all()]


def assign(session, leads: list[Lead], users: list[User]) -> dict[str, int]:
    """Give leads to one rep, or round-robin over several (in id order). Returns counts per handle."""
    if not users:
        raise ValidationError("no rep to assign to")
    for u in users:
        if not u.active:
            raise Conflict(f"user '{u.handle}' is deactivated")
    counts = {u.handle: 0 for u in users}
    for i, lead in enumerate(sorted(leads, key=lambda x: x.id)):
        u = users[i % len(users)]
        lead.owner_id = u.id
        counts[u.handle] += 1
    return counts


def _check_open(lead: Lead, action: str) -> None:
    if lead.status in ("converted", "disqualified"):
        raise Conflict(f"lead {lead.id} is {lead.status}; it cannot be {action}",
                       f"see 'crm lead show {lead.id}'")


def qualify(session, lead: Lead) -> None:
    _check_open(lead, "qualified")
    if lead.status == "qualified":
        raise Conflict(f"lead {lead.id} is already qualified")
    lead.status = "qualified"


def disqualify(session, lead: Lead, reason: str) -> None:
    _check_open(lead, "disqualified")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("missing --reason", "say why the lead is disqualified")
    if len(reason) > 300:
        raise ValidationError("--reason is longer than 300 characters")
    checked_text(reason, "--reason")
    lead.status = "disqualified"
    lead.disqualify_reason = reason


def reopen(session, lead: Lead) -> None:
    if lead.status != "disqualified":
        raise Conflict(f"lead {lead.id} is {lead.status}; only disqualified leads can be reopened")
    lead.status, lead.disqualify_reason = "working", None


def convert(session, lead: Lead, *, customer: Customer | None = None, new_customer: bool = False,
            opp_title: str | None = None, amount=None, owner: User | None = None, confirm=None,
            now: datetime | None = None) -> dict:
    """Lead -> customer (new or existing) + contact (+ opportunity), in the caller's transaction."""
    from crm_cli.core import context
    from crm_cli.services import contacts, customers

    _check_open(lead, "converted")
    now = now or context.now()
    owner = owner or (session.get(User, lead.owner_id) if lead.owner_id else None)
    if owner is None:
        from crm_cli.services import identity

        owner = identity.current_user(session)
    if customer is not None and new_customer:
        raise ValidationError("--customer and --new-customer exclude each other")
    created_customer = False
    if customer is None:
        matches = [] if new_customer else customer_matches(session, lead)
        if matches:
            c, why = matches[0]
            if confirm is None:  # no TTY: never guess
                raise Duplicate(f"customer {c.id} '{c.name}' matches this lead ({why})",
                                f"pass --customer {c.id} to attach the lead to it, or --new-customer")
            if confirm(c, why):
                customer = c
        if customer is None:
            data = customers.CustomerIn(name=lead.company or lead.name, industry=lead.industry,
                                        region=lead.region or lead.city)
            customer = customers.add(session, data, owner=owner, force=True)
            created_customer = True
    if customer.deleted_at is not None:
        raise Conflict(f"customer {customer.id} is in the trash")
    # reuse a contact of that customer with the same email/phone, else create one
    contact = None
    for key, col in ((lead.email_key, Contact.email_key), (lead.phone_key, Contact.phone_key)):
        if key and contact is None:
            contact = session.execute(select(Contact).where(Contact.customer_id == customer.id, col == key,
                                                            Contact.deleted_at.is_(None)).limit(1)).scalar()
    created_contact = contact is None
    if contact is None:
        contact = contacts.add(session, customer, contacts.ContactIn(
            name=lead.name, title=lead.title, phone=lead.phone, mobile=lead.mobile, email=lead.email,
            notes=lead.notes), custom=dict(lead.custom or {}))
    opp = None
    if opp_title:
        from crm_cli.services import opportunities

        opp = opportunities.create(session, title=opp_title, customer=customer, owner=owner, amount=amount,
                                   contact=contact, lead_id=lead.id, source=lead.source, campaign=lead.campaign)
        session.flush()
    elif amount is not None:
        raise ValidationError("--amount needs --opp TITLE")
    lead.status = "converted"
    lead.converted_at = now
    lead.converted_customer_id = customer.id
    lead.converted_contact_id = contact.id
    lead.converted_opportunity_id = opp.id if opp is not None else None
    session.flush()
    return {"lead_id": lead.id, "customer_id": customer.id, "customer": customer.name,
            "customer_created": created_customer, "contact_id": contact.id, "contact_created": created_contact,
            "opportunity_id": opp.id if opp is not None else None}


# ---- demo ------------------------------------------------------------------------------------------------

def demo_data(session, ids: dict) -> None:
    users = ids.get("users", {})
    me = users.get("me")
    alice = users.get("alice") or me
    bob = users.get("bob") or me
    rows = [
        (dict(name="王芳", company="深圳云帆科技有限公司", title="采购经理", mobile="+86 139 2222 3333",
              email="wangfang@yunfan.example.cn", source="trade-show", campaign="2026 深圳电子展", region="深圳"),
         alice),
        (dict(name="赵磊", company="杭州青禾农业", title="总经理", phone="0571-8888 1234", source="referral",
              region="杭州"), bob),
        (dict(name="Emily Chen", company="Pacific Rim Imports Inc", title="Buyer", email="emily@pacrim.example.com",
              source="web", campaign="Spring webinar", region="Shanghai"), alice),
        (dict(name="孙悦", company="成都蓉城物流", title="运营总监", mobile="13511112222", source="phone-in",
              region="成都"), me),
        (dict(name="Tom Becker", company="Becker GmbH", email="tom@becker.example.de", source="list",
              campaign="EU distributors 2026"), bob),
        (dict(name="李娜", company="北京远航科技有限公司", title="IT 主管", mobile="18600002222",
              source="campaign", campaign="2026 深圳电子展", region="北京"), me),
    ]
    made = []
    for values, owner in rows:
        made.append(add(session, LeadIn(**values), owner=owner, force=True))
    made[1].status = "working"
    made[3].status = "qualified"
    disqualify(session, made[4], "no budget this year")
    ids["leads"] = made
