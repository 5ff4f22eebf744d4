"""Quote rules: numbering, lines priced by the rules, the status machine, revisions, conversion.

Status: draft -> sent -> accepted | rejected. `expired` is computed: a sent quote past its
valid-until date. Only drafts change. `revise` copies a sent, rejected or expired quote into a new
draft revision with the same number (Q-2026-0007 rev 2) that supersedes it; a superseded quote
cannot be accepted or converted. `convert` turns an accepted quote (a sent or expired one with
--force) into an order with the same lines and prices, once.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import select

from crm_cli.core.errors import Conflict, NotFound, UsageError, ValidationError
from crm_cli.core.faults import kill_point
from crm_cli.core.money import Money
from crm_cli.core.output import Col
from crm_cli.models import Contact, Customer, User
from crm_cli.models.document import Quote, QuoteLine
from crm_cli.models.opportunity import Opportunity
from crm_cli.services import audit, documents, numbering

STATUSES = ("draft", "sent", "accepted", "rejected", "expired")
LIST_COLUMNS = [Col("number", "Number"), Col("revision", "Rev", "right"), Col("customer", "Customer"),
                Col("status", "Status"), Col("total", "Total", "right"), Col("valid_until", "Valid until"),
                Col("owner", "Owner")]
SORTS = {"id": Quote.id, "number": Quote.number, "total": Quote.total, "valid": Quote.valid_until,
         "created": Quote.created_at, "updated": Quote.updated_at}
_REF_RE = re.compile(r"^\s*([A-Za-z]+-\d{4}-\d+)\s*(?:(?:rev\.?|r|/)\s*(\d+))?\s*$", re.I)


today = documents.today


def status_of(q: Quote, on: date | None = None) -> str:
    """The status a user sees: a sent quote past its valid-until date is expired."""
    if q.status == "sent" and q.valid_until < (on or today()):
        return "expired"
    return q.status


label = documents.quote_label


def find(session, ref: str, *, include_deleted: bool = False) -> Quote:
    """A quote by id, number (its newest revision) or 'NUMBER rev N'."""
    text = str(ref).strip()
    live = Quote.deleted_at.is_(None) if not include_deleted else Quote.id.is_not(None)
    if text.lstrip("#").isdigit():
        q = session.get(Quote, int(text.lstrip("#")))
        if q is None or (not include_deleted and q.deleted_at is not None):
            raise NotFound(f"no quote with id {text}", "see 'crm quote list'")
        return q
    m = _REF_RE.match(text)
    if not m:
        raise NotFound(f"no quote '{text[:80]}'", "use its number (Q-2026-0001) or id; see 'crm quote list'")
    number, rev = m.group(1).upper(), m.group(2)
    query = select(Quote).where(Quote.number == number, live)
    if rev:
        query = query.where(Quote.revision == int(rev))
    q = session.execute(query.order_by(Quote.revision.desc()).limit(1)).scalar_one_or_none()
    if q is None:
        raise NotFound(f"no quote {number}" + (f" rev {rev}" if rev else ""), "see 'crm quote list'")
    return q


def _require_draft(q: Quote, verb: str) -> None:
    if q.status != "draft":
        raise Conflict(f"quote {label(q)} is {status_of(q)}: only a draft can be {verb}",
                       f"crm quote revise {q.number} makes a new draft revision")


def create(session, customer: Customer, *, owner: User, currency: str, issued_on: date,
           valid_until: date | None = None, payment_terms: int | None = None, opportunity: Opportunity | None = None,
           contact: Contact | None = None, notes: str | None = None) -> Quote:
    from crm_cli.core import config

    if opportunity is not None and opportunity.customer_id != customer.id:
        raise ValidationError(f"opportunity {opportunity.id} belongs to another customer")
    if contact is not None and contact.customer_id != customer.id:
        raise ValidationError(f"contact '{contact.name}' works for another customer")
    from crm_cli.core.validation import checked_text

    checked_text(notes, "--notes", 4000, multiline=True)
    valid_until = valid_until or issued_on + timedelta(days=int(config.get("quote_validity_days")))
    if valid_until < issued_on:
        raise ValidationError(f"--valid-until {valid_until} is before the quote's date {issued_on}")
    if payment_terms is not None and not 0 <= payment_terms <= 3650:
        raise ValidationError("--terms must be 0 to 3650 days")
    q = Quote(number=numbering.next_number(session, "Q", issued_on.year), customer_id=customer.id,
              opportunity_id=opportunity.id if opportunity else None, contact_id=contact.id if contact else None,
              owner_id=owner.id, currency=currency, issued_on=issued_on, valid_until=valid_until,
              payment_terms=payment_terms if payment_terms is not None else customer.payment_terms, notes=notes)
    session.add(q)
    session.flush()
    return q


def edit(session, q: Quote, *, valid_until: date | None = None, payment_terms: int | None = None,
         notes: str | None = None) -> None:
    """A draft's validity, payment terms or notes."""
    _require_draft(q, "changed")
    if valid_until is not None:
        if valid_until < q.issued_on:
            raise ValidationError(f"--valid-until {valid_until} is before the quote's date {q.issued_on}")
        q.valid_until = valid_until
    if payment_terms is not None:
        if not 0 <= payment_terms <= 3650:
            raise ValidationError("--terms must be 0 to 3650 days")
        q.payment_terms = payment_terms
    if notes is not None:
        from crm_cli.core.validation import checked_text

        q.notes = checked_text(notes, "--notes", 4000, multiline=True) or None


