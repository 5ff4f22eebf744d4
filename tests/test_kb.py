"""crm kb (issue 12): articles, ranked search in Chinese and English, links to tickets, suggestions."""

import pytest

from crm_cli.core import db, search


@pytest.fixture
def articles(cli):
    def add(title, body, *extra):
        return cli.id("kb", "add", title, "--body", body, *extra)

    ids = {
        "jam": add("Paper jam in the tray", "Open the tray and remove the paper.", "--tag", "printer"),
        "toner": add("Toner replacement", "If a paper jam follows a toner change, reseat the cartridge. "
                     "Another jam? Call us."),
        "wifi": add("Wi-Fi setup", "Join the network named in the manual."),
        "invoice": add("Invoice copies", "Ask finance for a copy of the invoice."),
        "password": add("Password reset", "Use the reset link on the login page."),
        "delivery": add("Delivery times", "Orders ship within two days."),
        "卡纸": add("打印机卡纸", "取出纸张，关上后盖。", "--product", "LaserJet 200"),
        "发票": add("发票问题", "如果打印机卡纸，请先处理卡纸，再打印发票。"),
    }
    return ids


def _ids(cli, *args):
    return [r["id"] for r in cli.json("kb", "search", *args)]


def test_ranking_title_above_body(cli, articles):
    # 'jam': in one title and (twice) in another article's body; the title match ranks first
    assert _ids(cli, "jam") == [articles["jam"], articles["toner"]]
    # '卡纸': the title of one, twice in the body of the other
    assert _ids(cli, "卡纸") == [articles["卡纸"], articles["发票"]]
    rows = cli.json("kb", "search", "卡纸")
    assert rows[0]["score"] > rows[1]["score"] > 0
    assert set(rows[0]) == {"id", "title", "tags", "product", "updated_at", "score"}


def test_chinese_fragments_and_english_words(cli, articles):
    assert _ids(cli, "印机") == [articles["卡纸"], articles["发票"]]   # 2 characters, mid-word
    assert _ids(cli, "发票") == [articles["发票"]]
    assert _ids(cli, "后盖") == [articles["卡纸"]]
    assert _ids(cli, "paper tray") == [articles["jam"]]              # every word must be there
    assert _ids(cli, "CARTRIDGE") == [articles["toner"]]
    assert _ids(cli, "artrid") == [articles["toner"]]                 # a fragment of a word
    assert _ids(cli, "laserjet") == [articles["卡纸"]]                # the product
    assert _ids(cli, "printer") == [articles["jam"]]                  # a tag
    assert _ids(cli, "纸卡") == []                                    # no false positives
    assert _ids(cli, "paper x") == []                                 # a one-character word is checked too
    assert _ids(cli, "wi-fi", "--limit", "1") == [articles["wifi"]]
    table = cli("kb", "search", "jam", ok=True).stdout
    assert table.splitlines()[0].startswith(f"{articles['jam']}\tPaper jam in the tray\tprinter\t\t")


def test_list_show_edit_delete_restore_history(cli, articles):
    rows = cli.json("kb", "list")
    assert [r["title"] for r in rows][:3] == ["Delivery times", "Invoice copies", "Paper jam in the tray"]
    assert [r["title"] for r in cli.json("kb", "list", "--search", "卡纸")] == ["发票问题", "打印机卡纸"]
    for fmt in ("table", "plain", "csv", "markdown", "jsonl"):
        assert "Wi-Fi setup" in cli("kb", "list", "--format", fmt, ok=True).stdout
        assert "Wi-Fi setup" in cli("kb", "show", articles["wifi"], "--format", fmt, ok=True).stdout
    a = articles["wifi"]
    cli("kb", "edit", a, "--title", "Wi-Fi and router setup", "--add-tag", "Network", "--body", "Reset the router.",
        ok=True)
    shown = cli.json("kb", "show", a)
    assert shown["title"] == "Wi-Fi and router setup" and shown["tags"] == ["network"]
    assert shown["body"] == "Reset the router." and shown["tickets"] == []
    assert _ids(cli, "router") == [a]
    assert _ids(cli, "manual") == []                                  # the old body left the index
    changes = [(h["field"], h["new"]) for h in cli.json("history", "kb", a) if h["action"] == "update"]
    assert ("title", "Wi-Fi and router setup") in changes and ("tags", "network") in changes
    cli("kb", "delete", a, ok=False)                                  # needs --yes off a TTY
    cli("kb", "delete", a, "--yes", ok=True)
    assert _ids(cli, "router") == [] and a not in [r["id"] for r in cli.json("kb", "list")]
    cli("trash", "restore", "kb", a, ok=True)
    assert _ids(cli, "router") == [a]
    with db.get_engine().connect() as conn:
        assert search.stored(conn, "kb") == search.expected(conn, "kb")
    db.dispose_all()


