"""Per-invocation state set by the global options: database, user, clock, interactivity.

Only the standard library (and core/dates, which needs nothing else) is imported here: this module is on
the `--help` path. It registers its timezone and clock with core/dates, so the date parser and the output
use them by default.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from datetime import datetime, timezone, tzinfo

from crm_cli.core import dates


@dataclass
class Options:
    db: str | None = None
    user: str | None = None
    now: str | None = None
    no_input: bool = False
    debug: bool = False


options = Options()


def reset() -> None:
    global options, _tz
    options = Options()
    _tz = None


def interactive() -> bool:
    """Prompts are allowed only with a TTY on both ends and input not disabled."""
    if options.no_input or os.environ.get("CRM_NO_INPUT"):
        return False
    try:
        return sys.stdin.isatty() and sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


_tz: tzinfo | None = None


def tz() -> tzinfo:
    """The timezone used to show and interpret local times: config `timezone`, else the system's."""
    global _tz
    if _tz is None:
        from crm_cli.core import config

        name = config.get("timezone")
        if name:
            from zoneinfo import ZoneInfo

            _tz = ZoneInfo(str(name))
        else:
            _tz = dates.system_tz()
    return _tz


def now() -> datetime:
    """The current time (aware, UTC); fixed by --now / CRM_NOW for reproducible runs."""
    fixed = options.now or os.environ.get("CRM_NOW")
    if fixed:
        return dates.parse_datetime(fixed, base=datetime.now(timezone.utc), option="--now",
                                    tz=tz()).astimezone(timezone.utc)
    return datetime.now(timezone.utc)


HANDLE_LIMIT = 64  # users.handle, and every created_by/user column


def current_handle() -> str:
    """The acting user's handle: --as > CRM_USER > config > OS login."""
    from crm_cli.core.validation import checked_text

    if options.user:
        return checked_text(options.user, "--as", HANDLE_LIMIT)
    from crm_cli.core import config

    value = config.get("user")
    if value:
        return checked_text(str(value), "CRM_USER (config 'user')", HANDLE_LIMIT)
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no login name (containers)
        return "me"


dates.use(tz=tz, now=now)
