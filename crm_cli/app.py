"""The root `crm` Typer app: global options, the commands of the registry, and the one error mapper.

Nothing heavy is imported here or at the top of any command module, so `crm --help` and
tab-completion stay free of sqlalchemy, sqlmodel, pydantic, questionary and tabulate.
"""

from __future__ import annotations

import importlib
import sys
from typing import Annotated, Optional

import typer
from typer.core import TyperGroup

from crm_cli import __version__, registry
from crm_cli.core import context


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
            from crm_cli.core.errors import handle

            code = handle(exc)
            raise typer.Exit(code) from None
        finally:
            _finish()

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        """Usage errors become one line on stderr (exit 2), like every other error."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        from crm_cli.core.errors import handle, say

        args = sys.argv[1:] if args is None else list(args)
        for arg in args:  # bytes that are not text (e.g. $'Bad\xff') arrive surrogate-escaped
            if isinstance(arg, str) and any("\udc80" <= ch <= "\udcff" for ch in arg):
                say(f"crm: error: '{arg}' has bytes that are not {sys.getfilesystemencoding()} text "
                    "(check your terminal's or file's encoding)")
                sys.exit(2)
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except Exception as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":  # `crm`, `crm customer`: the help, as --help
                try:
                    print(exc.ctx.get_help(), flush=True)
                except BrokenPipeError as pipe:  # `crm | head -3`
                    sys.exit(handle(pipe))
                sys.exit(0)
            if hasattr(exc, "format_message") and hasattr(exc, "exit_code"):  # the vendored Click's errors
                msg = exc.format_message().replace("Value error, ", "")
                ctx = getattr(exc, "ctx", None)
                hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
                say(f"crm: error: {msg}{hint}")
                sys.exit(exc.exit_code)
            if type(exc).__name__ == "Abort":
                if isinstance(exc.__cause__, KeyboardInterrupt):
                    say("crm: cancelled; nothing was changed")
                    sys.exit(130)
                say("crm: aborted; nothing was changed")
                sys.exit(1)
            raise
        sys.exit(rv if isinstance(rv, int) else 0)

    def list_commands(self, ctx):  # the registry order, in --help too
        return [name for name in self.commands if name not in _GROUPS] + list(_GROUPS)

    def get_command(self, ctx, name):
        """Subcommand groups are turned into commands only when used (fast --help and completion)."""
        cmd = super().get_command(ctx, name)
        if cmd is None and name in _GROUPS:
            from typer.main import get_command

            cmd = get_command(_load(_GROUPS[name]).app)
            cmd.name = name
            _plain_help(cmd)
            self.add_command(cmd, name)
        return cmd

    def resolve_command(self, ctx, args):
        try:
            return super().resolve_command(ctx, args)
        except Exception as exc:  # an unknown command: suggest from every name, groups included
            message = getattr(exc, "message", None)
            if message and args and "Did you mean" not in message:
                from difflib import get_close_matches

                matches = get_close_matches(args[0], self.list_commands(ctx))
                if matches:
                    exc.message = f"{message.rstrip('.')}. Did you mean {', '.join(repr(m) for m in matches)}?"
            raise

    def format_commands(self, ctx, formatter):
        """List the commands without building the groups: their one-line help is enough."""
        rows = []
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(n) for n in names)
        for name in names:
            if name in _GROUPS and name not in self.commands:
                text = (_load(_GROUPS[name]).app.info.help or "").strip().splitlines()
                rows.append((name, _short(text[0] if text else "", limit)))
            else:
                cmd = self.get_command(ctx, name)
                if cmd is not None and not cmd.hidden:
                    rows.append((name, cmd.get_short_help_str(limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _is_click_exception(exc: BaseException) -> bool:
    mod = type(exc).__module__ or ""
    return mod.startswith("typer") or mod.startswith("click") or type(exc).__name__ in ("Abort", "Exit")


def _finish() -> None:
    if "crm_cli.core.db" in sys.modules:
        sys.modules["crm_cli.core.db"].dispose_all()


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
    ctx: typer.Context,
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
    from crm_cli.core import config

    config.reset()
    if ctx.invoked_subcommand != "config":  # a broken config file is an error for every command but
        config.load()                       # the ones that fix it
    if now:
        context.now()  # a bad --now is an error for every command, not just those that read the clock


def _load(module: str):
    return importlib.import_module(f"crm_cli.commands.{module}")


def _plain_help(cmd) -> None:
    """Sub-apps built on demand get the root's plain help formatting (no rich boxes)."""
    if hasattr(cmd, "rich_markup_mode"):
        cmd.rich_markup_mode = None
    for sub in getattr(cmd, "commands", {}).values():
        _plain_help(sub)


def _short(text: str, limit: int) -> str:
    limit = max(limit, 20)
    return text if len(text) <= limit else text[: limit - 3].rsplit(" ", 1)[0] + "..."


# the groups and single commands come from the registry (crm_cli/registry.py)
_GROUPS: dict[str, str] = dict(registry.command_groups())
for _command in registry.COMMANDS:
    _module, _func = registry.split(_command.function)
    app.command(_command.name)(getattr(_load(_module), _func))
