"""One loop of tests/test_concurrency.py, as its own process: `python conc_loop.py KIND STOPFILE MIN`.

Runs crm commands of one KIND over and over in this process (each run opens its own database
connection, as a separate `crm` would: the engine is disposed after every command) until STOPFILE
exists and at least MIN rounds are done, then prints one JSON line per command run:
{"args": [...], "code": exit code, "err": stderr, "out": stdout, "s": seconds}.

KIND: activities (crm activity add), quotes (crm quote new + add-line), remind, funnel, numbers-quote,
numbers-order, numbers-ticket (crm quote new / order new / ticket open: tests/test_numbers_concurrent.py).
"""

from __future__ import annotations

import io
import json
import os
import sys
import time
from contextlib import redirect_stderr, redirect_stdout


def crm(*args: str) -> dict:
    from crm_cli.app import app

    out, err = io.StringIO(), io.StringIO()
    start = time.monotonic()
    code = 0
    with redirect_stdout(out), redirect_stderr(err):
        try:
            app([str(a) for a in args], prog_name="crm")
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException as exc:  # a traceback would reach the user: report it as such
            err.write(f"TRACEBACK {type(exc).__name__}: {exc}\n")
            code = 99
    return {"args": list(args), "code": code, "err": err.getvalue(), "out": out.getvalue(),
            "s": round(time.monotonic() - start, 3)}


def one_round(kind: str, i: int, tag: str) -> list[dict]:
    if kind == "activities":
        return [crm("activity", "add", f"conc call {tag}-{i}", "--customer", "Acme", "--due", "2026-12-01 10:00",
                    "-q")]
    if kind == "quotes":
        new = crm("quote", "new", "--customer", "Acme", "-q")
        runs = [new]
        if new["code"] == 0:
            runs.append(crm("quote", "add-line", new["out"].strip(), "--product", "R1", "--qty", "2"))
        return runs
    if kind == "remind":
        return [crm("remind", "--days", "30", "--format", "json")]
    if kind == "funnel":
        return [crm("report", "funnel", "--format", "json")]
    if kind == "numbers-quote":
        return [crm("quote", "new", "--customer", "Acme", "-q")]
    if kind == "numbers-order":
        return [crm("order", "new", "--customer", "Acme", "-q")]
    if kind == "numbers-ticket":
        return [crm("ticket", "open", f"help {tag}-{i}", "--type", "inquiry", "--customer", "Acme", "--assignee", "me",
                    "-q")]
    raise SystemExit(f"unknown kind {kind}")


def main() -> None:
    kind, stop, minimum = sys.argv[1], sys.argv[2], int(sys.argv[3])
    tag = f"{os.getpid()}"
    runs: list[dict] = []
    i = 0
    while i < minimum or not os.path.exists(stop):
        runs.extend(one_round(kind, i, tag))
        i += 1
    sys.stdout.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in runs))


if __name__ == "__main__":
    main()
