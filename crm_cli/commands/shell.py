"""crm shell: an interactive session (placeholder)."""

from __future__ import annotations


def shell() -> None:
    """An interactive crm session: type commands without the `crm`."""
