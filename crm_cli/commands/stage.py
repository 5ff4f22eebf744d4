"""crm stage: the stages of a pipeline (order, probability, kind, quota)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from crm_cli.core.output import FormatOpt, JsonOpt, QuietOpt

app = typer.Typer(help="Pipeline stages: list, add, edit, move, delete.", no_args_is_help=True)

PipelineOpt = Annotated[Optional[str], typer.Option("--pipeline", "-p", help="Pipeline (default: the default "
                                                                             "pipeline).")]
StageRef = Annotated[str, typer.Argument(help="Stage name or id.")]


@app.command("list")
def list_(pipeline: PipelineOpt = None, fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """The stages of a pipeline, in order."""
    from crm_cli.core import db
    from crm_cli.core.output import emit
    from crm_cli.services import pipelines

    with db.session_scope() as s:
        rows = pipelines.stage_records(s, pipelines.get_pipeline(s, pipeline))
    emit(rows, pipelines.STAGE_COLUMNS, fmt, as_json)


@app.command("add")
def add(
    name: Annotated[Optional[str], typer.Argument(help="Stage name.", show_default=False)] = None,
    pipeline: PipelineOpt = None,
    probability: Annotated[Optional[int], typer.Option(help="Win probability 0-100.")] = None,
    kind: Annotated[str, typer.Option(help="open|won|lost")] = "open",
    quota: Annotated[Optional[int], typer.Option(help="Target share (%) of open opps in this stage.")] = None,
    before: Annotated[Optional[str], typer.Option(help="Insert before this stage.")] = None,
    after: Annotated[Optional[str], typer.Option(help="Insert after this stage.")] = None,
    quiet: QuietOpt = False,
) -> None:
    """Add a stage (open stages go after the last open stage unless --before/--after)."""
    from crm_cli.core import db, prompts
    from crm_cli.core.output import created
    from crm_cli.services import pipelines

    name = prompts.require(name, "NAME", "Stage name")
    probability = prompts.require(probability, "--probability", "Win probability (0-100)", convert=int)
    with db.session_scope() as s:
        p = pipelines.get_pipeline(s, pipeline)
        st = pipelines.add_stage(s, p, name, int(probability), kind, quota, before, after)
        created("stage", st.id, f"{st.name} in {p.name}", quiet)


@app.command("edit")
def edit(
    ref: StageRef,
    pipeline: PipelineOpt = None,
    name: Annotated[Optional[str], typer.Option("--name")] = None,
    probability: Annotated[Optional[int], typer.Option(help="Win probability 0-100 (open opps follow).")] = None,
    kind: Annotated[Optional[str], typer.Option(help="open|won|lost (only for an empty stage)")] = None,
    quota: Annotated[Optional[int], typer.Option(help="Target share (%) of open opps.")] = None,
    no_quota: Annotated[bool, typer.Option("--no-quota", help="Remove the quota.")] = False,
) -> None:
    """Change a stage's name, probability, kind or quota."""
    from crm_cli.core import db
    from crm_cli.core.output import info
    from crm_cli.services import pipelines

    with db.session_scope() as s:
        st = pipelines.find_stage(s, pipelines.get_pipeline(s, pipeline), ref)
        n = pipelines.edit_stage(s, st, name, probability, kind, quota, no_quota)
        info(f"updated stage {st.id}: {st.name}" + (f" ({n} open opps now at {st.probability}%)" if n else ""))


@app.command("move")
def move(
    ref: StageRef,
    pipeline: PipelineOpt = None,
    position: Annotated[Optional[int], typer.Option(help="New position (1 = first).")] = None,
    before: Optional[str] = None,
    after: Optional[str] = None,
) -> None:
    """Reorder a stage."""
    from crm_cli.core import db
    from crm_cli.core.output import info
    from crm_cli.services import pipelines

    with db.session_scope() as s:
        st = pipelines.find_stage(s, pipelines.get_pipeline(s, pipeline), ref)
        pipelines.move_stage(s, st, position, before, after)
        s.flush()
        info(f"stage {st.name} is now at position {st.position}")


@app.command("delete")
def delete(
    ref: StageRef,
    pipeline: PipelineOpt = None,
    move_to: Annotated[Optional[str], typer.Option("--move-to", help="Stage that takes its opportunities.")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
) -> None:
    """Delete a stage; one that holds opportunities needs --move-to."""
    from crm_cli.core import context, db, prompts
    from crm_cli.core.output import info
    from crm_cli.services import opportunities, pipelines

    with db.session_scope() as s:
        p = pipelines.get_pipeline(s, pipeline)
        st = pipelines.find_stage(s, p, ref)
        prompts.confirm(f"Delete stage '{st.name}' of pipeline '{p.name}'?", yes)
        n = opportunities.delete_stage(s, st, move_to, context.now())
        info(f"deleted stage '{st.name}'" + (f"; moved {n} opportunities to '{move_to}'" if n else ""))
