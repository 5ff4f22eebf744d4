"""Who is acting, and owner references: me | HANDLE | id | all."""

from __future__ import annotations

from sqlalchemy import select

from crm_cli.core import context
from crm_cli.models import User


def current_user(session) -> User:
    """The acting user's record, created on first use (the first user of a database is an admin)."""
    handle = context.current_handle()
    user = session.execute(select(User).where(User.handle == handle)).scalar_one_or_none()
    if user is None:  # created once even when two processes start at the same time
        from crm_cli.core.db import lock_keys

        lock_keys(session, ["user:" + handle])
        user = session.execute(select(User).where(User.handle == handle)).scalar_one_or_none()
    if user is None:
        first = session.execute(select(User.id).limit(1)).first() is None
        user = User(handle=handle, name=handle, role="admin" if first else "rep")
        session.add(user)
        session.flush()
    return user


def user_ref(session, ref: str | None, *, default_me: bool = True) -> User | None:
    """Resolve an --owner/--to value. None -> current user (or None if not default_me)."""
    if ref is None or ref == "":
        return current_user(session) if default_me else None
    if ref.lower() == "me":
        return current_user(session)
    from crm_cli.services import resolve

    return resolve.get(session, User, ref)


def owner_filter(session, ref: str | None) -> int | None:
    """--owner for listings: 'all' or None -> no filter (None); me/HANDLE -> a user id (-1 if unknown me)."""
    if ref is None or ref.lower() == "all":
        return None
    if ref.lower() == "me":
        handle = context.current_handle()
        uid = session.execute(select(User.id).where(User.handle == handle)).scalar_one_or_none()
        return uid if uid is not None else -1
    return user_ref(session, ref).id
