#!/usr/bin/env python3
"""Benchmark the funnel and forecast reports against the same aggregates run by the sqlite3 CLI.

Builds a temporary SQLite database with N opportunities (Core bulk inserts, spread over the
default pipeline's stages, 3 currencies, 20 owners, 24 months of close dates), then times in
the same run, best of --repeat:
  - crm report funnel --format csv      vs  sqlite3 DB "<the funnel GROUP BY>"
  - crm report forecast --format csv    vs  sqlite3 DB "<the two forecast GROUP BYs>"
The SQL given to sqlite3 is the reports' own query, compiled for SQLite with literal values.
Target: crm within 2x of sqlite3.

Usage: python bench/bench_opps.py [--opps 1000000] [--repeat 3] [--out FILE.md]  (results go into docs/benchmarks.md)
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

CRM = str(Path(sys.executable).with_name("crm"))


def build(path: Path, n: int) -> None:
    os.environ["CRM_DB"] = str(path)
    from sqlalchemy import insert

    from crm_cli.core import db
    from crm_cli.models import Customer, User
    from crm_cli.models.opportunity import CurrencyRate, Opportunity

    engine = db.get_engine()
    now = datetime.now(timezone.utc).replace(microsecond=0)
    rnd = random.Random(42)
    with engine.begin() as conn:
        conn.execute(insert(User), [dict(handle=f"rep{i}", name=f"Rep {i}", role="rep", active=True,
                                         created_at=now, updated_at=now) for i in range(20)])
        conn.execute(insert(Customer), [dict(name=f"Customer {i}", status="active", custom={}, created_at=now,
                                             updated_at=now) for i in range(1000)])
        conn.execute(insert(CurrencyRate), [dict(currency="USD", base="CNY", rate="7.1", updated_at=now),
                                            dict(currency="EUR", base="CNY", rate="7.7", updated_at=now)])
    stages = [(1, 10, "open"), (2, 20, "open"), (3, 50, "open"), (4, 80, "open"), (5, 100, "won"), (6, 0, "lost")]
    start = date(2026, 1, 1)
    batch = 50_000
    done = 0
    while done < n:
        rows = []
        for _ in range(min(batch, n - done)):
            sid, prob, kind = stages[rnd.choices(range(6), weights=[30, 20, 15, 10, 15, 10])[0]]
            close = start + timedelta(days=rnd.randrange(730))
            status = {"won": "won", "lost": "lost"}.get(kind, "frozen" if rnd.random() < 0.02 else "open")
            rows.append(dict(title=f"Deal {done}", customer_id=rnd.randrange(1, 1001), pipeline_id=1, stage_id=sid,
                             owner_id=rnd.randrange(1, 21), status=status, amount=rnd.randrange(1000, 10_000_000),
                             currency=rnd.choices(["CNY", "USD", "EUR"], weights=[8, 1, 1])[0], probability=prob,
                             probability_set=False, expected_close=close,
                             closed_on=close if status in ("won", "lost") else None, custom={},
                             created_at=now, updated_at=now, stage_changed_at=now))
            done += 1
        with engine.begin() as conn:
            conn.execute(insert(Opportunity), rows)
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose_all()


def sql_for(kind: str) -> str:
    from sqlalchemy.dialects import sqlite

    from crm_cli.reports import forecast, funnel

    def lit(q):
        return str(q.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))

    if kind == "funnel":
        return lit(funnel.aggregate_query(1)) + ";\n" + lit(funnel.aggregate_query(1, trashed=True)) + ";"
    return lit(forecast.open_query()) + ";\n" + lit(forecast.won_query()) + ";"


def best(cmd: list[str], env: dict, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--opps", type=int, default=1_000_000, help="number of opportunities (default 1,000,000)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per command; the best counts (default 3)")
    ap.add_argument("--out", help="append a markdown results table to this file")
    args = ap.parse_args()
    sqlite3 = shutil.which("sqlite3")
    if not sqlite3:
        sys.exit("sqlite3 CLI not found (apt-get install -y sqlite3)")
    tmp = Path(tempfile.mkdtemp(prefix="crm_bench_opps_"))
    path = tmp / "bench.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    env.update(CRM_DB=str(path), CRM_USER="bench", CRM_CURRENCY="CNY", CRM_TIMEZONE="Asia/Shanghai",
               CRM_CONFIG=str(tmp / "config.toml"))
    os.environ.update(env)
    t = time.perf_counter()
    build(path, args.opps)
    print(f"built {args.opps:,} opportunities in {time.perf_counter() - t:.1f}s ({path})", file=sys.stderr)
    rows = []
    for name, crm_args in (("funnel", ["report", "funnel", "--format", "csv"]),
                           ("forecast", ["report", "forecast", "--format", "csv"])):
        crm_t = best([CRM, *crm_args], env, args.repeat)
        floor = best([sqlite3, str(path), sql_for(name)], env, args.repeat)
        ratio = crm_t / floor
        rows.append((f"crm {' '.join(crm_args[:2])}", crm_t, floor, ratio))
        print(f"{name}: crm {crm_t:.3f}s  sqlite3 {floor:.3f}s  ratio {ratio:.2f}x "
              f"({'met' if ratio <= 2 else 'NOT met'})", file=sys.stderr)
    lines = [f"\n### {args.opps:,} opportunities — {date.today()} — {platform.node()}, {platform.machine()}, "
             f"{os.cpu_count()} CPUs, Python {platform.python_version()}\n",
             "| command | crm (best of %d) | sqlite3 CLI, same aggregate | ratio | target ≤ 2x |" % args.repeat,
             "|---|---:|---:|---:|---|"]
    for label, a, b, r in rows:
        lines.append(f"| `{label}` | {a:.3f}s | {b:.3f}s | {r:.2f}x | {'met' if r <= 2 else 'not met'} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        with open(args.out, "a", encoding="utf-8") as fh:
            fh.write(text)
    if os.environ.get("BENCH_KEEP"):
        print(f"kept {path}", file=sys.stderr)
    else:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
