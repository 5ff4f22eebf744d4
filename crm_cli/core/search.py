"""The substring index behind --search and `crm kb search`: bigrams of folded text (issues 12, 14).

A LIKE '%text%' cannot use a B-tree, so a search walked the whole table (3 s at a million
customers). This index does not grow with the table per search: each record's text is cut into
tokens once, when it is written, and a search looks up its own few tokens.

Tokens. The text is folded (NFKD, casefold, combining marks dropped: full-width 'ＡＢ１' is 'ab1',
'Ω' is 'ω', 'é' is 'e') and split into runs of letters and digits. A run of one character is its own
token; a longer run gives its overlapping bigrams: '北京华为' -> 北京 京华 华为, 'acme' -> ac cm me.
Every substring of two or more characters of a run is therefore a phrase of consecutive tokens, which
is how two-character Chinese fragments are found (a trigram index cannot find them).

A query is turned into the phrase of its tokens (tokens_for_query); a run at either end of the query
may be the end of a longer run in the record, so a one-character run there is dropped. A query
with no token left (one character) cannot use the index: the caller keeps its old scan. The index
gives candidates (a superset: folding ignores accents, PostgreSQL checks the tokens but not their
order); the caller's own predicate (services.listing.contains) is then applied to them, so a search
returns exactly what the scan returned.

Storage, one table per indexed entity (`customer_search`, ...), one row per record (trashed ones
too: a restore needs no work), id = the record's id:
- SQLite: an FTS5 table (unicode61 tokenizer, remove_diacritics 0) whose columns hold the
  space-separated tokens; a query is an FTS5 phrase ("ac cm me"), ranked by bm25() where wanted.
- PostgreSQL: a tsvector column with a GIN index, written as a tsvector literal (the tokens are the
  lexemes as they are; no parser, no stemming); a query is a tsquery of its tokens joined by & (the
  candidates' text is checked afterwards); ranked by ts_rank with the columns as weights A, B, C.
The dialect branch is in this module only. Records are indexed by the services' session hook
(services/searchindex.py) and, for Core writes, by the importer calling reindex().
"""

from __future__ import annotations

import re
import unicodedata
from typing import Iterable, NamedTuple


class Index(NamedTuple):
    table: str                              # the records' table
    columns: tuple[tuple[str, tuple[str, ...]], ...]  # (index column, the record's fields in it)

    def fields(self) -> list[str]:
        return [f for _col, fs in self.columns for f in fs]


INDEXES: dict[str, Index] = {
    "customer": Index("customers", (("grams", ("name", "email", "name_key", "phone_key")),)),
    "lead": Index("leads", (("grams", ("name", "company", "email", "company_key", "phone_key")),)),
    "contact": Index("contacts", (("grams", ("name", "email", "phone_key")),)),
    "kb": Index("kb_articles", (("title", ("title",)), ("tags", ("tags", "product")), ("body", ("body",)))),
}
WEIGHTS = "ABC"  # PostgreSQL: the index columns' weights, in order

_RUN = re.compile(r"[^\W_]+")  # letters and digits (str.isalnum)
BATCH = 2000


def index_table(entity: str) -> str:
    return f"{entity}_search"


class _NoMarks(dict):
    """str.translate table dropping combining marks (category M), filled as characters are seen."""

    def __missing__(self, code: int):
        value = None if unicodedata.category(chr(code))[0] == "M" else code
        self[code] = value
        return value


_NO_MARKS = _NoMarks()


def fold(text: str | None) -> str:
    """Compatibility-decomposed, case-folded, without combining marks."""
    if not text:
        return ""
    if text.isascii():
        return text.lower()
    t = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    return t if t.isascii() else t.translate(_NO_MARKS)


def _run_tokens(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i:i + 2] for i in range(len(run) - 1)]


# every overlapping bigram of a run of letters and digits, or a run of one, in text order
_TOKEN = re.compile(r"(?=([^\W_]{2}))|(?<![^\W_])([^\W_])(?![^\W_])")


def tokens(text: str | None) -> list[str]:
    """The index tokens of a text, in order."""
    if not text:
        return []
    return [a or b for a, b in _TOKEN.findall(fold(text))]


def tokens_for_query(text: str | None) -> list[str] | None:
    """The tokens every record containing `text` has, consecutively; None when there are none."""
    t = fold(text)
    runs = [(m.start(), m.group()) for m in _RUN.finditer(t)]
    if runs and len(runs[0][1]) == 1 and runs[0][0] == 0:
        runs = runs[1:]  # the end of a longer run, perhaps
    if runs and len(runs[-1][1]) == 1 and runs[-1][0] + 1 == len(t):
        runs = runs[:-1]
    out: list[str] = []
    for _start, run in runs:
        out.extend(_run_tokens(run))
    return out or None


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def loose_terms(text: str) -> list[list[str]]:
    """Terms for a similarity search (ticket suggestions): each word of two or more characters is a
    phrase; a run of CJK characters (no spaces between words) gives each bigram as its own term."""
    out: list[list[str]] = []
    for run in _RUN.findall(fold(text)):
        wide = "".join(ch if _wide(ch) else " " for ch in run).split()
        narrow = "".join(" " if _wide(ch) else ch for ch in run).split()
        for w in wide:
            out.extend([tok] for tok in _run_tokens(w))
        out.extend(_run_tokens(w) for w in narrow if len(w) >= 2)
    seen, unique = set(), []
    for term in out:
        if tuple(term) not in seen:
            seen.add(tuple(term))
            unique.append(term)
    return unique


