"""Pipelines (sales processes) and their ordered stages.

A pipeline is an ordered list of stages, each with a win probability (0-100), a kind
(open, won, lost) and, for open stages, an optional quota: the target share (percent) of the
pipeline's open opportunities that should sit in that stage ("ideal funnel").
The default pipeline is config `default_pipeline` (CRM_PIPELINE), else the oldest pipeline.
"""

from __future__ import annotations

from sqlalchemy import func, select, update

from crm_cli.core.errors import Conflict, NotFound, ValidationError
from crm_cli.core.output import Col
from crm_cli.models.opportunity import STAGE_KINDS, Opportunity, Pipeline, Stage

PIPELINE_COLUMNS = [Col("id", "ID", "right"), Col("name", "Name"), Col("stages", "Stages", "right"),
                    Col("open_opps", "Open opps", "right"), Col("default", "Default"),
                    Col("description", "Description")]
STAGE_COLUMNS = [Col("position", "#", "right"), Col("id", "ID", "right"), Col("name", "Stage"),
                 Col("probability", "Prob %", "right"), Col("kind", "Kind"), Col("quota", "Quota %", "right"),
                 Col("opps", "Opps", "right")]


def check_probability(value: int | None, flag: str = "--probability") -> int | None:
    if value is None:
        return None
    if not 0 <= int(value) <= 100:
        raise ValidationError(f"{flag} must be between 0 and 100, not {value}")
    return int(value)


def check_kind(kind: str | None) -> str | None:
    if kind is None:
        return None
    k = kind.strip().lower()
    if k not in STAGE_KINDS:
        raise ValidationError(f"stage kind must be one of {', '.join(STAGE_KINDS)}, not '{kind}'")
    return k


def check_quota(value: int | None) -> int | None:
    if value is None:
        return None
    if not 0 <= int(value) <= 100:
        raise ValidationError(f"--quota must be a share between 0 and 100 (percent), not {value}")
    return int(value)


def parse_stage_spec(spec: str) -> tuple[str, int, str]:
    """'Name:probability[:kind]' (kind open by default) as used by `crm pipeline add --stage`."""
    parts = [p.strip() for p in spec.rsplit(":", 2)] if spec.count(":") >= 1 else [spec.strip()]
    if len(parts) == 3 and not parts[1].lstrip("-").isdigit():  # "A:B:C" where the name holds a colon
        parts = [parts[0] + ":" + parts[1], parts[2]]
    name = parts[0]
    if not name:
        raise ValidationError(f"--stage '{spec}': empty stage name", "use NAME:PROBABILITY[:open|won|lost]")
    prob = 0
    kind = "open"
    if len(parts) >= 2:
        if not parts[1].lstrip("-").isdigit():
            raise ValidationError(f"--stage '{spec}': probability '{parts[1]}' is not a whole number",
                                  "use NAME:PROBABILITY[:open|won|lost]")
        prob = check_probability(int(parts[1]), f"--stage '{spec}': probability")
    if len(parts) == 3:
        kind = check_kind(parts[2])
    return name, prob, kind


def default_pipeline(session) -> Pipeline:
    from crm_cli.core import config

    name = config.get("default_pipeline")
    if name:
        return get_pipeline(session, str(name))
    p = session.execute(select(Pipeline).where(Pipeline.deleted_at.is_(None)).order_by(Pipeline.id)
                        .limit(1)).scalar_one_or_none()
    if p is None:
        raise NotFound("there is no pipeline", "create one with 'crm pipeline add NAME --stage ...'")
    return p


def get_pipeline(session, ref: str | None) -> Pipeline:
    if ref is None:
        return default_pipeline(session)
    from crm_cli.services import resolve

    return resolve.get(session, Pipeline, ref)


def stages_of(session, pipeline: Pipeline) -> list[Stage]:
    return list(session.execute(select(Stage).where(Stage.pipeline_id == pipeline.id, Stage.deleted_at.is_(None))
                                .order_by(Stage.position, Stage.id)).scalars())


def stage_lookup(session, pipeline: Pipeline) -> dict[str, Stage]:
    """Lower-cased stage name -> Stage (for imports that give stage names)."""
    return {s.name.lower(): s for s in stages_of(session, pipeline)}


def find_stage(session, pipeline: Pipeline, ref: str) -> Stage:
    """A stage of `pipeline` by id, exact name (any case) or unambiguous prefix."""
    stages = stages_of(session, pipeline)
    text = str(ref).strip()
    if text.isdigit():
        for s in stages:
            if s.id == int(text):
                return s
    low = text.lower()
    exact = [s for s in stages if s.name.lower() == low]
    if len(exact) == 1:
        return exact[0]
    pref = [s for s in stages if s.name.lower().startswith(low)] if low else []
    if len(pref) == 1:
        return pref[0]
    names = ", ".join(s.name for s in stages)
    if len(pref) > 1:
        raise Conflict(f"stage '{text}' is ambiguous in pipeline '{pipeline.name}'", f"one of: {names}")
    raise NotFound(f"no stage '{text}' in pipeline '{pipeline.name}'", f"stages: {names}")


