"""The adapter base class: what an entity tells the import/export engine (see the package docstring)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Iterator

from sqlalchemy import select


class RowError(Exception):
    """A bad row: rejected with this reason (written to --rejects).

    `field` names the field the reason is about: the engine then words the reason with the file's
    column for it ("Lead Source must be one of ...", not "--source must be one of ...").
    """

    def __init__(self, reason: str, field: str | None = None):
        super().__init__(reason)
        self.field = field


@dataclass
class Options:
    """Import options shared by every entity."""

    on_duplicate: str = "skip"          # skip | update | error
    dry_run: bool = False
    allow_rejects: bool = False
    rejects: str | None = None          # path of the rejects CSV
    keep_extra: bool = False
    mapping: dict[str, str] = field(default_factory=dict)   # CSV header -> field
    encoding: str | None = None
    delimiter: str | None = None
    defaults: dict[str, Any] = field(default_factory=dict)  # --source/--owner/--campaign/--status
    strict_sources: bool = False        # leads: reject unknown sources instead of adding them
    chunk_size: int = 5000
    progress: bool = False


def header_key(text: str) -> str:
    """Header comparison key: width-, case-, space- and punctuation-insensitive."""
    t = unicodedata.normalize("NFKC", text or "").casefold()
    return re.sub(r"[\W_]+", "", t)


@dataclass
class Cleaned:
    """A cleaned chunk: column names, and per row a tuple of values (or a RowError, or None)."""

    names: tuple[str, ...]
    rows: list


class Adapter:
    entity: str = ""
    model: Any = None
    fields: dict[str, list[str]] = {}
    combine: dict[str, tuple[str, ...]] = {}
    required: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()
    # keys looked up as another key: {"office_phone_key": "phone_key"} checks a row's value against
    # the phone_key of records and of earlier rows (the value itself is no record's key)
    key_aliases: dict[str, str] = {}
    label: str = "name"
    export_columns: list[str] | None = None
    # header keys that are known but deliberately not imported (not reported as unknown)
    ignore: tuple[str, ...] = ("id", "createdat", "updatedat", "createdby")

    session: Any = None
    opts: Options | None = None

    # ---- import ---------------------------------------------------------------------------------
    def prepare(self, session, opts: Options) -> None:
        """Once per import, before the first row."""

    def clean(self, raw: dict[str, str]) -> dict:
        """Field texts -> table columns; raise RowError to reject. A field the file does not give
        stays None (an update leaves it as it is); defaults for new records: insert_defaults()."""
        raise NotImplementedError

    def finish(self, summary, keep: bool) -> None:
        """Once per import, after the last row, before the commit (`keep`) or the rollback."""

    def insert_defaults(self) -> dict:
        """Column values for new records whose row leaves them empty (--owner, --status...); never
        applied to an existing record a row updates."""
        return {}

    def link(self, conn, batch_id: int) -> None:
        """Once per import, after the last row is written, in the import's transaction: what needs
        every row in (tags, a parent that comes later in the file). Raise to abort the import."""

    def clean_columns(self, fields: dict[str, list], n: int, skip: set[int]) -> Cleaned:
        """A chunk at once: field -> values (None where empty) for n rows -> the table columns'
        names, and per row a tuple of their values or the RowError rejecting it (None for rows in
        `skip`, which the engine rejects itself).

        This default calls clean() row by row; an adapter for big files (leads) checks each
        column in one pass instead, and never builds a dict per row.
        """
        from crm_cli.core.errors import ValidationError

        names = list(fields)
        out: list = []
        for i, values in enumerate(zip(*fields.values())):
            if i in skip:
                out.append(None)
                continue
            try:
                out.append(self.clean({k: v for k, v in zip(names, values) if v is not None}))
            except RowError as exc:
                out.append(exc)
            except ValidationError as exc:
                out.append(RowError(str(exc)))
        columns = list(dict.fromkeys(k for rec in out if type(rec) is dict for k in rec))
        return Cleaned(tuple(columns), [tuple(rec.get(c) for c in columns) if type(rec) is dict else rec
                                        for rec in out])

    def match_tables(self) -> list[tuple[str, Any, str]]:
        """Where duplicates are looked for: (entity, table model, label column), in order."""
        return [(self.entity, self.model, self.label)]

    def match(self, conn, key: str, values: list) -> dict:
        """Live records whose column `key` is in `values`: {value: (entity, id, label)}; the first
        table that has a value wins, and in a table its oldest record."""
        out: dict = {}
        for entity, model, label in self.match_tables():
            left = [v for v in values if v not in out]
            if not left:
                break
            for value, ident, lab in lookup(conn, model.__table__, key, left, label):
                out.setdefault(value, (entity, ident, lab))
        return out

    def has_values(self, conn, key: str) -> bool:
        """Does any live record that match() searches have a value for `key`?"""
        for _entity, model, _label in self.match_tables():
            t = model.__table__
            if conn.execute(select(t.c.id).where(t.c[key].is_not(None), t.c.deleted_at.is_(None))
                            .limit(1)).first():
                return True
        return False

    def lookup_columns(self) -> set[str]:
        """The table columns match() reads (kept indexed through a bulk load)."""
        return set(self.keys)

    def describe(self, key: str) -> str:
        """'email' for 'email_key' (used in 'same email as lead 3')."""
        return key.removesuffix("_key").replace("_", " ")

    # ---- export ---------------------------------------------------------------------------------
    def columns(self) -> list[str]:
        return list(self.export_columns or self.fields)

    def export_rows(self, session, filters: dict) -> Iterator[dict]:
        raise NotImplementedError

    def check_filters(self, filters: dict, allowed: tuple[str, ...]) -> None:
        """Refuse export filters this entity does not have."""
        from crm_cli.core.errors import UsageError

        for k in filters:
            if k not in allowed:
                raise UsageError(f"--{k} is not a filter for {self.entity} export",
                                 "filters: " + ", ".join("--" + a for a in allowed))

    # ---- helpers ----------------------------------------------------------------------------------
    def alias_table(self) -> dict[str, tuple[str, int]]:
        """header key -> (field, priority); lower priority wins when two headers map to one field."""
        table: dict[str, tuple[str, int]] = {}
        for name, aliases in self.fields.items():
            for prio, alias in enumerate([name, name.replace("_", " "), *aliases]):
                table.setdefault(header_key(alias), (name, prio))
        for target, parts in self.combine.items():
            for part in parts:
                for prio, alias in enumerate([part, *PART_ALIASES.get(part, [])]):
                    table.setdefault(header_key(alias), (part, prio))
        return table


PART_ALIASES = {
    "first_name": ["first", "first name", "firstname", "given name", "givenname", "forename", "名"],
    "middle_name": ["middle name", "middle initial", "middleinitial"],
    "last_name": ["last", "last name", "lastname", "surname", "family name", "姓"],
}


def lookup(conn, table, key: str, values: list, label: str = "name"):
    """Rows (value, id, label) of live records whose `key` is in `values`, oldest first: one indexed
    IN query (sorted here: an ORDER BY made SQLite sort through a temp B-tree, 4x the query's time).

    Plain portable SQL with the driver's placeholders (no per-value statement compilation); the list
    is padded to a multiple of 512 so the driver's prepared-statement cache stays small.
    """
    values = list(values)
    if not values:
        return []
    values.extend([values[0]] * (-len(values) % 512))
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    q = conn.dialect.identifier_preparer.quote
    sql = (f"SELECT {q(key)}, id, {q(label)} FROM {q(table.name)} WHERE {q(key)} IN "
           f"({', '.join([mark] * len(values))}) AND deleted_at IS NULL")
    return sorted(conn.exec_driver_sql(sql, tuple(values)).all(), key=_by_id)


def _by_id(row):
    return row[1]


def customer_by_name(conn, cache: dict, text: str) -> int:
    """The id of the one live customer whose normalised name is `text`'s (cached per import).

    Raises RowError when there is none or several.
    """
    from crm_cli.models import Customer
    from crm_cli.core import normalize

    key = normalize.name_key(text)
    if key not in cache:
        rows = conn.execute(select(Customer.id).where(Customer.name_key == key, Customer.deleted_at.is_(None))
                            .order_by(Customer.id).limit(2)).all()
        cache[key] = rows[0][0] if len(rows) == 1 else (-len(rows) if rows else None)
    hit = cache[key]
    if hit is None:
        raise RowError(f"no customer '{text}' (import or add the customer first)")
    if hit < 0:
        raise RowError(f"customer '{text}' is ambiguous (several customers have that name)")
    return hit
