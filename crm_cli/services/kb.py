"""Knowledge base rules: articles, ranked search, ticket suggestions, links to the tickets they solved.

Search (`crm kb search TEXT`). Each word of TEXT (split at spaces) must be in the article: in its
title, body, tags or product, ignoring case the Unicode way, as any substring of two or more
characters (Chinese '卡纸' in '打印机卡纸怎么办', English 'printer' or 'rint'). The candidates come
from the bigram index (core/search.py, table kb_search): SQLite FTS5, PostgreSQL a tsvector with a
GIN index; every word is then checked in the text (services.listing.contains), so the index never
adds an article. A one-character word cannot use the index and is only checked.

Ranking, best first, ties by id:
- SQLite: bm25() over the index, the columns weighted title 10, tags and product 5, body 1: a
  word in the title counts ten times a word in the body; rarer words count more, shorter articles
  a little more;
- PostgreSQL: ts_rank() with the same columns as weights A (1.0), B (0.4), C (0.2).
When no word can use the index, the articles are in id order.

Suggestions (`suggest`, used by `crm ticket open` on a TTY): any word of the subject (a CJK run:
any bigram of it) may match; the same ranking puts the articles matching the most and rarest words,
in their titles, first.
"""

from __future__ import annotations

from sqlalchemy import and_, delete, func, literal, or_, select

from crm_cli.core import search
from crm_cli.core.errors import Conflict, ValidationError
from crm_cli.core.output import Col
from crm_cli.models.kb import KbArticle, KbLink

COLUMNS = [Col("id", "ID", "right"), Col("title", "Title"), Col("tags", "Tags"), Col("product", "Product"),
           Col("updated_at", "Updated")]
SEARCH_COLUMNS = [Col("id", "ID", "right"), Col("title", "Title"), Col("tags", "Tags"), Col("product", "Product"),
                  Col("score", "Score", "right")]
SORTS = {"id": KbArticle.id, "title": KbArticle.title, "created": KbArticle.created_at,
         "updated": KbArticle.updated_at, "product": KbArticle.product}


def _text(field: str, value, flag: str, multiline: bool = False):
    from crm_cli.core.validation import checked_text, column_limit

    if value is None:
        return None
    return checked_text(value, flag, column_limit(KbArticle, field), multiline=multiline)


def normalise_tags(tags: list[str] | None) -> str | None:
    """'Printer', ' paper jam ' -> 'printer,paper jam' (lowercase, spaces collapsed, no duplicates)."""
    out: list[str] = []
    for tag in tags or []:
        for part in tag.split(","):
            t = " ".join(part.split()).lower()
            if t and t not in out:
                out.append(t)
    if not out:
        return None
    return _text("tags", ",".join(out), "--tag")


def add(session, title: str, body: str | None = None, tags: list[str] | None = None,
        product: str | None = None) -> KbArticle:
    title = (title or "").strip()
    if not title:
        raise ValidationError("the title must not be empty", "crm kb add 'How to clear a paper jam' --body ...")
    a = KbArticle(title=_text("title", title, "TITLE"), body=_text("body", body or "", "--body", multiline=True),
                  tags=normalise_tags(tags), product=_text("product", (product or "").strip() or None, "--product"))
    session.add(a)
    session.flush()
    return a


def edit(session, a: KbArticle, *, title=None, body=None, tags=None, add_tags=None, remove_tags=None,
         product=None) -> None:
    if title is not None:
        if not title.strip():
            raise ValidationError("--title must not be empty")
        a.title = _text("title", title.strip(), "--title")
    if body is not None:
        a.body = _text("body", body, "--body", multiline=True)
    if tags is not None:
        a.tags = normalise_tags(tags)
    if add_tags or remove_tags:
        current = (a.tags or "").split(",") if a.tags else []
        gone = set((normalise_tags(remove_tags) or "").split(","))
        a.tags = normalise_tags([t for t in current if t not in gone] + list(add_tags or []))
    if product is not None:
        a.product = _text("product", product.strip(), "--product") or None


def soft_delete(session, a: KbArticle, now) -> None:
    a.deleted_at = now


def record(a: KbArticle) -> dict:
    """The article's JSON contract."""
    return {"id": a.id, "title": a.title, "tags": a.tags.split(",") if a.tags else [], "product": a.product,
            "body": a.body, "created_at": a.created_at, "created_by": a.created_by, "updated_at": a.updated_at}


def _row(r) -> dict:
    return {"id": r.id, "title": r.title, "tags": r.tags.split(",") if r.tags else [], "product": r.product,
            "updated_at": r.updated_at}


