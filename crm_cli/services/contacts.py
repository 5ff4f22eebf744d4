"""Contacts: people at a customer, their reporting lines and decision roles."""

from __future__ import annotations

from datetime import date
from typing import Optional

from pydantic import field_validator
from sqlalchemy import or_, select
from sqlmodel import SQLModel

from crm_cli.core.errors import ValidationError
from crm_cli.models import Contact, Customer
from crm_cli.core.output import Col
from crm_cli.core import normalize
from crm_cli.core.validation import column_text, email, one_of, phone

ROLES = ("decision-maker", "user", "technical", "coach", "other")
COLUMNS = [Col("id", "ID", "right"), Col("name", "Name"), Col("customer", "Customer"), Col("title", "Title"),
           Col("mobile", "Mobile"), Col("phone", "Phone"), Col("email", "Email"), Col("decision_role", "Role")]


class ContactIn(SQLModel):
    name: Optional[str] = None
    title: Optional[str] = None
    phone: Optional[str] = None
    mobile: Optional[str] = None
    email: Optional[str] = None
    birthday: Optional[date] = None
    decision_role: Optional[str] = None
    notes: Optional[str] = None

    @field_validator("*")
    @classmethod
    def _text_rules(cls, v, info):
        return column_text(Contact, info.field_name, v)  # length and control characters

    @field_validator("name")
    @classmethod
    def _name(cls, v):
        if v is not None and not v.strip():
            raise ValueError("--name must not be empty")
        return v.strip() if v else v

    @field_validator("decision_role")
    @classmethod
    def _role(cls, v):
        if v is not None:
            v = {"dm": "decision-maker", "eb": "decision-maker", "ub": "user", "tb": "technical"}.get(v.lower(), v)
        return one_of(v, ROLES, "--role")

    @field_validator("email")
    @classmethod
    def _email(cls, v):
        return email(v)

    @field_validator("phone", "mobile")
    @classmethod
    def _phone(cls, v, info):
        return phone(v, f"--{info.field_name}")


def _keys(c: Contact) -> None:
    c.email_key = normalize.email_key(c.email)
    c.phone_key = normalize.phone_key(c.mobile or c.phone)


def set_reports_to(session, c: Contact, boss: Contact | None) -> None:
    if boss is not None:
        if boss.customer_id != c.customer_id:
            raise ValidationError(f"contact {boss.id} works for another customer",
                                  "reports-to must be a contact of the same customer")
        node, seen = boss, set()
        while node is not None and node.id not in seen:
            if node.id == c.id:
                raise ValidationError(f"contact {boss.id} already reports (indirectly) to {c.id}; "
                                      "that would make a cycle")
            seen.add(node.id)
            node = session.get(Contact, node.reports_to_id) if node.reports_to_id else None
    c.reports_to_id = boss.id if boss else None


def add(session, customer: Customer, data: ContactIn, reports_to: Contact | None = None,
        custom: dict | None = None) -> Contact:
    c = Contact(customer_id=customer.id, custom=custom or {}, **data.model_dump(exclude_none=True))
    _keys(c)
    session.add(c)
    session.flush()
    if reports_to is not None:
        set_reports_to(session, c, reports_to)
    return c


def edit(session, c: Contact, data: ContactIn, reports_to=False, custom=None) -> None:
    for k, v in data.model_dump(exclude_none=True).items():
        setattr(c, k, v)
    if reports_to is not False:
        set_reports_to(session, c, reports_to)
    if custom is not None:
        c.custom = custom
    _keys(c)


def soft_delete(session, c: Contact, now) -> None:
    """Move a contact to the trash (`crm trash restore contact ID` brings it back)."""
    c.deleted_at = now


