"""crm config: the TOML settings file (flag > env > config > default)."""

from __future__ import annotations

from typing import Annotated

import typer

from crm_cli.core.options import FormatOpt, JsonOpt
from crm_cli.core.output import Col

app = typer.Typer(help="Settings: default user, currency, timezone, pipeline, value lists.",
                  no_args_is_help=True)


@app.command("list")
def list_(fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """Every setting with its effective value and where it comes from."""
    from crm_cli.core import config
    from crm_cli.core.output import emit

    rows = [{"key": k, "value": config.get(k), "source": config.source(k), "help": key.help}
            for k, key in config.KEYS.items()]
    for row in rows:
        if row["key"] == "database_url" and row["value"]:
            row["value"] = config.mask(row["value"])
    emit(rows, [Col("key"), Col("value"), Col("source"), Col("help")], fmt, as_json)


@app.command("get")
def get(key: str) -> None:
    """Print one setting's effective value."""
    from crm_cli.core import config
    from crm_cli.core.errors import ValidationError
    from crm_cli.core.output import text_value

    if key not in config.KEYS:
        raise ValidationError(f"unknown config key '{key}'", "known: " + ", ".join(config.KEYS))
    value = config.get(key)
    if value is not None:
        print(",".join(value) if isinstance(value, list) else text_value(config.mask(value), False))


@app.command("set")
def set_(key: str, value: Annotated[str, typer.Argument(help="Lists are comma-separated.")]) -> None:
    """Change a setting in the config file."""
    from crm_cli.core import config
    from crm_cli.core.output import info

    stored = config.set_value(key, value)
    shown = ",".join(stored) if isinstance(stored, list) else config.mask(stored)
    info(f"{key} = {shown} (in {config.config_path()})")


@app.command("unset")
def unset(key: str) -> None:
    """Remove a setting from the config file (back to the default)."""
    from crm_cli.core import config
    from crm_cli.core.output import info

    config.unset_value(key)
    info(f"{key} reset to its default")


@app.command("path")
def path() -> None:
    """Print the config file's path."""
    from crm_cli.core import config

    print(config.config_path())
