"""`import` and `export` subcommands for an entity's command group (the one import engine)."""

from __future__ import annotations

from typing import Annotated, List, Optional

import typer

from crm_cli.core.output import FormatOpt, JsonOpt

PLURAL = {"opp": "opportunities", "customer": "customers", "contact": "contacts", "lead": "leads"}


def register_io(app, entity: str) -> None:
    """Add `crm ENTITY import` and `crm ENTITY export` to `app`."""
    plural = PLURAL.get(entity, entity + "s")

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
        from crm_cli.core.errors import UsageError
        from crm_cli.importer.base import Options
        from crm_cli.importer.engine import run_import
        from crm_cli.core.output import Format, emit_record, info, resolve_format

        mapping = {}
        for item in map_ or []:
            if "=" not in item:
                raise UsageError(f"--map expects 'CSV header=field', got '{item}'")
            src, dst = item.rsplit("=", 1)
            mapping[src.strip()] = dst.strip()
        opts = Options(on_duplicate=on_duplicate.lower(), dry_run=dry_run, allow_rejects=allow_rejects,
                       rejects=rejects, keep_extra=keep_extra, mapping=mapping, encoding=encoding,
                       delimiter=delimiter, chunk_size=chunk_size, progress=True, strict_sources=strict_sources,
                       defaults={"source": source, "owner": owner, "campaign": campaign, "status": status})
        summary = run_import(entity, file, opts)
        s = summary
        verb = ("dry run, nothing written; would have" if s.dry_run else
                "imported" if s.written else "nothing written; would have")
        info(f"{s.file}: {verb}: read {s.read}, created {s.created}, updated {s.updated}, "
             f"unchanged {s.unchanged}, skipped as duplicate {s.skipped}, rejected {s.rejected}"
             + (f" (batch {s.batch})" if s.batch else "") + f" [{s.encoding}, delimiter {s.delimiter!r}]")
        for line in s.notes(opts.allow_rejects):
            info(line)
        if fmt is not None or as_json:
            f = resolve_format(fmt, as_json)
            rec = s.as_dict()
            if f is Format.json:
                emit_record(rec, f)
            else:
                emit_record({k: v for k, v in rec.items() if k not in ("mapping", "first_rejects")}, f)
        failure = s.failure(opts.allow_rejects)
        if failure is not None:
            raise failure

    import_.__doc__ = (f"Import {plural} from a CSV/TSV file (encoding and delimiter detected, headers mapped "
                       f"by aliases, duplicates skipped; atomic).")
    app.command("import")(import_)

    def export(
        fmt: Annotated[str, typer.Option("--format", "-f", help="csv|json|jsonl")] = "csv",
        output: Annotated[Optional[str], typer.Option("--output", "-o", help="Write to this file "
                                                      "(default: stdout).")] = None,
        owner: Annotated[Optional[str], typer.Option(help="me|HANDLE|all")] = None,
        status: Optional[str] = None,
        source: Annotated[Optional[str], typer.Option(help="(leads)")] = None,
        campaign: Annotated[Optional[str], typer.Option(help="(leads)")] = None,
        region: Optional[str] = None,
        industry: Optional[str] = None,
        tier: Annotated[Optional[str], typer.Option(help="(customers)")] = None,
        tag: Annotated[Optional[str], typer.Option(help="(customers)")] = None,
        customer: Annotated[Optional[str], typer.Option("--customer", "-c", help="(contacts)")] = None,
        batch: Annotated[Optional[int], typer.Option(help="(leads) created by this import batch")] = None,
        search: Annotated[Optional[str], typer.Option("--search", "-s")] = None,
        where: Annotated[Optional[List[str]], typer.Option("--where")] = None,
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
            info(f"exported {n} {plural} to {output}")
        else:
            n = run_export(entity, fmt, filters)
            info(f"exported {n} {plural}")

    export.__doc__ = f"Export {plural} as CSV (re-importable), JSON or JSONL; same filters as list."
    app.command("export")(export)