# ---- SQL (the dialect branch) ------------------------------------------------------------------------

def _sqlite(conn) -> bool:
    return conn.dialect.name == "sqlite"


def create_sql(dialect: str, entity: str) -> list[str]:
    """DDL of one entity's index table."""
    spec, name = INDEXES[entity], index_table(entity)
    if dialect == "sqlite":
        cols = ", ".join(col for col, _f in spec.columns)
        return [f"CREATE VIRTUAL TABLE {name} USING fts5({cols}, "
                "tokenize = 'unicode61 remove_diacritics 0')"]
    return [f"CREATE TABLE {name} (id INTEGER PRIMARY KEY REFERENCES {spec.table} (id) ON DELETE CASCADE, "
            "doc TSVECTOR NOT NULL)",
            f"CREATE INDEX ix_{name}_doc ON {name} USING gin (doc)"]


def drop_sql(entity: str) -> list[str]:
    return [f"DROP TABLE IF EXISTS {index_table(entity)}"]


def _tsvector(columns: list[list[str]], weighted: bool) -> str:
    """A tsvector literal: 'ab':1A,3A 'bc':2A (positions only where a weight needs them)."""
    if not weighted:
        lexemes = sorted({tok for toks in columns for tok in toks})
        return " ".join(f"'{tok}'" for tok in lexemes)
    pos: dict[str, list[str]] = {}
    n = 0
    for weight, toks in zip(WEIGHTS, columns):
        for tok in toks:
            n += 1
            pos.setdefault(tok, []).append(f"{min(n, 16383)}{weight}")
    return " ".join(f"'{tok}':{','.join(p)}" for tok, p in pos.items())


def _doc_columns(spec: Index, values: dict) -> list[list[str]]:
    return [[tok for f in fields for tok in tokens(values.get(f))] for _col, fields in spec.columns]


def write(conn, entity: str, rows: Iterable[dict], replace: bool = True) -> int:
    """(Re)index records given as dicts of their id and fields (replace=False: they are not in the
    index yet)."""
    spec, name = INDEXES[entity], index_table(entity)
    rows = list(rows)
    if not rows:
        return 0
    ids = [r["id"] for r in rows]
    if _sqlite(conn):
        for i in range(0, len(ids) if replace else 0, 500):
            chunk = ids[i:i + 500]
            conn.exec_driver_sql(f"DELETE FROM {name} WHERE rowid IN ({','.join('?' * len(chunk))})", tuple(chunk))
        cols = [col for col, _f in spec.columns]
        sql = f"INSERT INTO {name} (rowid, {', '.join(cols)}) VALUES (?{', ?' * len(cols)})"
        conn.exec_driver_sql(sql, [(r["id"], *(" ".join(toks) for toks in _doc_columns(spec, r))) for r in rows])
    else:
        weighted = len(spec.columns) > 1
        sql = (f"INSERT INTO {name} (id, doc) VALUES (%s, CAST(%s AS tsvector)) "
               "ON CONFLICT (id) DO UPDATE SET doc = EXCLUDED.doc")
        conn.exec_driver_sql(sql, [(r["id"], _tsvector(_doc_columns(spec, r), weighted)) for r in rows])
    return len(rows)


def delete(conn, entity: str, ids: list[int]) -> None:
    key = "rowid" if _sqlite(conn) else "id"
    mark = "?" if _sqlite(conn) else "%s"
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        conn.exec_driver_sql(f"DELETE FROM {index_table(entity)} WHERE {key} IN ({','.join([mark] * len(chunk))})",
                             tuple(chunk))


def reindex(conn, entity: str, ids: list[int] | None = None, above: int | None = None, fresh: bool = False) -> int:
    """Index the records with these ids, or with an id above `above`, or all of them (in batches).
    fresh=True: none of them is in the index yet (a new index table), no old rows to delete."""
    from sqlalchemy import column, select, table

    spec = INDEXES[entity]
    t = table(spec.table, column("id"), *(column(f) for f in spec.fields()))
    if ids is not None:
        n = 0
        for i in range(0, len(ids), BATCH):
            chunk = ids[i:i + BATCH]
            n += write(conn, entity, [dict(r._mapping) for r in conn.execute(select(t).where(t.c.id.in_(chunk)))])
        return n
    last, n = above or 0, 0
    while True:
        rows = [dict(r._mapping) for r in conn.execute(select(t).where(t.c.id > last).order_by(t.c.id).limit(BATCH))]
        if not rows:
            return n
        n += write(conn, entity, rows, replace=not fresh)
        last = rows[-1]["id"]


