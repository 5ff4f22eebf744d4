"""Domain rules. Importing any service attaches the audit history, the acting-user check and the
visibility rule to every session the core opens (core/db.py knows nothing of services; it calls the
hooks registered here)."""


def _attach_audit(session) -> None:
    from crm_cli.services import audit

    audit.attach(session)


def _attach_search_index(session) -> None:
    from crm_cli.services import searchindex

    searchindex.attach(session)


def _check_actor(session, _ctx, _instances) -> None:
    from crm_cli.services import identity

    identity.check_actor(session)


def _attach_identity(session) -> None:
    """An unknown acting user is an error before anything is read (when named with --as or CRM_USER),
    and before anything is written in every case."""
    import os

    from sqlalchemy import event

    from crm_cli.core import context
    from crm_cli.services import identity

    if context.options.user is not None or os.environ.get("CRM_USER"):
        identity.check_actor(session)
    event.listen(session, "before_flush", _check_actor)


def _attach_visibility(session) -> None:
    """Every ORM-enabled SELECT sees only the records the acting user may see (docs/visibility.md)."""
    from crm_cli.services import visibility

    visibility.attach(session)


def _register() -> None:
    from crm_cli.core import db

    if _attach_audit not in db.session_hooks:
        db.session_hooks.append(_attach_audit)
    if _attach_search_index not in db.session_hooks:
        db.session_hooks.append(_attach_search_index)
    if _attach_identity not in db.session_hooks:
        db.session_hooks.append(_attach_identity)
    if _attach_visibility not in db.session_hooks:
        db.session_hooks.append(_attach_visibility)


_register()
