#!/usr/bin/env python3
"""Benchmark streamed listings (issue 14): time and peak memory of big listings and exports, side by side
with the same rows written by the `sqlite3` CLI and with the Python start-up floor.

Builds (once, kept in --dir) SQLite databases with Core bulk inserts:
  leads_40000.db, leads_200000.db, leads_400000.db   generated leads (CJK and Latin names, custom={})
  activities.db                                       2,000,000 activities (bench/bench_activities.py's data)
  opps.db                                             1,000,000 opportunities (bench/bench_opps.py's data)
then runs each command --repeat times (after one warm-up) in a subprocess and reports the median wall
time and the median peak RSS (os.wait4 of the child, i.e. getrusage of the finished process):
  - crm lead list --format csv at 40,000 and 400,000 leads  vs  sqlite3 -csv writing the same columns
  - crm lead list (plain) at 200,000 leads
  - crm lead export --format csv at 400,000 leads
  - crm activity list --overdue on 2,000,000 activities
  - crm report funnel --format csv at 1,000,000 opportunities (after ANALYZE)  vs  the same SQL in sqlite3
  - the floor: python -c "import typer, sqlmodel"
Targets: CSV listing within 2x of (sqlite3 + floor), peak RSS under 120 MiB at 40k and 400k;
funnel within 1.5x of (sqlite3 + floor).

Run it with an installed (non-editable, byte-compiled) crm:
  python3 -m venv /tmp/venv && /tmp/venv/bin/pip install . && /tmp/venv/bin/python -m compileall -q /tmp/venv/lib
  /tmp/venv/bin/python bench/bench_listing.py --dir /tmp/bench-listing [--repeat 5] [--only csv,funnel]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=timezone.utc)
SURNAMES = "王李张刘陈杨黄赵吴周"
GIVEN = ["伟", "芳", "娜", "敏", "静", "强", "磊", "洋"]
LATIN = ["Smith", "Jones", "Garcia", "Miller", "Davis", "Müller", "Dubois", "Rossi"]
SOURCES = ["web", "referral", "event", "ads", "cold_call"]
STATUSES = ["new", "working", "qualified", "disqualified"]


def build_leads(path: Path, n: int, batch: int = 20_000) -> None:
    from sqlalchemy import insert

    from crm_cli.core import db
    from crm_cli.models import User
    from crm_cli.models.lead import Lead

    engine = db.get_engine("sqlite:///" + str(path))
    rnd = random.Random(14)
    with engine.begin() as conn:
        # u001 (the user the listings run as) is an admin: it sees every lead (services/visibility.py)
        conn.execute(insert(User.__table__), [dict(id=i, handle=f"u{i:03d}", name=f"Rep {i}",
                                                   role="admin" if i == 1 else "rep", active=True,
                                                   created_at=NOW, updated_at=NOW) for i in range(1, 51)])
    done = 0
    while done < n:
        rows = []
        for i in range(done + 1, min(done + batch, n) + 1):
            if rnd.random() < 0.5:
                name = rnd.choice(SURNAMES) + rnd.choice(GIVEN)
                company = f"深圳{rnd.choice(GIVEN)}科技有限公司 {i % 5000}"
            else:
                name = f"{rnd.choice(['Anna', 'Ben', 'Chloé', 'Dan'])} {rnd.choice(LATIN)}"
                company = f"Company {i % 5000} Ltd"
            email = f"lead{i}@example{i % 97}.com"
            mobile = f"+86 138{i:08d}"
            created = NOW - timedelta(minutes=rnd.randrange(0, 730 * 1440))
            rows.append(dict(id=i, name=name, company=company, email=email, mobile=mobile, phone=None,
                             source=rnd.choice(SOURCES), campaign=rnd.choice([None, "spring", "expo 2026"]),
                             city=rnd.choice(["深圳", "Shanghai", None]), status=rnd.choice(STATUSES),
                             owner_id=rnd.randint(1, 50), custom={}, email_key=email, phone_key=f"138{i:08d}",
                             company_key=company.lower(), created_at=created, updated_at=created,
                             created_by="bench"))
        with engine.begin() as conn:
            conn.execute(insert(Lead.__table__), rows)
        done += len(rows)
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose_all()


def build_all(d: Path, what: set[str], sizes=(40_000, 200_000, 400_000)) -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    d.mkdir(parents=True, exist_ok=True)
    for n in sizes:
        p = d / f"leads_{n}.db"
        if "leads" in what and not p.exists():
            t = time.perf_counter()
            build_leads(p.with_suffix(".tmp"), n)
            p.with_suffix(".tmp").rename(p)
            print(f"built {p} in {time.perf_counter() - t:.0f}s", file=sys.stderr)
    p = d / "activities.db"
    if "activities" in what and not p.exists():
        import bench_activities

        bench_activities.build("sqlite:///" + str(p.with_suffix(".tmp")), 2_000_000, 200, 20_000)
        p.with_suffix(".tmp").rename(p)
    p = d / "opps.db"
    if "opps" in what and not p.exists():
        import bench_opps

        saved = os.environ.get("CRM_DB")
        bench_opps.build(p.with_suffix(".tmp"), 1_000_000)
        p.with_suffix(".tmp").rename(p)
        if saved is None:
            os.environ.pop("CRM_DB", None)


# ---- measuring ------------------------------------------------------------------------------------

def run_once(cmd: list[str], env: dict) -> tuple[float, float, int, int, float]:
    """(wall seconds, peak RSS MiB, bytes written, exit code, CPU seconds: user + sys) of one run, its
    output thrown away."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    n = 0
    while chunk := p.stdout.read(1 << 16):
        n += len(chunk)
    _pid, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    p.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss / 1024, n, p.returncode, usage.ru_utime + usage.ru_stime


