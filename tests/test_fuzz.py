"""Fuzzing the CLI: every command of the app (found by walking its command tree) with random
arguments and options, and the importer with random bytes and random CSV cells.

What must hold for every run:
- no traceback ever reaches the user (the only exception a run may end with is SystemExit);
- a failure (non-zero exit) says so in one message line on stderr ("crm: error: ... (hint)"), and
  nothing else on stderr;
- a failed command leaves the database unchanged (every table's rows and indexes, compared by a dump
  before and after: tests/crmcheck.py).

Hypothesis runs derandomized (a fixed seed: the same examples on every run) with a budget of
examples: FUZZ_EXAMPLES (default 200 commands and 80 imports of each kind on SQLite, 40 and 25 on PostgreSQL; --run-slow: 3,000). FUZZ_SEED=N
explores other examples. A failure prints the command line that broke, to paste after `crm`.
"""

from __future__ import annotations

import csv
import io
import os
import shlex

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FIXED_NOW, slow_enabled
from crmcheck import assert_sound, dump

# commands whose random runs would reach outside the test's database and directory
SKIP = {("db", "copy"), ("demo",)}


def _commands():
    """[(path, params)] for every leaf command of the app, groups loaded."""
    from typer.main import get_command

    from crm_cli.app import app

    out = []

    def walk(cmd, path):
        subs = getattr(cmd, "commands", None)
        if subs is not None:
            names = cmd.list_commands(None) if not path else list(subs)
            for name in names:
                walk(cmd.get_command(None, name), path + (name,))
        elif path not in SKIP:
            out.append((path, cmd.params))

    walk(get_command(app), ())
    return out


COMMANDS = _commands()

_REFS = ["1", "2", "3", "0", "-1", "Acme", "R1", "alice", "Q-2026-0001", "SO-2026-0001", "lead", "customer",
         "99999999999999999999", "Acme Dup"]
_SPECIAL = ["", " ", "1e309", "nan", "inf", "-0", "0.000001", "1,000.50", "¥350", "USD 20k", "100%", "-5%",
            "2026-02-30", "2026-12-01", "tomorrow", "next friday 10:00", "1h", "30min", "3m", "P1D",
            "24:61", "9" * 40, "-9" * 20, "json", "csv", "table", "--format", "--json", "-q", "--yes", "--",
            "a=b", "custom.x=1", "status=open", "name", "-name", "Name=email", "🙂", "北京华强电子", "\u202eevil",
            "x\ny", "tab\there", "\x1b[31mred", "'quoted'", '"dq"', "%_%", "*"]
_TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=40)


def _safe(value: str) -> str:
    """Random text as an argument that cannot reach outside the test's directory."""
    if value[:1] in ("/", "~", "\\"):
        value = "x" + value
    return value.replace("..", "._")


VALUE = st.one_of(st.sampled_from(_REFS), st.sampled_from(_SPECIAL), _TEXT,
                  st.integers(-10 ** 30, 10 ** 30).map(str),
                  st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str)).map(_safe)
PATH = st.sampled_from(["out.csv", "out.ics", "out.pdf", "new-dir", "missing/x.csv", "", "-", ".", "leads.csv",
                        "bytes.csv", "dump", "b.db"])
PATHY = ("output", "rejects", "file", "path", "directory", "dest", "to")


