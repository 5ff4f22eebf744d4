"""The import engine's bulk paths: chunk boundaries, duplicate lookups skipped for new keys,
indexes built after a big load, and the column-at-a-time lead rules."""

import csv
import json
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_cli.importer import bulk, engine


@pytest.fixture
def small_chunks(monkeypatch):
    """Imports read two rows per chunk (the CLI's hidden --chunk-size stops at 100)."""
    real = engine.run_import

    def run_import(entity, path, opts):
        opts.chunk_size = 2
        return real(entity, path, opts)

    monkeypatch.setattr(engine, "run_import", run_import)


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return str(p)


def index_sql(cli):
    """{index name: definition} of the leads table, on either backend."""
    from sqlalchemy import text

    from crm_cli.core import db

    with db.get_engine().connect() as conn:
        if conn.dialect.name == "sqlite":
            rows = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                                     "AND tbl_name = 'leads' AND sql IS NOT NULL")).all()
        else:
            rows = conn.execute(text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'leads'")).all()
    db.dispose_all()
    return dict(rows)


def test_duplicates_across_chunks_in_an_empty_database(cli, tmp_path, small_chunks):
    # rows 1 and 6 share an email, 2 and 5 a phone: three chunks apart, found through the Bloom filter
    text = ("name,email,mobile\n"
            "A,a@x.cn,\nB,,13900000001\nC,c@x.cn,\nD,d@x.cn,\nE,,+86 139 0000 0001\nF,A@X.CN,\n")
    out = json.loads(cli("lead", "import", write(tmp_path, "d.csv", text), "--json", ok=True).stdout)
    assert (out["read"], out["created"], out["skipped"]) == (6, 4, 2)
    r = cli("lead", "import", write(tmp_path, "d.csv", text), "--on-duplicate", "error", "--rejects",
            str(tmp_path / "rej.csv"))
    assert r.exit_code == 2
    reasons = [row[-1] for row in csv.reader(open(tmp_path / "rej.csv", encoding="utf-8"))][1:]
    assert reasons == ["duplicate: same email as lead 1 'A'", "duplicate: same phone as lead 2 'B'",
                       "duplicate: same email as lead 3 'C'", "duplicate: same email as lead 4 'D'",
                       "duplicate: same phone as lead 2 'B'", "duplicate: same email as lead 1 'A'"]


def test_duplicates_across_chunks_with_existing_records(cli, tmp_path, small_chunks):
    cli("lead", "add", "Old", "--email", "old@x.cn", ok=True)
    text = "name,email\nA,a@x.cn\nB,b@x.cn\nC,OLD@x.cn\nD,a@x.cn\n"
    out = json.loads(cli("lead", "import", write(tmp_path, "e.csv", text), "--json", ok=True).stdout)
    assert (out["created"], out["skipped"]) == (2, 2)
    assert [x["name"] for x in cli.json("lead", "list", "--sort", "id")] == ["Old", "A", "B"]


def test_external_ids_across_chunks(cli, tmp_path, small_chunks):
    text = "External ID,Name\nk1,A\nk2,B\nk3,C\nk1,A2\n"
    out = json.loads(cli("lead", "import", write(tmp_path, "x.csv", text), "--json", ok=True).stdout)
    assert (out["created"], out["updated"]) == (3, 1)
    assert cli.json("lead", "show", "1")["name"] == "A2"
    out = json.loads(cli("lead", "import", write(tmp_path, "x.csv", text), "--json", ok=True).stdout)
    assert (out["created"], out["updated"], out["unchanged"]) == (0, 2, 2)  # k1: A2 -> A -> A2


def test_big_import_rebuilds_the_indexes_it_dropped(cli, tmp_path, monkeypatch):
    monkeypatch.setattr(bulk, "MIN_ROWS", 3)
    before = index_sql(cli)
    assert "ix_leads_name" in before and "ix_leads_email_key" in before
    rows = "".join(f"Lead {i},Co {i % 3},l{i}@x.cn,{'web' if i % 2 else 'referral'}\n" for i in range(40))
    f = write(tmp_path, "big.csv", "name,company,email,source\n" + rows)
    out = json.loads(cli("lead", "import", f, "--dry-run", "--json", ok=True).stdout)
    assert out["created"] == 40 and index_sql(cli) == before
    cli("lead", "import", f, ok=True)
    assert index_sql(cli) == before
    assert len(cli.json("lead", "list", "--source", "web")) == 20
    # the rebuilt indexes hold the new rows
    from sqlalchemy import text

    from crm_cli.core import db

    with db.get_engine().connect() as conn:
        if conn.dialect.name == "sqlite":
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
            plan = " ".join(r[-1] for r in conn.execute(text("EXPLAIN QUERY PLAN SELECT id FROM leads "
                                                             "WHERE source = 'web'")))
            assert "ix_leads_source" in plan
    db.dispose_all()


def test_failed_big_import_leaves_indexes_and_rows_as_they_were(cli, tmp_path, monkeypatch, small_chunks):
    monkeypatch.setattr(bulk, "MIN_ROWS", 3)
    cli("lead", "add", "Keep", ok=True)
    before = index_sql(cli)
    from crm_cli.importer import lead_adapter

    calls = {"n": 0}
    real = lead_adapter.LeadAdapter.clean_columns

    def interrupted(self, fields, n, skip):
        calls["n"] += 1
        if calls["n"] == 4:  # after the indexes were dropped and chunks were written
            raise KeyboardInterrupt
        return real(self, fields, n, skip)

    monkeypatch.setattr(lead_adapter.LeadAdapter, "clean_columns", interrupted)
    rows = "".join(f"Lead {i},l{i}@x.cn\n" for i in range(20))
    r = cli("lead", "import", write(tmp_path, "big.csv", "name,email\n" + rows))
    assert r.exit_code != 0 and calls["n"] == 4
    monkeypatch.setattr(lead_adapter.LeadAdapter, "clean_columns", real)
    assert index_sql(cli) == before
    assert [x["name"] for x in cli.json("lead", "list")] == ["Keep"]
    assert cli.json("import", "list") == []


def test_lead_rules_column_at_a_time(cli, tmp_path):
    cli("user", "add", "alice", ok=True)
    long_name = "N" * 201
    text = ("name,company,mobile,phone,status,reason,owner,campaign\n"
            ",Only Co,,,,,,\n"                                   # name falls back to the company
            f"{long_name},X,,,,,,\n"
            "Bad Phone,X,12ab,,,,,\n"
            "Bad Office,X,,12,,,,\n"
            "Conv,X,,,converted,,,\n"
            "Odd,X,,,pending,,,\n"
            "Nobody,X,,,,,bob,\n"
            "Dis,X,,,disqualified,no budget,ALICE,\n"
            "Work,X,13800138000,021-5555-0101,working,ignored,,own\n")
    f = write(tmp_path, "rules.csv", text)
    r = cli("lead", "import", f, "--campaign", "expo", "--allow-rejects", "--rejects", str(tmp_path / "bad.csv"),
            ok=True)
    assert "created 4" in r.stderr and "rejected 5" in r.stderr
    reasons = [row[-1] for row in csv.reader(open(tmp_path / "bad.csv", encoding="utf-8"))][1:]
    assert reasons == ["name is longer than 200 characters", "mobile '12ab' is not a phone number",
                       "phone '12' is not a phone number",
                       "status must be one of new, working, qualified, disqualified, converted, not 'pending'",
                       "owner: no user 'bob'"]
    got = [(x["name"], x["status"], x["disqualify_reason"], x["owner"], x["campaign"])
           for x in cli.json("lead", "list", "--sort", "id")]
    assert got == [("Only Co", "new", None, "tester", "expo"), ("Conv", "converted", None, "tester", "expo"),
                   ("Dis", "disqualified", "no budget", "alice", "expo"), ("Work", "working", None, "tester", "own")]
    r = cli("lead", "convert", "Conv", "--new-customer")
    assert r.exit_code == 4 and "lead 2 is converted; it cannot be converted" in r.stderr


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=20), max_size=300), st.lists(st.text(max_size=20), max_size=50))
def test_seen_keys_never_misses_a_value_it_was_given(added, others):
    seen = bulk.SeenKeys(look_up_all=False)
    seen.to_look_up(set(added))  # a chunk: its values count as seen from now on
    assert set(seen.to_look_up(set(added) | set(others))) >= set(added)
    everything = bulk.SeenKeys(look_up_all=True)
    assert sorted(everything.to_look_up(set(others))) == sorted(set(others))


