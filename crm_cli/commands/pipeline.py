"""crm pipeline: sales processes, each an ordered list of stages."""

from __future__ import annotations

from typing import Annotated, List, Optional

import typer

from crm_cli.core.options import FormatOpt, JsonOpt, QuietOpt

app = typer.Typer(help="Pipelines (sales processes): list, show, add, edit. Stages: see 'crm stage'.",
                  no_args_is_help=True)


@app.command("list")
def list_(fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """List pipelines with their stage and open-opportunity counts."""
    from crm_cli.core import db
    from crm_cli.core.output import emit
    from crm_cli.services import pipelines

    with db.session_scope() as s:
        rows = pipelines.pipeline_records(s)
    emit(rows, pipelines.PIPELINE_COLUMNS, fmt, as_json)


@app.command("show")
def show(ref: Annotated[Optional[str], typer.Argument(help="Pipeline id or name (default pipeline if "
                                                           "omitted).")] = None,
         fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """A pipeline's stages in order: probability, kind, quota, opportunities held."""
    from crm_cli.core import db
    from crm_cli.core.output import emit, emit_record
    from crm_cli.services import pipelines

    with db.session_scope() as s:
        p = pipelines.get_pipeline(s, ref)
        rows = pipelines.stage_records(s, p)
        rec = next(r for r in pipelines.pipeline_records(s) if r["id"] == p.id)
    from crm_cli.core.output import Format, resolve_format

    f = resolve_format(fmt, as_json)
    if f in (Format.json, Format.jsonl):
        rec["stages"] = rows
        emit_record(rec, f)
    elif f in (Format.csv, Format.plain):
        emit(rows, pipelines.STAGE_COLUMNS, f)
    else:
        emit(rows, pipelines.STAGE_COLUMNS, f, title=f"Pipeline {p.id}: {p.name}")


@app.command("add")
def add(
    name: Annotated[Optional[str], typer.Argument(help="Pipeline name.", show_default=False)] = None,
    stage: Annotated[Optional[List[str]], typer.Option(
        "--stage", help="NAME:PROBABILITY[:open|won|lost], in order (repeatable). Default: Prospecting 10, "
                        "Qualification 20, Proposal 50, Negotiation 80, Won 100, Lost 0.")] = None,
    description: Optional[str] = None,
    quiet: QuietOpt = False,
) -> None:
    """Add a pipeline, e.g. crm pipeline add Renewals --stage Contacted:30 --stage Quoted:70
    --stage Renewed:100:won --stage Churned:0:lost"""
    from crm_cli.core import db, prompts
    from crm_cli.core.output import created
    from crm_cli.services import pipelines

    name = prompts.require(name, "NAME", "Pipeline name")
    with db.session_scope() as s:
        p = pipelines.add_pipeline(s, name, stage, description)
        created("pipeline", p.id, p.name, quiet)


@app.command("edit")
def edit(ref: Annotated[str, typer.Argument(help="Pipeline id or name.")],
         name: Annotated[Optional[str], typer.Option("--name")] = None,
         description: Optional[str] = None) -> None:
    """Rename a pipeline or change its description (the default is config key default_pipeline)."""
    from crm_cli.core import db
    from crm_cli.core.output import info
    from crm_cli.services import pipelines

    with db.session_scope() as s:
        p = pipelines.get_pipeline(s, ref)
        pipelines.edit_pipeline(s, p, name, description)
        info(f"updated pipeline {p.id}: {p.name}")