def add_line(session, q: Quote, spec: documents.LineSpec, acting: User) -> QuoteLine:
    _require_draft(q, "changed")
    return documents.put_line(session, q, QuoteLine, "quote_id", spec, acting, on=q.issued_on)


def edit_line(session, q: Quote, position: int, spec: documents.LineSpec, acting: User) -> QuoteLine:
    _require_draft(q, "changed")
    return documents.put_line(session, q, QuoteLine, "quote_id", spec, acting, on=q.issued_on, position=position)


def remove_line(session, q: Quote, position: int) -> None:
    _require_draft(q, "changed")
    line = documents.find_line(session, QuoteLine, "quote_id", q, position)
    audit.note(session, "quote", q.id, f"line {position}", old=line.description, new=None)
    session.delete(line)
    session.flush()
    documents.renumber(session, QuoteLine, "quote_id", q.id)
    documents.recompute(session, q, QuoteLine, "quote_id")


def send(session, q: Quote, now) -> None:
    _require_draft(q, "sent")
    if not session.execute(select(QuoteLine.id).where(QuoteLine.quote_id == q.id).limit(1)).first():
        raise UsageError(f"quote {label(q)} has no lines", f"crm quote add-line {q.number} --product SKU --qty N")
    if q.valid_until < today():
        raise ValidationError(f"quote {label(q)} expired on {q.valid_until}",
                              f"crm quote edit {q.number} --valid-until DATE")
    q.status, q.sent_at = "sent", now


def _require_current(session, q: Quote, verb: str) -> None:
    if q.superseded_by_id is not None:
        newer = session.get(Quote, q.superseded_by_id)
        raise Conflict(f"quote {label(q)} is superseded by {label(newer) if newer else 'a newer revision'}; it "
                       f"cannot be {verb}")


def accept(session, q: Quote, now, *, force: bool = False, win_opp: bool = False) -> Opportunity | None:
    _require_current(session, q, "accepted")
    st = status_of(q)
    if st == "expired" and not force:
        raise Conflict(f"quote {label(q)} expired on {q.valid_until}", "--force accepts it all the same")
    if q.status != "sent":
        raise Conflict(f"quote {label(q)} is {st}: only a sent quote can be accepted")
    q.status, q.decided_at = "accepted", now
    if not win_opp:
        return None
    if q.opportunity_id is None:
        raise UsageError(f"quote {label(q)} has no opportunity to win", "link one with crm quote new --opp ID")
    from crm_cli.services import opportunities

    opp = session.get(Opportunity, q.opportunity_id)
    if opp is None:  # another rep's, which you do not see (docs/visibility.md)
        raise NotFound(f"no opp with id {q.opportunity_id}", "ask its owner to win it")
    if opp.status in ("open", "frozen"):
        opportunities.win(session, opp, amount=Money(q.total, q.currency))
    else:
        raise Conflict(f"opportunity {opp.id} is already {opp.status}")
    return opp


