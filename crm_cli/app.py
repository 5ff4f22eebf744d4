"""The root `crm` Typer app: global options, subcommand registry, and the one error mapper.

Nothing heavy is imported here or at the top of any command module, so `crm --help` and
tab-completion stay free of sqlalchemy, sqlmodel, pydantic, questionary and tabulate.
"""

from __future__ import annotations

import importlib
import sys
from typing import Annotated, Optional

import typer
from typer.core import TyperGroup

from crm_cli import __version__, context

# (subcommand name, module under crm_cli.commands, attribute: a Typer app or a function)
SUBCOMMANDS: list[tuple[str, str]] = [
    ("customer", "customer"),
    ("contact", "contact"),
    ("lead", "lead"),
    ("opp", "opp"),
    ("pipeline", "pipeline"),
    ("stage", "stage"),
    ("competitor", "competitor"),
    ("currency", "currency"),
    ("activity", "activity"),
    ("report", "report"),
    ("user", "user"),
    ("field", "field"),
    ("import", "imports"),
    ("trash", "trash"),
    ("config", "config"),
    ("db", "db"),
]
# single commands: (name, module, function)
COMMANDS: list[tuple[str, str, str]] = [
    ("history", "history", "history"),
    ("agenda", "activity", "agenda"),
    ("remind", "activity", "remind"),
    ("demo", "demo", "demo"),
]


class CrmGroup(TyperGroup):
    """Maps every domain exception to a one-line message and its exit code, in one place."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except typer.Exit:
            raise
        except (Exception, KeyboardInterrupt) as exc:
            if _is_click_exception(exc):
                raise
            if context.options.debug:
                raise
            from crm_cli.errors import handle

            code = handle(exc)
            raise typer.Exit(code) from None
        finally:
            _finish()

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        """Usage errors become one line on stderr (exit 2), like every other error."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except Exception as exc:
            if hasattr(exc, "format_message") and hasattr(exc, "exit_code"):  # the vendored Click's errors
                msg = exc.format_message().replace("Value error, ", "").replace("\n", " ")
                ctx = getattr(exc, "ctx", None)
                hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
                print(f"crm: error: {msg}{hint}", file=sys.stderr)
                sys.exit(exc.exit_code)
            if type(exc).__name__ == "Abort":
                print("crm: aborted; nothing was changed", file=sys.stderr)
                sys.exit(1)
            raise
        sys.exit(rv if isinstance(rv, int) else 0)

    def list_commands(self, ctx):  # keep the registry order in --help
        return [name for name in self.commands]


def _is_click_exception(exc: BaseException) -> bool:
    mod = type(exc).__module__ or ""
    return mod.startswith("typer") or mod.startswith("click") or type(exc).__name__ in ("Abort", "Exit")


def _finish() -> None:
    if "crm_cli.db" in sys.modules:
        sys.modules["crm_cli.db"].dispose_all()


def _version(value: bool) -> None:
    if value:
        print(f"crm {__version__}")
        raise typer.Exit()


app = typer.Typer(
    cls=CrmGroup,
    name="crm",
    help="A command-line CRM for sales reps and small teams. Data on stdout, messages on stderr.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def main(
    db: Annotated[Optional[str], typer.Option("--db", help="Database file (or URL); overrides CRM_DB / "
                                              "CRM_DATABASE_URL.", show_default=False)] = None,
    as_user: Annotated[Optional[str], typer.Option("--as", help="Act as this user handle (CRM_USER).")] = None,
    now: Annotated[Optional[str], typer.Option("--now", help="Fix the current time (CRM_NOW), e.g. "
                                               "2026-11-23T09:00.")] = None,
    no_input: Annotated[bool, typer.Option("--no-input", help="Never prompt (CRM_NO_INPUT).")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version.")] = False,
) -> None:
    context.reset()
    context.options.db = db
    context.options.user = as_user
    context.options.now = now
    context.options.no_input = no_input
    context.options.debug = debug
    from crm_cli import config

    config.reset()
    if now:
        context.now()  # a bad --now is an error for every command, not just those that read the clock


def _load(module: str):
    return importlib.import_module(f"crm_cli.commands.{module}")


for _name, _module in SUBCOMMANDS:
    _mod = _load(_module)
    app.add_typer(_mod.app, name=_name)
for _name, _module, _func in COMMANDS:
    app.command(_name)(getattr(_load(_module), _func))