def test_external_ids_stay_unique_in_the_database(cli):
    """The partial unique index (external ids present) refuses a second record with the same id."""
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    from crm_cli.core import db

    cli("lead", "add", "A", "--external-id", "X", ok=True)
    cli("lead", "add", "B", ok=True)
    cli("lead", "add", "C", ok=True)  # several leads without one are fine
    with pytest.raises(IntegrityError):
        with db.get_engine().begin() as conn:
            conn.execute(text("UPDATE leads SET external_id = 'X' WHERE name = 'B'"))
    db.dispose_all()


def test_updates_with_different_columns_in_one_chunk(cli, tmp_path):
    first = "External ID,Name,Company,Title\nk1,A,X,\nk2,B,Y,\nk3,C,Z,Boss\n"
    cli("lead", "import", write(tmp_path, "a.csv", first), ok=True)
    again = "External ID,Name,Company,Title\nk1,A,X,CEO\nk2,B,Y2,CTO\nk3,C,Z,Boss\n"
    out = json.loads(cli("lead", "import", write(tmp_path, "b.csv", again), "--json", ok=True).stdout)
    assert (out["updated"], out["unchanged"]) == (2, 1)
    got = [(x["name"], x["company"], x["title"]) for x in cli.json("lead", "list", "--sort", "id")]
    assert got == [("A", "X", "CEO"), ("B", "Y2", "CTO"), ("C", "Z", "Boss")]
    assert [h["new"] for h in cli.json("history", "lead", "2")][-1] == "import batch 2: company, title"


