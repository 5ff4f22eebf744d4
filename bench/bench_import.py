"""Benchmark `crm lead import` against `sqlite3 .import` (the floor) and `sqlite-utils insert --csv`.

Generates N leads (CJK and Latin names, unique emails and phones, ~1% in-file duplicates), then times,
best of --repeat, each tool loading the same CSV into a fresh SQLite database, and records the peak RSS
of each child process (os.wait4). Validation and duplicate detection are on for crm.

  /work/venv/bin/python bench/bench_import.py --sizes 100000,1000000
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CRM = str(Path(sys.executable).with_name("crm"))
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜秀敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂"
LATIN = ["Jane Doe", "John Smith", "Emily Chen", "Tom Becker", "Anna Rossi", "Luis Garcia"]
SOURCES = ["web", "referral", "trade-show", "phone-in", "campaign", "list", "other", "展会", "推荐"]
CITIES = ["深圳", "上海", "北京", "杭州", "成都", "Shanghai", "Guangzhou"]


def generate(path: Path, n: int, seed: int = 7) -> None:
    rnd = random.Random(seed)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["姓名", "公司", "Job Title", "Email Address", "Mobile Phone", "Lead Source", "City",
                    "Campaign", "Notes"])
        for i in range(n):
            j = i if rnd.random() > 0.01 else max(0, i - 1)  # ~1% duplicates of the previous row
            if j % 5 == 0:
                name = LATIN[j % len(LATIN)] + f" {j}"
            else:
                name = SURNAMES[j % 20] + GIVEN[(j // 20) % len(GIVEN)] + GIVEN[(j // 480) % len(GIVEN)]
            w.writerow([name, f"公司{j % 5000}有限公司", "采购经理", f"user{j}@example{j % 97}.cn",
                        f"+86 139 {j // 10000:04d} {j % 10000:04d}", SOURCES[j % len(SOURCES)],
                        CITIES[j % len(CITIES)], "2026 展会" if j % 3 == 0 else "", "备注 " * (j % 3)])


def run(cmd: list[str], env: dict | None = None, stdin=None) -> tuple[float, float, int]:
    """(seconds, max RSS MiB, exit code) of one child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(proc.pid, 0)
    dt = time.perf_counter() - t0
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code:
        print(f"  ! {' '.join(cmd[:3])}... exit {code}: {err.strip()[:300]}", file=sys.stderr)
    return dt, usage.ru_maxrss / 1024, code


def best(fn, repeat: int):
    results = [fn() for _ in range(repeat)]
    ok = [r for r in results if r[2] == 0] or results
    return min(r[0] for r in ok), max(r[1] for r in ok), ok[0][2]


def compile_crm() -> None:
    """Time crm as installed: `pip install .` compiles its modules to bytecode once. An editable
    install run with PYTHONDONTWRITEBYTECODE=1 (as on the benchmark machine) would compile them
    again on every run (30-80 ms). The peers are installed with pip, so theirs are compiled."""
    import crm_cli

    subprocess.run([sys.executable, "-m", "compileall", "-q", str(Path(crm_cli.__file__).parent)], check=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100000,1000000", help="comma-separated row counts")
    ap.add_argument("--repeat", type=int, default=3, help="runs per tool and size (best is kept)")
    ap.add_argument("--sqlite-utils", default="/tmp/su-venv/bin/sqlite-utils", help="sqlite-utils binary")
    ap.add_argument("--skip-peers", action="store_true", help="time crm only")
    args = ap.parse_args()
    compile_crm()
    work = Path(tempfile.mkdtemp(prefix="bench_import_"))
    rows = []
    try:
        for n in [int(s) for s in args.sizes.split(",")]:
            src = work / f"leads_{n}.csv"
            generate(src, n)
            size_mb = src.stat().st_size / 1e6

            def crm_run():
                db = work / "crm.db"
                for suffix in ("", "-wal", "-shm"):
                    Path(str(db) + suffix).unlink(missing_ok=True)
                env = dict(os.environ, CRM_DB=str(db), CRM_USER="bench", CRM_CURRENCY="CNY",
                           CRM_TIMEZONE="Asia/Shanghai")
                subprocess.run([CRM, "db", "info"], env=env, capture_output=True)  # create + migrate first
                return run([CRM, "lead", "import", str(src)], env=env)

            def sqlite3_run():
                db = work / "floor.db"
                db.unlink(missing_ok=True)
                return run(["sqlite3", str(db), "-cmd", ".mode csv", f".import {src} leads"])

            def su_run():
                db = work / "su.db"
                db.unlink(missing_ok=True)
                return run([args.sqlite_utils, "insert", str(db), "leads", str(src), "--csv"])

            res = {"crm": best(crm_run, args.repeat)}
            if not args.skip_peers:
                if shutil.which("sqlite3"):
                    res["sqlite3 .import"] = best(sqlite3_run, args.repeat)
                if Path(args.sqlite_utils).exists():
                    res["sqlite-utils insert --csv"] = best(su_run, args.repeat)
            for tool, (secs, rss, code) in res.items():
                rows.append((n, size_mb, tool, secs, rss, code))
                print(f"{n:>9,} rows ({size_mb:6.1f} MB)  {tool:<26} {secs:8.2f} s  {n / secs:>10,.0f} rows/s  "
                      f"peak RSS {rss:6.1f} MiB{'' if code == 0 else f'  EXIT {code}'}", flush=True)
            src.unlink()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("\n| rows | tool | seconds (best of %d) | rows/s | peak RSS MiB |" % args.repeat)
    print("|---:|---|---:|---:|---:|")
    for n, _mb, tool, secs, rss, _code in rows:
        print(f"| {n:,} | {tool} | {secs:.2f} | {n / secs:,.0f} | {rss:.0f} |")


if __name__ == "__main__":
    main()