def list_articles(session, *, product=None, search_text=None, sort="title", limit=None, offset=0) -> list[dict]:
    from crm_cli.services.listing import check_search, contains, indexed, sort_and_page

    q = select(KbArticle.id, KbArticle.title, KbArticle.tags, KbArticle.product, KbArticle.updated_at) \
        .where(KbArticle.deleted_at.is_(None))
    if product:
        q = q.where(func.lower(KbArticle.product) == product.strip().lower())
    if check_search(search_text):
        s = search_text.strip()
        hit = indexed(session, "kb", KbArticle.id, s)
        if hit is not None:
            q = q.where(hit)
        q = q.where(or_(*(contains(session, col, s) for col in _TEXT_COLUMNS)))
    q = sort_and_page(q, SORTS, sort, KbArticle.id, limit, offset)
    return [_row(r) for r in session.execute(q)]


_TEXT_COLUMNS = (KbArticle.title, KbArticle.body, KbArticle.tags, KbArticle.product)


def search_articles(session, text: str, limit: int | None = 10) -> list[dict]:
    """`crm kb search`: every word of `text` as a substring, best match first (see the module doc)."""
    from crm_cli.services.listing import check_search, contains

    check_search(text)
    words = (text or "").split()
    if not words:
        raise ValidationError("nothing to search for", "crm kb search 'paper jam'")
    terms = []
    for w in words:
        toks = search.tokens_for_query(w)
        if toks is not None and toks not in terms:
            terms.append(toks)
    cols = (KbArticle.id, KbArticle.title, KbArticle.tags, KbArticle.product, KbArticle.updated_at)
    checks = [or_(*(contains(session, col, w) for col in _TEXT_COLUMNS)) for w in words]
    if terms:
        ranked = search.ranked(session, "kb", terms, any_=False).subquery("ranked")
        q = select(*cols, ranked.c.rank).join(ranked, ranked.c.id == KbArticle.id).order_by(ranked.c.rank, KbArticle.id)
    else:
        q = select(*cols, literal(0).label("rank")).order_by(KbArticle.id)
    q = q.where(KbArticle.deleted_at.is_(None), and_(*checks))
    if limit is not None:
        q = q.limit(limit)
    out = []
    for r in session.execute(q):
        row = _row(r)
        row["score"] = float(f"{-float(r.rank):.4g}") if terms else 0.0  # higher is better
        out.append(row)
    return out


def suggest(session, text: str, n: int = 3) -> list[tuple[int, str]]:
    """The n articles that best match a ticket's subject: [(id, title)], best first."""
    terms = search.loose_terms(text or "")
    if not terms:
        return []
    ranked = search.ranked(session, "kb", terms[:64], any_=True).subquery("ranked")
    q = (select(KbArticle.id, KbArticle.title).join(ranked, ranked.c.id == KbArticle.id)
         .where(KbArticle.deleted_at.is_(None)).order_by(ranked.c.rank, KbArticle.id).limit(n))
    return [(r.id, r.title) for r in session.execute(q)]


def link(session, a: KbArticle, ticket, now, user: str | None) -> bool:
    """Record that article `a` solved `ticket`; False when it was linked already."""
    if ticket.deleted_at is not None:
        raise Conflict(f"ticket {ticket.number} is in the trash",
                       f"restore it first: crm trash restore ticket {ticket.id}")
    if session.get(KbLink, (a.id, ticket.id)) is not None:
        return False
    session.add(KbLink(article_id=a.id, ticket_id=ticket.id, linked_at=now, linked_by=user))
    from crm_cli.services import audit

    audit.note(session, "kb", a.id, "tickets", new=ticket.number)
    return True


def unlink(session, a: KbArticle, ticket) -> bool:
    n = session.execute(delete(KbLink).where(KbLink.article_id == a.id, KbLink.ticket_id == ticket.id)).rowcount
    if n:
        from crm_cli.services import audit

        audit.note(session, "kb", a.id, "tickets", old=ticket.number)
    return bool(n)


def articles_for_ticket(session, ticket_id: int) -> list[dict]:
    """The live articles linked to a ticket (`ticket show`): [{id, title}], in link order."""
    q = (select(KbArticle.id, KbArticle.title).join(KbLink, KbLink.article_id == KbArticle.id)
         .where(KbLink.ticket_id == ticket_id, KbArticle.deleted_at.is_(None))
         .order_by(KbLink.linked_at, KbArticle.id))
    return [{"id": r.id, "title": r.title} for r in session.execute(q)]


def tickets_for_article(session, article_id: int) -> list[dict]:
    from crm_cli.models.ticket import Ticket

    q = (select(Ticket.id, Ticket.number, Ticket.subject, Ticket.status, KbLink.linked_at)
         .join(KbLink, KbLink.ticket_id == Ticket.id)
         .where(KbLink.article_id == article_id, Ticket.deleted_at.is_(None))
         .order_by(KbLink.linked_at, Ticket.id))
    return [{"id": r.id, "number": r.number, "subject": r.subject, "status": r.status, "linked_at": r.linked_at}
            for r in session.execute(q)]


TICKET_COLUMNS = [Col("number", "Ticket"), Col("subject", "Subject"), Col("status", "Status"),
                  Col("linked_at", "Linked")]