def reject(session, q: Quote, now, reason: str | None) -> None:
    _require_current(session, q, "rejected")
    if q.status != "sent":
        raise Conflict(f"quote {label(q)} is {status_of(q)}: only a sent quote can be rejected")
    from crm_cli.core.validation import checked_text

    checked_text(reason, "--reason", 300)
    q.status, q.decided_at, q.reject_reason = "rejected", now, reason


def revise(session, q: Quote) -> Quote:
    """A new draft revision (same number, revision + 1) with the same lines; it supersedes `q`."""
    _require_current(session, q, "revised")
    st = status_of(q)
    if st not in ("sent", "rejected", "expired"):
        raise Conflict(f"quote {label(q)} is {st}: only a sent, rejected or expired quote can be revised")
    from crm_cli.core import config

    day = today()
    new = Quote(number=q.number, revision=q.revision + 1, customer_id=q.customer_id,
                opportunity_id=q.opportunity_id, contact_id=q.contact_id, owner_id=q.owner_id, currency=q.currency,
                issued_on=day, valid_until=day + timedelta(days=int(config.get("quote_validity_days"))),
                payment_terms=q.payment_terms, notes=q.notes, subtotal=q.subtotal, discount=q.discount, tax=q.tax,
                total=q.total)
    session.add(new)
    session.flush()
    for line in documents.lines_of(session, QuoteLine, "quote_id", q.id):
        session.add(QuoteLine(**{c: getattr(line, c) for c in _LINE_COPY}, quote_id=new.id))
    q.superseded_by_id = new.id
    session.flush()
    return new


_LINE_COPY = tuple(c for c in QuoteLine.model_fields if c not in ("id", "quote_id"))


def convert(session, q: Quote, now, *, force: bool = False):
    """The order for an accepted quote (same lines and prices, linked both ways)."""
    from crm_cli.services import orders

    _require_current(session, q, "converted")
    if q.order_id is not None:
        from crm_cli.models.document import Order

        o = session.get(Order, q.order_id)
        raise Conflict(f"quote {label(q)} was already converted into order {o.number if o else q.order_id}")
    st = status_of(q)
    if st == "accepted":
        pass
    elif st in ("sent", "expired"):
        if not force:
            raise Conflict(f"quote {label(q)} is {st}, not accepted", "--force converts it all the same")
    else:
        raise Conflict(f"quote {label(q)} is {st}: only an accepted quote can be converted")
    order = orders.from_quote(session, q, QuoteLine, _LINE_COPY)
    kill_point("convert.order")
    q.order_id = order.id
    if q.status == "sent":
        q.status, q.decided_at = "accepted", now
    return order


def soft_delete(session, q: Quote, now) -> None:
    if q.order_id is not None:
        raise Conflict(f"quote {label(q)} was converted into an order; it stays as its record")
    q.deleted_at = now


def record(session, q: Quote) -> dict:
    customer = session.get(Customer, q.customer_id)
    owner = session.get(User, q.owner_id) if q.owner_id else None
    contact = session.get(Contact, q.contact_id) if q.contact_id else None
    order_number = None
    if q.order_id:
        from crm_cli.models.document import Order

        o = session.get(Order, q.order_id)
        order_number = o.number if o else None
    superseded_by = session.get(Quote, q.superseded_by_id) if q.superseded_by_id else None
    rec = {"id": q.id, "number": q.number, "revision": q.revision, "status": status_of(q),
           "customer": customer.name if customer else None, "contact": contact.name if contact else None,
           "opportunity": q.opportunity_id, "owner": owner.handle if owner else None, "currency": q.currency,
           "date": q.issued_on, "valid_until": q.valid_until, "payment_terms": q.payment_terms,
           "superseded_by": label(superseded_by) if superseded_by else None, "order": order_number,
           "sent_at": q.sent_at, "decided_at": q.decided_at, "reject_reason": q.reject_reason, "notes": q.notes}
    rec.update(documents.totals_record(q))
    rec["lines"] = [documents.line_record(x, q.currency) for x in documents.lines_of(session, QuoteLine,
                                                                                       "quote_id", q.id)]
    return rec


