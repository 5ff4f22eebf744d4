#!/usr/bin/env python3
"""Benchmark lead to cash: the receivables report and the order list against the same SQL run by
the sqlite3 CLI plus the Python start-up floor.

Builds a temporary SQLite database (created and migrated by the installed crm, filled with
SQLAlchemy Core bulk inserts): --orders orders of --lines lines each over --customers customers,
mostly confirmed (some draft, closed, cancelled), 1-3 instalments per confirmed or closed order,
--payments payments (settling instalments earliest first, as `crm order pay` does), due dates
around today; then ANALYZE. In the same run, commands in turn (crm, sqlite3, floor, crm, ...),
--repeat rounds, medians:
  - crm report receivables --format plain                  vs  sqlite3 DB "<its SQL>" + floor
  - crm order list --status confirmed --limit 50 --format plain  vs  sqlite3 DB "<its SQL>" + floor
The floor is python -c "import typer, sqlmodel". The SQL given to sqlite3 is what crm runs: the
statements are caught as the report and the listing run in this process (SQLAlchemy's
before_cursor_execute) and their parameters written in as literals. Target (issue 11): crm
within 2x of (sqlite3 + floor). The query plans (EXPLAIN QUERY PLAN) are printed too.

Usage: python bench/bench_orders.py [--orders 100000] [--repeat 11] [--keep]
(run it with the Python of a venv where crm is installed: pip install . ; results go into
docs/benchmarks.md)
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

CRM = str(Path(sys.executable).with_name("crm"))
FLOOR = [sys.executable, "-c", "import typer, sqlmodel"]
M = 1_000_000  # millionths


def half_up(num: int, den: int) -> int:
    """round(num / den) half away from zero, for num >= 0."""
    return (2 * num + den) // (2 * den)


def build(path: Path, args, today: date) -> dict:
    subprocess.run([CRM, "db", "upgrade"], env=os.environ, check=True, capture_output=True)
    from sqlalchemy import create_engine, insert

    from crm_cli.core import normalize
    from crm_cli.models import Customer, User
    from crm_cli.models.document import Instalment, Order, OrderLine, Payment

    engine = create_engine("sqlite:///" + str(path))
    rnd = random.Random(11)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    with engine.begin() as conn:
        conn.execute(insert(User), [dict(handle=f"rep{i}", name=f"Rep {i}", role="rep", active=True,
                                         created_at=now, updated_at=now) for i in range(1, 21)]
                     + [dict(handle="bench", name="bench", role="admin", active=True, created_at=now,
                             updated_at=now)])  # the user the timed commands run as (CRM_USER)
        rows = []
        for i in range(1, args.customers + 1):
            name = f"Customer {i:05d} {rnd.choice(('Ltd', '有限公司', 'GmbH', 'Inc'))}"
            rows.append(dict(id=i, name=name, status="active", owner_id=rnd.randint(1, 20), custom={},
                             created_at=now, updated_at=now, name_key=normalize.name_key(name)))
        conn.execute(insert(Customer), rows)

    statuses = rnd.choices(("confirmed", "draft", "closed", "cancelled"), weights=(80, 8, 8, 4), k=args.orders)
    # which orders get payments: every closed one (paid in full, one payment), then confirmed ones
    confirmed = [i for i, s in enumerate(statuses) if s == "confirmed"]
    n_closed = sum(1 for s in statuses if s == "closed")
    left = max(0, args.payments - n_closed)
    twice = left // 6                                  # a sixth of the paid confirmed orders pay twice
    payers = rnd.sample(confirmed, min(len(confirmed), left - twice))
    n_pay = {i: 1 for i in payers}
    for i in payers[:twice]:
        n_pay[i] = 2
    counts = {"orders": 0, "order_lines": 0, "order_instalments": 0, "order_payments": 0}
    batch = 10_000
    with engine.begin() as conn:
        for start in range(0, args.orders, batch):
            orows, lrows, irows, prows = [], [], [], []
            for i in range(start, min(args.orders, start + batch)):
                oid = i + 1
                status = statuses[i]
                cur = "CNY" if rnd.random() < 0.9 else "USD"
                ordered = today - timedelta(days=rnd.randrange(0, 540))
                terms = rnd.choice((0, 30, 30, 30, 60, 90))
                live = status in ("confirmed", "closed")
                confirmed_on = min(today, ordered + timedelta(days=rnd.randrange(0, 3))) if live else None
                delivery = "full" if status == "closed" else (
                    rnd.choices(("none", "partial", "full"), weights=(3, 2, 5))[0] if status == "confirmed" else "none")
                sums = [0, 0, 0, 0]  # subtotal (list), discount, tax, total
                for pos in range(1, args.lines + 1):
                    qty = rnd.randint(1, 20) * M
                    price = rnd.randrange(500, 200_000)
                    disc = rnd.choice((0, 0, 0, 50_000, 100_000))
                    rate = rnd.choice((130_000, 130_000, 90_000, 60_000))
                    list_ = half_up(qty * price, M)
                    net = half_up(qty * price * (M - disc), M * M)
                    tax = half_up(net * rate, M)
                    delivered = qty if delivery == "full" or (delivery == "partial" and pos == 1) else 0
                    lrows.append(dict(order_id=oid, position=pos, kind="product", sku=f"SKU-{price % 997:04d}",
                                      description=f"Item {price % 997}", qty=qty, unit="pcs", unit_price=price,
                                      list_price=price, list_included=False, discount=disc, tax_rate=rate,
                                      tax_included=False, price_source="list" if not disc else "manual",
                                      list_amount=list_, discount_amount=list_ - net, net=net, tax=tax,
                                      total=net + tax, delivered=delivered, returned=0, returned_amount=0))
                    sums[0] += list_
                    sums[1] += list_ - net
                    sums[2] += tax
                    sums[3] += net + tax
                total = sums[3]
                paid = 0
                if live:
                    k = rnd.choice((1, 1, 2, 3))
                    part = half_up(total, k)
                    parts = [part] * (k - 1) + [total - part * (k - 1)]
                    first = confirmed_on + timedelta(days=terms)
                    dues = [first + timedelta(days=30 * j) for j in range(k)]
                    # payments: closed orders in full; paying confirmed ones in full half of the time
                    pays = []
                    if status == "closed":
                        pays = [total]
                    elif oid - 1 in n_pay:
                        target = total if rnd.random() < 0.5 else rnd.randrange(1, total)
                        if n_pay[oid - 1] == 2 and target >= 2:
                            pays = [target // 2, target - target // 2]
                        else:
                            pays = [target]
                    span = max(0, (today - confirmed_on).days)
                    for amount in pays:
                        prows.append(dict(order_id=oid, amount=amount,
                                          paid_on=confirmed_on + timedelta(days=rnd.randint(0, span)),
                                          method=rnd.choice(("bank", "alipay", "wechat", None)),
                                          reference=None, at=now, user="bench"))
                    paid = sum(pays)
                    left_to_apply = paid  # earliest instalment first, as `crm order pay` does
                    for j, (amount, due) in enumerate(zip(parts, dues)):
                        take = min(amount, left_to_apply)
                        left_to_apply -= take
                        irows.append(dict(order_id=oid, seq=j + 1, due_on=due, amount=amount, paid=take))
                at = datetime.combine(ordered, datetime.min.time(), timezone.utc)
                orows.append(dict(id=oid, number=f"SO-{ordered.year}-{oid:06d}", customer_id=rnd.randint(1, args.customers),
                                  owner_id=rnd.randint(1, 20), status=status, delivery_status=delivery, currency=cur,
                                  ordered_on=ordered, payment_terms=terms,
                                  confirmed_at=datetime.combine(confirmed_on, datetime.min.time(), timezone.utc) if live else None,
                                  confirmed_on=confirmed_on,
                                  closed_at=now if status in ("closed", "cancelled") else None,
                                  subtotal=sums[0], discount=sums[1], tax=sums[2], total=total, returned=0, paid=paid,
                                  created_at=at, updated_at=at, created_by="bench"))
            conn.execute(insert(Order), orows)
            conn.execute(insert(OrderLine), lrows)
            if irows:
                conn.execute(insert(Instalment), irows)
            if prows:
                conn.execute(insert(Payment), prows)
            for name, r in (("orders", orows), ("order_lines", lrows), ("order_instalments", irows),
                            ("order_payments", prows)):
                counts[name] += len(r)
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return counts


def _literal(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def captured_sql(run) -> str:
    """The SELECTs crm runs for `run(session)`, with their parameters written in."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from crm_cli.core import db

    seen: list[str] = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            parts = statement.split("?")
            params = list(parameters or ())
            assert len(parts) == len(params) + 1, statement
            seen.append("".join(p + (_literal(v) if k < len(params) else "") for k, (p, v) in
                                enumerate(zip(parts, params + [None]))))

    event.listen(Engine, "before_cursor_execute", grab)
    try:
        with db.session_scope() as s:
            run(s)
    finally:
        event.remove(Engine, "before_cursor_execute", grab)
    return ";\n".join(seen) + ";"


