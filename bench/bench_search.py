#!/usr/bin/env python3
"""Benchmark --search through the substring index (issue 14) at scale.

Builds (once; kept at --db and reused) a SQLite database with N customers (Core executemany) and
fills the bigram index in bulk (core/search.reindex), then times, median of --repeat (and the
listing's own time in-process, best of 5, with the index and with the scan it replaced):
  - python -c "import typer, sqlmodel"                   (the floor for database commands)
  - crm customer list --search zqxjv                      (no match, rare bigrams)
  - crm customer list --search "pacific trading"          (no match, common bigrams)
  - crm customer list --search 华为                        (2 CJK characters, 1 record in 10,000)
  - crm customer list --search 华强 --limit 50             (2 CJK characters in 15% of the names)
  - crm customer list --search 00123                      (a phone fragment)

Usage: python bench/bench_search.py [--n 1000000] [--db /tmp/crm_search_bench.db] [--repeat 5]
(results go into docs/benchmarks.md)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

CRM = str(Path(sys.executable).with_name("crm"))
WORDS = ["华强", "远航", "东方", "新兴", "金桥", "长城", "蓝天", "海洋", "星光", "盛世", "Acme", "Global", "Pacific"]
SUFFIX = ["电子", "科技", "贸易", "物流", "软件", "有限公司", "Ltd", "Inc"]


def build(path: str, n: int) -> dict:
    from crm_cli.core import normalize, search
    from sqlalchemy import create_engine

    env = dict(os.environ, CRM_DB=path)
    env.pop("CRM_DATABASE_URL", None)
    subprocess.run([CRM, "db", "upgrade"], env=env, check=True, capture_output=True)
    rnd = random.Random(42)
    now = "2026-11-01 00:00:00.000000"
    t0 = time.perf_counter()
    con = sqlite3.connect(path)
    con.executemany("INSERT INTO users (id, handle, name, role, active, created_at, updated_at) "
                    "VALUES (?, ?, ?, 'rep', 1, ?, ?)", [(i, f"rep{i}", f"Rep {i}", now, now) for i in range(1, 21)])
    sql = ("INSERT INTO customers (id, name, status, tier, phone, email, owner_id, custom, created_at, updated_at, "
           "name_key, phone_key, email_key) VALUES (?, ?, ?, ?, ?, ?, ?, '{}', ?, ?, ?, ?, ?)")
    batch = 20_000
    for start in range(0, n, batch):
        rows = []
        for i in range(start, min(n, start + batch)):
            name = f"{rnd.choice(WORDS)}{rnd.choice(WORDS)}{rnd.choice(SUFFIX)} {i}"
            if i % 10_000 == 7:
                name = f"北京华为技术 {i}"
            phone = f"138{i:08d}"
            email = f"info{i}@{rnd.choice(('acme', 'example', 'corp'))}.com" if i % 3 == 0 else None
            rows.append((i + 1, name, rnd.choice(("prospect", "active", "churned")), rnd.choice("ABCD"), phone, email,
                         rnd.randint(1, 20), now, now, normalize.name_key(name), phone, email))
        con.executemany(sql, rows)
    con.commit()
    con.close()
    inserted = time.perf_counter() - t0
    t0 = time.perf_counter()
    engine = create_engine("sqlite:///" + path)
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM customer_search")
        search.reindex(conn, "customer", fresh=True)
    engine.dispose()
    indexed = time.perf_counter() - t0
    return {"n": n, "insert_s": round(inserted, 1), "index_s": round(indexed, 1),
            "db_mb": round(os.path.getsize(path) / 2**20)}


def sql_ms(path: str, args: list[str], use_index: bool, repeat: int) -> float:
    """The listing's own time in-process (best of `repeat`), with or without the index (the scan of
    before issue 14: services.listing.indexed returning None)."""
    code = f"""
