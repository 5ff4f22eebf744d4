"""Document numbers (Q-, SO-, T-) are never given twice under concurrency, and none
is skipped needlessly: parallel creator processes (two per kind, all kinds at once), some of them killed (SIGKILL) after taking a number
and before their commit, leave the numbers 1..N of the N documents that were stored, on SQLite and
PostgreSQL (services/numbering.py: one atomic upsert on the counter row, inside the creating
transaction, so a rolled-back or killed creation gives its number back).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import FIXED_NOW
from crmcheck import assert_sound, crm
from test_concurrency import LOOP

# kind of conc_loop.py, table, prefix; a new numbered document is one line here
KINDS = [("numbers-quote", "quotes", "Q"), ("numbers-order", "orders", "SO"), ("numbers-ticket", "tickets", "T")]
CREATE = {"numbers-quote": ["quote", "new"], "numbers-order": ["order", "new"],
          "numbers-ticket": ["ticket", "open", "killed", "--type", "inquiry", "--assignee", "me"]}


@pytest.fixture
def shop(cli, crm_env, monkeypatch):
    monkeypatch.setenv("CRM_NOW", FIXED_NOW)
    cli("customer", "add", "Acme", ok=True)
    return dict(crm_env, CRM_NOW=FIXED_NOW)


def _numbers(env, table):
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    from crmcheck import db_url

    engine = create_engine(db_url(env), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(f"SELECT number FROM {table}")).scalars())
    finally:
        engine.dispose()


def test_parallel_creators_get_unique_gapless_numbers(shop, tmp_path):
    stop = tmp_path / "stop"
    stop.touch()  # each loop runs exactly `rounds` times
    rounds, loops = 6, 2
    procs = [(kind, subprocess.Popen([sys.executable, LOOP, kind, str(stop), str(rounds)], env=shop,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
             for kind, _table, _prefix in KINDS for _ in range(loops)]
    # meanwhile, one creator of each kind killed after taking its number, before its commit
    killed = [crm(shop, *CREATE[kind], "--customer", "Acme", kill_at="commit") for kind, _t, _p in KINDS]
    assert [k.returncode for k in killed] == [-9] * len(KINDS)
    runs = []
    for _kind, p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-2000:]
        runs += [json.loads(line) for line in out.splitlines()]
    assert [r for r in runs if r["code"] != 0] == []
    assert len(runs) == rounds * loops * len(KINDS)
    year = FIXED_NOW[:4]
    for _kind, table, prefix in KINDS:
        # 2 loops x 6 = 12 stored, numbered 1..12, each once (the killed creator's number was given back)
        assert sorted(_numbers(shop, table)) == [f"{prefix}-{year}-{n:04d}" for n in range(1, rounds * loops + 1)]
    assert_sound(shop)