def test_progress_bar_only_on_a_terminal(monkeypatch):
    import io

    from crm_cli.importer.progress import ImportProgress

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr("sys.stderr", io.StringIO())
    quiet = ImportProgress(True, "a.csv", 100)
    quiet.update(50, 10, 0)
    quiet.close()
    assert quiet.bar is None and __import__("sys").stderr.getvalue() == ""

    term = Terminal()
    monkeypatch.setattr("sys.stderr", term)
    monkeypatch.setenv("TERM", "xterm")
    bar = ImportProgress(True, "a.csv", 100)
    bar.update(50, 1234, 2)
    bar.finishing(2000, 3)
    bar.close()
    assert "writing a.csv" in term.getvalue() and "2,000 rows, 3 rejected" in term.getvalue()
    monkeypatch.setenv("TERM", "dumb")
    assert ImportProgress(True, "a.csv", 100).bar is None


def test_opp_import_keeps_the_files_creation_date_and_product(cli, tmp_path):
    """An adapter's own created_at and custom fields win over the batch's defaults."""
    cli("customer", "add", "Acme", ok=True)
    text = ("Opportunity,Account,Amount,Created Date,Product,custom.region\n"
            "Big deal,Acme,¥1000,2026-03-01,GTX Pro,north\n"
            "Small deal,Acme,¥10,,,\n")
    cli("opp", "import", write(tmp_path, "o.csv", text), ok=True)
    big, small = cli.json("opp", "list", "--sort", "id")
    big, small = cli.json("opp", "show", str(big["id"])), cli.json("opp", "show", str(small["id"]))
    assert big["created_at"].startswith("2026-03-0") and big["custom"] == {"product": "GTX Pro", "region": "north"}
    assert not small["created_at"].startswith("2026-03") and small["custom"] == {}


ROWS = st.lists(st.tuples(st.sampled_from(["", "a@x.cn", "b@x.cn", "c@x.cn"]),
                          st.sampled_from(["", "13800000001", "13800000002", "13800000003"])),
                min_size=1, max_size=12)


@pytest.mark.parametrize("chunk", [2, 5000])
def test_duplicate_rules_match_a_row_by_row_oracle(crm_env, tmp_path, monkeypatch, chunk):
    """Whatever the chunking, a row is skipped exactly when one of its keys belongs to a row
    created before it (a skipped row claims nothing), on a fresh SQLite database each time."""
    from typer.testing import CliRunner

    from crm_cli.core import db
    from crm_cli.app import app

    real = engine.run_import

    def run_import(entity, path, opts):
        opts.chunk_size = chunk
        return real(entity, path, opts)

    monkeypatch.setattr(engine, "run_import", run_import)
    runner = CliRunner()
    counter = iter(range(10**6))

    @settings(max_examples=25, deadline=None)
    @given(ROWS)
    def check(rows):
        emails, phones, created = set(), set(), []
        for n, (email, phone) in enumerate(rows):
            if (email and email in emails) or (phone and phone in phones):
                continue
            created.append(f"L{n}")
            emails.add(email)
            phones.add(phone)
        k = next(counter)
        path = tmp_path / f"d{k}.csv"
        path.write_text("name,email,mobile\n" + "".join(f"L{n},{e},{p}\n" for n, (e, p) in enumerate(rows)),
                        encoding="utf-8")
        env = {"CRM_DB": str(tmp_path / f"db{k}.sqlite")}
        r = runner.invoke(app, ["lead", "import", str(path)], env=env)
        assert r.exit_code == 0, r.stderr
        got = [x["name"] for x in json.loads(runner.invoke(app, ["lead", "list", "--json", "--sort", "id"],
                                                           env=env).stdout)]
        db.dispose_all()
        assert got == created

    check()


