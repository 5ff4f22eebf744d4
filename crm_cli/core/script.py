"""Command lines as `crm batch` and `crm shell` read them: one `crm` command per line, without the
`crm`, split as a POSIX shell splits words (shlex: quotes, backslashes), `#` starting a comment,
blank lines skipped.

Only the standard library: this module is on the start-up path of both commands.
"""

from __future__ import annotations

import shlex
from typing import Iterable, Iterator, NamedTuple

from crm_cli.core.errors import UsageError


class Line(NamedTuple):
    number: int               # 1-based line number in the file
    args: list[str]           # the words, `crm` itself left out
    error: UsageError | None  # a line that cannot be split (an unclosed quote)


def split(text: str) -> list[str]:
    """One command line's words; a leading `crm` is dropped (`crm customer list` works too).
    An unclosed quote is a UsageError."""
    try:
        words = shlex.split(text, comments=True, posix=True)
    except ValueError as exc:  # "No closing quotation", "No escaped character"
        raise UsageError(f"cannot split the line: {str(exc).lower()}",
                         "close the quote, or escape it with a backslash") from None
    if words and words[0] == "crm":
        words = words[1:]
    return words


def lines(source: Iterable[str]) -> Iterator[Line]:
    """The command lines of `source` (a file's lines), blank and comment-only lines skipped."""
    for number, raw in enumerate(source, 1):
        text = raw.rstrip("\r\n")
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        try:
            words = split(text)
        except UsageError as exc:
            yield Line(number, [], exc)
            continue
        if words:
            yield Line(number, words, None)


def summary(failed: list[int], total: int) -> str:
    """'3 of 100 commands failed: lines 4, 9, 50' (`crm batch --keep-going`)."""
    shown = ", ".join(str(n) for n in failed[:20]) + (", ..." if len(failed) > 20 else "")
    noun = "command" if total == 1 else "commands"
    return f"{len(failed)} of {total} {noun} failed: line{'s' if len(failed) != 1 else ''} {shown}"
