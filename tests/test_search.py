"""--search through the substring index (issue 14): what it finds, that it finds exactly what the
old scan found, that every write keeps the index in step, the migration, and that the index is used."""

from crm_cli.core import db, search


def _names(cli, *args):
    return [r["name"] for r in cli.json(*args)]


def test_chinese_two_character_fragments(cli):
    cli("customer", "add", "北京华为技术有限公司", ok=True)
    cli("customer", "add", "上海远航技术", ok=True)
    cli("customer", "add", "华东电子", ok=True)
    assert _names(cli, "customer", "list", "--search", "华为") == ["北京华为技术有限公司"]
    assert _names(cli, "customer", "list", "--search", "技术") == ["上海远航技术", "北京华为技术有限公司"]
    assert _names(cli, "customer", "list", "--search", "为技术有") == ["北京华为技术有限公司"]
    # one character: no token to look up, the old scan
    assert sorted(_names(cli, "customer", "list", "--search", "华")) == ["北京华为技术有限公司", "华东电子"]
    assert _names(cli, "customer", "list", "--search", "为华") == []


def test_english_words_fragments_case_and_width(cli):
    cli("customer", "add", "Acme Widgets Ltd", "--email", "sales@acme.example", "--phone", "+86 138-0013-8000",
        ok=True)
    cli("customer", "add", "Ωmega GmbH", ok=True)
    cli("customer", "add", "Café Noir", ok=True)
    assert _names(cli, "customer", "list", "--search", "widgets") == ["Acme Widgets Ltd"]
    assert _names(cli, "customer", "list", "--search", "idge") == ["Acme Widgets Ltd"]
    assert _names(cli, "customer", "list", "--search", "me wid") == ["Acme Widgets Ltd"]
    assert _names(cli, "customer", "list", "--search", "s@acme.ex") == ["Acme Widgets Ltd"]
    assert _names(cli, "customer", "list", "--search", "ωME") == ["Ωmega GmbH"]
    assert _names(cli, "customer", "list", "--search", "ΩMEGA") == ["Ωmega GmbH"]
    # full-width digits: a phone fragment (the index) and a whole number (the key's prefix range)
    assert _names(cli, "customer", "list", "--search", "１３８００１") == ["Acme Widgets Ltd"]
    assert _names(cli, "customer", "list", "--search", "１３８ ００１３ ８０００") == ["Acme Widgets Ltd"]
    # no false positives: the index folds 'é' to 'e', the check after it does not ('cafe' never found
    # 'Café'); an edge of a longer word is not a word ('cme w' is in 'Acme Widgets', 'me x' is not)
    assert _names(cli, "customer", "list", "--search", "cafe") == []
    assert _names(cli, "customer", "list", "--search", "café") == ["Café Noir"]
    assert _names(cli, "customer", "list", "--search", "me x") == []
    assert _names(cli, "customer", "list", "--search", "zzqx") == []


def test_leads_and_contacts(cli):
    cli("lead", "add", "张三丰", "--company", "武当山太极科技", "--email", "zsf@wudang.example", ok=True)
    cli("lead", "add", "Li Si", "--company", "Acme", ok=True)
    assert _names(cli, "lead", "list", "--search", "太极") == ["张三丰"]
    assert _names(cli, "lead", "list", "--search", "三丰") == ["张三丰"]
    assert _names(cli, "lead", "list", "--search", "wudang") == ["张三丰"]
    assert _names(cli, "lead", "list", "--search", "cme") == ["Li Si"]
    cid = cli.id("customer", "add", "华强电子")
    cli("contact", "add", "周大福", "--customer", cid, "--email", "zhou@hq.example", "--mobile", "13912345678",
        ok=True)
    assert _names(cli, "contact", "list", "--search", "大福") == ["周大福"]
    assert _names(cli, "contact", "list", "--search", "45678") == ["周大福"]
    assert _names(cli, "contact", "list", "--search", "hq.ex") == ["周大福"]
    assert _names(cli, "contact", "list", "--search", "大富") == []


def _in_step(entities=("customer", "lead", "contact")):
    with db.get_engine().connect() as conn:
        for entity in entities:
            assert search.stored(conn, entity) == search.expected(conn, entity), entity
    db.dispose_all()


def test_index_kept_in_step_with_every_write(cli, tmp_path):
    a = cli.id("customer", "add", "北京华为技术")
    b = cli.id("customer", "add", "华为北京分公司", "--email", "bj@hw.example")
    cli.id("contact", "add", "王五", "--customer", a)
    cli("customer", "edit", a, "--name", "北京华为科技", "--phone", "010 6552 1234", ok=True)
    assert _names(cli, "customer", "list", "--search", "技术") == []
    assert _names(cli, "customer", "list", "--search", "科技") == ["北京华为科技"]
    cli("customer", "delete", b, "--yes", ok=True)
    assert _names(cli, "customer", "list", "--search", "分公司") == []
    cli("customer", "restore", b, ok=True)
    assert _names(cli, "customer", "list", "--search", "分公司") == ["华为北京分公司"]
    cli("customer", "merge", a, b, "--yes", ok=True)  # a takes b's empty email
    assert _names(cli, "customer", "list", "--search", "bj@hw") == ["北京华为科技"]
    f = tmp_path / "c.csv"
    f.write_text("name,email,phone\n深圳腾飞数码,tf@sz.example,0755 8888 1234\n北京华为科技,,\n", encoding="utf-8")
    cli("customer", "import", f, "--on-duplicate", "update", ok=True)
    f2 = tmp_path / "l.csv"
    f2.write_text("name,company\n赵六,腾飞数码\n", encoding="utf-8")
    cli("lead", "import", f2, ok=True)
    assert _names(cli, "customer", "list", "--search", "腾飞") == ["深圳腾飞数码"]
    assert _names(cli, "customer", "list", "--search", "88881") == ["深圳腾飞数码"]
    assert _names(cli, "lead", "list", "--search", "腾飞") == ["赵六"]
    f3 = tmp_path / "u.csv"
    f3.write_text("name,email\n深圳腾飞数码,new@sz.example\n", encoding="utf-8")
    cli("customer", "import", f3, "--on-duplicate", "update", ok=True)
    assert _names(cli, "customer", "list", "--search", "new@sz") == ["深圳腾飞数码"]
    _in_step()
    cli("trash", "purge", "--older-than", "0d", "--yes", ok=True)  # b, merged, goes for good
    _in_step()