# plausible values by option name, so that many runs get past parsing into the services
HINTS = {
    "fmt": ["json", "csv", "table", "plain", "jsonl", "markdown", "xml"],
    "date": ["2026-12-01", "today", "+3d", "2026-13-01", "next monday"],
    "due": ["2026-12-01 10:00", "tomorrow 9:00", "+2h", "yesterday", "2026-02-29"],
    "since": ["2026-01-01", "30d", "last month"], "until": ["2027-01-01", "+1y"], "as_of": ["2026-12-31"],
    "amount": ["5000", "USD 20k", "-1", "0", "1e3", "¥1,000.50", "EUR 0.001"],
    "price": ["1000", "0", "-5", "12.345", "USD 3"], "qty": ["1", "0", "-1", "2.5", "1e6", "0.0000001"],
    "cost": ["120", "USD 40"], "credit_limit": ["20000", "USD 50k"], "discount": ["5%", "100%", "101%", "-1%"],
    "tax": ["13%", "0", "200%"], "probability": ["50", "101", "-1", "50%"], "status": ["open", "won", "lost",
                                                                                       "draft", "active", "x"],
    "priority": ["low", "normal", "high", "urgent"], "type_": ["call", "meeting", "email", "task", "inquiry"],
    "owner": ["alice", "tester", "me", "nobody"], "to": ["alice", "tester", "bob"], "src": ["alice", "tester"],
    "dst": ["alice", "tester"], "customer": ["Acme", "1", "2", "Acme Dup", "none"], "product": ["R1", "1", "X9"],
    "currency": ["CNY", "USD", "XXX", "usd"], "where": ["status=open", "x=1", "name~A"], "sort": ["name", "-id",
                                                                                                 "bogus"],
    "limit": ["1", "0", "-1", "10"], "offset": ["0", "5", "-3"], "days": ["7", "0", "-1", "100000"],
    "period": ["2026", "2026-Q4", "2026-11", "month", "x"], "by": ["owner", "month", "stage", "x"],
    "every": ["1m", "2w", "0d"], "instalments": ["2", "0", "13"], "stage": ["Qualify", "1", "Won"],
    "pipeline": ["Default", "1", "x"], "entity": ["customer", "lead", "order", "quote", "x"],
    "key": ["currency", "timezone", "x"], "ident": ["1", "2"], "ref": ["1", "2", "Acme", "R1", "Q-2026-0001"],
    "refs": ["1", "2", "Acme"], "line_no": ["1", "2", "0", "-1"], "repeat": ["weekly", "daily", "monthly", "x"],
    "count": ["3", "0", "1000"], "duration": ["30min", "1h", "90", "-5"], "older_than": ["30d", "0d", "x"],
}


def _value_for(param):
    name = (param.name or "").lower()
    if any(p in name for p in PATHY) and name not in HINTS:
        return st.one_of(PATH, VALUE) if name not in ("output", "rejects", "path", "directory", "to") else PATH
    if name in HINTS:
        return st.one_of(st.sampled_from(HINTS[name]), st.sampled_from(HINTS[name]), VALUE)
    return VALUE


@st.composite
def invocation(draw):
    path, params = draw(st.sampled_from(COMMANDS))
    args = list(path)
    options = [p for p in params if getattr(p, "opts", None) and p.param_type_name == "option"]
    arguments = [p for p in params if p.param_type_name == "argument"]
    for p in arguments:
        if p.nargs == -1:
            args += draw(st.lists(_value_for(p), max_size=3))
        elif p.required or draw(st.booleans()):
            args.append(draw(_value_for(p)))
    for p in draw(st.lists(st.sampled_from(options), max_size=4, unique_by=lambda p: p.name)) if options else []:
        flag = draw(st.sampled_from(p.opts + list(getattr(p, "secondary_opts", []) or [])))
        if p.is_flag or p.count:
            args.append(flag)
        else:
            args += [flag, draw(_value_for(p))]
    if draw(st.integers(0, 9)) == 0:  # a stray token anywhere
        args.insert(draw(st.integers(0, len(args))), draw(st.one_of(st.sampled_from(_SPECIAL), _TEXT.map(_safe))))
    if draw(st.integers(0, 14)) == 0:  # a global option
        args = [draw(st.sampled_from(["--now", "--as"])), draw(VALUE)] + args
    return args


def _explore(fn):
    """FUZZ_SEED=N: other examples than CI's (a seed of your choice, to explore); else derandomized."""
    from hypothesis import seed

    if os.environ.get("FUZZ_SEED"):
        return seed(int(os.environ["FUZZ_SEED"]))(fn)
    return fn


def _budget(request, default: int) -> int:
    if slow_enabled(request.config):
        return 3000
    return int(os.environ.get("FUZZ_EXAMPLES", default))


