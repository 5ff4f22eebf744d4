"""crm remind: made for cron — exact plain output with no TTY, silence when nothing is due."""

import json

ENV = {"CRM_NOW": "2026-11-23T09:00"}


def _setup(cli):
    cli("user", "add", "alice", ok=True)
    cli("customer", "add", "华强电子", "--owner", "alice", ok=True)
    cli("customer", "add", "Acme", ok=True)
    cli("contact", "add", "周总", "--customer", "华强电子", "--birthday", "1975-11-25", ok=True)
    cli("contact", "add", "Jane", "--customer", "Acme", "--birthday", "1990-11-23", ok=True)
    cli("contact", "add", "Nobody", "--customer", "Acme", "--birthday", "1990-06-01", ok=True)
    now = ("--now", ENV["CRM_NOW"])
    cli(*now, "activity", "add", "Call 周总", "--type", "call", "--customer", "华强电子", "--owner", "alice",
        "--due", "2026-11-20 10:00", ok=True)                                                      # 1 overdue
    cli(*now, "activity", "add", "Demo", "--type", "meeting", "--customer", "Acme", "--due", "today 14:00",
        ok=True)                                                                                   # 2 today
    cli(*now, "activity", "add", "Send samples", "--due", "today", ok=True)                        # 3 today
    cli(*now, "activity", "add", "Quote", "--customer", "Acme", "--due", "2026-11-25 09:30", ok=True)  # 4 +2d
    cli(*now, "activity", "add", "Far away", "--due", "2026-12-20", ok=True)                       # 5 later
    cli(*now, "activity", "add", "Finished", "--due", "2026-11-22", ok=True)                       # 6 done
    cli(*now, "activity", "done", "6", ok=True)
    cli(*now, "activity", "add", "Early", "--due", "today 8:00", ok=True)                          # 7 overdue


def test_nothing_due_prints_nothing(run):
    p = run("remind", env=ENV)
    assert p.returncode == 0 and p.stdout == "" and p.stderr == ""
    p = run("remind", "--owner", "all", "--days", "7", "--exit-status", env=ENV)
    assert p.returncode == 0 and p.stdout == "" and p.stderr == ""
    p = run("remind", "--format", "markdown", env=ENV)
    assert p.stdout == ""
    p = run("remind", "--format", "json", env=ENV)
    assert p.stdout == "[]\n"


def test_exact_text_for_all_owners(cli, run):
    _setup(cli)
    p = run("remind", "--owner", "all", "--days", "3", env=ENV)
    assert p.returncode == 0 and p.stderr == ""
    assert p.stdout == (
        "alice: 1 overdue, 1 birthday\n"
        "Overdue\n"
        "  #1  Fri 2026-11-20 10:00  call: Call 周总 [华强电子] (2 days 23 hours late)\n"
        "Birthdays\n"
        "  Wed 2026-11-25  周总 [华强电子] (turns 51)\n"
        "\n"
        "tester: 1 overdue, 2 due today, 1 upcoming, 1 birthday\n"
        "Overdue\n"
        "  #7  Mon 2026-11-23 08:00  task: Early (1 hour late)\n"
        "Today\n"
        "  #3  all day  task: Send samples\n"
        "  #2  14:00  meeting: Demo [Acme]\n"
        "Upcoming\n"
        "  #4  Wed 2026-11-25 09:30  task: Quote [Acme]\n"
        "Birthdays\n"
        "  Mon 2026-11-23  Jane [Acme] (turns 36)\n"
    )
    assert "\x1b" not in p.stdout


def test_owner_me_and_default_window(cli, run):
    _setup(cli)
    p = run("remind", env=ENV)  # default: --owner me, today only
    assert p.returncode == 0
    assert p.stdout == (
        "tester: 1 overdue, 2 due today, 1 birthday\n"
        "Overdue\n"
        "  #7  Mon 2026-11-23 08:00  task: Early (1 hour late)\n"
        "Today\n"
        "  #3  all day  task: Send samples\n"
        "  #2  14:00  meeting: Demo [Acme]\n"
        "Birthdays\n"
        "  Mon 2026-11-23  Jane [Acme] (turns 36)\n"
    )
    p = run("remind", "--owner", "alice", env=ENV)
    assert p.stdout.splitlines()[0] == "alice: 1 overdue"
    p = run("remind", "--owner", "nobody", env=ENV)
    assert p.returncode == 3 and p.stdout == "" and p.stderr.startswith("crm: error: no user")


def test_exit_status_and_now_from_flag(cli, run):
    _setup(cli)
    p = run("remind", "--exit-status", env=ENV)
    assert p.returncode == 1 and p.stdout.startswith("tester: 1 overdue")
    # later the same evening everything of today is overdue; a week earlier nothing is
    p = run("--now", "2026-11-13T09:00", "remind", "--exit-status")
    assert p.returncode == 0 and p.stdout == ""
    cli("--now", "2026-11-23T09:00", "activity", "done", "7", ok=True)
    p = run("remind", "--exit-status", env=ENV)
    assert p.returncode == 0 and p.stdout.startswith("tester: 2 due today")


def test_markdown_and_json(cli, run):
    _setup(cli)
    p = run("remind", "--owner", "alice", "--days", "3", "--format", "markdown", env=ENV)
    assert p.stdout == (
        "## alice\n"
        "\n"
        "1 overdue, 1 birthday\n"
        "\n"
        "### Overdue\n"
        "\n"
        "- #1 Fri 2026-11-20 10:00 call: Call 周总 [华强电子] (2 days 23 hours late)\n"
        "\n"
        "### Birthdays\n"
        "\n"
        "- Wed 2026-11-25 周总 [华强电子] (turns 51)\n"
    )
    p = run("remind", "--owner", "all", "--days", "3", "--format", "json", env=ENV)
    doc = json.loads(p.stdout)
    assert [g["owner"] for g in doc] == ["alice", "tester"]
    alice, tester = doc
    assert set(alice) == {"owner", "summary", "overdue", "today", "upcoming", "birthdays", "dunning", "tickets"}
    assert alice["summary"] == {"overdue": 1, "birthdays": 1}
    assert alice["overdue"][0]["id"] == 1 and alice["overdue"][0]["late"] == "2 days 23 hours"
    assert alice["birthdays"] == [{"contact_id": 1, "name": "周总", "customer_id": 1, "customer": "华强电子",
                                   "birthday": "1975-11-25", "date": "2026-11-25", "age": 51}]
    assert [a["id"] for a in tester["today"]] == [3, 2] and [a["id"] for a in tester["upcoming"]] == [4]
    p = run("remind", "--format", "xml", env=ENV)
    assert p.returncode == 2 and p.stderr.count("\n") == 1


def test_leap_day_birthday_in_common_year(cli, run):
    cli("customer", "add", "Acme", ok=True)
    cli("contact", "add", "Leap", "--customer", "Acme", "--birthday", "2000-02-29", ok=True)
    p = run("--now", "2027-02-28T08:00", "remind")
    assert p.stdout == "tester: 1 birthday\nBirthdays\n  Sun 2027-02-28  Leap [Acme] (turns 27)\n"