def test_migration_indexes_an_existing_database(crm_env):
    """A database at 0011 with records in it: the upgrade builds the index, searches find them."""
    from alembic import command
    from sqlalchemy import text

    from crm_cli.core import context
    from typer.testing import CliRunner

    from crm_cli.app import app

    engine = db.get_engine()
    command.downgrade(db.alembic_config(engine), "0011_tickets")
    with engine.begin() as conn:
        assert not any(search.is_index_table(t) for t in
                       __import__("sqlalchemy").inspect(conn).get_table_names())
        for i, name in enumerate(["北京华为技术", "Acme Widgets", "上海技术"] * 1000):
            conn.execute(text("INSERT INTO customers (name, status, custom, created_at, updated_at, name_key) "
                              "VALUES (:n, 'active', '{}', '2026-01-01', '2026-01-01', :k)"),
                         {"n": f"{name}{i}", "k": f"{name}{i}".lower()})
    db.dispose_all()
    context.reset()
    r = CliRunner().invoke(app, ["customer", "list", "--search", "华为", "--format", "json"])
    assert r.exit_code == 0, r.stderr
    import json

    rows = json.loads(r.stdout)
    assert len(rows) == 1000 and all("华为" in x["name"] for x in rows)
    assert db.current_revision(db.get_engine()) == db.head_revision()
    _in_step(("customer",))


def test_the_index_is_used(cli):
    """The plan reads the index table (SQLite: the FTS5 table; PostgreSQL: its GIN index)."""
    from crm_cli.core import context
    from crm_cli.models import Customer
    from crm_cli.services import customers
    from sqlalchemy import select

    cli("customer", "add", "北京华为技术", ok=True)
    context.reset()
    with db.session_scope() as s:
        captured = []
        from sqlalchemy import event

        def grab(conn, cursor, statement, params, context_, executemany):
            if "customers" in statement and "ORDER BY" in statement:
                captured.append((statement, params))

        engine = s.get_bind()
        event.listen(engine, "before_cursor_execute", grab)
        try:
            assert [r["name"] for r in customers.list_customers(s, search="华为")] == ["北京华为技术"]
        finally:
            event.remove(engine, "before_cursor_execute", grab)
        statement, params = captured[0]
        conn = s.connection()
        if conn.dialect.name == "sqlite":
            plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params))
            assert "customer_search VIRTUAL TABLE INDEX" in plan, plan
        else:
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")  # a tiny table: make the planner show
            conn.exec_driver_sql("SET LOCAL enable_indexscan = off")  # what it would do with a big one
            plan = " ".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + statement, params))
            assert "ix_customer_search_doc" in plan, plan
        assert s.execute(select(Customer.id)).all()


def test_a_common_text_with_a_limit_gives_the_same_page(cli):
    """With --limit, a text with many candidates takes the old scan (it stops after a page); a rare
    one the index: either way the same rows in the same order."""
    for i in range(12):
        cli("customer", "add", f"华强电子{i:02d}", ok=True)
    cli("customer", "add", "远航科技", ok=True)
    everything = _names(cli, "customer", "list", "--search", "华强")
    assert everything == [f"华强电子{i:02d}" for i in range(12)]
    # 12 candidates in 13 rows: 12 * 12 >= 2 * 13, the scan; '远航' has 1: 1 < 2 * 13, the index
    assert _names(cli, "customer", "list", "--search", "华强", "--limit", "2") == everything[:2]
    assert _names(cli, "customer", "list", "--search", "华强", "--limit", "2", "--offset", "3") == everything[3:5]
    assert _names(cli, "customer", "list", "--search", "远航", "--limit", "2") == ["远航科技"]
    assert _names(cli, "lead", "list", "--search", "华强", "--limit", "2") == []


def test_an_import_updating_its_own_new_records_across_chunks(cli, tmp_path, monkeypatch):
    """A row of a later chunk updates a record an earlier chunk of the same import created: the
    index holds it once, with its last text."""
    from crm_cli.importer import engine

    real = engine.run_import

    def run_import(entity, path, opts):
        opts.chunk_size = 2
        return real(entity, path, opts)

    monkeypatch.setattr(engine, "run_import", run_import)
    f = tmp_path / "c.csv"
    f.write_text("name,email\n华为技术,a@x.example\n远航科技,\n长城电子,\n华为技术,b@y.example\n", encoding="utf-8")
    cli("customer", "import", f, "--on-duplicate", "update", ok=True)
    assert _names(cli, "customer", "list", "--search", "b@y") == ["华为技术"]
    _in_step(("customer",))
