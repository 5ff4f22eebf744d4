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

    if isinstance(exc, CrmError):
        print(f"crm: error: {exc}", file=sys.stderr)
        return exc.exit_code
    if isinstance(exc, BrokenPipeError):  # `crm lead list | head -1`: the reader has all it wanted
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # and the final flush at exit must not fail either
        return OK
    if isinstance(exc, KeyboardInterrupt):
        print("crm: interrupted; nothing was written", file=sys.stderr)
        return 130
    if isinstance(exc, OverflowError) or (isinstance(getattr(exc, "orig", None), OverflowError)):
        print("crm: error: a number is out of range (too large); use a smaller value", file=sys.stderr)
        return USAGE
    name = type(exc).__name__
    module = type(exc).__module__ or ""
    if module.startswith("sqlalchemy"):
        orig = getattr(exc, "orig", None)
        text = str(orig if orig is not None else exc).strip().splitlines()[0]
        if "out of range" in text:  # PostgreSQL's numeric range errors
            print("crm: error: a number is out of range (too large); use a smaller value", file=sys.stderr)
            return USAGE
        if "database is locked" in text:
            print("crm: error: the database is busy (locked by another crm); try again", file=sys.stderr)
        elif name == "IntegrityError":
            print(f"crm: error: the change conflicts with existing data: {text}", file=sys.stderr)
            return CONFLICT
        else:
            print(f"crm: error: database: {text} (check --db / CRM_DATABASE_URL; --debug for details)",
                  file=sys.stderr)
        return ERROR
    if isinstance(exc, (OSError, UnicodeError)):
        print(f"crm: error: {exc}", file=sys.stderr)
        return ERROR
    print(f"crm: internal error: {name}: {exc} (rerun with --debug for a traceback)", file=sys.stderr)
    return ERROR