def rebuild(conn) -> int:
    """Empty every index table and index every record again (after a bulk load of the tables: `crm db
    load`, `crm db copy`, a restore from a dump directory); the records indexed."""
    n = 0
    for entity in INDEXES:
        conn.exec_driver_sql(f"DELETE FROM {index_table(entity)}")
        n += reindex(conn, entity, fresh=True)
    return n


def max_id(conn, entity: str) -> int:
    return conn.exec_driver_sql(f"SELECT max(id) FROM {INDEXES[entity].table}").scalar() or 0


def _fts_phrase(toks: list[str]) -> str:
    return '"' + " ".join(toks) + '"'


def _tsquery(toks: list[str]) -> str:
    return " & ".join(f"'{tok}'" for tok in dict.fromkeys(toks))


def match_expression(dialect: str, terms: list[list[str]], any_: bool = True) -> str:
    """The index query for records having any (or all) of these token phrases."""
    if dialect == "sqlite":
        return (" OR " if any_ else " AND ").join(_fts_phrase(t) for t in terms)
    return (" | " if any_ else " & ").join(f"({_tsquery(t)})" for t in terms)


def _candidates_sql(dialect: str, entity: str) -> str:
    name = index_table(entity)
    if dialect == "sqlite":
        return f"SELECT rowid FROM {name} WHERE {name} MATCH :q"
    return f"SELECT id FROM {name} WHERE doc @@ CAST(:q AS tsquery)"


def candidates(session, entity: str, terms: list[list[str]], any_: bool = True):
    """SQL: the ids of the records whose index has any (or all) of `terms` (a superset of the
    records containing them; check the text after)."""
    from sqlalchemy import bindparam, text

    dialect = session.get_bind().dialect.name
    sql = _candidates_sql(dialect, entity)
    return text(sql).bindparams(bindparam("q", match_expression(dialect, terms, any_)))


def count_candidates(session, entity: str, terms: list[list[str]], cap: int) -> int:
    """How many candidates the index has for `terms`, counting no further than `cap`."""
    from sqlalchemy import text

    dialect = session.get_bind().dialect.name
    sql = f"SELECT count(*) FROM ({_candidates_sql(dialect, entity)} LIMIT :cap) AS c"
    return session.execute(text(sql), {"q": match_expression(dialect, terms), "cap": cap}).scalar()


def ranked(session, entity: str, terms: list[list[str]], any_: bool = True):
    """SQL: (id, rank) of the matching records, best first by rank (lower is better): SQLite bm25()
    with the columns weighted 10 (title), 5 (tags, product), 1 (body); PostgreSQL -ts_rank() with
    weights A, B, C (1.0, 0.4, 0.2)."""
    from sqlalchemy import bindparam, text

    dialect = session.get_bind().dialect.name
    name = index_table(entity)
    expr = match_expression(dialect, terms, any_)
    if dialect == "sqlite":
        weights = ", ".join(("10.0", "5.0", "1.0")[:len(INDEXES[entity].columns)])
        sql = f"SELECT rowid AS id, bm25({name}, {weights}) AS rank FROM {name} WHERE {name} MATCH :q"
    else:
        sql = (f"SELECT id, -ts_rank('{{0.1, 0.2, 0.4, 1.0}}', doc, CAST(:q AS tsquery)) AS rank "
               f"FROM {name} WHERE doc @@ CAST(:q AS tsquery)")
    from sqlalchemy import Float, Integer

    return text(sql).bindparams(bindparam("q", expr)).columns(id=Integer, rank=Float)


def stored(conn, entity: str) -> dict[int, list[str]]:
    """What the index holds, per record: its lexemes, sorted (for tests and `crm db check`)."""
    name = index_table(entity)
    if _sqlite(conn):
        rows = conn.exec_driver_sql(f"SELECT rowid, * FROM {name}").all()
        return {r[0]: sorted({tok for col in r[1:] for tok in col.split()}) for r in rows}
    rows = conn.exec_driver_sql(f"SELECT id, tsvector_to_array(doc) FROM {name}").all()
    return {r[0]: sorted(set(r[1])) for r in rows}


def expected(conn, entity: str) -> dict[int, list[str]]:
    """What the index should hold, recomputed from the records."""
    from sqlalchemy import column, select, table

    spec = INDEXES[entity]
    t = table(spec.table, column("id"), *(column(f) for f in spec.fields()))
    out = {}
    for r in conn.execute(select(t)):
        m = r._mapping
        toks = sorted({tok for f in spec.fields() for tok in tokens(m[f])})
        out[m["id"]] = toks
    return out


def is_index_table(name: str | None) -> bool:
    """An index table or one of SQLite FTS5's shadow tables (customer_search_data, ...): not a model."""
    return bool(name) and any(name == index_table(e) or name.startswith(index_table(e) + "_") for e in INDEXES)
