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