def timed(cmd: list[str], env: dict) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - t


def paired(cmds: list[list[str]], env: dict, repeat: int) -> list[float]:
    """Medians of the commands run in turn (A B C A B C ...), after one warm-up round."""
    times: list[list[float]] = [[] for _ in cmds]
    for r in range(repeat + 1):
        for k, cmd in enumerate(cmds):
            t = timed(cmd, env)
            if r:
                times[k].append(t)
    return [statistics.median(t) for t in times]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--orders", type=int, default=100_000, help="number of orders (default 100,000)")
    ap.add_argument("--lines", type=int, default=5, help="lines per order (default 5)")
    ap.add_argument("--customers", type=int, default=2_000, help="number of customers (default 2,000)")
    ap.add_argument("--payments", type=int, default=50_000, help="number of payments (default 50,000)")
    ap.add_argument("--repeat", type=int, default=11, help="rounds; medians count (default 11)")
    ap.add_argument("--keep", action="store_true", help="keep the database and print its path")
    args = ap.parse_args()
    sqlite3 = shutil.which("sqlite3")
    if not sqlite3:
        sys.exit("sqlite3 CLI not found (apt-get install -y sqlite3)")
    tmp = Path(tempfile.mkdtemp(prefix="crm_bench_orders_"))
    path = tmp / "bench.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    env.update(CRM_DB=str(path), CRM_USER="bench", CRM_CURRENCY="CNY", CRM_TIMEZONE="Asia/Shanghai",
               CRM_CONFIG=str(tmp / "config.toml"))
    os.environ.update(env)
    from crm_cli.services.documents import today

    day = today()
    t = time.perf_counter()
    counts = build(path, args, day)
    print(f"built {', '.join(f'{v:,} {k}' for k, v in counts.items())} in {time.perf_counter() - t:.1f}s "
          f"({path})", file=sys.stderr)

    from crm_cli.reports import receivables
    from crm_cli.services import orders

    cases = [
        ("crm report receivables", ["report", "receivables", "--format", "plain"],
         lambda s: receivables.receivables(s, as_of=day)),
        ("crm order list --status confirmed --limit 50", ["order", "list", "--status", "confirmed", "--limit", "50",
                                                          "--format", "plain"],
         lambda s: orders.list_orders(s, status="confirmed", limit=50)),
    ]
    rows = []
    floor_t = []
    for label, crm_args, run in cases:
        sql = captured_sql(run)
        plan = subprocess.run([sqlite3, str(path), "EXPLAIN QUERY PLAN " + sql.split(";\n")[-1]],
                              capture_output=True, text=True).stdout
        print(f"--- {label}: SQL\n{sql}\n--- plan of the last statement\n{plan}", file=sys.stderr)
        crm_t, sql_t, fl_t = paired([[CRM, *crm_args], [sqlite3, str(path), sql], FLOOR], env, args.repeat)
        floor_t.append(fl_t)
        ratio = crm_t / (sql_t + fl_t)
        rows.append((label, crm_t, sql_t, fl_t, ratio))
        print(f"{label}: crm {crm_t:.3f}s  sqlite3 {sql_t:.3f}s  floor {fl_t:.3f}s  "
              f"ratio {ratio:.2f}x ({'met' if ratio <= 2 else 'NOT met'})", file=sys.stderr)
    lines = [f"\n{args.orders:,} orders, {day} (medians of {args.repeat}, commands in turn)\n",
             "| command | crm | sqlite3 CLI, same SQL | floor | crm / (sqlite3 + floor) | target ≤ 2x |",
             "|---|---:|---:|---:|---:|---|"]
    for label, a, b, f, r in rows:
        lines.append(f"| `{label}` | {a:.3f} s | {b:.3f} s | {f:.3f} s | {r:.2f}x | {'met' if r <= 2 else 'NOT met'} |")
    print("\n".join(lines))
    if args.keep:
        print(f"kept {path}", file=sys.stderr)
    else:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
