"""The output layer: control characters never reach the terminal raw, tables fit the terminal,
huge values do not make huge lines, markdown is a GitHub pipe table."""

import json
import re

import pytest

EVIL = "Ctl\x1b[31m\x07\x9b2J\u202eevil"  # ESC (turns the terminal red), BEL, C1 CSI, bidi override
SHOWN = "Ctl\\x1b[31m\\x07\\x9b2J\\u202eevil"


def _store(sql: str, **params) -> None:
    """Write straight to the database: stored text may predate any input check (old data, other tools)."""
    from sqlalchemy import text

    from crm_cli.core import db

    with db.get_engine().begin() as conn:
        conn.execute(text(sql), params)
    db.dispose_all()


def _raw_controls(text: str) -> list[str]:
    return re.findall("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]", text)


def test_control_characters_are_escaped_in_every_human_format(cli, run):
    cli("lead", "add", "Placeholder", "--company", "Acme", ok=True)
    _store("UPDATE leads SET name = :n, notes = :notes", n=EVIL, notes="first\nsecond\x1b]0;title\x07")
    for args in (("lead", "show", "1"), ("lead", "list")):
        for fmt in ("table", "plain", "markdown"):
            p = run(*args, "--format", fmt)
            assert p.returncode == 0, p.stderr
            assert _raw_controls(p.stdout) == [], (args, fmt, p.stdout)
            assert SHOWN in p.stdout, (args, fmt, p.stdout)
    show = run("lead", "show", "1", "--format", "table").stdout
    assert "first" in show and "second\\x1b]0;title\\x07" in show  # a newline in notes is kept on a table
    # JSON escapes them as \u escapes and still gives back the very same text
    for fmt in ("json", "jsonl"):
        p = run("lead", "list", "--format", fmt)
        assert _raw_controls(p.stdout) == [] and "\\u001b[31m\\u0007\\u009b2J\\u202e" in p.stdout
        doc = json.loads(p.stdout) if fmt == "json" else [json.loads(p.stdout)]
        assert doc[0]["name"] == EVIL


def test_control_characters_are_escaped_in_messages_and_errors(cli, run):
    cli("lead", "add", "Placeholder", "--company", "Acme", ok=True)
    _store("UPDATE leads SET name = :n", n=EVIL)
    p = run("lead", "qualify", "1")  # "lead 1 (NAME) is qualified": output.info
    assert p.returncode == 0, p.stderr
    assert _raw_controls(p.stderr) == [] and SHOWN in p.stderr
    p = run("lead", "show", "Nobody\x1b[31m\x07")  # the error echoes the reference
    assert p.returncode == 3
    assert _raw_controls(p.stderr) == [] and "Nobody\\x1b[31m\\x07" in p.stderr
    assert p.stderr.count("\n") == 1


def test_markup_like_text_is_shown_as_is(cli):
    cli("customer", "add", "[bold]Acme[/bold] [/red]", ok=True)
    out = cli("customer", "list", "--format", "table", ok=True).stdout
    assert "[bold]Acme[/bold] [/red]" in out
    out = cli("customer", "show", "1", "--format", "table", ok=True).stdout
    assert "[bold]Acme[/bold] [/red]" in out


def _wide_data(cli):
    cli("customer", "add", "Shenzhen Huaqiang Electronics Trading Company Limited", "--industry",
        "Electronics Manufacturing", "--region", "Guangdong South China", "--phone", "+86 755 8888 1234",
        "--tag", "key", "--tag", "vip", "--tier", "A", ok=True)
    cli("customer", "add", "Acme", "--industry", "Manufacturing", ok=True)
    cli("opp", "add", "Big framework agreement for 2027 deliveries", "-c", "1", "--amount", "CNY 45000000",
        ok=True)