@pytest.fixture
def fuzz_world(cli, crm_env, monkeypatch, tmp_path):
    """A small database with one of everything, run from a scratch directory."""
    monkeypatch.setenv("CRM_NOW", FIXED_NOW)
    monkeypatch.setenv("CRM_NO_INPUT", "1")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    # each command still gets fresh connections, but the engine (and its compiled-SQL cache) is kept
    # between the in-process runs: a run costs a third
    from crm_cli.core import db

    def dispose_connections():
        for engine in db._engines.values():
            engine.dispose()

    real_dispose_all, db.dispose_all = db.dispose_all, dispose_connections
    cli("user", "add", "alice", "--role", "rep", ok=True)
    cli("product", "add", "R1", "--name", "Router", "--price", "1000", "--tax", "13%", ok=True)
    cli("customer", "add", "Acme", "--owner", "alice", ok=True)
    cli("customer", "add", "Acme Dup", ok=True)
    cli("contact", "add", "Ann", "--customer", "Acme", ok=True)
    cli("lead", "add", "Lee", "--email", "lee@example.com", ok=True)
    cli("opp", "add", "Deal", "--customer", "Acme", "--amount", "5000", ok=True)
    cli("activity", "add", "call", "--customer", "Acme", "--due", "2026-12-01 10:00", ok=True)
    qid = cli.id("quote", "new", "--customer", "Acme")
    cli("quote", "add-line", qid, "--product", "R1", "--qty", "2", ok=True)
    oid = cli.id("order", "new", "--customer", "Acme")
    cli("order", "add-line", oid, "--product", "R1", "--qty", "1", ok=True)
    (tmp_path / "leads.csv").write_text("Name,Email\nZed,zed@example.com\n", encoding="utf-8")
    (tmp_path / "bytes.csv").write_bytes(b"\xff\xfe\x00garbage,\x81\n\x00\x00")
    yield cli, crm_env, tmp_path
    db.dispose_all = real_dispose_all


def _one(cli, args, config_file):
    from crm_cli.core import config, context

    before = dump(cli.env)
    result = cli.runner.invoke(_app(), args, catch_exceptions=True)
    shown = "crm " + shlex.join(args)
    exc = result.exception
    assert exc is None or isinstance(exc, SystemExit), \
        f"{shown}: {type(exc).__name__}: {exc}\n{result.stderr}"
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout, f"{shown}\n{result.stderr}"
    if result.exit_code != 0:
        lines = result.stderr.strip("\n").splitlines()
        # an import's summary line ("FILE: nothing written; would have: read 3, ... rejected 1") and its
        # notes come before its one error line; every other command prints the error line only
        if args[1:2] == ["import"] or "import" in args[:3]:
            lines = [x for x in lines if x.startswith("crm:")]
        assert len(lines) == 1 and lines[0].startswith("crm: "), f"{shown}: exit {result.exit_code}\n{result.stderr}"
        assert dump(cli.env) == before, f"{shown}: exit {result.exit_code} but the database changed"
    # a config the command set must not decide the next example
    config_file.unlink(missing_ok=True)
    config.reset()
    context.reset()
    return result


def _app():
    from crm_cli.app import app

    return app


def test_every_command_is_enumerated():
    names = {" ".join(p) for p, _ in COMMANDS}
    assert {"lead import", "customer merge", "quote convert", "report funnel", "remind", "db check"} <= names
    assert len(COMMANDS) > 100


def test_fuzz_commands(request, fuzz_world):
    cli, env, tmp = fuzz_world
    n = _budget(request, 40 if "CRM_DATABASE_URL" in env else 200)
    config_file = tmp / "config.toml"
    seen = {}

    @_explore
    @settings(max_examples=n, derandomize=not os.environ.get("FUZZ_SEED"), deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(invocation())
    def run(args):
        result = _one(cli, args, config_file)
        seen[result.exit_code] = seen.get(result.exit_code, 0) + 1

    run()
    assert_sound(env)
    print("fuzz exit codes:", dict(sorted(seen.items())))


def _csv(rows) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["Name", "Company", "Email", "Phone", "Source", "Owner", "Status"])
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


CELL = st.one_of(st.sampled_from(_SPECIAL + _REFS), _TEXT)


@pytest.mark.parametrize("kind", ["bytes", "cells"])
def test_fuzz_importer(request, fuzz_world, kind):
    cli, env, tmp = fuzz_world
    n = _budget(request, 25 if "CRM_DATABASE_URL" in env else 80)
    config_file = tmp / "config.toml"
    data = st.binary(max_size=3000) if kind == "bytes" else \
        st.lists(st.lists(CELL, min_size=0, max_size=9), min_size=1, max_size=30).map(_csv)
    entities = st.sampled_from(["lead", "lead", "customer", "contact", "opp", "product", "order"])
    flags = st.lists(st.sampled_from([["--allow-rejects"], ["--dry-run"], ["--on-duplicate", "update"],
                                      ["--keep-extra"], ["--rejects", "rejects.csv"]]), max_size=2)

    @_explore
    @settings(max_examples=n, derandomize=not os.environ.get("FUZZ_SEED"), deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(data, entities, flags)
    def run(blob, entity, extra):
        path = tmp / "fuzz.csv"
        path.write_bytes(blob)
        args = [entity, "import", str(path)] + [a for f in extra for a in f]
        _one(cli, args, config_file)

    run()
    assert_sound(env)
