"""Who is acting, and owner references: me | HANDLE | id | all.

Every handle a user types (--owner, --to, --from, --assignee, --as, CRM_USER, ...) goes through
here, so the rules hold everywhere: an empty or blank handle is a usage error (never "me"), and
an acting user the database does not know is an error, unless the database has no users yet
(then the acting user becomes its first user, an admin, under the same handle rules as
`crm user add`).
"""

from __future__ import annotations

from sqlalchemy import select

from crm_cli.core import context
from crm_cli.core.errors import NotFound, UsageError, ValidationError
from crm_cli.models import User


def _shown(text: str) -> str:
    return text if len(text) <= 80 else text[:77] + "..."


def acting_handle() -> str:
    """The acting user's handle (--as > CRM_USER > config > OS login); a blank one is a usage error."""
    given = context.options.user
    if given is not None and not given.strip():
        raise UsageError("--as: the user handle is empty", "give a handle, e.g. --as alice")
    handle = context.current_handle()
    if not handle.strip():
        raise UsageError("the user handle (CRM_USER / config user) is empty", "set a handle, e.g. --as alice")
    return handle


def _has_users(session) -> bool:
    return session.execute(select(User.id).limit(1)).first() is not None


def _unknown(handle: str) -> NotFound:
    return NotFound(f"unknown user '{_shown(handle)}' (from --as / CRM_USER / config user)",
                    f"add it with 'crm user add {_shown(handle)}', or pick one from 'crm user list'")


def current_user(session) -> User:
    """The acting user's record. Unknown is an error, except in a database with no users yet:
    there the acting user is created, as its first user and an admin."""
    handle = acting_handle()
    user = session.execute(select(User).where(User.handle == handle)).scalar_one_or_none()
    if user is None:  # created once even when two processes start at the same time
        from crm_cli.core.db import lock_keys

        lock_keys(session, ["user:" + handle])
        user = session.execute(select(User).where(User.handle == handle)).scalar_one_or_none()
    if user is None:
        if _has_users(session):
            raise _unknown(handle)
        if not valid_handle(handle):
            raise ValidationError(f"your user handle '{_shown(handle)}' must be letters, digits, . _ - "
                                  "(no spaces)", "set another with --as or CRM_USER") from None
        user = User(handle=handle, name=handle, role="admin")
        session.add(user)
        session.flush()
    return user


HANDLE_RE = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"


def valid_handle(handle: str) -> bool:
    """The one handle rule (users.UserIn uses it too): letters, digits, . _ - (no spaces), at most 64."""
    import re

    return bool(re.fullmatch(HANDLE_RE, handle or ""))


def check_actor(session) -> None:
    """Before a session writes: the acting user must be known (or the database have no users yet).
    Checked once per session; registered as a flush hook by crm_cli.services."""
    if session.info.get("actor_checked"):
        return
    handle = acting_handle()
    def known() -> bool:
        return session.execute(select(User.id).where(User.handle == handle)).first() is not None

    if not known() and not any(isinstance(o, User) and o.handle == handle for o in session.new):
        # users found now: look for the handle again, another process may have just made it the first user
        if _has_users(session) and not known():
            raise _unknown(handle)
    session.info["actor_checked"] = True


def _text(ref: str, option: str | None) -> str:
    text = ref.strip()
    if not text:
        where = f"{option}: " if option else ""
        raise UsageError(f"{where}the user handle is empty", "give a handle (e.g. alice), 'me', or an id")
    return text


def user_ref(session, ref: str | None, *, default_me: bool = True, option: str | None = None) -> User | None:
    """Resolve an --owner/--to value. None (option not given) -> current user (or None if not
    default_me); an empty or blank value is a usage error."""
    if ref is None:
        return current_user(session) if default_me else None
    text = _text(ref, option)
    if text.lower() == "me":
        return current_user(session)
    from crm_cli.services import resolve

    return resolve.get(session, User, text)


def owner_filter(session, ref: str | None, option: str | None = "--owner") -> int | None:
    """--owner for listings: 'all' or None -> no filter (None); me/HANDLE -> a user id
    (-1 for 'me' in a database with no users yet: nothing is yours)."""
    if ref is None:
        return None
    text = _text(ref, option)
    if text.lower() == "all":
        return None
    if text.lower() == "me":
        handle = acting_handle()
        uid = session.execute(select(User.id).where(User.handle == handle)).scalar_one_or_none()
        if uid is None and _has_users(session):
            raise _unknown(handle)
        return uid if uid is not None else -1
    return user_ref(session, text, option=option).id