@pytest.mark.parametrize("width", [80, 60])
def test_tables_fit_the_terminal_without_splitting_words_or_numbers(cli, monkeypatch, width):
    _wide_data(cli)
    monkeypatch.setenv("COLUMNS", str(width))
    outputs = {}
    for args in (("customer", "list"), ("report", "funnel"), ("customer", "show", "1")):
        out = cli(*args, "--format", "table", ok=True).stdout
        outputs[args[:2]] = out
        for line in out.splitlines():
            assert len(line) <= width, (args, line)
    listing = outputs[("customer", "list")].splitlines()
    # whole header words, one header line, text cut with an ellipsis, never folded onto a second line
    assert listing[0].split()[:6] == ["ID", "|", "Name", "|", "Status", "|"]
    assert len(listing) == 4 and "Shenz" in listing[3] and "…" in listing[3]
    assert listing[2].lstrip().startswith("2 | Acme")
    funnel = outputs[("report", "funnel")]
    assert "¥45,000,000.00" in funnel and "¥4,500,000.00" in funnel  # 10% weighted, whole
    header = next(ln for ln in funnel.splitlines() if "Stage" in ln)
    assert [h.strip() for h in header.split("|")][:5] == ["Stage", "Prob %", "Opps", "Amount", "Weighted"]
    show = outputs[("customer", "show")]
    assert "¥45,000,000.00" in show
    assert re.search(r"^name +Shenzhen Huaqiang Electronics", show, re.MULTILINE)
    opp_line = next(ln for ln in show.splitlines() if "¥45,000,000.00" in ln)
    assert opp_line.lstrip().startswith("1 | Big")


def test_narrow_terminal_drops_rightmost_columns_first(cli, monkeypatch):
    _wide_data(cli)
    monkeypatch.setenv("COLUMNS", "40")
    out = cli("customer", "list", "--format", "table", ok=True).stdout.splitlines()
    # ID 2 + Name 6 + Status 6 + Tier 4 + Industry 8 = 26, plus 5 columns' padding and separators 14 = 40
    assert [h.strip() for h in out[0].split("|")] == ["ID", "Name", "Status", "Tier", "Industry"]
    assert out[3] == "  1 | Shenz… | prosp… | A    | Electro… "
    assert all(len(line) <= 40 for line in out)


def test_funnel_bar_column_has_no_header(cli):
    _wide_data(cli)
    out = cli("report", "funnel", "--format", "table", ok=True).stdout
    header = next(ln for ln in out.splitlines() if "Stage" in ln)
    assert "bar" not in header and "█" in out


def test_huge_values_make_no_huge_lines(cli, run):
    cli("lead", "add", "Placeholder", "--company", "Acme", ok=True)
    huge = "x" * 70_000
    _store("UPDATE leads SET company = :c, notes = :n", c="Acme " + "y" * 250, n=huge)
    cli("lead", "edit", "1", "--notes", "short now", ok=True)
    for fmt in ("plain", "markdown", "table"):
        p = run("history", "lead", "1", "--format", fmt)
        assert p.returncode == 0, p.stderr
        assert max(len(line) for line in p.stdout.splitlines()) < 1000, fmt
        assert "short now" in p.stdout
    p = run("lead", "show", "1", "--format", "plain")
    assert max(len(line) for line in p.stdout.splitlines()) <= 4200
    # machine formats carry everything
    doc = json.loads(run("history", "lead", "1", "--format", "json").stdout)
    assert huge in [row.get("old") for row in doc]


def test_markdown_is_a_github_pipe_table(cli):
    cli("customer", "add", "华强电子", "--tier", "A", ok=True)
    out = cli("customer", "show", "1", "--format", "markdown", ok=True).stdout.splitlines()
    assert out[0] == "| field         | value            |"
    assert out[1] == "|:--------------|:-----------------|"
    assert out[2] == "| id            | 1                |"
    assert out[3] == "| name          | 华强电子         |"  # CJK counted two columns wide


def test_shorten_for_messages():
    from crm_cli.core.output import shorten

    assert shorten("abc") == "abc"
    assert shorten("line one\nline\ttwo\x1b[0m") == "line one\\nline\\ttwo\\x1b[0m"
    cut = shorten("x" * 70_000, 80)
    assert len(cut) == 80 and cut.endswith("...")
    assert shorten(12345) == "12345"


def test_remind_and_agenda_escape_control_characters(cli, monkeypatch):
    monkeypatch.setenv("CRM_NOW", "2026-11-23T09:00:00+08:00")
    cli("activity", "add", "Call\x1b[31m", "--due", "today 10:00")  # refused on input...
    from crm_cli.core import db
    from crm_cli.models.activity import Activity

    cli("activity", "add", "Call", "--due", "today 10:00", ok=True)
    with db.session_scope() as s:  # ...so put it in as an older import might have
        s.get(Activity, 1).subject = "Call\x1b[31m red"
    for args in (["remind"], ["agenda"], ["remind", "--format", "markdown"]):
        out = cli(*args, ok=True).stdout
        assert "\x1b" not in out and "Call\\x1b[31m red" in out, args
