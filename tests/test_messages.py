"""Errors a new user meets are one short line with the right exit code; bare groups print help;
Ctrl-C at a prompt is one line and exit 130."""

from __future__ import annotations

import subprocess

import pytest

from conftest import CRM_BIN


def test_an_argument_with_bytes_that_are_not_text_is_a_usage_error(crm_env, cli):
    # bash: crm customer add $'Bad\xff' (Python sees a surrogate-escaped str)
    p = subprocess.run([CRM_BIN.encode(), b"customer", b"add", b"Bad\xff"], env=crm_env, capture_output=True,
                       timeout=120)
    assert p.returncode == 2
    assert p.stderr.decode() == ("crm: error: 'Bad\\xff' has bytes that are not utf-8 text "
                                 "(check your terminal's or file's encoding)\n")
    assert p.stdout == b""
    assert cli.json("customer", "list") == []


@pytest.mark.parametrize("due, shown", [("+99999y", "+99999 years"), ("-99999y", "-99999 years"),
                                        ("in 9999999999 days", "+9999999999 days")])
def test_a_date_offset_past_the_calendar_is_a_usage_error(cli, due, shown):
    r = cli("--now", "2026-11-23T09:00", "activity", "add", "Call", "--due", due)
    assert r.exit_code == 2
    assert r.stderr == f"crm: error: {shown} from 2026-11-23 is out of range (use a year from 1900 to 2999)\n"
    assert cli.json("activity", "list") == []


def test_a_value_with_newlines_is_shown_escaped_on_one_line(cli):
    r = cli("customer", "show", "Acme\nLtd\x1b[31m")
    assert r.exit_code == 3
    assert r.stderr == "crm: error: no customer 'Acme\\nLtd\\x1b[31m' (see 'crm customer list')\n"


def test_a_usage_error_echoing_a_value_with_newlines_is_one_line(cli):
    r = cli("customer", "add", "Acme", "second\nline")
    assert r.exit_code == 2
    assert r.stderr == ("crm: error: Got unexpected extra argument(s) (second\\x0aline) "
                        "(see 'crm customer add --help')\n")


def test_an_echoed_value_is_cut_to_80_characters(cli):
    r = cli("customer", "show", "x" * 5000)
    assert r.exit_code == 3
    assert r.stderr == "crm: error: no customer '" + "x" * 77 + "...' (see 'crm customer list')\n"
    r = cli("customer", "add", "Acme", "y" * 5000)  # a usage error from the argument parser
    assert r.exit_code == 2
    assert r.stderr == ("crm: error: Got unexpected extra argument(s) (" + "y" * 76 + "... "
                        "(see 'crm customer add --help')\n")


def test_bare_crm_prints_the_help_like_help(cli, run):
    r = cli()
    assert r.exit_code == 0
    assert r.stdout == cli("--help", ok=True).stdout
    assert r.stdout.startswith("Usage: crm [OPTIONS] COMMAND [ARGS]...\n")
    assert r.stderr == ""
    p = run()  # the installed crm, as a new user types it
    assert p.returncode == 0
    assert p.stdout == run("--help").stdout
    assert p.stderr == ""


@pytest.mark.parametrize("group", ["customer", "lead", "report", "db"])
def test_a_bare_group_prints_its_help(cli, run, group):
    r = cli(group)
    assert r.exit_code == 0
    assert r.stdout == cli(group, "--help", ok=True).stdout
    assert r.stdout.startswith(f"Usage: crm {group} [OPTIONS] COMMAND [ARGS]...\n")
    assert r.stderr == ""
    p = run(group)
    assert (p.returncode, p.stderr) == (0, "")
    assert p.stdout == run(group, "--help").stdout


class _CtrlC:
    """A questionary question whose user presses Ctrl-C (like the real one: .ask() prints its own
    message and returns None; .unsafe_ask() raises KeyboardInterrupt)."""

    def __init__(self, *args, **kwargs):
        pass

    def ask(self):
        print("Cancelled by user")
        return None

    def unsafe_ask(self):
        raise KeyboardInterrupt


@pytest.fixture
def ctrl_c_at_prompts(monkeypatch):
    import questionary

    from crm_cli.core import context

    monkeypatch.setattr(context, "interactive", lambda: True)
    for kind in ("text", "select", "confirm"):
        monkeypatch.setattr(questionary, kind, _CtrlC)


def test_ctrl_c_at_a_prompt_is_one_line_and_exit_130(cli, ctrl_c_at_prompts):
    r = cli("customer", "add")  # prompts for NAME
    assert r.exit_code == 130
    assert r.stderr == "crm: cancelled; nothing was changed\n"
    assert r.stdout == ""
    assert cli.json("customer", "list") == []


def test_ctrl_c_at_a_confirmation_changes_nothing(cli, monkeypatch):
    cid = cli.id("customer", "add", "Acme")
    import questionary

    from crm_cli.core import context

    monkeypatch.setattr(context, "interactive", lambda: True)
    monkeypatch.setattr(questionary, "confirm", _CtrlC)
    r = cli("customer", "delete", str(cid))
    assert r.exit_code == 130
    assert r.stderr == "crm: cancelled; nothing was changed\n"
    assert [c["name"] for c in cli.json("customer", "list")] == ["Acme"]


def test_ctrl_c_while_a_command_runs_is_one_line_and_exit_130(cli, monkeypatch):
    from crm_cli.services import customers

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(customers, "add", interrupted)
    r = cli("customer", "add", "Acme")
    assert r.exit_code == 130
    assert r.stderr == "crm: cancelled; nothing was changed\n"
    assert cli.json("customer", "list") == []
