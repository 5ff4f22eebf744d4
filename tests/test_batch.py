"""crm batch: one command a line in one process; the installed `crm` in a subprocess, on each backend."""

from __future__ import annotations

import json
import shlex

from test_roundtrip import fresh_db  # noqa: F401  (a second empty database on the same backend)

NOW = "2026-11-23T09:00+08:00"

LINES = [
    "customer add Acme -q",
    'customer add "Beta Co" --tier A',
    "contact add 'Li Lei' -c Acme --title Buyer",
    'activity add "Call Li" -c Acme --due "tomorrow 10:00" -q',
    "customer list",
    "customer show Acme --format json",
    "activity list --format csv",
    "customer list --tier A --format markdown",
    "customer list --bogus",            # a usage error: exit 2, one line
]


def _customers(run) -> list[str]:
    return [c["name"] for c in json.loads(run("customer", "list", "--format", "json", check=True).stdout)]


def test_output_is_the_one_shot_outputs_concatenated(run, fresh_db):  # noqa: F811
    out, err = [], []
    for line in LINES:
        p = run("--db", fresh_db, "--now", NOW, *shlex.split(line))
        out.append(p.stdout)
        err.append(p.stderr)
    assert p.returncode == 2
    b = run("--now", NOW, "batch", "--keep-going", input="\n".join(LINES) + "\n")
    assert b.stdout == "".join(out)
    assert b.returncode == 2
    assert b.stderr == "".join(err) + f"crm: batch: 1 of {len(LINES)} commands failed: line {len(LINES)}\n"
    assert "created customer 2: Beta Co" in b.stderr and "Traceback" not in b.stderr


def test_stops_at_the_first_error_with_its_exit_code(run, tmp_path):
    path = tmp_path / "cmds.txt"
    path.write_text("customer add One\n\ncustomer show Nope\ncustomer add Two\n", encoding="utf-8")
    p = run("batch", str(path))
    assert p.returncode == 3  # not found
    assert p.stderr.splitlines() == [
        "created customer 1: One",
        "crm: error: no customer 'Nope' (see 'crm customer list')",
        "crm: batch: stopped at line 3 (exit 3); the lines after it were not run",
    ]
    assert _customers(run) == ["One"]


def test_keep_going_runs_every_line_and_sums_up(run):
    script = "# customers\ncustomer add One\ncustomer add One\n\ncustomer show Nope\ncustomer add Two\n"
    p = run("batch", "-k", "-", input=script)
    assert p.returncode == 4  # the first failing line's status (a duplicate), not the last one's (3)
    lines = p.stderr.splitlines()
    assert lines[-1] == "crm: batch: 2 of 4 commands failed: lines 3, 5"  # file line numbers
    assert sum(line.startswith("crm: error: ") for line in lines) == 2
    assert _customers(run) == ["One", "Two"]


def test_atomic_is_all_or_nothing(run):
    good = "customer add One\nactivity add Call -c One --due tomorrow\ncustomer list\n"
    p = run("batch", "--atomic", input=good)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[0].split("\t")[:2] == ["1", "One"]  # a later line sees the earlier ones
    assert _customers(run) == ["One"]

    bad = "customer add Two\ncontact add Ann -c Two\ncustomer add Three\ncustomer show Nope\n"
    p = run("batch", "--atomic", input=bad)
    assert p.returncode == 3
    assert p.stderr.splitlines()[-1] == "crm: batch: --atomic: rolled back; nothing of the batch was stored"
    assert _customers(run) == ["One"]
    assert json.loads(run("contact", "list", "--format", "json", check=True).stdout) == []

    p = run("batch", "--atomic", "--keep-going", input="customer add Four\ncustomer add One\ncustomer add Five\n")
    assert p.returncode == 4
    assert p.stderr.splitlines()[-2:] == ["crm: batch: 1 of 3 commands failed: line 2",
                                          "crm: batch: --atomic: rolled back; nothing of the batch was stored"]
    assert _customers(run) == ["One"]
    assert len(json.loads(run("activity", "list", "--format", "json", check=True).stdout)) == 1


def test_atomic_lines_must_use_the_batch_database(run, tmp_path):
    p = run("batch", "--atomic", input=f"customer add One\n--db {tmp_path / 'other.db'} customer add Two\n")
    assert p.returncode == 2
    assert "crm: error: --atomic: every command of the batch must use the batch's database" in p.stderr
    assert _customers(run) == []


def test_comments_quoting_and_unsplittable_lines(run):
    script = ("customer add \"O'Brien & Sons\" --notes 'a # in quotes'   # a comment\n"
              "  # an indented comment\n"
              "customer add Tab\\ Co\n"
              "customer add 'open quote\n"
              "crm customer add Five\n")  # a leading `crm` is allowed
    p = run("batch", "--keep-going", input=script)
    assert p.returncode == 2
    assert "crm: error: line 4: cannot split the line: no closing quotation (close the quote, or escape it " \
           "with a backslash)" in p.stderr.splitlines()
    assert _customers(run) == ["Five", "O'Brien & Sons", "Tab Co"]
    shown = json.loads(run("customer", "show", "O'Brien & Sons", "--format", "json", check=True).stdout)
    assert shown["notes"] == "a # in quotes"


def test_global_options_per_line_and_before_batch(run):
    run("user", "add", "alice", check=True)
    run("user", "add", "bob", check=True)
    p = run("--as", "alice", "batch", input="customer add Mine\n--as bob customer add Bobs\n")
    assert p.returncode == 0, p.stderr
    owners = {c["name"]: c["owner"] for c in json.loads(run("customer", "list", "--format", "json").stdout)}
    assert owners == {"Mine": "alice", "Bobs": "bob"}
    p = run("batch", input="--as nobody customer list\n")
    assert p.returncode != 0 and p.stderr.count("\n") == 2  # the error line and the stop line


def test_no_prompts_and_no_nested_batch(run, tmp_path):
    p = run("batch", input="customer add\n")
    assert p.returncode == 2 and p.stderr.startswith("crm: error: missing NAME")
    p = run("batch", "-k", input="batch -\nshell\n")
    assert p.stderr.splitlines()[:2] == [
        "crm: error: 'crm batch' cannot run inside 'crm batch' (run the commands directly)",
        "crm: error: 'crm shell' cannot run inside 'crm batch' (run the commands directly)"]
    p = run("batch", str(tmp_path / "missing.txt"))
    assert p.returncode == 2
    assert p.stderr == f"crm: error: FILE: cannot read {tmp_path / 'missing.txt'}: No such file or directory " \
                       "(give a readable file, or - for stdin)\n"
