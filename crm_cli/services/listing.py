"""Shared pieces of every listing query: --sort (with '-' for descending), --limit, --offset."""

from __future__ import annotations

from crm_cli.core.errors import ValidationError


def sort_and_page(q, sorts: dict, sort: str, tiebreak, limit: int | None = None, offset: int = 0):
    """Order `q` by the column named in `sort` (a key of `sorts`), then `tiebreak`; apply paging."""
    desc = sort.startswith("-")
    key = sort.lstrip("-")
    if key not in sorts:
        raise ValidationError(f"--sort: unknown field '{key}'", "use one of " + ", ".join(sorts))
    col = sorts[key]
    q = q.order_by(col.desc() if desc else col.asc(), tiebreak)
    if offset:
        q = q.offset(offset)
    if limit is not None:
        q = q.limit(limit)
    return q


SEARCH_LIMIT = 200  # characters of --search / --where ~ text (SQLite refuses very long LIKE patterns)


def check_search(text: str | None, flag: str = "--search") -> str | None:
    """The search text, or a ValidationError when it is too long to be a search."""
    if text is not None and len(text) > SEARCH_LIMIT:
        raise ValidationError(f"{flag} is longer than {SEARCH_LIMIT} characters ({len(text)} given)",
                              "search for a shorter part of the text")
    return text


def like_pattern(text: str) -> str:
    """'%text%' with LIKE's wildcards in `text` escaped (use with escape='\\\\')."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _cased_beyond_ascii(text: str) -> bool:
    return any(not ch.isascii() and (ch.lower() != ch or ch.upper() != ch) for ch in text)


def contains(session, col, text: str):
    """`col` contains `text`, ignoring case the Unicode way on every backend ('ω' finds 'Ω').

    PostgreSQL's ILIKE folds case by itself. SQLite's lower()/LIKE fold ASCII only: text with cased
    non-ASCII letters is compared through crm_fold() (str.casefold, registered per connection in
    core/db.py); other text (ASCII, CJK) keeps the built-in lower(), which is much faster per row."""
    from sqlalchemy import func

    if session.get_bind().dialect.name != "sqlite":
        return col.ilike(like_pattern(text), escape="\\")
    if _cased_beyond_ascii(text):
        return func.crm_fold(col).like(like_pattern(text.casefold()), escape="\\")
    return func.lower(col).like(like_pattern(text.lower()), escape="\\")


def parents_not_trashed(*columns):
    """SQL: none of the records these foreign-key columns point at is in the trash (a NULL link is
    fine). Each parent is checked through its own alias, so a query that already joins the parent
    table (for its name) is not correlated with it."""
    from sqlalchemy import and_, select, true

    conds = []
    for col in columns:
        (fk,) = col.foreign_keys
        parent = fk.column.table.alias()
        conds.append(~select(parent.c.id).where(parent.c.id == col, parent.c.deleted_at.is_not(None)).exists())
    return and_(true(), *conds)


def indexed(session, entity: str, id_col, *parts: str | None, page: int | None = None):
    """SQL: `id_col` is among the records the substring index (core/search.py) finds for any of
    these texts; None when one of them cannot use the index (one character), so the caller's
    predicate scans as it always did. The caller still applies its predicate: the index gives a
    superset, the results are exactly the scan's.

    `page` (a listing's --limit plus --offset) is the number of rows the caller needs: a scan in the
    listing's order can stop after that many matches, which is quicker than fetching and sorting
    every candidate when the text is common. With C candidates in a table of N rows the scan reads
    about page * N / C rows, the index C: the index is used while C * C < page * N (at a million
    customers and --limit 50, up to about 7,000 candidates; then the old plan, unchanged)."""
    from math import isqrt

    from crm_cli.core import search

    terms = []
    for part in parts:
        if part is None:
            continue
        toks = search.tokens_for_query(part)
        if toks is None:
            return None
        if toks not in terms:
            terms.append(toks)
    if not terms:
        return None
    if page is not None:
        cap = isqrt(page * search.max_id(session.connection(), entity)) + 1
        if search.count_candidates(session, entity, terms, cap) >= cap:
            return None
    return id_col.in_(search.candidates(session, entity, terms))
