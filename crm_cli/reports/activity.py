"""Activity report: per rep (or per type) counts by status, overdue, completion rate, customers, cost.

Aggregated in SQL (GROUP BY); only one row per group comes back to Python.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, select

from crm_cli.core.output import Col

COLUMNS = [Col("key", "Rep"), Col("total", "Total", "right"), Col("planned", "Planned", "right"),
           Col("in_progress", "In progress", "right"), Col("done", "Done", "right"),
           Col("cancelled", "Cancelled", "right"), Col("overdue", "Overdue", "right"),
           Col("completion_rate", "Done %", "right"), Col("customers", "Customers", "right"),
           Col("per_customer", "Per customer", "right"), Col("cost", "Cost", "right")]


def activity_report(session, *, now: datetime, by: str = "owner", since: datetime | None = None,
                    owner_id: int | None = None) -> list[dict]:
    from crm_cli.core.errors import ValidationError
    from crm_cli.models import User
    from crm_cli.models.activity import Activity
    from crm_cli.core.money import Money
    from crm_cli.services.activities import live_parents, overdue_clause

    if by not in ("owner", "type"):
        raise ValidationError(f"--by must be owner or type, not '{by}'")
    key = func.coalesce(User.handle, "(none)") if by == "owner" else Activity.type

    def n(cond):
        return func.sum(case((cond, 1), else_=0))

    def scoped(q):
        if by == "owner":
            q = q.outerjoin(User, User.id == Activity.owner_id)
        q = q.where(Activity.deleted_at.is_(None), live_parents())
        if since is not None:
            q = q.where(func.coalesce(Activity.due_at, Activity.created_at) >= since)
        if owner_id is not None:
            q = q.where(Activity.owner_id == owner_id)
        return q

    q = scoped(select(key.label("key"), func.count().label("total"),
                      n(Activity.status == "planned").label("planned"),
                      n(Activity.status == "in_progress").label("in_progress"),
                      n(Activity.status == "done").label("done"),
                      n(Activity.status == "cancelled").label("cancelled"),
                      n(overdue_clause(now)).label("overdue"),
                      func.count(func.distinct(Activity.customer_id)).label("customers"),
                      func.count(Activity.customer_id).label("linked"))
               .select_from(Activity)).group_by(key).order_by(key)
    rows = session.execute(q).all()
    costs: dict = {}
    cq = scoped(select(key.label("key"), Activity.cost_currency, func.sum(Activity.cost)).select_from(Activity)
                .where(Activity.cost.is_not(None))).group_by(key, Activity.cost_currency)
    for k, cur, total in session.execute(cq).all():
        costs.setdefault(k, {})[cur or "?"] = Money(int(total), cur).plain() if cur else str(total)
    out = []
    for r in rows:
        considered = int(r.total) - int(r.cancelled or 0)
        out.append({
            "key": r.key, "total": int(r.total), "planned": int(r.planned or 0),
            "in_progress": int(r.in_progress or 0), "done": int(r.done or 0), "cancelled": int(r.cancelled or 0),
            "overdue": int(r.overdue or 0),
            "completion_rate": round(100.0 * int(r.done or 0) / considered, 1) if considered else None,
            "customers": int(r.customers), "per_customer": round(int(r.linked) / int(r.customers), 1)
            if r.customers else None,
            "cost": costs.get(r.key, {}),
        })
    return out
