"""Benchmark: 100 `crm activity add` as 100 processes vs as one `crm batch`; and start-up.

Creates a temporary database with one customer (SQLite, or --db URL for PostgreSQL), then times
the installed `crm` next to this Python (install it non-editable and compiled to bytecode, as
`pip install .` leaves it):

  python3 -m venv /tmp/v && /tmp/v/bin/pip install . && /tmp/v/bin/python -m compileall -q /tmp/v/lib
  /tmp/v/bin/python bench/bench_batch.py --repeat 3 --startup 15

Each figure is the median over --repeat rounds (wall seconds, and CPU seconds of the children:
the machine may be shared). --startup N also times `crm customer list --limit 50` and
`crm remind --owner bench` against `python -c "import typer, sqlmodel"`, interleaved, N runs each.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CRM = str(Path(sys.executable).with_name("crm"))


def timed(argv: list[str], env: dict, stdin: str | None = None) -> tuple[float, float]:
    """(wall, cpu) seconds of one child process, which must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    p = subprocess.run(argv, input=stdin, env=env, text=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode:
        sys.exit(f"{' '.join(argv)}: exit {p.returncode}: {p.stderr[-500:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def add_args(i: int) -> list[str]:
    return ["activity", "add", f"Call {i}", "--customer", "Bench Customer", "--due", "tomorrow 10:00", "-q"]


def processes(n: int, env: dict) -> tuple[float, float]:
    wall = cpu = 0.0
    for i in range(n):
        w, c = timed([CRM, *add_args(i)], env)
        wall, cpu = wall + w, cpu + c
    return wall, cpu


def batch(n: int, env: dict) -> tuple[float, float]:
    import shlex

    lines = "".join(" ".join(shlex.quote(a) for a in add_args(i)) + "\n" for i in range(n))
    return timed([CRM, "batch", "-"], env, stdin=lines)


def median(values):
    return statistics.median(values)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100, help="commands per round (default 100)")
    ap.add_argument("--repeat", type=int, default=3, help="rounds; medians are shown (default 3)")
    ap.add_argument("--startup", type=int, default=0, help="also time start-up, N runs each (default: no)")
    ap.add_argument("--db", help="a database URL (default: a temporary SQLite file)")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="crm-bench-batch-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    env.update(CRM_CONFIG=os.path.join(tmp, "config.toml"), CRM_USER="bench", CRM_TIMEZONE="Asia/Shanghai",
               CRM_NO_HISTORY="1")
    if args.db:
        env["CRM_DATABASE_URL"] = args.db
    else:
        env["CRM_DB"] = os.path.join(tmp, "bench.db")
    timed([CRM, "customer", "add", "Bench Customer", "-q"], env)

    rounds = [(processes(args.n, env), batch(args.n, env)) for _ in range(args.repeat)]
    pw, pc = median([r[0][0] for r in rounds]), median([r[0][1] for r in rounds])
    bw, bc = median([r[1][0] for r in rounds]), median([r[1][1] for r in rounds])
    print(f"{args.n} x `crm activity add`, median of {args.repeat} rounds")
    print("| how | wall s | cpu s |\n|---|---:|---:|")
    print(f"| {args.n} processes | {pw:.2f} | {pc:.2f} |")
    print(f"| one `crm batch` | {bw:.2f} | {bc:.2f} |")
    print(f"| processes / batch | {pw / bw:.1f}x | {pc / bc:.1f}x |")

    if args.startup:
        floor = [sys.executable, "-c", "import typer, sqlmodel"]
        cmds = {"python -c 'import typer, sqlmodel' (floor)": floor,
                "crm customer list --limit 50": [CRM, "customer", "list", "--limit", "50"],
                "crm remind --owner bench": [CRM, "remind", "--owner", "bench"]}
        times = {name: [] for name in cmds}
        for argv in cmds.values():  # warm-up
            timed(argv, env)
        for _ in range(args.startup):
            for name, argv in cmds.items():
                times[name].append(timed(argv, env))
        base_w = median([w for w, _c in times[next(iter(cmds))]])
        print(f"\nstart-up, median of {args.startup} interleaved runs")
        print("| command | wall s | cpu s | wall - floor |\n|---|---:|---:|---:|")
        for name in cmds:
            w = median([w for w, _c in times[name]])
            c = median([c for _w, c in times[name]])
            print(f"| {name} | {w:.3f} | {c:.3f} | {w - base_w:+.3f} |" if name != next(iter(cmds))
                  else f"| {name} | {w:.3f} | {c:.3f} | |")


if __name__ == "__main__":
    main()