def first_open_stage(session, pipeline: Pipeline) -> Stage:
    for s in stages_of(session, pipeline):
        if s.kind == "open":
            return s
    raise Conflict(f"pipeline '{pipeline.name}' has no open stage", "add one with 'crm stage add'")


def kind_stage(session, pipeline: Pipeline, kind: str) -> Stage:
    for s in stages_of(session, pipeline):
        if s.kind == kind:
            return s
    raise Conflict(f"pipeline '{pipeline.name}' has no {kind} stage",
                   f"add one with 'crm stage add --pipeline \"{pipeline.name}\" NAME --kind {kind}'")


def _check_name_free(session, name: str, exclude_id: int | None = None) -> None:
    from crm_cli.core.db import lock_keys
    from crm_cli.core.validation import checked_text, column_limit

    checked_text(name, "pipeline name", column_limit(Pipeline, "name"))
    lock_keys(session, ["pipeline:" + name.lower()])  # until commit: two processes cannot both pass
    q = select(Pipeline.id).where(func.lower(Pipeline.name) == name.lower(), Pipeline.deleted_at.is_(None))
    if exclude_id:
        q = q.where(Pipeline.id != exclude_id)
    if session.execute(q).first():
        from crm_cli.core.errors import Duplicate

        raise Duplicate(f"pipeline '{name}' already exists")


def _check_stage_name(session, pipeline: Pipeline | None, name: str) -> None:
    from crm_cli.core.db import lock_keys
    from crm_cli.core.validation import checked_text, column_limit

    checked_text(name, "stage name", column_limit(Stage, "name"))
    if pipeline is not None:
        lock_keys(session, [f"stage:{pipeline.id}:{name.lower()}"])


def _check_description(description: str | None) -> None:
    from crm_cli.core.validation import checked_text

    checked_text(description, "--description", multiline=True)


def _check_kinds(stages: list[tuple[str, int, str]]) -> None:
    names = [n.lower() for n, _, _ in stages]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise ValidationError(f"stage name '{sorted(dup)[0]}' is given twice")
    for kind in ("won", "lost"):
        if sum(1 for _, _, k in stages if k == kind) > 1:
            raise ValidationError(f"a pipeline has at most one {kind} stage")


def add_pipeline(session, name: str, stage_specs: list[str] | None, description: str | None = None) -> Pipeline:
    name = (name or "").strip()
    if not name:
        raise ValidationError("pipeline name must not be empty")
    _check_name_free(session, name)
    _check_description(description)
    specs = [parse_stage_spec(s) for s in stage_specs] if stage_specs else \
        [("Prospecting", 10, "open"), ("Qualification", 20, "open"), ("Proposal", 50, "open"),
         ("Negotiation", 80, "open"), ("Won", 100, "won"), ("Lost", 0, "lost")]
    for n, _, _ in specs:
        _check_stage_name(session, None, n)
    _check_kinds(specs)
    p = Pipeline(name=name, description=description)
    session.add(p)
    session.flush()
    for i, (n, prob, kind) in enumerate(specs, start=1):
        session.add(Stage(pipeline_id=p.id, name=n, position=i, probability=prob, kind=kind))
    session.flush()
    return p


def edit_pipeline(session, p: Pipeline, name: str | None = None, description: str | None = None) -> None:
    if name is not None:
        name = name.strip()
        if not name:
            raise ValidationError("--name must not be empty")
        _check_name_free(session, name, exclude_id=p.id)
        p.name = name
    if description is not None:
        _check_description(description)
        p.description = description or None


def renumber(session, pipeline: Pipeline, ordered: list[Stage]) -> None:
    for i, s in enumerate(ordered, start=1):
        if s.position != i:
            s.position = i


def add_stage(session, pipeline: Pipeline, name: str, probability: int, kind: str = "open",
              quota: int | None = None, before: str | None = None, after: str | None = None) -> Stage:
    name = (name or "").strip()
    if not name:
        raise ValidationError("stage name must not be empty")
    probability = check_probability(probability)
    kind = check_kind(kind) or "open"
    quota = check_quota(quota)
    if quota is not None and kind != "open":
        raise ValidationError("--quota applies to open stages only")
    _check_stage_name(session, pipeline, name)
    stages = stages_of(session, pipeline)
    if any(s.name.lower() == name.lower() for s in stages):
        from crm_cli.core.errors import Duplicate

        raise Duplicate(f"pipeline '{pipeline.name}' already has a stage '{name}'")
    if kind in ("won", "lost") and any(s.kind == kind for s in stages):
        raise Conflict(f"pipeline '{pipeline.name}' already has a {kind} stage")
    if before and after:
        raise ValidationError("give --before or --after, not both")
    new = Stage(pipeline_id=pipeline.id, name=name, probability=probability, kind=kind, quota=quota, position=0)
    if before or after:
        anchor = find_stage(session, pipeline, before or after)
        idx = stages.index(anchor) + (0 if before else 1)
    elif kind == "open":  # open stages go after the last open stage, before won/lost
        idx = max([i + 1 for i, s in enumerate(stages) if s.kind == "open"], default=0)
    else:
        idx = len(stages)
    ordered = stages[:idx] + [new] + stages[idx:]
    session.add(new)
    renumber(session, pipeline, ordered)
    session.flush()
    return new


