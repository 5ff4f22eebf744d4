"""crm batch: many crm commands, one a line, in one process (start-up paid once)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer


def batch(
    file: Annotated[Optional[str], typer.Argument(
        metavar="[FILE|-]", help="Commands, one a line, without the `crm` (default: - for stdin).",
        show_default=False)] = None,
    keep_going: Annotated[bool, typer.Option("--keep-going", "-k", help="Run every line even after a failure; "
                                             "a summary of the failed lines on stderr.")] = False,
    atomic: Annotated[bool, typer.Option("--atomic", help="All or nothing: one transaction for the whole "
                                         "batch; on any failure nothing of it is stored.")] = False,
) -> None:
    """Run crm commands from a file or stdin, one a line (no `crm`; shell quoting; # comments).

    Each line prints what `crm LINE` would print. Stops at the first failing line unless --keep-going;
    the exit status is 0 when every line succeeded, else the first failing line's. Prompts are off.
    """
    import sys

    from crm_cli import app as root
    from crm_cli.core import db, script
    from crm_cli.core.errors import INTERRUPTED, say

    prefix = root.start_session("batch") + ["--no-input"]  # a missing value is an error naming its flag
    try:
        source = _open(file)
        try:
            if atomic:  # an error opening or committing the transaction is mapped like any other
                with db.atomic() as commit:
                    first, failed, total = _run(script.lines(source), prefix, keep_going)
                    if not failed:
                        commit()
            else:
                first, failed, total = _run(script.lines(source), prefix, keep_going)
        finally:
            if file not in (None, "-"):
                source.close()
            elif source is not sys.stdin:
                source.detach()  # stdin itself stays open
    finally:
        root.end_session()
    if failed and keep_going and first != INTERRUPTED:
        say(f"crm: batch: {script.summary(failed, total)}")
    if failed and atomic:
        say("crm: batch: --atomic: rolled back; nothing of the batch was stored")
    raise typer.Exit(first)


def _open(file: str | None):
    import io
    import sys

    from crm_cli.core.errors import UsageError

    if file in (None, "-"):
        stream = getattr(sys.stdin, "buffer", None)
        if stream is None:  # a test runner's text stdin
            return sys.stdin
        return io.TextIOWrapper(stream, encoding="utf-8", errors="surrogateescape")
    try:
        return open(file, encoding="utf-8", errors="surrogateescape")
    except OSError as exc:
        raise UsageError(f"FILE: cannot read {file}: {exc.strerror}", "give a readable file, or - for stdin") \
            from None


def _run(lines, prefix: list[str], keep_going: bool) -> tuple[int, list[int], int]:
    """Run the lines: (first failing exit status or 0, the failing line numbers, lines run)."""
    from crm_cli import app as root
    from crm_cli.core.errors import INTERRUPTED, say

    first, failed, total = 0, [], 0
    try:
        for line in lines:
            total += 1
            if line.error is not None:
                say(f"crm: error: line {line.number}: {line.error}")
                code = line.error.exit_code
            else:
                code = root.run(prefix + line.args)
            if code:
                failed.append(line.number)
                first = first or code
                if code == INTERRUPTED:
                    break
                if not keep_going:
                    say(f"crm: batch: stopped at line {line.number} (exit {code}); the lines after it were not run")
                    break
    except KeyboardInterrupt:  # between two commands, or while reading stdin
        say("crm: batch: cancelled")
        failed.append(0)
        first = first or INTERRUPTED
    return first, failed, total