def test_bad_input(cli):
    r = cli("kb", "add", "  ", ok=False)
    assert r.exit_code == 2 and r.stderr.count("\n") == 1
    r = cli("kb", "search", "  ", ok=False)
    assert r.exit_code == 2 and "nothing to search for" in r.stderr
    assert cli("kb", "show", "99", ok=False).exit_code == 3
    r = cli("kb", "add", "X", "--body", "a", "--body-file", "-", ok=False)
    assert r.exit_code == 2


def test_link_ticket_show_and_suggestions(cli, articles, monkeypatch):
    t = cli.id("ticket", "open", "打印机又卡纸了", "--type", "repair", "--assignee", "me")
    number = cli.json("ticket", "show", t)["number"]
    assert cli.json("ticket", "show", t)["articles"] == []
    cli("kb", "link", articles["卡纸"], number, ok=True)
    r = cli("kb", "link", articles["卡纸"], number, ok=True)
    assert "already" in r.stderr
    assert cli.json("ticket", "show", t)["articles"] == [{"id": articles["卡纸"], "title": "打印机卡纸"}]
    assert "打印机卡纸" in cli("ticket", "show", t, "--format", "plain", ok=True).stdout
    assert [x["number"] for x in cli.json("kb", "show", articles["卡纸"])["tickets"]] == [number]
    assert cli("kb", "link", articles["卡纸"], "T-1999-0001", ok=False).exit_code == 3
    cli("kb", "link", articles["卡纸"], number, "--remove", ok=True)
    assert cli.json("ticket", "show", t)["articles"] == []
    # off a TTY, no suggestion; on one, the three best articles for the subject
    r = cli("ticket", "open", "Paper jam again", "--type", "repair", "--assignee", "me", ok=True)
    assert "may help" not in r.stderr
    from crm_cli.core import context

    monkeypatch.setattr(context, "interactive", lambda: True)
    r = cli("ticket", "open", "Paper jam again", "--type", "repair", "--assignee", "me", ok=True)
    line = [x for x in r.stderr.splitlines() if "may help" in x][0]
    assert line.startswith(f"crm: articles that may help: {articles['jam']} Paper jam in the tray; "
                           f"{articles['toner']} Toner replacement") or \
        line.startswith(f"articles that may help: {articles['jam']} Paper jam in the tray; "
                        f"{articles['toner']} Toner replacement"), line
    r = cli("ticket", "open", "打印机卡纸了怎么办", "--type", "repair", "--assignee", "me", ok=True)
    line = [x for x in r.stderr.splitlines() if "may help" in x][0]
    assert f"{articles['卡纸']} 打印机卡纸; {articles['发票']} 发票问题" in line, line


def test_the_index_is_used(cli, articles):
    from crm_cli.services import kb

    with db.session_scope() as s:
        q = kb.search.ranked(s, "kb", [search.tokens_for_query("卡纸")], any_=False)
        conn = s.connection()
        if conn.dialect.name == "sqlite":
            compiled = q.compile(conn)
            plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + str(compiled).replace(":q", "?"), (compiled.params["q"],)))
            assert "kb_search VIRTUAL TABLE INDEX" in plan, plan
        else:
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            compiled = q.compile(conn)
            plan = " ".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + str(compiled),
                                                               {"q": compiled.params["q"]}))
            assert "ix_kb_search_doc" in plan, plan
