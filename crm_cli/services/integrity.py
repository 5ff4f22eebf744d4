"""`crm db check`: is the database sound? One problem per row, each naming its table and id.

SQLite only (skipped on PostgreSQL, which keeps its files and foreign keys itself):
  integrity     PRAGMA integrity_check
  foreign_key   PRAGMA foreign_key_check (a row pointing at a missing parent)
Both backends (our own invariants, in SQL):
  orphan        a row whose declared foreign key points at no row (a restored or hand-edited
                database can have them on any backend)
  totals        a quote or order whose subtotal / discount / tax / total are not the plain sums of
                its lines (services/documents.recompute)
  line          a quote or order line whose amounts do not add up: net + tax = total and
                list - discount = net (core/docmoney)
  returned      an order whose returned value is not the sum of its lines' returned amounts
  paid          an order whose paid amount is not the sum of its payments
  stage         an opportunity whose stage belongs to another pipeline than the opportunity's
  instalments   an order with instalments that do not add up to what is due: the parts must add up to
                max(total - returned, paid) (a return takes its value off the unpaid parts only,
                services/orders)
"""

from __future__ import annotations

from sqlalchemy import and_, func, select


def _problem(check: str, table: str, ident, text: str) -> dict:
    return {"check": check, "table": table, "id": ident, "problem": text}


def check(engine) -> tuple[list[dict], list[str]]:
    """(problems, notes): the problems found, and what was skipped or checked."""
    from crm_cli import models

    models.load_all()
    problems: list[dict] = []
    notes: list[str] = []
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            problems += _sqlite_integrity(conn)
        else:
            notes.append(f"integrity_check and foreign_key_check are SQLite-only: skipped on {conn.dialect.name}")
        seen = {(p["table"], p["id"]) for p in problems if p["check"] == "foreign_key"}
        problems += [p for p in _orphans(conn) if (p["table"], p["id"]) not in seen]
        problems += _document_totals(conn)
        problems += _lines(conn)
        problems += _orders(conn)
        problems += _stages(conn)
        problems += _instalments(conn)
    return problems, notes


def _sqlite_integrity(conn) -> list[dict]:
    out = []
    for (msg,) in conn.exec_driver_sql("PRAGMA integrity_check").all():
        if msg != "ok":
            out.append(_problem("integrity", "(file)", None, str(msg)))
    for table, rowid, parent, _fk in conn.exec_driver_sql("PRAGMA foreign_key_check").all():
        out.append(_problem("foreign_key", table, rowid, f"points at a missing row of {parent}"))
    return out


def _tables():
    from sqlmodel import SQLModel

    return SQLModel.metadata.sorted_tables


def _orphans(conn) -> list[dict]:
    """Rows whose declared foreign key (a single column) names no row of the parent table."""
    out = []
    for table in _tables():
        pk = list(table.primary_key.columns)
        for fk in table.foreign_keys:
            col, target = fk.parent, fk.column
            parent = target.table.alias("p")
            q = (select(*pk, col).select_from(table.outerjoin(parent, parent.c[target.name] == col))
                 .where(col.is_not(None), parent.c[target.name].is_(None)).order_by(*pk))
            for row in conn.execute(q):
                ident = row[0] if len(pk) == 1 else "/".join(str(v) for v in row[:len(pk)])
                out.append(_problem("orphan", table.name, ident,
                                    f"{col.name} {row[-1]} points at no row of {target.table.name}"))
    return out


def _docs():
    from crm_cli.models.document import Order, OrderLine, Quote, QuoteLine

    return [(Quote.__table__, QuoteLine.__table__, "quote_id"), (Order.__table__, OrderLine.__table__, "order_id")]


def _document_totals(conn) -> list[dict]:
    out = []
    for doc, lines, fk in _docs():
        sums = (select(lines.c[fk].label("doc_id"), func.sum(lines.c.list_amount).label("subtotal"),
                       func.sum(lines.c.discount_amount).label("discount"), func.sum(lines.c.tax).label("tax"),
                       func.sum(lines.c.total).label("total"))
                .group_by(lines.c[fk]).subquery())
        cols = ("subtotal", "discount", "tax", "total")
        want = {c: func.coalesce(sums.c[c], 0) for c in cols}
        q = (select(doc.c.id, *(doc.c[c] for c in cols), *(want[c] for c in cols))
             .select_from(doc.outerjoin(sums, sums.c.doc_id == doc.c.id))
             .where(_any_differs([(doc.c[c], want[c]) for c in cols])).order_by(doc.c.id))
        for row in conn.execute(q):
            wrong = [f"{c} {row[1 + i]} != {int(row[5 + i])}" for i, c in enumerate(cols) if row[1 + i] != row[5 + i]]
            out.append(_problem("totals", doc.name, row[0], "not the sum of its lines: " + ", ".join(wrong)))
    return out