def measure(cmd: list[str], env: dict, repeat: int) -> tuple[float, float, int, float]:
    """Medians of (wall seconds, peak RSS MiB), bytes written, median CPU seconds."""
    run_once(cmd, env)  # warm-up (page cache)
    runs = [run_once(cmd, env) for _ in range(repeat)]
    if any(r[3] != 0 for r in runs):
        raise SystemExit(f"{' '.join(cmd)} failed with exit {runs[0][3]}")
    return (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs), runs[0][2],
            statistics.median(r[4] for r in runs))


LEAD_CSV_SQL = """
SELECT l.id, l.name, l.company, l.title, l.email, l.phone, l.mobile, l.source, l.campaign, l.city, l.region,
       l.industry, l.status, l.disqualify_reason, u.handle AS owner, l.external_id, l.notes,
       l.converted_customer_id, l.converted_contact_id, l.converted_opportunity_id,
       strftime('%Y-%m-%dT%H:%M:%S+08:00', l.converted_at, '+8 hours') AS converted_at, l.import_batch_id,
       strftime('%Y-%m-%dT%H:%M:%S+08:00', l.created_at, '+8 hours') AS created_at,
       strftime('%Y-%m-%dT%H:%M:%S+08:00', l.updated_at, '+8 hours') AS updated_at
FROM leads l LEFT OUTER JOIN users u ON u.id = l.owner_id
WHERE l.deleted_at IS NULL ORDER BY l.id;
"""


def funnel_sql() -> str:
    import bench_opps

    return bench_opps.sql_for("funnel")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", default="/tmp/bench-listing", help="where the databases are built and kept")
    ap.add_argument("--repeat", type=int, default=5, help="counted runs per command (median quoted)")
    ap.add_argument("--only", default="csv,plain,export,activity,funnel", help="comma-separated cases")
    ap.add_argument("--csv-sizes", default="40000,400000", help="lead counts of the csv case (comma-separated)")
    ap.add_argument("--build-only", action="store_true")
    args = ap.parse_args()
    d = Path(args.dir)
    only = set(args.only.split(","))
    need = set()
    if only & {"csv", "plain", "export"}:
        need.add("leads")
    if "activity" in only:
        need.add("activities")
    if "funnel" in only:
        need.add("opps")
    csv_sizes = [int(n) for n in args.csv_sizes.split(",")]
    build_all(d, need, sorted(set(csv_sizes) | ({200_000} if "plain" in only else set())
                              | ({400_000} if "export" in only else set())))
    if args.build_only:
        return
    sys.path.insert(0, str(Path(__file__).parent))
    crm = str(Path(sys.executable).with_name("crm"))
    base = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    base.update(CRM_NOW="2026-11-23T09:00", CRM_TIMEZONE="Asia/Shanghai", CRM_USER="u001",
                CRM_CONFIG=str(d / "none.toml"))

    def env(db: str) -> dict:
        user = {"activities.db": "u0001", "opps.db": "rep0"}.get(db, "u001")  # a user of that database
        return {**base, "CRM_DB": str(d / db), "CRM_USER": user}

    floor = [sys.executable, "-c", "import typer, sqlmodel"]
    rows = []

    def case(label, cmd, e, peer=None):
        wall, rss, nbytes, cpu = measure(cmd, e, args.repeat)
        rows.append((label, wall, rss, nbytes, peer))
        print(f"{label:<58} cpu {cpu:7.3f} s  wall {wall:7.3f} s {rss:7.1f} MiB {nbytes / 1e6:8.1f} MB", flush=True)
        return cpu  # CPU seconds: on a loaded machine wall time is mostly waiting

    f = case("floor: python -c 'import typer, sqlmodel'", floor, base)
    if "csv" in only:
        for n in csv_sizes:
            db = f"leads_{n}.db"
            s = case(f"sqlite3 -csv (same columns) @ {n:,} leads",
                     ["sqlite3", "-csv", "-header", str(d / db), LEAD_CSV_SQL], base)
            c = case(f"crm lead list --format csv @ {n:,} leads", [crm, "lead", "list", "--sort", "id",
                                                                   "--format", "csv"], env(db))
            print(f"  -> crm / (sqlite3 + floor) = {c / (s + f):.2f}x cpu (target <= 2x)")
    if "plain" in only:
        case("crm lead list @ 200,000 leads", [crm, "lead", "list"], env("leads_200000.db"))
        case("crm lead list --format json @ 200,000 leads", [crm, "lead", "list", "--format", "json"],
             env("leads_200000.db"))
    if "export" in only:
        case("crm lead export --format csv @ 400,000 leads", [crm, "lead", "export"], env("leads_400000.db"))
    if "activity" in only:
        e = env("activities.db")
        case("crm activity list --overdue @ 2,000,000", [crm, "activity", "list", "--overdue"], e)
        case("crm activity list --overdue --format json @ 2,000,000",
             [crm, "activity", "list", "--overdue", "--format", "json"], e)
    if "funnel" in only:
        e = env("opps.db")
        s = case("sqlite3: the funnel GROUP BY @ 1,000,000 opps", ["sqlite3", "-csv", str(d / "opps.db"),
                                                                   funnel_sql()], base)
        c = case("crm report funnel --format csv @ 1,000,000 opps", [crm, "report", "funnel", "--format", "csv"], e)
        print(f"  -> crm / (sqlite3 + floor) = {c / (s + f):.2f}x cpu (target <= 1.5x)")


if __name__ == "__main__":
    main()