import os, sys, time
os.environ.update(CRM_DB={path!r}, CRM_USER="rep1")
from crm_cli.core import db
from crm_cli.services import customers, listing
if not {use_index!r}:
    listing.indexed = lambda *a, **k: None
args = {args!r}
limit = int(args[args.index("--limit") + 1]) if "--limit" in args else None
best = 1e9
for _ in range({repeat}):
    with db.session_scope() as s:
        t = time.perf_counter()
        customers.list_customers(s, search=args[0], limit=limit)
        best = min(best, time.perf_counter() - t)
print(best * 1000)
"""
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    env.pop("CRM_DATABASE_URL", None)
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True)
    return float(out.stdout.strip())


def _timed(cmd: list[str], env: dict) -> tuple[float, bytes]:
    t = time.perf_counter()
    p = subprocess.run(cmd, env=env, capture_output=True)
    secs = time.perf_counter() - t
    if p.returncode != 0:
        raise SystemExit(f"{cmd} failed: {p.stderr.decode()[-500:]}")
    return secs, p.stdout


def paired(cmd: list[str], floor_cmd: list[str], env: dict, floor_env: dict, repeat: int):
    """The command and the floor run in turns (the machine is shared: its load drifts); the medians
    of both and of the per-pair difference."""
    times, floors, diffs, out = [], [], [], b""
    for _ in range(repeat):
        f, _ = _timed(floor_cmd, floor_env)
        secs, out = _timed(cmd, env)
        times.append(secs)
        floors.append(f)
        diffs.append(secs - f)
    return statistics.median(times), statistics.median(floors), statistics.median(diffs), len(out.splitlines())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--db", default="/tmp/crm_search_bench.db")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    meta_path = Path(args.db + ".json")
    if not (os.path.exists(args.db) and meta_path.exists() and json.loads(meta_path.read_text())["n"] == args.n):
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(args.db + suffix):
                os.remove(args.db + suffix)
        meta_path.write_text(json.dumps(build(args.db, args.n)))
    meta = json.loads(meta_path.read_text())
    env0 = dict(os.environ)
    env0.pop("CRM_DATABASE_URL", None)
    env = dict(env0, CRM_DB=args.db, CRM_USER="rep1")
    floor_cmd = [sys.executable, "-c", "import typer, sqlmodel"]
    lines = [f"Machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, "
             f"{datetime.now():%Y-%m-%d}; median of {args.repeat}. Build of {meta['n']:,} customers: "
             f"{meta['insert_s']} s insert, {meta['index_s']} s to fill the index; {meta['db_mb']} MB.", "",
             "Each command runs in turn with the floor (`python -c 'import typer, sqlmodel'`); "
             "'- floor' is the median of the per-pair differences.", "",
             "| measurement | rows out | seconds | floor | - floor | target: - floor <= 0.1 "
             "| listing SQL, index (ms) | same, old scan (ms) |",
             "|---|---:|---:|---:|---:|---|---:|---:|"]
    probes = [
        ("crm customer list --search zqxjv (no match)", ["zqxjv"]),
        ("crm customer list --search 'pacific trading' (no match, common bigrams)", ["pacific trading"]),
        ("crm customer list --search 华为 (2 CJK characters)", ["华为"]),
        ("crm customer list --search 华强 --limit 50", ["华强", "--limit", "50"]),
        ("crm customer list --search 00123 (phone fragment)", ["00123"]),
    ]
    for label, extra in probes:
        secs, floor, diff, rows = paired([CRM, "customer", "list", "--search", *extra], floor_cmd, env, env0,
                                         args.repeat)
        fast = sql_ms(args.db, extra, True, 5)
        slow = sql_ms(args.db, extra, False, 3)
        lines.append(f"| {label} @ {meta['n']:,} | {rows} | {secs:.3f} | {floor:.3f} | {diff:+.3f} | "
                     f"{'met' if diff <= 0.1 else 'NOT met'} | {fast:.1f} | {slow:.0f} |")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
