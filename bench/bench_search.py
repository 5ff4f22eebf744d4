#!/usr/bin/env python3
"""Benchmark --search through the substring index (issue 14) at scale.

Builds (once; kept at --db and reused) a SQLite database with N customers (Core executemany) and
fills the bigram index in bulk (core/search.reindex), then times, median of --repeat:
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
        search.reindex(conn, "customer")
    engine.dispose()
    indexed = time.perf_counter() - t0
    return {"n": n, "insert_s": round(inserted, 1), "index_s": round(indexed, 1),
            "db_mb": round(os.path.getsize(path) / 2**20)}


def median(cmd: list[str], env: dict, repeat: int) -> tuple[float, int]:
    times, out = [], b""
    for _ in range(repeat):
        t = time.perf_counter()
        p = subprocess.run(cmd, env=env, capture_output=True)
        times.append(time.perf_counter() - t)
        if p.returncode != 0:
            raise SystemExit(f"{cmd} failed: {p.stderr.decode()[-500:]}")
        out = p.stdout
    return statistics.median(times), len(out.splitlines())


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
    floor, _ = median([sys.executable, "-c", "import typer, sqlmodel"], env0, args.repeat)
    lines = [f"Machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, "
             f"{datetime.now():%Y-%m-%d}; median of {args.repeat}. Build of {meta['n']:,} customers: "
             f"{meta['insert_s']} s insert, {meta['index_s']} s to fill the index; {meta['db_mb']} MB.", "",
             "| measurement | rows out | seconds | target |", "|---|---:|---:|---|",
             f"| python -c 'import typer, sqlmodel' (floor) | | {floor:.3f} | |"]
    probes = [
        ("crm customer list --search zqxjv (no match)", ["zqxjv"]),
        ("crm customer list --search 'pacific trading' (no match, common bigrams)", ["pacific trading"]),
        ("crm customer list --search 华为 (2 CJK characters)", ["华为"]),
        ("crm customer list --search 华强 --limit 50", ["华强", "--limit", "50"]),
        ("crm customer list --search 00123 (phone fragment)", ["00123"]),
    ]
    for label, extra in probes:
        secs, rows = median([CRM, "customer", "list", "--search", *extra], env, args.repeat)
        ok = secs <= floor + 0.1
        lines.append(f"| {label} @ {meta['n']:,} | {rows} | {secs:.3f} | <= floor + 0.1 = {floor + 0.1:.3f}: "
                     f"{'met' if ok else 'NOT met'} |")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