def _any_differs(pairs):
    from sqlalchemy import or_

    return or_(*[a != b for a, b in pairs])


def _lines(conn) -> list[dict]:
    out = []
    for _doc, lines, _fk in _docs():
        c = lines.c
        q = (select(c.id, c.list_amount, c.discount_amount, c.net, c.tax, c.total)
             .where(_any_differs([(c.net + c.tax, c.total), (c.list_amount - c.discount_amount, c.net)]))
             .order_by(c.id))
        for ident, list_, disc, net, tax, total in conn.execute(q):
            what = []
            if net + tax != total:
                what.append(f"net {net} + tax {tax} != total {total}")
            if list_ - disc != net:
                what.append(f"list {list_} - discount {disc} != net {net}")
            out.append(_problem("line", lines.name, ident, "amounts do not add up: " + ", ".join(what)))
    return out


def _orders(conn) -> list[dict]:
    from crm_cli.models.document import Order, OrderLine, Payment

    o, lines, pay = Order.__table__, OrderLine.__table__, Payment.__table__
    out = []
    ret = select(lines.c.order_id, func.sum(lines.c.returned_amount).label("v")).group_by(lines.c.order_id).subquery()
    q = (select(o.c.id, o.c.returned, func.coalesce(ret.c.v, 0)).select_from(o.outerjoin(ret, ret.c.order_id == o.c.id))
         .where(o.c.returned != func.coalesce(ret.c.v, 0)).order_by(o.c.id))
    for ident, have, want in conn.execute(q):
        out.append(_problem("returned", o.name, ident, f"returned {have} != the lines' returned amounts {int(want)}"))
    paid = select(pay.c.order_id, func.sum(pay.c.amount).label("v")).group_by(pay.c.order_id).subquery()
    q = (select(o.c.id, o.c.paid, func.coalesce(paid.c.v, 0)).select_from(o.outerjoin(paid, paid.c.order_id == o.c.id))
         .where(o.c.paid != func.coalesce(paid.c.v, 0)).order_by(o.c.id))
    for ident, have, want in conn.execute(q):
        out.append(_problem("paid", o.name, ident, f"paid {have} != the sum of its payments {int(want)}"))
    return out


def _stages(conn) -> list[dict]:
    from crm_cli.models.opportunity import Opportunity, Stage

    opp, st = Opportunity.__table__, Stage.__table__
    q = (select(opp.c.id, opp.c.pipeline_id, opp.c.stage_id, st.c.pipeline_id)
         .select_from(opp.join(st, st.c.id == opp.c.stage_id))
         .where(st.c.pipeline_id != opp.c.pipeline_id).order_by(opp.c.id))
    return [_problem("stage", opp.name, ident, f"stage {stage} belongs to pipeline {theirs}, the opportunity to "
                                                f"pipeline {mine}")
            for ident, mine, stage, theirs in conn.execute(q)]


def _instalments(conn) -> list[dict]:
    from sqlalchemy import case

    from crm_cli.models.document import Instalment, Order

    o, inst = Order.__table__, Instalment.__table__
    sums = select(inst.c.order_id, func.sum(inst.c.amount).label("planned")).group_by(inst.c.order_id).subquery()
    due = o.c.total - o.c.returned
    want = case((due > o.c.paid, due), else_=o.c.paid)
    q = (select(o.c.id, sums.c.planned, due, o.c.paid).select_from(o.join(sums, sums.c.order_id == o.c.id))
         .where(and_(sums.c.planned != want)).order_by(o.c.id))
    out = []
    for ident, planned, owed, paid in conn.execute(q):
        out.append(_problem("instalments", o.name, ident,
                            f"instalments add up to {int(planned)}, the order is due {owed}"
                            + (f" (paid {paid})" if paid > owed else "")))
    return out
