#!/usr/bin/env python3
"""Benchmark the ticket listing's SLA filters: `crm ticket list --breached` (and `--at-risk`) against
the same SQL run by the sqlite3 CLI plus the Python start-up floor.

Builds a temporary SQLite database (created and migrated by the installed crm, filled with
SQLAlchemy Core executemany in batches): --tickets tickets over --customers customers and 20 reps,
30 % closed, 10 % resolved, 45 % open, 10 % pending, 5 % new; the open work (new, open, pending)
has cached SLA due times (next_due, next_risk and the four target columns) from 1 day ago to 30
days ahead, so about 2 % of all tickets are breached; then ANALYZE. In the same run, commands in
turn (crm, sqlite3, floor, crm, ...), --repeat rounds, medians:
  - crm ticket list --breached --format csv   vs  sqlite3 -csv -header DB "<its SQL>" + floor
  - crm ticket list --at-risk --format csv    vs  sqlite3 -csv -header DB "<its SQL>" + floor
The floor is python -c "import typer, sqlmodel". The SQL given to sqlite3 is what crm runs: the
statements are caught as the listing runs in this process (SQLAlchemy's before_cursor_execute)
and their parameters written in as literals. Target (issue 12): crm within 2x of (sqlite3 + floor).
The query plans (EXPLAIN QUERY PLAN) are printed too.

Usage: python bench/bench_tickets.py [--tickets 100000] [--repeat 11] [--keep]
(run it with the Python of a venv where crm is installed: pip install . ; results go into
docs/benchmarks.md)
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_orders import CRM, FLOOR, captured_sql, paired  # noqa: E402

STATUSES = [("closed", 30), ("resolved", 10), ("open", 45), ("pending", 10), ("new", 5)]
TYPES = ("complaint", "repair", "inquiry", "suggestion", "request")
PRIORITIES = ("low", "normal", "high", "urgent")


def build(path: Path, args, now: datetime) -> dict:
    subprocess.run([CRM, "db", "upgrade"], env=os.environ, check=True, capture_output=True)
    from sqlalchemy import create_engine, insert

    from crm_cli.core import normalize
    from crm_cli.models import Customer, User
    from crm_cli.models.ticket import Ticket, TicketQueue

    engine = create_engine("sqlite:///" + str(path))
    rnd = random.Random(12)
    statuses = [s for s, w in STATUSES for _ in range(w)]
    with engine.begin() as conn:
        conn.execute(insert(User), [dict(handle=f"rep{i}", name=f"Rep {i}", role="rep", team="support",
                                         active=True, created_at=now, updated_at=now) for i in range(1, 21)])
        conn.execute(insert(TicketQueue), [dict(name="support", manager_id=1)])
        conn.execute(insert(Customer), [dict(name=f"Customer {i}", name_key=normalize.name_key(f"Customer {i}"),
                                             status="active", tier="ABCD"[i % 4], owner_id=1 + i % 20,
                                             custom={}, created_at=now, updated_at=now)
                                        for i in range(1, args.customers + 1)])
        batch = []
        n = 0
        for i in range(1, args.tickets + 1):
            status = rnd.choice(statuses)
            created = now - timedelta(seconds=rnd.randrange(1, 90 * 86400))
            row = dict(number=f"T-2026-{i:06d}", type=rnd.choice(TYPES), priority=rnd.choice(PRIORITIES),
                       status=status, subject=f"Ticket {i}", customer_id=rnd.randrange(1, args.customers + 1),
                       assignee_id=rnd.randrange(1, 21) if rnd.random() < 0.8 else None, queue="support",
                       escalation_level=0, paused_s=0, calendar="24x7", response_target_s=4 * 3600,
                       resolution_target_s=48 * 3600, created_at=created, updated_at=created,
                       created_by="bench", reason=None, response_due=None,
                       resolution_due=None, response_risk_at=None, resolution_risk_at=None, next_due=None,
                       next_risk=None, resolved_at=None, first_response_at=created + timedelta(hours=1))
            if status in ("new", "open", "pending"):
                due = now + timedelta(seconds=rnd.randrange(-86400, 30 * 86400))
                risk = due - timedelta(hours=12)
                row.update(resolution_due=due, resolution_risk_at=risk, next_due=due, next_risk=risk,
                           response_due=created + timedelta(hours=4), response_risk_at=created + timedelta(hours=3))
            else:
                row.update(response_due=created + timedelta(hours=4), resolution_due=created + timedelta(hours=48),
                           resolved_at=created + timedelta(hours=5))
            if row["type"] == "complaint":
                row["reason"] = "other"
            batch.append(row)
            if len(batch) == 5000:
                conn.execute(insert(Ticket), batch)
                n += len(batch)
                batch = []
        if batch:
            conn.execute(insert(Ticket), batch)
            n += len(batch)
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
        breached = conn.exec_driver_sql("SELECT count(*) FROM tickets WHERE next_due <= ?",
                                        (now.replace(tzinfo=None).isoformat(sep=" "),)).scalar()
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return {"tickets": n, "customers": args.customers, "breached": breached}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tickets", type=int, default=100_000, help="number of tickets (default 100,000)")
    ap.add_argument("--customers", type=int, default=2_000, help="number of customers (default 2,000)")
    ap.add_argument("--repeat", type=int, default=11, help="rounds; medians count (default 11)")
    ap.add_argument("--keep", action="store_true", help="keep the database and print its path")
    args = ap.parse_args()
    sqlite3 = shutil.which("sqlite3")
    if not sqlite3:
        sys.exit("sqlite3 CLI not found (apt-get install -y sqlite3)")
    tmp = Path(tempfile.mkdtemp(prefix="crm_bench_tickets_"))
    path = tmp / "bench.db"
    now = datetime.now(timezone.utc).replace(microsecond=0)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    env.update(CRM_DB=str(path), CRM_USER="rep1", CRM_CURRENCY="CNY", CRM_TIMEZONE="Asia/Shanghai",
               CRM_CONFIG=str(tmp / "config.toml"), CRM_NOW=now.isoformat())
    os.environ.update(env)
    t = time.perf_counter()
    counts = build(path, args, now)
    print(f"built {', '.join(f'{v:,} {k}' for k, v in counts.items())} in {time.perf_counter() - t:.1f}s "
          f"({path})", file=sys.stderr)

    from crm_cli.services import tickets

    cases = [
        ("crm ticket list --breached --format csv", ["ticket", "list", "--breached", "--format", "csv"],
         lambda s: list(tickets.list_rows(s, now, breached=True))),
        ("crm ticket list --at-risk --format csv", ["ticket", "list", "--at-risk", "--format", "csv"],
         lambda s: list(tickets.list_rows(s, now, at_risk=True))),
    ]
    rows = []
    for label, crm_args, run in cases:
        sql = captured_sql(run)
        plan = subprocess.run([sqlite3, str(path), "EXPLAIN QUERY PLAN " + sql.split(";\n")[-1]],
                              capture_output=True, text=True).stdout
        n = len(subprocess.run([CRM, *crm_args], env=env, capture_output=True, text=True).stdout.splitlines()) - 1
        print(f"--- {label}: {n:,} rows; SQL\n{sql}\n--- plan of the last statement\n{plan}", file=sys.stderr)
        crm_t, sql_t, fl_t = paired([[CRM, *crm_args], [sqlite3, "-csv", "-header", str(path), sql], FLOOR], env,
                                    args.repeat)
        ratio = crm_t / (sql_t + fl_t)
        rows.append((label, n, crm_t, sql_t, fl_t, ratio))
        print(f"{label}: crm {crm_t:.3f}s  sqlite3 {sql_t:.3f}s  floor {fl_t:.3f}s  "
              f"ratio {ratio:.2f}x ({'met' if ratio <= 2 else 'NOT met'})", file=sys.stderr)
    lines = [f"\n{args.tickets:,} tickets, {now:%Y-%m-%d} (medians of {args.repeat}, commands in turn)\n",
             "| command | rows | crm | sqlite3 CLI, same SQL | floor | crm / (sqlite3 + floor) | target ≤ 2x |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for label, n, a, b, f, r in rows:
        lines.append(f"| `{label}` | {n:,} | {a:.3f} s | {b:.3f} s | {f:.3f} s | {r:.2f}x | "
                     f"{'met' if r <= 2 else 'NOT met'} |")
    print("\n".join(lines))
    if args.keep:
        print(f"kept {path}", file=sys.stderr)
    else:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
