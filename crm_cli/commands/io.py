"""`import` and `export` subcommands for an entity's command group (the one import engine)."""

from __future__ import annotations

from typing import Annotated, List, Optional

import typer

from crm_cli.core.options import FormatOpt, JsonOpt, WhereOpt, OwnerOpt, SearchOpt

from crm_cli import registry


def register_io(app, entity: str) -> None:
    """Add `crm ENTITY import` and `crm ENTITY export` to `app`."""
    plural = registry.plural(entity)
    rows = (registry.entity(entity).rows if registry.entity(entity) else None) or plural

    def import_(
        file: Annotated[str, typer.Argument(help="CSV/TSV file, or - for stdin.", show_default=False)],
        map_: Annotated[Optional[List[str]], typer.Option("--map", help="'CSV header=field' (repeatable); "
                                                          "field may be custom.KEY or ignore.")] = None,
        on_duplicate: Annotated[str, typer.Option("--on-duplicate", help="skip|update|error")] = "skip",
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate and report; write nothing.")] = False,
        rejects: Annotated[Optional[str], typer.Option("--rejects", help="Write bad rows with a reason column "
                                                       "to this CSV file.")] = None,
        allow_rejects: Annotated[bool, typer.Option("--allow-rejects", help="Import the good rows even if some "
                                                    "are rejected.")] = False,
        keep_extra: Annotated[bool, typer.Option("--keep-extra", help="Keep unknown columns as custom "
                                                 "fields.")] = False,
        encoding: Annotated[Optional[str], typer.Option(help="Force the encoding (default: detected).")] = None,
        delimiter: Annotated[Optional[str], typer.Option(help="Force the delimiter (default: sniffed; "
                                                         "'tab' for TAB).")] = None,
        source: Annotated[Optional[str], typer.Option(help="Default source for rows without one.")] = None,
        owner: Annotated[Optional[str], typer.Option(help="Default owner (handle) for rows without one.")]
        = None,
        campaign: Annotated[Optional[str], typer.Option(help="Default campaign for rows without one.")] = None,
        status: Annotated[Optional[str], typer.Option(help="Default status for rows without one.")] = None,
        strict_sources: Annotated[bool, typer.Option("--strict-sources", help="(leads) Reject rows whose source "
                                                     "is not configured, instead of adding it.")] = False,
        chunk_size: Annotated[int, typer.Option(min=100, max=50000, hidden=True)] = 5000,
        fmt: FormatOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        from crm_cli.core.output import Format, emit_record, info, resolve_format
        from crm_cli.importer import summary as report
        from crm_cli.importer.engine import run_import

        opts = report.import_options(map_=map_, on_duplicate=on_duplicate, dry_run=dry_run, rejects=rejects,
                                     allow_rejects=allow_rejects, keep_extra=keep_extra, encoding=encoding,
                                     delimiter=delimiter, chunk_size=chunk_size, strict_sources=strict_sources,
                                     defaults={"source": source, "owner": owner, "campaign": campaign,
                                               "status": status})
        summary = run_import(entity, file, opts)
        for line in report.summary_lines(summary, opts):
            info(line)
        if fmt is not None or as_json:
            f = resolve_format(fmt, as_json)
            emit_record(report.summary_record(summary, full=f is Format.json), f)
        report.check_rejected(summary, opts)

    import_.__doc__ = (f"Import {rows} from a CSV/TSV file (encoding and delimiter detected, headers mapped "
                       f"by aliases, duplicates skipped; atomic).")
    app.command("import")(import_)

    def export(
        fmt: Annotated[str, typer.Option("--format", "-f", help="csv|json|jsonl")] = "csv",
        output: Annotated[Optional[str], typer.Option("--output", "-o", help="Write to this file "
                                                      "(default: stdout).")] = None,
        owner: OwnerOpt = None,
        status: Optional[str] = None,
        source: Annotated[Optional[str], typer.Option(help="(leads)")] = None,
        campaign: Annotated[Optional[str], typer.Option(help="(leads)")] = None,
        region: Optional[str] = None,
        industry: Optional[str] = None,
        tier: Annotated[Optional[str], typer.Option(help="(customers)")] = None,
        tag: Annotated[Optional[str], typer.Option(help="(customers)")] = None,
        customer: Annotated[Optional[str], typer.Option("--customer", "-c", help="(contacts)")] = None,
        batch: Annotated[Optional[int], typer.Option(help="(leads) created by this import batch")] = None,
        search: SearchOpt = None,
        where: WhereOpt = None,
    ) -> None:
        from crm_cli.importer.export import run_export
        from crm_cli.core.output import info

        filters = {k: v for k, v in dict(owner=owner, status=status, source=source, campaign=campaign,
                                          region=region, industry=industry, tier=tier, tag=tag,
                                          customer=customer, batch=batch, search=search, where=where).items()
                   if v is not None}
        if output:
            try:
                fh = open(output, "w", newline="", encoding="utf-8")
            except OSError as exc:
                from crm_cli.core.errors import CrmError

                raise CrmError(f"--output: cannot write {output}: {exc.strerror}") from None
            with fh:
                n = run_export(entity, fmt, filters, fh)
            info(f"exported {n} {rows} to {output}")
        else:
            n = run_export(entity, fmt, filters)
            info(f"exported {n} {rows}")

    export.__doc__ = f"Export {plural} as CSV (re-importable), JSON or JSONL; same filters as list."
    app.command("export")(export)
