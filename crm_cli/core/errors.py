"""Domain exceptions carrying exit codes, and the one place they are mapped.

Exit codes (documented in the README):
  0 ok (also "nothing found")      1 error
  2 usage / validation             3 not found
  4 conflict (duplicate, ambiguous name, illegal state change)
"""

from __future__ import annotations

OK = 0
ERROR = 1
USAGE = 2
NOT_FOUND = 3
CONFLICT = 4


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


def handle(exc: BaseException, debug: bool = False) -> int:
    """Print a one-line message for `exc` on stderr and return its exit code."""
    import sys

    def _say(line: str) -> None:
        # stored text echoed in a message must not drive the terminal: control characters escaped
        from crm_cli.core.output import safe

        print(safe(line, keep=""), file=sys.stderr)

    if isinstance(exc, CrmError):
        _say(f"crm: error: {exc}")
        return exc.exit_code
    if isinstance(exc, BrokenPipeError):  # `crm lead list | head -1`: the reader has all it wanted
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # and the final flush at exit must not fail either
        return OK
    if isinstance(exc, KeyboardInterrupt):
        _say("crm: interrupted; nothing was written")
        return 130
    if isinstance(exc, OverflowError) or (isinstance(getattr(exc, "orig", None), OverflowError)):
        _say("crm: error: a number is out of range (too large); use a smaller value")
        return USAGE
    name = type(exc).__name__
    module = type(exc).__module__ or ""
    if module.startswith("sqlalchemy"):
        orig = getattr(exc, "orig", None)
        text = str(orig if orig is not None else exc).strip().splitlines()[0]
        if "out of range" in text:  # PostgreSQL's numeric range errors
            _say("crm: error: a number is out of range (too large); use a smaller value")
            return USAGE
        if "database is locked" in text:
            _say("crm: error: the database is busy (locked by another crm); try again")
        elif name == "IntegrityError":
            _say(f"crm: error: the change conflicts with existing data: {text}")
            return CONFLICT
        else:
            _say(f"crm: error: database: {text} (check --db / CRM_DATABASE_URL; --debug for details)")
        return ERROR
    if isinstance(exc, (OSError, UnicodeError)):
        _say(f"crm: error: {exc}")
        return ERROR
    _say(f"crm: internal error: {name}: {exc} (rerun with --debug for a traceback)")
    return ERROR
