"""Benchmark: `crm remind --owner HANDLE` and `crm activity list --overdue --owner HANDLE` on many activities.

Builds a temporary database with Core bulk inserts (SQLite by default, or --db URL for PostgreSQL),
then times the real `crm` entry point in subprocesses (best of N) against the floor: the issue asks
for answers "well under a second"; `crm --version` (process start only) is timed too for comparison.

  /work/venv/bin/python bench/bench_activities.py --activities 2000000
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=timezone.utc)  # 09:00 in Asia/Shanghai
TYPES = ["call", "visit", "email", "sms", "meeting", "task", "care"]


def build(url: str, n: int, owners: int, customers: int, batch: int = 20000) -> None:
    from sqlalchemy import insert, text

    from crm_cli.core import db
    from crm_cli.models import Customer, User
    from crm_cli.models.activity import Activity

    engine = db.get_engine(url)
    rnd = random.Random(42)
    with engine.begin() as conn:
        conn.execute(insert(User.__table__), [dict(id=i, handle=f"u{i:04d}", name=f"u{i:04d}", role="rep",
                                                   active=True, created_at=NOW, updated_at=NOW)
                                              for i in range(1, owners + 1)])
        conn.execute(insert(Customer.__table__), [dict(id=i, name=f"Customer {i}", status="active",
                                                       owner_id=rnd.randint(1, owners), custom={},
                                                       created_at=NOW, updated_at=NOW, name_key=f"customer {i}")
                                                  for i in range(1, customers + 1)])
    done = 0
    started = time.perf_counter()
    while done < n:
        rows = []
        for i in range(done + 1, min(done + batch, n) + 1):
            due = NOW + timedelta(minutes=rnd.randint(-365 * 1440, 90 * 1440))
            if due < NOW - timedelta(days=3):
                r = rnd.random()
                status = "done" if r < 0.95 else "cancelled" if r < 0.98 else "planned"
            elif due < NOW:
                status = "planned" if rnd.random() < 0.5 else "done"
            else:
                status = "planned" if rnd.random() < 0.9 else "in_progress"
            all_day = rnd.random() < 0.2
            if all_day:
                due = due.replace(hour=16, minute=0, second=0, microsecond=0)  # local midnight (UTC+8)
            rows.append(dict(id=i, type=rnd.choice(TYPES), subject=f"Activity {i}", status=status,
                             priority="normal", due_at=due, all_day=all_day, timezone="Asia/Shanghai",
                             owner_id=rnd.randint(1, owners), customer_id=rnd.randint(1, customers),
                             done_at=due if status == "done" else None, custom={}, series_values={},
                             created_at=NOW, updated_at=NOW, created_by="bench"))
        with engine.begin() as conn:
            conn.execute(insert(Activity.__table__), rows)
        done += len(rows)
        print(f"\r  inserted {done:,} activities ({time.perf_counter() - started:.0f}s)", end="", file=sys.stderr)
    print(file=sys.stderr)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    db.dispose_all()


def timed(cmd: list[str], env: dict, repeat: int) -> tuple[float, str, int]:
    best, out, rc = float("inf"), "", 0
    for _ in range(repeat):
        t = time.perf_counter()
        p = subprocess.run(cmd, env=env, capture_output=True, text=True)
        best = min(best, time.perf_counter() - t)
        out, rc = p.stdout, p.returncode
        if p.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(cmd)} failed: {p.stderr}")
    return best, out, rc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--activities", type=int, default=2_000_000, help="number of activities (default 2,000,000)")
    ap.add_argument("--owners", type=int, default=200, help="number of reps (default 200)")
    ap.add_argument("--customers", type=int, default=20_000, help="number of customers (default 20,000)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per command; the best counts (default 3)")
    ap.add_argument("--db", help="database URL (default: a temporary SQLite file); must be empty")
    ap.add_argument("--target", type=float, default=1.0, help="seconds a command must stay under (default 1.0)")
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="crm_bench_act_")
    url = args.db or "sqlite:///" + str(Path(tmp) / "bench.db")
    print(f"building {args.activities:,} activities for {args.owners} reps in {url} ...", file=sys.stderr)
    t = time.perf_counter()
    build(url, args.activities, args.owners, args.customers)
    print(f"built in {time.perf_counter() - t:.0f}s", file=sys.stderr)

    crm = str(Path(sys.executable).with_name("crm"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    env.update(CRM_DATABASE_URL=url, CRM_NOW="2026-11-23T09:00", CRM_USER="u0001", CRM_TIMEZONE="Asia/Shanghai",
               CRM_CONFIG=str(Path(tmp) / "none.toml"))
    if url.startswith("sqlite:///"):
        env["CRM_DB"] = url[len("sqlite:///"):]
    cases = [
        ("floor: crm --version (process start)", [crm, "--version"]),
        ("floor: crm customer list --limit 1 (full stack)", [crm, "customer", "list", "--limit", "1"]),
        ("crm remind --owner u0001", [crm, "remind", "--owner", "u0001"]),
        ("crm remind --owner u0001 --days 7", [crm, "remind", "--owner", "u0001", "--days", "7"]),
        ("crm activity list --overdue --owner u0001", [crm, "activity", "list", "--overdue", "--owner", "u0001"]),
        ("crm agenda --week --owner u0001", [crm, "agenda", "--week", "--owner", "u0001"]),
    ]
    print(f"\n{'command':<50} {'best s':>7} {'lines':>6}  target")
    for label, cmd in cases:
        best, out, _rc = timed(cmd, env, args.repeat)
        lines = out.count("\n")
        ok = "-" if label.startswith("floor") else ("met" if best < args.target else "MISSED")
        print(f"{label:<50} {best:7.3f} {lines:6d}  {ok}")


if __name__ == "__main__":
    main()
