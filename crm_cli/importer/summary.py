"""`crm ENTITY import` around the engine: its options built from the command line, and what it tells
the user afterwards (the summary lines, the summary record, the error when rows were rejected)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crm_cli.core.errors import UsageError
from crm_cli.importer.base import Options

if TYPE_CHECKING:
    from crm_cli.importer.engine import Summary


def parse_mapping(items: list[str] | None) -> dict[str, str]:
    """`--map 'CSV header=field'` values -> {header: field} (the last '=' splits)."""
    mapping = {}
    for item in items or []:
        if "=" not in item:
            raise UsageError(f"--map expects 'CSV header=field', got '{item}'")
        src, dst = item.rsplit("=", 1)
        mapping[src.strip()] = dst.strip()
    return mapping


def import_options(*, map_: list[str] | None = None, on_duplicate: str = "skip", dry_run: bool = False,
                   rejects: str | None = None, allow_rejects: bool = False, keep_extra: bool = False,
                   encoding: str | None = None, delimiter: str | None = None, chunk_size: int = 5000,
                   defaults: dict[str, Any] | None = None, progress: bool = True,
                   strict_sources: bool = False) -> Options:
    """The engine's Options from the import command's flags."""
    return Options(on_duplicate=on_duplicate.lower(), dry_run=dry_run, allow_rejects=allow_rejects,
                   rejects=rejects, keep_extra=keep_extra, mapping=parse_mapping(map_), encoding=encoding,
                   delimiter=delimiter, chunk_size=chunk_size, progress=progress, defaults=dict(defaults or {}),
                   strict_sources=strict_sources)


def summary_lines(s: Summary, opts: Options) -> list[str]:
    """The messages for people after an import: counts, then the columns left out, new lead sources and
    (with --allow-rejects) one line about the rejected rows."""
    verb = ("dry run, nothing written; would have" if s.dry_run else
            "imported" if s.written else "nothing written; would have")
    lines = [f"{s.file}: {verb}: read {s.read}, created {s.created}, updated {s.updated}, "
             f"unchanged {s.unchanged}, skipped as duplicate {s.skipped}, rejected {s.rejected}"
             + (f" (batch {s.batch})" if s.batch else "") + f" [{s.encoding}, delimiter {s.delimiter!r}]"]
    return lines + s.notes(opts.allow_rejects)


def summary_record(s: Summary, full: bool) -> dict:
    """The summary as a record; `full` (JSON) keeps the mapping and the first rejects, which the flat
    formats leave out."""
    rec = s.as_dict()
    if full:
        return rec
    return {k: v for k, v in rec.items() if k not in ("mapping", "first_rejects")}


def check_rejected(s: Summary, opts: Options) -> None:
    """Rejected rows without --allow-rejects: nothing was imported, and that is one error line."""
    failure = s.failure(opts.allow_rejects)
    if failure is not None:
        raise failure
