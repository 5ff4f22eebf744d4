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
    table (for its name) is not correlated with it. The parent is named by the foreign key's target
    (a bare Core table clause: its model need not be imported)."""
    from sqlalchemy import and_, column, select, table, true

    conds = []
    for col in columns:
        (fk,) = col.foreign_keys
        name, key = fk.target_fullname.split(".")
        parent = table(name, column(key), column("deleted_at")).alias()
        conds.append(~select(parent.c[key]).where(parent.c[key] == col, parent.c.deleted_at.is_not(None)).exists())
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

# ---- streamed listings ------------------------------------------------------------------------------
# A big listing is a Core select of the columns its output needs, read in chunks (a server-side cursor
# on PostgreSQL) and formatted as it comes (core/output.emit), so memory stays flat whatever the count.

STREAM_CHUNK = 2000


def stream_chunks(session, q, size: int = STREAM_CHUNK):
    """The rows of select `q` in lists of at most `size`, read as they are needed."""
    from crm_cli.services.visibility import restrict

    q = restrict(session, q)  # Core on the connection: the visibility rule is added here, not by the session
    result = session.connection().execute(q, execution_options={"stream_results": True, "yield_per": size})
    yield from result.partitions(size)


def listing_columns(model, fields, extra: dict, derived: dict) -> list:
    """The columns a listing selects: all of `model`'s and `extra`'s (fields None: the whole record), or
    only those the `fields` shown need (`derived`: field -> the column names it is made from)."""
    table = model.__table__.c
    if fields is None:
        return list(table) + [col.label(name) for name, col in extra.items()]
    names: dict[str, None] = {}
    for f in fields:
        names.update(dict.fromkeys(derived[f][0] if f in derived else (f,)))
    return [table[n] for n in names if n in table] + [extra[n].label(n) for n in names if n in extra]


def stream_records(session, q, model, *, extra: dict, record, fields=None, derived: dict | None = None,
                   prepare=None, keys: tuple[str, ...] | None = None):
    """Records of the listing select `q` (its filters, joins, order and paging; its ORM columns are
    replaced): `record(row)` for each row when `fields` is None (JSON, CSV: the whole contract), else dicts
    of the `fields` shown only, each a column of `model` or `extra` (label -> column) or made by
    `derived[field] = (column names, fn(row))`. `prepare(rows)` sees each chunk first (to look up what
    its rows link to in one query: a customer's tags). `keys`: the names of `record`'s fields, in order,
    when each is the column of that name (a JSON column's field its dict): then the records can also be
    read raw (Streamed.raw, core/output's fast csv)."""
    derived = derived or {}
    cols = listing_columns(model, fields, extra, derived)
    q = q.with_only_columns(*cols, maintain_column_froms=True)
    if fields is not None:
        makers = [(f, derived[f][1]) if f in derived else (f, None) for f in fields]

        def record(row):  # noqa: F811 - the slim record of the shown fields
            return {f: fn(row) if fn else getattr(row, f) for f, fn in makers}

    def records():
        for chunk in stream_chunks(session, q):
            if prepare is not None:
                prepare(chunk)
            for row in chunk:
                yield record(row)

    if fields is not None or keys is None or prepare is not None:
        return records()
    return Streamed(records, lambda: raw_table(session, q, model, extra, keys))


class Streamed:
    """A streamed listing's records (iterate it: dicts, as `record` makes them) that can also be read as
    raw driver rows (`raw()`, for core/output's csv): no type processing, no record dict per row."""

    def __init__(self, records, raw) -> None:
        self._records, self.raw = records, raw

    def __iter__(self):
        return self._records()


RAW_KINDS = {"Integer": "int", "BigInteger": "int", "AutoString": "text", "String": "text", "Text": "text",
             "UTCDateTime": "datetime", "JSON": "json", "Boolean": "bool"}


def raw_table(session, q, model, extra: dict, keys):
    """(keys, kinds, rows) for the record fields `keys`, each a column of `model` or `extra` of the same
    name: the listing select `q` with those columns' types stripped (type_coerce to NullType: the driver's
    values as they come: text on SQLite, datetimes and dicts on PostgreSQL), read in chunks through
    stream_chunks (the visibility rule). kinds[i] in RAW_KINDS' values (core/output converts each); None
    when a field's type is not one of those (the caller then builds records)."""
    from itertools import chain

    from sqlalchemy import type_coerce
    from sqlalchemy.types import NullType

    table = model.__table__.c
    cols, kinds = [], []
    for k in keys:
        col = extra[k] if k in extra else table[k]
        kind = RAW_KINDS.get(type(col.type).__name__)
        if kind is None:
            return None
        kinds.append(kind)
        cols.append(type_coerce(col, NullType()).label(k))
    rq = q.with_only_columns(*cols, maintain_column_froms=True)
    return list(keys), kinds, chain.from_iterable(stream_chunks(session, rq))


def csv_keys_with_custom(session, q, custom_col, paged: bool):
    """For core/output.emit(csv_keys=...) on a streamed listing whose records hold a `custom` dict: the
    header is the first record's keys, then each custom.KEY column first met in a later record (what
    holding every record would give), found by one pass over the custom column alone."""
    def keys(first: dict) -> list[str]:
        import json

        from sqlalchemy import Text, cast, func

        head = list(first)
        seen = set(head)
        text = cast(custom_col, Text)
        cq = q.with_only_columns(text, maintain_column_froms=True)
        if not paged:  # only rows with custom values (paged: the same page, filtered here)
            cq = cq.where(func.length(text) > 2)
        for chunk in stream_chunks(session, cq, 10000):
            for (value,) in chunk:
                if value and value != "{}":
                    for k in json.loads(value) or {}:
                        name = f"custom.{k}"
                        if name not in seen:
                            seen.add(name)
                            head.append(name)
        return head

    return keys
