"""Streamed listings (issue 14): exact text of every format for a streamed listing, flat memory over
many rows, and report queries whose plan is named by their shape (EXPLAIN QUERY PLAN after ANALYZE)."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import datetime, timezone

import pytest

from conftest import CRM_BIN, FIXED_NOW

CREATED = datetime(2026, 11, 23, 1, 0, tzinfo=timezone.utc)  # FIXED_NOW in UTC


def _leads(cli):
    cli("user", "add", "alice", ok=True)
    cli("lead", "add", "王芳", "--company", "云帆", "--mobile", "+86 139 2222 3333", "--source", "web",
        "--owner", "alice", ok=True)
    cli("lead", "add", "Bob", "--company", "=HYPERLINK()", "--source", "web", "--set", "zeta=1", ok=True)
    cli("lead", "add", "Carol", "--source", "web", "--set", "alpha=x", "--set", "zeta=2", ok=True)


HEAD = ("id,name,company,title,email,phone,mobile,source,campaign,city,region,industry,status,disqualify_reason,"
        "owner,external_id,notes")
TAIL = ("converted_customer_id,converted_contact_id,converted_opportunity_id,converted_at,import_batch_id,"
        "created_at,updated_at")
STAMP = "2026-11-23T09:00:00+08:00,2026-11-23T09:00:00+08:00"


def test_streamed_csv_header_is_every_records_keys_in_order_of_first_appearance(cli, monkeypatch):
    monkeypatch.setenv("CRM_NOW", FIXED_NOW)
    _leads(cli)
    # first record without custom values: the custom.KEY columns come last, in the order first met
    out = cli("lead", "list", "--sort", "id", "--format", "csv", ok=True).stdout
    assert out.splitlines() == [
        f"{HEAD},{TAIL},custom.zeta,custom.alpha",
        f"1,王芳,云帆,,,,+86 139 2222 3333,web,,,,,new,,alice,,,,,,,,{STAMP},,",
        f"2,Bob,'=HYPERLINK(),,,,,web,,,,,new,,tester,,,,,,,,{STAMP},1,",
        f"3,Carol,,,,,,web,,,,,new,,tester,,,,,,,,{STAMP},2,x",
    ]
    # first record with custom values: its keys sit where `custom` is in the record, later ones last
    out = cli("lead", "list", "--sort", "-id", "--format", "csv", ok=True).stdout
    assert out.splitlines()[0] == f"{HEAD},custom.alpha,custom.zeta,{TAIL}"
    assert out.splitlines()[1] == f"3,Carol,,,,,,web,,,,,new,,tester,,,x,2,,,,,,{STAMP}"
    # a page of it (--limit): the header is that of the rows shown
    out = cli("lead", "list", "--sort", "id", "--limit", "2", "--format", "csv", ok=True).stdout
    assert out.splitlines()[0] == f"{HEAD},{TAIL},custom.zeta"
    # nothing found: an empty line, as before
    assert cli("lead", "list", "--search", "nobody", "--format", "csv", ok=True).stdout == "\n"


def test_csv_from_raw_rows_is_the_records_csv(cli, monkeypatch):
    """`lead list --format csv` converts the driver's rows column by column (core/output._csv_raw): the
    same bytes as the records give (the path taken when a column's type has no raw converter)."""
    from crm_cli.services import leads, listing

    monkeypatch.setenv("CRM_NOW", FIXED_NOW)
    _leads(cli)
    cli("lead", "add", "Dan", "--company", "-cmd", "--phone", "+86 755 2345-6789", "--set", "区域=华南",
        "--set", "zeta=@x", "--notes", 'two\nlines, "quoted"', ok=True)
    cli("lead", "disqualify", "Dan", "--reason", "=bad", ok=True)
    assert list(cli.json("lead", "list", "--sort", "id")[0]) == list(leads.RECORD_KEYS)
    for tz in ("Asia/Shanghai", "America/New_York"):
        monkeypatch.setenv("CRM_TIMEZONE", tz)
        for args in (["--sort", "id"], ["--sort", "-id"], ["--sort", "name", "--limit", "2", "--offset", "1"]):
            fast = cli("lead", "list", *args, "--format", "csv", ok=True).stdout
            with monkeypatch.context() as m:
                m.setattr(listing, "RAW_KINDS", {})  # no raw converters: the records' path
                slow = cli("lead", "list", *args, "--format", "csv", ok=True).stdout
            assert fast == slow
    assert "'=bad" in fast and "-cmd" not in fast.replace("'-cmd", "")


def test_streamed_json_is_the_one_shot_array_text(cli, monkeypatch):
    monkeypatch.setenv("CRM_NOW", FIXED_NOW)
    _leads(cli)
    out = cli("lead", "list", "--sort", "id", "--format", "json", ok=True).stdout
    data = json.loads(out)
    assert out == json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    assert [(d["name"], d["owner"], d["custom"]) for d in data] == [
        ("王芳", "alice", {}), ("Bob", "tester", {"zeta": "1"}), ("Carol", "tester", {"alpha": "x", "zeta": "2"})]
    lines = cli("lead", "list", "--sort", "id", "--format", "jsonl", ok=True).stdout.splitlines()
    assert [json.loads(x) for x in lines] == data
    assert cli("lead", "list", "--search", "nobody", "--format", "json", ok=True).stdout == "[]\n"
    # the shown columns only (plain): read from a select of those columns
    plain = cli("lead", "list", "--sort", "id", "--format", "plain", ok=True).stdout
    assert plain.splitlines()[0] == "1\t王芳\t云帆\tnew\tweb\t\t+86 139 2222 3333\t\talice"


def test_streamed_listings_match_their_records(cli, monkeypatch):
    """Each big listing reads Core rows; its JSON is still the record contract (as `show` gives it)."""
    monkeypatch.setenv("CRM_NOW", FIXED_NOW)
    cli("customer", "add", "Acme", "--set", "k=v", ok=True)
    cli("customer", "tag", "Acme", "vip", "big", ok=True)
    cli("contact", "add", "Jane", "-c", "Acme", ok=True)
    cli("opp", "add", "Deal", "-c", "Acme", "--amount", "1000", ok=True)
    cli("activity", "add", "Call Jane", "-t", "call", "--customer", "Acme", "--due", "2026-11-20 10:00", ok=True)
    cust = cli.json("customer", "list")[0]
    assert (cust["tags"], cust["owner"], cust["custom"]) == (["big", "vip"], "tester", {"k": "v"})
    plain = cli("customer", "list", "--format", "plain", ok=True).stdout
    assert plain == "1\tAcme\tprospect\t\t\t\t\ttester\tbig, vip\n"
    assert cli.json("contact", "list")[0]["customer"] == "Acme"
    opp = cli.json("opp", "list")[0]
    assert (opp["customer"], opp["stage"], opp["amount"], opp["pipeline"]) == ("Acme", "Prospecting", "1000.00",
                                                                               "Sales")
    act = cli.json("activity", "list")[0]
    # due 2026-11-20 10:00 local; now 2026-11-23 09:00: 2 days 23 hours late
    assert (act["customer"], act["owner"], act["overdue"], act["late"]) == ("Acme", "tester", True, "2 days 23 hours")
    line = cli("activity", "list", "--format", "plain", ok=True).stdout
    assert line.split("\t")[:3] == ["1", "2026-11-20T10:00:00+08:00", "2 days 23 hours"]


def test_a_table_holds_a_page_and_keeps_the_first_pages_columns(cli, monkeypatch):
    from crm_cli.core import output

    for name in ("Ann", "Bea", "Cy", "Di", "Ed"):
        cli("customer", "add", name, ok=True)
    whole = cli("customer", "list", "--format", "table", ok=True).stdout
    monkeypatch.setattr(output, "TABLE_PAGE", 2)
    paged = cli("customer", "list", "--format", "table", ok=True).stdout
    assert paged == whole  # three pages of 2, 2, 1 rows; one header
    assert paged.count("Name") == 1 and all(n in paged for n in ("Ann", "Ed"))


def _insert_leads(n: int, start: int = 1) -> None:
    from sqlalchemy import insert

    from crm_cli.core import db
    from crm_cli.models.lead import Lead

    with db.get_engine().begin() as conn:
        for lo in range(start, start + n, 5000):
            conn.execute(insert(Lead.__table__), [
                dict(id=i, name=f"Lead {i}", company=f"Company {i} 有限公司", email=f"l{i}@example.com",
                     mobile=f"+86 138{i:08d}", source="web", status="new", custom={}, notes="x" * 200,
                     created_at=CREATED, updated_at=CREATED) for i in range(lo, min(lo + 5000, start + n))])
    db.dispose_all()


def _peak_mib(args: list[str], env: dict) -> float:
    """Peak RSS of `crm ARGS` (getrusage of the finished child), its output read and dropped."""
    proc = subprocess.Popen([CRM_BIN, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    while proc.stdout.read(1 << 16):
        pass
    _pid, status, usage = os.wait4(proc.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    return usage.ru_maxrss / 1024


def test_memory_stays_flat_whatever_the_row_count(crm_env):
    """2,000 then 20,000 leads listed as CSV and JSON by the installed crm: the peak RSS grows by a few
    MiB at most (holding 20,000 records took ~70 MiB more)."""
    _insert_leads(2000)
    small = {fmt: _peak_mib(["lead", "list", "--format", fmt], crm_env) for fmt in ("csv", "json")}
    _insert_leads(18000, start=2001)
    big = {fmt: _peak_mib(["lead", "list", "--format", fmt], crm_env) for fmt in ("csv", "json")}
    for fmt in small:
        assert big[fmt] - small[fmt] < 12, (fmt, small[fmt], big[fmt])


# ---- report plans ------------------------------------------------------------------------------------

def _opps(cli):
    cli("customer", "add", "Acme", ok=True)
    cli("customer", "add", "Gone", ok=True)
    for title, cust, amount, stage in (("A", "Acme", "100", "Prospecting"), ("B", "Acme", "200", "Proposal"),
                                       ("C", "Gone", "400", "Proposal"), ("D", "Acme", "USD 50", "Proposal")):
        cli("opp", "add", title, "-c", cust, "--amount", amount, "--stage", stage, ok=True)
    cli("opp", "add", "E", "-c", "Gone", "--stage", "Prospecting", ok=True)  # no amount


def _stat(conn, sql: str) -> str:
    return "\n".join(r[-1] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))


def _sqlite(q) -> str:
    from sqlalchemy.dialects import sqlite

    return str(q.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))


# sqlite_stat1 of 1,000,000 opportunities (bench/bench_opps.py's data after ANALYZE): with these the old
# query (GROUP BY stage_id first) was planned on ix_opportunities_stage_id, reading the table row by row
BIG_STATS = [("ix_opps_funnel", "1000000 1000000 1000000 250000 100000 33334 1 1"),
             ("ix_opps_forecast", "1000000 1000000 250000 343 117 1 1"),
             ("ix_opportunities_stage_id", "1000000 166667"),
             ("ix_opportunities_customer_id", "1000000 1000"),
             ("ix_opportunities_status", "1000000 250000"), ("ix_opps_owner_status", "1000000 50000 12500")]


def test_funnel_plan_is_the_covering_index_after_analyze(cli, crm_env):
    from sqlalchemy import text

    from crm_cli.core import db
    from crm_cli.reports import forecast, funnel

    _opps(cli)
    if "CRM_DATABASE_URL" in crm_env:  # PostgreSQL: the queries run; plans are SQLite's question
        with db.get_engine().connect() as conn:
            for q in (funnel.aggregate_query(1), funnel.aggregate_query(1, trashed=True), forecast.open_query()):
                assert conn.execute(text("EXPLAIN " + str(q.compile(dialect=conn.dialect,
                                                                    compile_kwargs={"literal_binds": True})))).all()
        return
    with db.get_engine().begin() as conn:
        conn.exec_driver_sql("ANALYZE")
        for stats in (None, BIG_STATS):
            if stats:
                for idx, stat in stats:
                    conn.exec_driver_sql("DELETE FROM sqlite_stat1 WHERE idx = ?", (idx,))
                    conn.exec_driver_sql("INSERT INTO sqlite_stat1 VALUES ('opportunities', ?, ?)", (idx, stat))
                conn.exec_driver_sql("ANALYZE sqlite_schema")  # load the statistics written above
            plan = _stat(conn, _sqlite(funnel.aggregate_query(1)))
            assert "USING COVERING INDEX ix_opps_funnel" in plan, plan
            if stats:  # the few opportunities of trashed customers: from the customers' trash index
                trashed = _stat(conn, _sqlite(funnel.aggregate_query(1, trashed=True)))
                assert "ix_customers_trashed" in trashed, trashed
            assert "USING INDEX ix_opps_forecast" in _stat(conn, _sqlite(forecast.open_query()))
        # the test can tell: the old shape (stage first, trash checked per row) goes to the stage_id index
        old = _sqlite(funnel.aggregate_query(1)).replace("GROUP BY opportunities.currency, opportunities.stage_id",
                                                         "GROUP BY opportunities.stage_id, opportunities.currency")
        assert "ix_opportunities_stage_id" in _stat(conn, old)
    db.dispose_all()


@pytest.mark.parametrize("with_stats", [False, True])
def test_funnel_leaves_out_trashed_customers_opps(cli, crm_env, with_stats):
    """The funnel is the live opportunities' aggregate less that of a trashed customer's (on both backends)."""
    from crm_cli.core import db

    _opps(cli)
    cli("currency", "rate", "USD", "7", "--base", "CNY", ok=True)
    cli("customer", "delete", "Gone", "--yes", ok=True)  # its opportunities C and E go to the trash too
    with db.get_engine().begin() as conn:
        # C back out of the trash by itself (left behind), its customer still in the trash
        conn.exec_driver_sql("UPDATE opportunities SET deleted_at = NULL WHERE title = 'C'")
        if with_stats and conn.dialect.name == "sqlite":
            conn.exec_driver_sql("ANALYZE")
        elif with_stats:
            conn.exec_driver_sql("ANALYZE opportunities")
    db.dispose_all()
    rows = {r["stage"]: r for r in cli.json("report", "funnel", "--currency", "CNY")}
    # Prospecting: A 100 (E is Gone's, in the trash); Proposal: B 200 + D USD 50 x 7 = 550 (C is Gone's)
    assert (rows["Prospecting"]["count"], rows["Prospecting"]["amount"]) == (1, "100.00")
    assert (rows["Proposal"]["count"], rows["Proposal"]["amount"]) == (2, "550.00")
