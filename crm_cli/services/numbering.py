"""Document numbers (Q-2026-0001, SO-2026-0001, T-2026-0001): never given twice, never reused.

One atomic upsert per number on the (prefix, year) counter row: the row lock (PostgreSQL) or the
write lock (SQLite) serialises concurrent creators, and a rolled-back transaction gives its number
back, so numbers are not skipped needlessly either. Portable SQL (INSERT ... ON CONFLICT ... DO
UPDATE ... RETURNING works on SQLite 3.35+ and PostgreSQL 9.5+).
"""

from __future__ import annotations

from sqlalchemy import text

_NEXT = text("INSERT INTO document_counters (prefix, year, last) VALUES (:prefix, :year, 1) "
             "ON CONFLICT (prefix, year) DO UPDATE SET last = document_counters.last + 1 RETURNING last")


def next_number(session, prefix: str, year: int) -> str:
    """The next number for `prefix` in `year`: PREFIX-YYYY-NNNN (more digits after 9999)."""
    n = session.execute(_NEXT, {"prefix": prefix, "year": year}).scalar_one()
    return f"{prefix}-{year}-{n:04d}"
