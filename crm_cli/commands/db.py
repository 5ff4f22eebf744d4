"""crm db: which database, its schema revision, upgrades, backups, checks and moves."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from crm_cli.core.options import FormatOpt, JsonOpt, YesOpt

app = typer.Typer(help="The database: path, info, status, upgrade, backup, restore, check, dump, load, copy.",
                  no_args_is_help=True)


@app.command("path")
def path() -> None:
    """Print the database in use (a file path, or a URL without its password)."""
    from crm_cli.core import db

    print(db.describe(db.database_url()))


@app.command("info")
def info(fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """Backend, schema revision, row counts and size."""
    from crm_cli.core.output import emit_record
    from crm_cli.services import database

    emit_record(database.info(), fmt, as_json)


@app.command("status")
def status(fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """The schema revision of the database and of this crm."""
    from crm_cli.core.output import emit_record
    from crm_cli.services import database

    emit_record(database.status(), fmt, as_json)


@app.command("upgrade")
def upgrade() -> None:
    """Upgrade the schema to this crm's newest revision (done automatically on first use)."""
    from crm_cli.core.output import info as say
    from crm_cli.services import database

    before, after = database.upgrade()
    say(f"schema {before or '(empty)'} -> {after}" if before != after else f"schema already at {after}")


@app.command("backup")
def backup(
    path: Annotated[Optional[str], typer.Argument(help="File or directory (default: crm-YYYYmmdd-HHMMSS.db next "
                                                       "to the database; .dump from PostgreSQL).")] = None,
    keep: Annotated[Optional[int], typer.Option("--keep", min=1, help="Then keep only the N newest of crm's "
                                                "timestamped backups in that directory.")] = None,
) -> None:
    """An online, consistent copy of the database (SQLite backup API; pg_dump on PostgreSQL)."""
    from crm_cli.core.output import info as say
    from crm_cli.services import backup as service

    done = service.backup(path, keep)
    print(done["path"])
    say(f"backed up to {done['path']}")
    for removed in done["removed"]:
        say(f"removed old backup {removed}")


@app.command("restore")
def restore(
    path: Annotated[str, typer.Argument(help="A backup file (crm db backup) or a dump directory (crm db dump).")],
    yes: YesOpt = False,
) -> None:
    """Replace the database with a backup (the current one is backed up first)."""
    from crm_cli.core import db, prompts
    from crm_cli.core.output import info as say
    from crm_cli.services import backup as service

    prompts.confirm(f"Replace {db.describe(db.database_url())} with {path}?", yes)
    done = service.restore(path)
    if done["previous"]:
        say(f"the database before the restore is backed up in {done['previous']}")
    upgraded = f", upgraded to {done['upgraded_to']}" if done["upgraded_to"] != done["revision"] else ""
    say(f"restored {done['from']} (schema {done['revision']}{upgraded})")


@app.command("check")
def check(fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """Check the database: SQLite integrity and foreign keys, and crm's own rules (orphans, document
    totals, stages of another pipeline, instalments). Exit 1 listing the problems."""
    from crm_cli.core import db
    from crm_cli.core.output import Col, emit, info as say
    from crm_cli.services import integrity

    problems, notes = integrity.check(db.get_engine())
    for note in notes:
        say(note)
    if problems or fmt is not None or as_json:
        emit(problems, [Col("table", "Table"), Col("id", "Id", "right"), Col("check", "Check"),
                        Col("problem", "Problem")], fmt, as_json)
    if problems:
        say(f"{len(problems)} problem(s) found")
        raise typer.Exit(1)
    say("ok: no problems found")


@app.command("dump")
def dump(directory: Annotated[str, typer.Argument(help="A new or empty directory.")]) -> None:
    """Write the whole database as JSON Lines files (one per table) and a manifest."""
    from crm_cli.core.output import info as say
    from crm_cli.services import dump as service

    manifest = service.dump(directory)
    rows = sum(t["rows"] for t in manifest["tables"].values())
    say(f"dumped {rows} rows of {len(manifest['tables'])} tables (schema {manifest['revision']}) to {directory}")


@app.command("load")
def load(
    directory: Annotated[str, typer.Argument(help="A directory written by 'crm db dump'.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Replace all data of a database that is not empty.")
                   ] = False,
) -> None:
    """Load a dump into an empty database (with --yes: replace all of its data), in one transaction."""
    from crm_cli.core.output import info as say
    from crm_cli.services import dump as service

    counts = service.load(directory, replace=yes)
    say(f"loaded {service.total(counts)} rows into {len(counts)} tables")


@app.command("copy")
def copy(
    to: Annotated[str, typer.Option("--to", help="The target database URL, e.g. "
                                    "postgresql+psycopg://user@host/crm_team.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Replace all data of a target that is not empty.")
                   ] = False,
) -> None:
    """Copy this database into another (e.g. your SQLite file onto the team's PostgreSQL server)."""
    from crm_cli.core import db
    from crm_cli.core.config import mask
    from crm_cli.core.output import info as say
    from crm_cli.services import dump as service

    counts = service.copy(to, replace=yes)
    say(f"copied {service.total(counts)} rows of {len(counts)} tables to {db.describe(to.strip())}")
    say("to use it, set CRM_DATABASE_URL (or 'crm config set database_url URL'):")
    print(f"CRM_DATABASE_URL={mask(to.strip())}")
