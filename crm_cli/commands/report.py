"""crm report: every report is a subcommand registered by its module."""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(help="Reports: funnel, forecast, win/loss, activity. Every --format.", no_args_is_help=True)

for _module in ("crm_cli.commands.report_sales", "crm_cli.commands.report_activity",
                "crm_cli.commands.report_receivables"):
    importlib.import_module(_module).register(app)
