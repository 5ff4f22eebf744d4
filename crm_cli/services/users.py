"""Users: reps, managers and admins."""

from __future__ import annotations

from typing import Optional

from pydantic import field_validator
from sqlalchemy import select
from sqlmodel import SQLModel

from crm_cli.core.errors import Duplicate
from crm_cli.models import User
from crm_cli.core.validation import column_text, email, one_of

ROLES = ("rep", "manager", "admin")


class UserIn(SQLModel):
    handle: Optional[str] = None
    name: Optional[str] = None
    email: Optional[str] = None
    role: Optional[str] = None
    team: Optional[str] = None

    @field_validator("*")
    @classmethod
    def _text_rules(cls, v, info):
        return column_text(User, info.field_name, v)  # length and control characters

    @field_validator("handle")
    @classmethod
    def _handle(cls, v):
        from crm_cli.services.identity import valid_handle

        if v is not None and not valid_handle(v):
            raise ValueError(f"handle '{v}' must be letters, digits, . _ - (no spaces)")
        return v

    @field_validator("role")
    @classmethod
    def _role(cls, v):
        return one_of(v, ROLES, "--role")

    @field_validator("email")
    @classmethod
    def _email(cls, v):
        return email(v)


def add(session, data: UserIn) -> User:
    """Add a user. In a database with no users yet, the one adding is registered first (as its
    first user, an admin), so `crm user add alice` on a new database leaves you able to act."""
    from crm_cli.core.db import lock_keys
    from crm_cli.services import identity

    lock_keys(session, [data.handle and "user:" + data.handle])  # until commit: two processes cannot both pass
    if session.execute(select(User.id).limit(1)).first() is None and identity.acting_handle() != data.handle:
        identity.current_user(session)
    if session.execute(select(User).where(User.handle == data.handle)).scalar_one_or_none():
        raise Duplicate(f"user '{data.handle}' already exists", "choose another handle")
    u = User(**data.model_dump(exclude_none=True))
    u.name = u.name or u.handle
    session.add(u)
    session.flush()
    return u


def check_db_role(session, handle: str) -> None:
    """--db-role is for PostgreSQL: refused elsewhere, before anything is written."""
    from crm_cli.core.errors import UsageError

    if session.get_bind().dialect.name != "postgresql":
        raise UsageError("--db-role needs a PostgreSQL database: on SQLite crm applies the visibility rules "
                         "itself and the file's owner can read everything", "see docs/visibility.md")
    if len(handle.encode("utf-8")) > 63:
        raise UsageError(f"--db-role: the handle '{handle[:20]}...' is longer than a database role name "
                         "(63 bytes)", "use a shorter handle")


def create_db_role(session, u: User) -> None:
    """A PostgreSQL LOGIN role named after the user, which may read (SELECT) every table but the history;
    the row-level security policies (migration 0013_visibility) limit it to the rows the user sees.
    No password is set: give one with ALTER ROLE, or allow it in pg_hba.conf."""
    from sqlalchemy import text

    from crm_cli.core.errors import Conflict, CrmError

    check_db_role(session, u.handle)
    if u.db_role:
        raise Conflict(f"user '{u.handle}' already has the database role '{u.db_role}'", "nothing to do")
    conn = session.connection()
    if conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": u.handle}).first():
        raise Conflict(f"a database role '{u.handle}' already exists on this server",
                       "drop it first (DROP OWNED BY / DROP ROLE), or use another handle")
    quote = conn.dialect.identifier_preparer.quote
    role, schema = quote(u.handle), quote(conn.execute(text("SELECT current_schema()")).scalar())
    from sqlalchemy.exc import DBAPIError

    try:
        with conn.begin_nested():
            conn.exec_driver_sql(f"CREATE ROLE {role} LOGIN")
    except DBAPIError as exc:
        raise CrmError(f"cannot create the database role '{u.handle}': "
                       f"{str(exc.orig).splitlines()[0] if exc.orig else exc}",
                       "crm's database user needs the CREATEROLE privilege") from None
    conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA {schema} TO {role}")
    conn.exec_driver_sql(f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {role}")
    conn.exec_driver_sql(f"REVOKE SELECT ON history FROM {role}")  # every record's past values
    conn.exec_driver_sql(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT SELECT ON TABLES TO {role}")
    u.db_role = u.handle


def edit(session, u: User, data: UserIn, active: bool | None = None) -> None:
    """Change a user's fields; `active` False deactivates, True reactivates."""
    for k, v in data.model_dump(exclude_none=True).items():
        setattr(u, k, v)
    if active is not None:
        u.active = active


def deactivate(session, u: User) -> None:
    """A user who left: their records stay (move them with `crm customer transfer`)."""
    u.active = False


def record(u: User) -> dict:
    return {"id": u.id, "handle": u.handle, "name": u.name, "email": u.email, "role": u.role, "team": u.team,
            "active": u.active, "db_role": u.db_role, "created_at": u.created_at}


def list_users(session, include_inactive: bool = False, team: str | None = None) -> list[dict]:
    q = select(User).where(User.deleted_at.is_(None)).order_by(User.handle)
    if not include_inactive:
        q = q.where(User.active.is_(True))
    if team:
        q = q.where(User.team == team)
    return [record(u) for u in session.execute(q).scalars()]
