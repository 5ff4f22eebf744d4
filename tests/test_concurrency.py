"""Three writers and two readers at once on one database, as real processes: an import of 50,000
leads (`crm lead import`), two loops adding activities and quotes (with a line each), `crm remind`
and `crm report funnel` in loops. No command may fail ("database is locked" or anything else: the
writers wait, up to the 30 s busy timeout, for each other), every row is stored, and the counts are
checked at the end, with `crm db check`.

Each loop is one process (tests/conc_loop.py) running its command over and over; every run opens its
own connection, as a separate `crm` would. The loops start first, go on until the import is over
(at least `rounds` times each), then report every run. CI runs one import on SQLite; the slow variant
(--run-slow) runs three imports back to back, longer loops, and on PostgreSQL too.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import CRM_BIN, FIXED_NOW, slow_enabled
from crmcheck import assert_sound, count

LOOP = str(Path(__file__).with_name("conc_loop.py"))
LEADS = 50_000


def _leads(path: Path, n: int, start: int) -> str:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Name", "Company", "Email", "Phone", "Source"])
        for i in range(start, start + n):
            w.writerow([f"Conc lead {i}", f"Company {i % 991}", f"conc{i}@example.com", f"+86 139 {i:08d}", "web"])
    return str(path)


@pytest.fixture
def shop(cli, crm_env, monkeypatch):
    monkeypatch.setenv("CRM_NOW", FIXED_NOW)
    cli("product", "add", "R1", "--name", "Router", "--price", "1000", "--tax", "13%", ok=True)
    cli("customer", "add", "Acme", ok=True)
    cli("opp", "add", "Acme deal", "--customer", "Acme", "--amount", "5000", ok=True)
    cli("activity", "add", "first call", "--customer", "Acme", "--due", "2026-11-24 10:00", ok=True)
    return dict(crm_env, CRM_NOW=FIXED_NOW)


def _run_mix(env: dict, tmp_path: Path, files: list[str], rounds: int):
    stop = tmp_path / "stop"
    loops = {kind: subprocess.Popen([sys.executable, LOOP, kind, str(stop), str(rounds)], env=env,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for kind in ("activities", "quotes", "remind", "funnel")}
    imports = []
    try:
        time.sleep(0.5)  # the loops are running when the import starts
        for f in files:
            start = time.monotonic()
            proc = subprocess.run([CRM_BIN, "lead", "import", f], env=env, capture_output=True, text=True,
                                  timeout=300)
            imports.append((proc, time.monotonic() - start))
    finally:
        stop.touch()
    results = {}
    for kind, p in loops.items():
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, f"{kind}: exit {p.returncode}\n{err[-3000:]}"
        results[kind] = [json.loads(line) for line in out.splitlines()]
    return imports, results


def _check(env, imports, results, n_files):
    for proc, _secs in imports:
        assert proc.returncode == 0, proc.stderr
        assert "locked" not in proc.stderr and "busy" not in proc.stderr
    for kind, runs in results.items():
        failed = [r for r in runs if r["code"] != 0 or "crm:" in r["err"] or "TRACEBACK" in r["err"]]
        assert failed == [], f"{kind}: {len(failed)} of {len(runs)} runs failed, e.g. {failed[:3]}"
    # every row is stored: the leads of the imports, one activity per activity run (plus the first
    # one), one quote and one line per quote round
    acts = len(results["activities"])
    quotes = [r for r in results["quotes"] if r["args"][:2] == ["quote", "new"]]
    assert count(env, "SELECT COUNT(*) FROM leads") == LEADS * n_files
    assert count(env, "SELECT COUNT(*) FROM activities") == acts + 1
    assert count(env, "SELECT COUNT(*) FROM quotes") == len(quotes)
    assert count(env, "SELECT COUNT(*) FROM quote_lines") == len(quotes)
    # numbers: one each, none skipped
    year = FIXED_NOW[:4]
    numbers = sorted(int(n) for n in _numbers(env, "quotes"))
    assert numbers == list(range(1, len(quotes) + 1)), f"Q-{year}: {numbers}"
    # the readers saw whole commits: every report is valid JSON
    for r in results["remind"] + results["funnel"]:
        json.loads(r["out"])
    assert_sound(env)
    waits = max(r["s"] for runs in results.values() for r in runs)
    return {"activities": acts, "quotes": len(quotes), "reads": len(results["remind"]) + len(results["funnel"]),
            "longest_run_s": waits, "import_s": [round(s, 2) for _p, s in imports]}


def _numbers(env, table):
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    from crmcheck import db_url

    engine = create_engine(db_url(env), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return [n.rsplit("-", 1)[1] for n in conn.execute(text(f"SELECT number FROM {table}")).scalars()]
    finally:
        engine.dispose()


def test_three_writers_two_readers(request, shop, tmp_path):
    if "CRM_DATABASE_URL" in shop and not slow_enabled(request.config):
        pytest.skip("on PostgreSQL with --run-slow only (the issue's case is one SQLite file)")
    files = [_leads(tmp_path / "leads.csv", LEADS, 0)]
    imports, results = _run_mix(shop, tmp_path, files, rounds=15)
    stats = _check(shop, imports, results, len(files))
    print("concurrency:", stats)


@pytest.mark.slow
def test_three_writers_two_readers_long(shop, tmp_path):
    files = [_leads(tmp_path / f"leads{k}.csv", LEADS, k * LEADS) for k in range(3)]
    imports, results = _run_mix(shop, tmp_path, files, rounds=60)
    stats = _check(shop, imports, results, len(files))
    print("concurrency:", stats)