def edit_stage(session, stage: Stage, name: str | None = None, probability: int | None = None,
               kind: str | None = None, quota: int | None = None, clear_quota: bool = False) -> int:
    """Change a stage; open opportunities that follow the stage default get the new probability."""
    pipeline = session.get(Pipeline, stage.pipeline_id)
    if name is not None:
        name = name.strip()
        if not name:
            raise ValidationError("--name must not be empty")
        _check_stage_name(session, pipeline, name)
        if any(s.name.lower() == name.lower() and s.id != stage.id for s in stages_of(session, pipeline)):
            from crm_cli.core.errors import Duplicate

            raise Duplicate(f"pipeline '{pipeline.name}' already has a stage '{name}'")
        stage.name = name
    kind = check_kind(kind)
    if kind is not None and kind != stage.kind:
        held = session.execute(select(func.count()).where(Opportunity.stage_id == stage.id,
                                                           Opportunity.deleted_at.is_(None))).scalar()
        if held:
            raise Conflict(f"stage '{stage.name}' holds {held} opportunities; its kind cannot change",
                           "move them first")
        if kind in ("won", "lost") and any(s.kind == kind for s in stages_of(session, pipeline)):
            raise Conflict(f"pipeline '{pipeline.name}' already has a {kind} stage")
        stage.kind = kind
    quota = check_quota(quota)
    if quota is not None:
        if stage.kind != "open":
            raise ValidationError("--quota applies to open stages only")
        stage.quota = quota
    if clear_quota:
        stage.quota = None
    updated = 0
    if probability is not None:
        stage.probability = check_probability(probability)
        session.flush()
        updated = session.execute(
            update(Opportunity).where(Opportunity.stage_id == stage.id, Opportunity.probability_set.is_(False),
                                      Opportunity.status.in_(("open", "frozen")))
            .values(probability=stage.probability)).rowcount
    return updated


def move_stage(session, stage: Stage, position: int | None = None, before: str | None = None,
               after: str | None = None) -> None:
    pipeline = session.get(Pipeline, stage.pipeline_id)
    stages = [s for s in stages_of(session, pipeline) if s.id != stage.id]
    given = sum(x is not None for x in (position, before, after))
    if given != 1:
        raise ValidationError("give exactly one of --position, --before, --after")
    if position is not None:
        if not 1 <= position <= len(stages) + 1:
            raise ValidationError(f"--position must be between 1 and {len(stages) + 1}")
        idx = position - 1
    else:
        anchor = find_stage(session, pipeline, before or after)
        if anchor.id == stage.id:
            raise ValidationError("a stage cannot be moved relative to itself")
        idx = stages.index(anchor) + (0 if before else 1)
    renumber(session, pipeline, stages[:idx] + [stage] + stages[idx:])


def pipeline_records(session) -> list[dict]:
    default_id = None
    try:
        default_id = default_pipeline(session).id
    except NotFound:
        pass
    stage_counts = dict(session.execute(select(Stage.pipeline_id, func.count()).where(Stage.deleted_at.is_(None))
                                        .group_by(Stage.pipeline_id)).all())
    opp_counts = dict(session.execute(select(Opportunity.pipeline_id, func.count())
                                      .where(Opportunity.deleted_at.is_(None), Opportunity.status == "open")
                                      .group_by(Opportunity.pipeline_id)).all())
    rows = session.execute(select(Pipeline).where(Pipeline.deleted_at.is_(None)).order_by(Pipeline.id)).scalars()
    return [{"id": p.id, "name": p.name, "description": p.description, "default": p.id == default_id,
             "stages": stage_counts.get(p.id, 0), "open_opps": opp_counts.get(p.id, 0)} for p in rows]


def stage_records(session, pipeline: Pipeline) -> list[dict]:
    counts = dict(session.execute(select(Opportunity.stage_id, func.count())
                                  .where(Opportunity.pipeline_id == pipeline.id, Opportunity.deleted_at.is_(None))
                                  .group_by(Opportunity.stage_id)).all())
    return [{"id": s.id, "position": s.position, "name": s.name, "probability": s.probability, "kind": s.kind,
             "quota": s.quota, "opps": counts.get(s.id, 0)} for s in stages_of(session, pipeline)]