def record(c: Contact, customer_name: str | None = None) -> dict:
    return {"id": c.id, "customer_id": c.customer_id, "customer": customer_name, "name": c.name,
            "title": c.title, "phone": c.phone, "mobile": c.mobile, "email": c.email, "birthday": c.birthday,
            "reports_to_id": c.reports_to_id, "decision_role": c.decision_role, "notes": c.notes,
            "custom": dict(c.custom or {}), "created_at": c.created_at, "updated_at": c.updated_at}


def show_record(session, c: Contact) -> dict:
    """`crm contact show`: the record with its customer's and its manager's names."""
    cust = session.get(Customer, c.customer_id)
    rec = record(c, cust.name if cust else None)
    if c.reports_to_id:
        boss = session.get(Contact, c.reports_to_id)
        rec["reports_to"] = boss.name if boss else None
    return rec


def list_contacts(session, customer_id=None, search=None, role=None, where=None, limit=None, offset=0):
    return list(stream_contacts(session, customer_id=customer_id, search=search, role=role, where=where,
                                limit=limit, offset=offset)[0])


def stream_contacts(session, *, fields=None, limit=None, offset=0, **filters):
    """(records, csv_keys): the listing streamed (Core rows of the columns `fields` need, in chunks)."""
    from crm_cli.services.listing import csv_keys_with_custom, stream_records

    page = None if limit is None else limit + (offset or 0)  # the rows needed: the index may not pay
    q = query(session, page=page, **filters).order_by(Customer.name, Contact.name, Contact.id).offset(offset)
    if limit is not None:
        q = q.limit(limit)
    rows = stream_records(session, q, Contact, extra={"customer": Customer.name}, fields=fields,
                          record=lambda r: record(r, r.customer))
    return rows, csv_keys_with_custom(session, q, Contact.custom, bool(limit is not None or offset))


def query(session, *, customer_id=None, search=None, role=None, where=None, page=None):
    """The contacts the list filters select (not in the trash), with their customer's name."""
    from crm_cli.services import customfields

    q = select(Contact, Customer.name).join(Customer, Customer.id == Contact.customer_id) \
        .where(Contact.deleted_at.is_(None))
    if customer_id is not None:
        q = q.where(Contact.customer_id == customer_id)
    if role:
        q = q.where(Contact.decision_role == role)
    from crm_cli.services.listing import check_search, contains, indexed, like_pattern

    if check_search(search):
        conds = [contains(session, Contact.name, search.strip()), contains(session, Contact.email, search.strip())]
        pk = normalize.phone_search_key(search, whole=False)
        pk = pk if pk and len(pk) >= 4 else None
        if pk:
            conds.append(Contact.phone_key.like(like_pattern(pk), escape="\\"))
        hit = indexed(session, "contact", Contact.id, search.strip(), pk,
                      page=page)
        if hit is not None:
            q = q.where(hit)
        q = q.where(or_(*conds))
    for clause in customfields.where_clauses(session, Contact, where):
        q = q.where(clause)
    return q


def customer_section(session, customer):
    rows = list_contacts(session, customer_id=customer.id)
    return ("contacts", rows, [Col("id", "ID", "right"), Col("name", "Name"), Col("title", "Title"),
                               Col("mobile", "Mobile"), Col("email", "Email"), Col("decision_role", "Role")])


def tree(session, customer: Customer) -> list[dict]:
    """The org chart: top-level contacts with nested `reports` lists."""
    rows = session.execute(select(Contact).where(Contact.customer_id == customer.id,
                                                 Contact.deleted_at.is_(None)).order_by(Contact.name)).scalars().all()
    ids = {c.id for c in rows}
    kids: dict[int | None, list[Contact]] = {}
    for c in rows:
        boss = c.reports_to_id if c.reports_to_id in ids else None
        kids.setdefault(boss, []).append(c)

    def build(c, depth=0):
        return {"id": c.id, "name": c.name, "title": c.title, "decision_role": c.decision_role,
                "reports": [build(k, depth + 1) for k in kids.get(c.id, [])] if depth < 50 else []}

    return [build(c) for c in kids.get(None, [])]