def test_reimport_keeps_what_the_file_does_not_say(cli, tmp_path):
    """Defaults (--owner, --status, --source, --campaign) are for new records only: an update by
    external id changes only the columns the file has."""
    cli("user", "add", "alice", ok=True)
    first = "External ID,Name,Company,Owner,Status,Lead Source,Campaign\nx1,Ann,Acme,alice,qualified,web,spring\n"
    cli("lead", "import", write(tmp_path, "a.csv", first), ok=True)
    again = "External ID,Name,Company,Title\nx1,Ann,Acme,CEO\nx2,Bo,Beta,\n"
    out = json.loads(cli("lead", "import", write(tmp_path, "b.csv", again), "--campaign", "fall", "--json",
                         ok=True).stdout)
    assert (out["created"], out["updated"]) == (1, 1)
    got = [(x["name"], x["title"], x["owner"], x["status"], x["source"], x["campaign"])
           for x in cli.json("lead", "list", "--sort", "id")]
    assert got == [("Ann", "CEO", "alice", "qualified", "web", "spring"), ("Bo", None, "tester", "new", None, "fall")]
    cli("customer", "import", write(tmp_path, "c.csv", "External ID,Name,Status,Owner\nc1,Acme,active,alice\n"),
        ok=True)
    cli("customer", "import", write(tmp_path, "c2.csv", "External ID,Name,Industry\nc1,Acme,steel\n"), ok=True)
    acme = cli.json("customer", "show", "Acme")
    assert (acme["status"], acme["owner"], acme["industry"]) == ("active", "alice", "steel")
    r = cli("customer", "import", write(tmp_path, "c3.csv", "Name\nNew Co\n"), "--status", "bogus")
    assert r.exit_code == 2 and r.stderr.startswith("crm: error: --status:")


def test_a_row_that_updates_a_record_claims_its_keys(cli, tmp_path):
    cli("lead", "import", write(tmp_path, "a.csv", "External ID,Name,Email\nX1,Ann,old@x.cn\n"), ok=True)
    text = "External ID,Name,Email\nX1,Ann B,ann@x.cn\n,Ann C,ann@x.cn\n"
    out = json.loads(cli("lead", "import", write(tmp_path, "b.csv", text), "--json", ok=True).stdout)
    assert (out["created"], out["updated"], out["skipped"]) == (0, 1, 1)
    assert [(x["name"], x["email"]) for x in cli.json("lead", "list")] == [("Ann B", "ann@x.cn")]


def test_restored_record_keys_are_looked_up(cli, tmp_path, small_chunks):
    cli("lead", "add", "T", "--email", "e@x.cn", "--external-id", "X", ok=True)
    cli("lead", "delete", "T", "--yes", ok=True)
    text = "External ID,Name,Email\nX,T,e@x.cn\n,Filler,f@x.cn\n,Dup,e@x.cn\n"
    out = json.loads(cli("lead", "import", write(tmp_path, "r.csv", text), "--json", ok=True).stdout)
    assert (out["created"], out["updated"], out["skipped"]) == (1, 1, 1)
    assert sorted(x["name"] for x in cli.json("lead", "list")) == ["Filler", "T"]


def test_values_too_long_for_their_columns_are_rejected_rows(cli, tmp_path):
    text = f"name,external_id,mobile\nA,{'x' * 250},\nB,ok,{'1' * 30}\nC,fine,13800138000\n"
    r = cli("lead", "import", write(tmp_path, "l.csv", text), "--allow-rejects", "--rejects", str(tmp_path / "bad.csv"),
            ok=True)
    assert "created 1" in r.stderr and "rejected 2" in r.stderr
    reasons = [row[-1] for row in csv.reader(open(tmp_path / "bad.csv", encoding="utf-8"))][1:]
    assert reasons == ["external_id is longer than 200 characters", f"mobile '{'1' * 30}' is not a phone number"]
