"""The README's shell blocks, top to bottom, run as ONE shell session (one database, one
environment, in order), as a new user following it would type them. Only the install lines
and the PostgreSQL example (it needs a server of its own) are left out.

Every command must exit 0: the README shows no command that fails.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def session_blocks() -> list[str]:
    text = README.read_text(encoding="utf-8")
    out = []
    for m in re.finditer(r"```sh\n(.*?)```", text, re.S):
        body = m.group(1)
        if body.lstrip().startswith("pip install") or "CRM_DATABASE_URL=postgresql" in body:
            continue
        out.append(body)
    return out


def test_readme_blocks_are_found():
    blocks = session_blocks()
    assert len(blocks) == 9  # tour, leads, import, opportunities, pipelines, activities, lead to cash, service,
    # configuration
    assert blocks[0].lstrip().startswith("crm config set currency CNY")
    assert blocks[-1].lstrip().startswith("crm config set currency CNY")


def test_readme_runs_as_one_session(crm_env, tmp_path):
    env = dict(crm_env)
    # a new user: no CRM_USER (their OS login is the user), no fixed currency or timezone
    for key in ("CRM_USER", "CRM_CURRENCY"):
        env.pop(key, None)
    env["USER"] = env["LOGNAME"] = "newuser"
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["PS4"] = "+ README: "
    script = "set -euo pipefail -x\n" + "\n".join(session_blocks())
    p = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, f"the README session stopped:\nstdout:{p.stdout[-3000:]}\nstderr:{p.stderr[-4000:]}"
    assert "Traceback" not in p.stderr
    assert "crm: error" not in p.stderr and "internal error" not in p.stderr, p.stderr[-4000:]
    # what the README says happens
    assert "assigned 3 lead(s)" in p.stderr  # the new leads are dealt out, though `lead add` made them yours
    assert "1 USD = 7.10 CNY" in p.stderr
    assert "opp 2 'ERP rollout' won: Won (100%)" in p.stderr  # opp 1 is the lead conversion's "First order"
    # lead to cash: 12 x 880 + 13% = 11,932.80; 50 x 2.50 less 5% + 13% = 134.19; 800 + 6% = 848.00
    assert re.search(r"quote Q-\d{4}-0001 rev 2 is accepted; opportunity \d+ is won", p.stderr)
    show = subprocess.run(["crm", "order", "show", "1", "--format", "json"], env=env, capture_output=True, text=True,
                          cwd=tmp_path)
    import json

    order = json.loads(show.stdout)
    # returned 1 of 12 routers: 11,932.80 / 12 = 994.40; due 12,914.99 - 994.40 = 11,920.59;
    # 30% 3,576.18, 40% 4,768.24, the rest 3,576.17; 5,000 paid
    assert (order["total"], order["returned"], order["paid"], order["balance"]) == (
        "12914.99", "994.40", "5000.00", "6920.59")
    assert [i["amount"] for i in order["instalments"]] == ["3576.18", "4768.24", "3576.17"]
    assert (tmp_path / "quote.html").read_text(encoding="utf-8").count("深圳云帆科技有限公司") == 1
    users = subprocess.run(["crm", "user", "list", "--format", "csv"], env=env, capture_output=True, text=True)
    assert users.stdout.splitlines()[1].split(",")[1:5] == ["alice", "alice", "", "rep"]
    assert "newuser,newuser,,admin" in users.stdout  # you, recorded on your first command, are the admin
    # the service tour: the ticket went through to closed, answered within its SLA
    ticket = json.loads(subprocess.run(["crm", "ticket", "show", "1", "--format", "json"], env=env,
                                       capture_output=True, text=True, cwd=tmp_path).stdout)
    assert (ticket["status"], ticket["satisfaction"], ticket["response_state"]) == ("closed", 5, "met")
    assert [e["kind"] for e in ticket["timeline"]].count("note") == 1
