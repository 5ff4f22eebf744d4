"""crm db: which database, its schema revision, and upgrades."""

from __future__ import annotations

import typer

from crm_cli.core.options import FormatOpt, JsonOpt

app = typer.Typer(help="The database: path, info, status, upgrade.", no_args_is_help=True)


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
