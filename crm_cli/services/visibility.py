"""Who sees which records (docs/visibility.md), applied in one place: every ORM-enabled SELECT a
session runs (`session.execute(select(Customer...))`, `select(Customer.id, Customer.name)`,
`session.get`, joins, subqueries of mapped classes) gets the rule of each private entity as loader
criteria. A record the acting user cannot see is simply not there: resolving it is "not found".

The rule, for an acting user who is not an admin (admins, and a database without users yet, see all):

- mine(owner)  = the owner is the user, or (a manager with a team) a user of that team;
- a customer is seen when mine(its owner), it is shared with the user (`crm customer share`), it has
  no owner, or the user has a live record under it with mine(that record's owner) (you see the
  account of the opportunity, quote... you own);
- a record with an owner column (Entity.visibility = the column) is seen when mine(its owner), or its
  customer is seen through mine(the customer's owner) or a share (children follow their customer),
  or it has neither an owner nor a customer;
- a record without an owner (Entity.visibility = "customer": contacts) is seen with its customer.

What the registry does not mark (users, products, pipelines, price rules...) everyone sees. Core SQL run
on `session.connection()` does not pass through here: such code applies `rule()` itself.
PostgreSQL enforces the same rule for database roles (crm_cli/migrations/rls.py).
"""

from __future__ import annotations

import importlib
from typing import NamedTuple

from sqlalchemy import and_, event, false, or_, select

from crm_cli import registry

ALL_ROWS = {"crm_all_rows": True}  # execution option: this statement sees every row (checks, not output)


class Viewer(NamedTuple):
    user_id: int | None   # None: an acting user the database does not know sees unowned records only
    team: str | None      # a manager's team (None for a rep, or a manager without a team)


def attach(session) -> None:
    event.listen(session, "do_orm_execute", _add_criteria)


def viewer(session) -> Viewer | None:
    """The acting user's view, once per session; None when they see everything."""
    if "crm_viewer" not in session.info:
        session.info["crm_viewer"] = _load_viewer(session)
    return session.info["crm_viewer"]


def _load_viewer(session) -> Viewer | None:
    from crm_cli.core import context
    from crm_cli.models import User

    users = User.__table__
    conn = session.connection()
    me = select(users.c.id, users.c.role, users.c.team).where(users.c.handle == context.current_handle())
    row = conn.execute(me).first()
    if row is None:
        if conn.execute(select(users.c.id).limit(1)).first() is None:
            return None  # no users yet: the acting user becomes the first one, an admin
        row = conn.execute(me).first()  # another process may have just made the acting user the first one
        if row is None:
            return Viewer(None, None)
    if row.role == "admin":
        return None
    return Viewer(row.id, row.team if row.role == "manager" else None)


def _models() -> list[tuple[registry.Entity, type]]:
    """(entity, model) of every private entity; imports their models (only for a user who is not an
    admin: the rule for customers names every record table under a customer)."""
    out = []
    for e in registry.private_entities():
        module, cls = registry.split(e.model)
        out.append((e, getattr(importlib.import_module(module), cls)))
    return out


def _customer_column(table):
    for fk in table.foreign_keys:
        if fk.target_fullname == "customers.id" and fk.parent.name == "customer_id":  # not resolved: no import
            return fk.parent
    return None


def _mine(col, v: Viewer):
    from crm_cli.models import User

    users = User.__table__.alias("team_users")  # never correlated with users in the outer query
    conds = []
    if v.user_id is not None:
        conds.append(col == v.user_id)
    if v.team is not None:
        conds.append(col.in_(select(users.c.id).where(users.c.team == v.team).correlate_except(users)))
    return or_(false(), *conds)


def _shared(col, v: Viewer):
    from crm_cli.models import CustomerShare

    if v.user_id is None:
        return false()
    shares = CustomerShare.__table__.alias("my_shares")
    return col.in_(select(shares.c.customer_id).where(shares.c.user_id == v.user_id).correlate_except(shares))


