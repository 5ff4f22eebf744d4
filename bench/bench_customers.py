#!/usr/bin/env python3
"""Benchmark start-up and customer reads at scale.

Builds a database with N customers and N contacts (Core bulk insert), then times, in the
same run and best of --repeat:
  - a minimal Typer app's --help              (the floor for `crm --help`)
  - python -c "import typer, sqlmodel"         (the floor for database commands)
  - crm --help, crm customer list --limit 50, crm customer list --search, crm customer show

Usage: python bench/bench_customers.py --n 100000 [--n 1000000] [--repeat 5] [--out FILE.md]  (results go into docs/benchmarks.md)
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
CRM = str(Path(sys.executable).with_name("crm"))
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
WORDS = ["华强", "远航", "东方", "新兴", "金桥", "长城", "蓝天", "海洋", "星光", "盛世", "Acme", "Global", "Pacific"]
SUFFIX = ["电子", "科技", "贸易", "物流", "软件", "有限公司", "Ltd", "Inc"]


def build(path: str, n: int) -> None:
    env = dict(os.environ, CRM_DB=path)
    subprocess.run([CRM, "db", "upgrade"], env=env, check=True, capture_output=True)
    from sqlalchemy import create_engine, insert

    from crm_cli.models import Contact, Customer, User
    from crm_cli.core import normalize

    engine = create_engine("sqlite:///" + path)
    rnd = random.Random(42)
    now = datetime(2026, 11, 1, tzinfo=timezone.utc)
    with engine.begin() as conn:
        conn.execute(insert(User), [dict(handle=f"rep{i}", name=f"Rep {i}", role="rep", active=True,
                                         created_at=now, updated_at=now) for i in range(1, 21)])
    batch = 10_000
    with engine.begin() as conn:
        for start in range(0, n, batch):
            rows, crows = [], []
            for i in range(start, min(n, start + batch)):
                name = f"{rnd.choice(WORDS)}{rnd.choice(WORDS)}{rnd.choice(SUFFIX)} {i}"
                phone = f"138{i:08d}"
                rows.append(dict(id=i + 1, name=name, status=rnd.choice(("prospect", "active", "churned")),
                                 tier=rnd.choice("ABCD"), industry=rnd.choice(("电子", "软件", "物流", "food")),
                                 region=rnd.choice(("深圳", "北京", "上海", "杭州")), phone=phone,
                                 owner_id=rnd.randint(1, 20), custom={}, created_at=now, updated_at=now,
                                 name_key=normalize.name_key(name), phone_key=phone))
                crows.append(dict(customer_id=i + 1, name=rnd.choice(SURNAMES) + rnd.choice("伟芳娜敏静丽强磊"),
                                  mobile=f"139{i:08d}", phone_key=f"139{i:08d}", custom={}, created_at=now,
                                  updated_at=now))
            conn.execute(insert(Customer), rows)
            conn.execute(insert(Contact), crows)
    engine.dispose()


def best(cmd: list[str], env: dict, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        p = subprocess.run(cmd, env=env, capture_output=True)
        times.append(time.perf_counter() - t)
        if p.returncode != 0:
            raise SystemExit(f"{cmd} failed: {p.stderr.decode()[-500:]}")
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, action="append", help="customers (repeatable); default 100000")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--out", help="write a markdown table here")
    args = ap.parse_args()
    sizes = args.n or [100_000]
    minimal = HERE / "minimal_typer_app.py"
    env0 = dict(os.environ)
    env0.pop("CRM_DATABASE_URL", None)
    floor_help = best([sys.executable, str(minimal), "--help"], env0, args.repeat)
    floor_db = best([sys.executable, "-c", "import typer, sqlmodel"], env0, args.repeat)
    crm_help = best([CRM, "--help"], env0, args.repeat)
    lines = [f"Machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
             f"{datetime.now():%Y-%m-%d}; best of {args.repeat}.", "",
             "| measurement | seconds | target |", "|---|---:|---|",
             f"| minimal Typer app --help (floor) | {floor_help:.3f} | |",
             f"| crm --help | {crm_help:.3f} | <= 1.2x floor = {1.2 * floor_help:.3f}: "
             f"{'met' if crm_help <= 1.2 * floor_help else 'NOT met'} |",
             f"| python -c 'import typer, sqlmodel' (floor) | {floor_db:.3f} | |"]
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "bench.db")
            t = time.perf_counter()
            build(path, n)
            built = time.perf_counter() - t
            env = dict(env0, CRM_DB=path, CRM_USER="rep1")
            probes = {
                "crm customer list --limit 50": [CRM, "customer", "list", "--limit", "50"],
                "crm customer list --search 华强 --limit 50": [CRM, "customer", "list", "--search", "华强",
                                                               "--limit", "50"],
                "crm customer list --search 13800012345": [CRM, "customer", "list", "--search", "13800012345"],
                f"crm customer show {n // 2}": [CRM, "customer", "show", str(n // 2)],
            }
            lines.append(f"| build {n:,} customers + {n:,} contacts (bulk insert) | {built:.1f} | |")
            for label, cmd in probes.items():
                secs = best(cmd, env, args.repeat)
                ok = secs <= floor_db + 0.1
                lines.append(f"| {label} @ {n:,} | {secs:.3f} | <= floor + 0.1 = {floor_db + 0.1:.3f}: "
                             f"{'met' if ok else 'NOT met'} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
