"""Domain exceptions carrying exit codes, and the one place they are mapped.

Exit codes (documented in the README):
  0 ok (also "nothing found")      1 error
  2 usage / validation             3 not found
  4 conflict (duplicate, ambiguous name, illegal state change)
  130 interrupted (Ctrl-C, also at a prompt)

Every message is printed as one line (see `one_line`): values are escaped, never raw, and an
echoed value is cut to about 80 characters.
"""

from __future__ import annotations

OK = 0
ERROR = 1
USAGE = 2
NOT_FOUND = 3
CONFLICT = 4
INTERRUPTED = 130
ECHO_LIMIT = 80  # characters of a user's value shown in a message


class CrmError(Exception):
    """An error the user can fix; printed as one line on stderr."""

    exit_code = ERROR

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class UsageError(CrmError):
    exit_code = USAGE


class ValidationError(CrmError):
    exit_code = USAGE


class NotFound(CrmError):
    exit_code = NOT_FOUND


class Conflict(CrmError):
    exit_code = CONFLICT


class Ambiguous(Conflict):
    def __init__(self, entity: str, ref: str, candidates: list[str]):
        shown = "; ".join(candidates[:10]) + ("; ..." if len(candidates) > 10 else "")
        super().__init__(f"{entity} '{ref}' is ambiguous: {shown}", "use the id")
        self.candidates = candidates


class Duplicate(Conflict):
    pass


CANCELLED = "cancelled; nothing was changed"


class Cancelled(CrmError):
    """Ctrl-C (or end of input) at a prompt."""

    exit_code = INTERRUPTED

    def __init__(self):
        super().__init__(CANCELLED)


def escape_char(ch: str) -> str:
    """One character as an escape: \\n, \\x1b, \\u202e (the one escaping of every message and output)."""
    code = ord(ch)
    if ch in "\n\r\t":
        return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}[ch]
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not valid text (surrogate-escaped argv or file name)
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _unsafe(ch: str) -> bool:
    import unicodedata

    return unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp") or "\u202a" <= ch <= "\u202e" or \
        "\u2066" <= ch <= "\u2069"


def clip(value, limit: int = ECHO_LIMIT) -> str:
    """One value as a message echoes it: control characters and line breaks escaped, at most `limit`
    characters (cut with '...'). The one value cutter (validation, output and the importer use it)."""
    text = "".join(escape_char(ch) if _unsafe(ch) else ch for ch in str(value))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def one_line(text: str, limit: int = ECHO_LIMIT) -> str:
    """`text` as one printable line: newlines, control characters and undecodable bytes escaped
    (\\n, \\x1b, \\xff), every quoted value longer than `limit` cut to `limit` characters ending in
    '...', and any unbroken run of characters (an unquoted value) longer than 4 x `limit` too (a file
    path stays whole)."""
    import re

    text = "".join(escape_char(ch) if _unsafe(ch) else ch for ch in str(text).strip("\n"))

    def cut(m: re.Match) -> str:
        value = m.group(0)
        if value.startswith("'") and value.endswith("'") and len(value) > limit + 2:
            return f"'{value[1:limit - 2]}...'"
        return value if len(value) <= 4 * limit else value[: limit - 3] + "..."

    return re.sub(r"'[^']*'|[^\s']+", cut, text)


def say(text: str) -> None:
    """Print one message line on stderr."""
    import sys

    print(one_line(text), file=sys.stderr)


def handle(exc: BaseException, debug: bool = False) -> int:
    """Print a one-line message for `exc` on stderr and return its exit code."""
    import sys

    if isinstance(exc, Cancelled):
        say(f"crm: {exc}")
        return exc.exit_code
    if isinstance(exc, CrmError):
        say(f"crm: error: {exc}")
        return exc.exit_code
    if isinstance(exc, BrokenPipeError):  # `crm lead list | head -1`: the reader has all it wanted
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # and the final flush at exit must not fail either
        return OK
    if isinstance(exc, KeyboardInterrupt):
        say(f"crm: {CANCELLED}")
        return INTERRUPTED
    if isinstance(exc, OverflowError) or (isinstance(getattr(exc, "orig", None), OverflowError)):
        say("crm: error: a number is out of range (too large); use a smaller value")
        return USAGE
    name = type(exc).__name__
    module = type(exc).__module__ or ""
    if module.startswith("sqlalchemy"):
        orig = getattr(exc, "orig", None)
        text = str(orig if orig is not None else exc).strip().splitlines()[0]
        if "out of range" in text:  # PostgreSQL's numeric range errors
            say("crm: error: a number is out of range (too large); use a smaller value")
            return USAGE
        if "database is locked" in text:
            say("crm: error: the database is busy (locked by another crm); try again")
        elif name == "IntegrityError":
            say(f"crm: error: the change conflicts with existing data: {text}")
            return CONFLICT
        else:
            say(f"crm: error: database: {text} (check --db / CRM_DATABASE_URL; --debug for details)")
        return ERROR
    if isinstance(exc, (OSError, UnicodeError)):
        say(f"crm: error: {exc}")
        return ERROR
    say(f"crm: internal error: {name}: {exc} (rerun with --debug for a traceback)")
    return ERROR