def customer_rule(customers, v: Viewer, *, for_children: bool = False):
    """SQL: the row of `customers` (the table or an alias of it) is seen by `v`. `for_children`: only
    through its owner and shares, what the records under it follow (not an unowned customer, not one
    seen through a record under it)."""
    conds = [_mine(customers.c.owner_id, v), _shared(customers.c.id, v)]
    if not for_children:
        conds.append(customers.c.owner_id.is_(None))
        for e, model in _models():
            cust = _customer_column(model.__table__)
            if model.__tablename__ == "customers" or cust is None or e.visibility not in model.__table__.c:
                continue
            t = model.__table__.alias(f"mine_{model.__tablename__}")  # never correlated with the outer query
            owner = t.c[e.visibility]
            live = [t.c.deleted_at.is_(None)] if "deleted_at" in t.c else []
            # `owner + 0`: look the customer's rows up by its customer_id index, never by scanning all
            # of the user's rows per customer (SQLite's planner prefers owner_id = ? otherwise)
            conds.append(select(t.c.id).where(t.c[cust.name] == customers.c.id, owner.is_not(None),
                                              _mine(owner + 0, v), *live).correlate_except(t).exists())
    return or_(*conds)


def rule(entity: registry.Entity, model, v: Viewer):
    """SQL on `model`'s table: its row is seen by `v` (see the module docstring)."""
    from crm_cli.models import Customer

    t = model.__table__
    if t.name == "customers":
        return customer_rule(t, v)
    cust = _customer_column(t)
    conds = []
    if cust is not None:
        c = Customer.__table__.alias("seen_customers")
        strict = entity.visibility != "customer"  # contacts go with their customer however it is seen
        conds.append(cust.in_(select(c.c.id).where(customer_rule(c, v, for_children=strict)).correlate_except(c)))
    if entity.visibility in t.c:
        owner = t.c[entity.visibility]
        conds.append(and_(owner.is_not(None), _mine(owner, v)))
        conds.append(and_(owner.is_(None), cust.is_(None)) if cust is not None else owner.is_(None))
    return or_(false(), *conds)


def _criteria(session, v: Viewer) -> list:
    from sqlalchemy.orm import with_loader_criteria

    cached = session.info.get("crm_criteria")
    if cached is None:
        cached = [with_loader_criteria(model, rule(e, model, v), include_aliases=True) for e, model in _models()]
        session.info["crm_criteria"] = cached
    return cached


def _add_criteria(state) -> None:
    if not state.is_select or state.is_column_load or state.is_relationship_load:
        return
    if state.execution_options.get("crm_all_rows"):
        return
    v = viewer(state.session)
    if v is None:
        return
    state.statement = state.statement.options(*_criteria(state.session, v))


def sees_owner(session, owner_id: int | None) -> bool:
    """mine(owner) in Python: the acting user is an admin, the owner, or the manager of the owner's team."""
    from crm_cli.models import User

    v = viewer(session)
    if v is None:
        return True
    if owner_id is None:
        return False
    if owner_id == v.user_id:
        return True
    if v.team is None:
        return False
    users = User.__table__
    return session.connection().execute(select(users.c.team).where(users.c.id == owner_id)).scalar() == v.team


def exists_hidden(session, model, ident: int) -> bool:
    """A row with this id exists (live or in the trash), but the acting user does not see it."""
    from sqlalchemy import func

    seen = session.execute(select(func.count()).select_from(model).where(model.id == ident)).scalar()
    every = session.execute(select(func.count()).select_from(model).where(model.id == ident),
                            execution_options=ALL_ROWS).scalar()
    return bool(every) and not seen


def restrict(session, q):
    """The select `q` (Core: run on `session.connection()`, where the loader criteria do not apply)
    with the rule of every private table in its FROM list (joins walked, subqueries and aliases not)."""
    from sqlalchemy import Join, Table

    v = viewer(session)
    if v is None:
        return q
    tables: list = []

    def walk(f) -> None:
        if isinstance(f, Join):
            walk(f.left)
            walk(f.right)
        elif isinstance(f, Table) and f not in tables:
            tables.append(f)

    for f in q.get_final_froms():
        walk(f)
    for e, model in _models():
        if model.__table__ in tables:
            q = q.where(rule(e, model, v))
    return q
