"""Bulk loads on SQLite: secondary indexes are built once at the end instead of row by row.

Inserting into a B-tree index per row costs more than the row itself (100k leads into an empty
table: 0.76 s without indexes, 1.84 s with the 17 it had then; building them afterwards, 0.5 s). Once an import has read more rows than its table held
when it started (and at least MIN_ROWS), the indexes the import itself does not read are dropped
inside the import's transaction and created again, from their own saved SQL, before it commits.

What the import reads stays indexed the whole time: unique indexes (they are constraints too) and
every index whose first column is a duplicate key or `external_id`. Partial indexes (`col IS NOT
NULL`) on columns the import leaves empty stay too: they cost nothing to keep. (The batch's own index is rebuilt before the engine
reads the batch's rows back, for their history.)

SQLite DDL is transactional, so a rollback (--dry-run, rejects, an error, Ctrl-C, a killed
process) brings the indexes back with everything else. Other databases keep their indexes:
PostgreSQL would lock the table for everyone for the length of the import.
"""

from __future__ import annotations

MIN_ROWS = 5_000


class DeferredIndexes:
    def __init__(self, conn, table: str, keep_columns: set[str]):
        self.conn = conn
        self.table = table
        self.keep = set(keep_columns) | {"external_id"}
        self.enabled = conn.dialect.name == "sqlite"
        self.dropped: list[tuple[str, str]] = []  # (name, CREATE INDEX sql)
        # rows the table held before this import (an upper bound: the highest id)
        self.existing = (conn.exec_driver_sql(f"SELECT max(id) FROM {self._q(table)}").scalar() or 0
                         if self.enabled else 0)

    def _q(self, name: str) -> str:
        return self.conn.dialect.identifier_preparer.quote(name)

    def maybe_defer(self, rows_read: int, written) -> None:
        """Called before each chunk is written: drop the deferrable indexes once the import is big
        enough (then never again: what it dropped, restore() creates). `written()` gives the
        columns the chunk has values for: a partial index on a column the import leaves empty
        costs nothing to keep, and would cost a table scan to build again."""
        if not self.enabled or rows_read < MIN_ROWS or rows_read < self.existing:
            return
        written = written()
        self.enabled = False  # decide once
        sql = dict(self.conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
            (self.table,)).all())
        for _seq, name, unique, _origin, partial in self.conn.exec_driver_sql(
                f"PRAGMA index_list({self._q(self.table)})").all():
            if unique or name not in sql:
                continue
            first = self.conn.exec_driver_sql(f"PRAGMA index_info({self._q(name)})").first()
            if first is None or first[2] in self.keep or (partial and first[2] not in written):
                continue
            self.dropped.append((name, sql[name]))
        for name, _sql in self.dropped:
            self.conn.exec_driver_sql(f"DROP INDEX {self._q(name)}")

    def restore(self) -> None:
        """Create the dropped indexes again (before commit)."""
        for _name, sql in self.dropped:
            self.conn.exec_driver_sql(sql)
        self.dropped = []


class SeenKeys:
    """Which values of one duplicate key need a database lookup.

    When no record held a value for the key as the import started (a first import, the usual big
    one), a value can only match a record this import wrote. Those values are marked in a
    one-hash Bloom filter of 8 MiB, whatever the file's size: a value whose slot is unmarked is new
    without asking the database; one whose slot is marked (by the same value, or by another: about
    1 in 80 at 100k values, 1 in 9 at a million) is looked up as before. When records held values
    already, every value is looked up.
    """

    BITS = 23

    def __init__(self, look_up_all: bool):
        self.all = look_up_all
        self.slots = None if look_up_all else bytearray(1 << self.BITS)

    def to_look_up(self, values: set) -> list:
        """The values that need a lookup; all of them count as seen from now on (the caller writes
        them, or finds them written already)."""
        if self.all:
            return list(values)
        values = list(values)
        mask = (1 << self.BITS) - 1
        slots = [h & mask for h in map(hash, values)]
        marked = list(map(self.slots.__getitem__, slots))
        out = [v for v, m in zip(values, marked) if m]
        mark = self.slots
        for i in slots:
            mark[i] = 1
        return out
