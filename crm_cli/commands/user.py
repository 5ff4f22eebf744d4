"""crm user: the people who own records."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from crm_cli.core.options import FormatOpt, JsonOpt, QuietOpt
from crm_cli.core.output import Col

app = typer.Typer(help="Users (reps, managers, admins).", no_args_is_help=True)
COLUMNS = [Col("id", "ID", "right"), Col("handle", "Handle"), Col("name", "Name"), Col("email", "Email"),
           Col("role", "Role"), Col("team", "Team"), Col("active", "Active")]


@app.command("add")
def add(handle: Annotated[str, typer.Argument(help="Login-style handle, e.g. alice.")],
        name: Optional[str] = None, email: Optional[str] = None,
        role: Annotated[str, typer.Option(help="rep|manager|admin")] = "rep",
        team: Optional[str] = None,
        db_role: Annotated[bool, typer.Option("--db-role", help="Also create a PostgreSQL login role that "
                                              "sees only this user's records (docs/visibility.md).")] = False,
        quiet: QuietOpt = False) -> None:
    """Add a user."""
    from crm_cli.core import db
    from crm_cli.core.output import created
    from crm_cli.services import users
    from crm_cli.core import validation

    data = validation.validate(users.UserIn, handle=handle, name=name, email=email, role=role, team=team)
    with db.session_scope() as s:
        if db_role:
            users.check_db_role(s, handle)
        u = users.add(s, data)
        if db_role:
            users.create_db_role(s, u)
        created("user", u.id, u.handle, quiet)


@app.command("list")
def list_(all_: Annotated[bool, typer.Option("--all", help="Include deactivated users.")] = False,
          team: Optional[str] = None, fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """List users."""
    from crm_cli.core import db
    from crm_cli.core.output import emit
    from crm_cli.services import users

    with db.session_scope() as s:
        rows = users.list_users(s, include_inactive=all_, team=team)
    emit(rows, COLUMNS, fmt, as_json)


@app.command("edit")
def edit(ref: Annotated[str, typer.Argument(help="Handle or id.")],
         name: Optional[str] = None, email: Optional[str] = None, role: Optional[str] = None,
         team: Optional[str] = None,
         active: Annotated[Optional[bool], typer.Option("--active/--inactive")] = None,
         db_role: Annotated[bool, typer.Option("--db-role", help="Create the user's PostgreSQL login role "
                                               "(docs/visibility.md).")] = False) -> None:
    """Change a user."""
    from crm_cli.core import db
    from crm_cli.core.output import info
    from crm_cli.services import resolve, users
    from crm_cli.core import validation

    data = validation.validate(users.UserIn, name=name, email=email, role=role, team=team)
    with db.session_scope() as s:
        u = resolve.get(s, users.User, ref)
        users.edit(s, u, data, active)
        if db_role:
            users.create_db_role(s, u)
        info(f"updated user {u.handle}")


@app.command("deactivate")
def deactivate(ref: Annotated[str, typer.Argument(help="Handle or id.")]) -> None:
    """Deactivate a user who left (their records stay; move them with `crm customer transfer`)."""
    from crm_cli.core import db
    from crm_cli.core.output import info
    from crm_cli.services import resolve, users

    with db.session_scope() as s:
        u = resolve.get(s, users.User, ref)
        users.deactivate(s, u)
        info(f"deactivated user {u.handle}; move their records with "
             f"'crm customer transfer --from {u.handle} --to HANDLE'")
