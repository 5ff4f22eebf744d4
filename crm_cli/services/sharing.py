"""`crm customer share / unshare`: let a user see a customer (and the records under it) they would not
see by their role (docs/visibility.md)."""

from __future__ import annotations

from sqlalchemy import delete, select

from crm_cli.core.errors import CrmError
from crm_cli.models import Customer, CustomerShare, User


def check_may_share(session, c: Customer) -> None:
    """Only who sees the customer through its owner shares it: the owner, a manager of the owner's
    team, an admin (not a user it is shared with, nor one who sees it through a record under it)."""
    from crm_cli.services import visibility

    mine = visibility.sees_owner(session, c.owner_id)
    if not mine:
        raise CrmError(f"only the owner of customer {c.id}, a manager of their team or an admin can share it",
                       "ask one of them")


def share(session, c: Customer, users: list[User]) -> list[str]:
    """Share with `users`; the handles it was not shared with before."""
    from crm_cli.core import context
    from crm_cli.services import audit

    check_may_share(session, c)
    added = []
    for u in users:
        if u.id == c.owner_id or session.get(CustomerShare, (c.id, u.id)) is not None:
            continue
        session.add(CustomerShare(customer_id=c.id, user_id=u.id, created_by=context.current_handle()))
        audit.note(session, "customer", c.id, "shared_with", new=u.handle)
        added.append(u.handle)
    return added


def unshare(session, c: Customer, users: list[User]) -> list[str]:
    """Stop sharing with `users`; the handles it was shared with."""
    from crm_cli.services import audit

    check_may_share(session, c)
    removed = []
    for u in users:
        n = session.execute(delete(CustomerShare).where(CustomerShare.customer_id == c.id,
                                                        CustomerShare.user_id == u.id)).rowcount
        if n:
            audit.note(session, "customer", c.id, "shared_with", old=u.handle)
            removed.append(u.handle)
    return removed


def shared_with(session, customer_id: int) -> list[str]:
    """The handles a customer is shared with, in order."""
    return list(session.execute(select(User.handle).join(CustomerShare, CustomerShare.user_id == User.id)
                                .where(CustomerShare.customer_id == customer_id).order_by(User.handle)).scalars())
