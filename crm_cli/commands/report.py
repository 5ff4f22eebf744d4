"""crm report: every report is a subcommand registered by its module (the registry's REPORTS)."""

from __future__ import annotations

import importlib

import typer

from crm_cli import registry

app = typer.Typer(help="Reports: funnel, forecast, win/loss, activity. Every --format.", no_args_is_help=True)

for _module in registry.REPORTS:
    importlib.import_module(f"crm_cli.commands.{_module}").register(app)
