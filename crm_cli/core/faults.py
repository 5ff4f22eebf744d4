"""Crash-test kill points (tests/test_crash.py; docs/testing.md).

`kill_point(name)` does nothing unless the environment has CRM_TEST_KILL_AT=NAME or NAME:N: then the
process kills itself with SIGKILL (no cleanup, no rollback, no atexit) the N-th time (default: the
first) it reaches the point NAME. The points sit inside commands that must be all or nothing (an
import, a merge, a transfer, a quote conversion, a restore) and around every commit.
"""

from __future__ import annotations

import os

_reached: dict[str, int] = {}


def kill_point(name: str) -> None:
    spec = os.environ.get("CRM_TEST_KILL_AT")
    if not spec:
        return
    want, _, nth = spec.partition(":")
    if want != name:
        return
    _reached[name] = _reached.get(name, 0) + 1
    if _reached[name] >= int(nth or 1):
        import signal

        os.kill(os.getpid(), signal.SIGKILL)
