"""Placeholder until its issue lands."""


def register(app) -> None:
    """Add this module's report subcommands to `crm report`."""