def list_quotes(session, *, status=None, customer_id=None, owner_id=None, opportunity_id=None, sort="-number",
                limit=None, offset=0, current_only: bool = True) -> list[dict]:
    from crm_cli.services.listing import sort_and_page

    day = today()
    q = (select(Quote, Customer.name, User.handle).join(Customer, Customer.id == Quote.customer_id)
         .outerjoin(User, User.id == Quote.owner_id).where(Quote.deleted_at.is_(None)))
    if current_only:
        q = q.where(Quote.superseded_by_id.is_(None))
    if status:
        wanted = [s.strip().lower() for s in status.split(",") if s.strip()]
        for s in wanted:
            if s not in STATUSES:
                raise ValidationError(f"--status must be one of {', '.join(STATUSES)}, not '{s[:40]}'")
        from sqlalchemy import and_, or_

        parts = []
        for s in wanted:
            if s == "expired":
                parts.append(and_(Quote.status == "sent", Quote.valid_until < day))
            elif s == "sent":
                parts.append(and_(Quote.status == "sent", Quote.valid_until >= day))
            else:
                parts.append(Quote.status == s)
        q = q.where(or_(*parts))
    if customer_id is not None:
        q = q.where(Quote.customer_id == customer_id)
    if owner_id is not None:
        q = q.where(Quote.owner_id == owner_id)
    if opportunity_id is not None:
        q = q.where(Quote.opportunity_id == opportunity_id)
    q = sort_and_page(q, SORTS, sort, Quote.revision.desc(), limit, offset)
    out = []
    for quote, cname, handle in session.execute(q):
        out.append({"id": quote.id, "number": quote.number, "revision": quote.revision,
                    "status": status_of(quote, day), "customer": cname, "currency": quote.currency,
                    "total": Money(quote.total, quote.currency), "total_minor": quote.total, "date": quote.issued_on,
                    "valid_until": quote.valid_until, "owner": handle})
    return out


def customer_section(session, customer):
    """`crm customer show`: the customer's quotes with their prices, so the next quote can look back."""
    rows = list_quotes(session, customer_id=customer.id, current_only=False, sort="-number")
    if not rows:
        return None
    lines = session.execute(
        select(QuoteLine.quote_id, QuoteLine.sku, QuoteLine.description, QuoteLine.qty, QuoteLine.unit_price,
               QuoteLine.discount).where(QuoteLine.quote_id.in_([r["id"] for r in rows]))
        .order_by(QuoteLine.quote_id, QuoteLine.position)).all()
    prices: dict[int, list[str]] = {}
    by_id = {r["id"]: r for r in rows}
    for qid, sku, desc, qty, unit_price, disc in lines:
        cur = by_id[qid]["currency"]
        text = f"{sku or desc} {documents.qty_text(qty)}x{Money(unit_price, cur).plain()}"
        if disc:
            text += f"-{documents.docmoney.percent_text(documents.d6(disc))}%"
        prices.setdefault(qid, []).append(text)
    recs = [{"number": label_of(r), "status": r["status"], "date": r["date"], "total": r["total"],
             "prices": "; ".join(prices.get(r["id"], []))} for r in rows]
    return ("quotes", recs, [Col("number", "Quote"), Col("status", "Status"), Col("date", "Date"),
                             Col("total", "Total", "right"), Col("prices", "Prices")])


def label_of(row: dict) -> str:
    return row["number"] if row["revision"] == 1 else f"{row['number']} rev {row['revision']}"
