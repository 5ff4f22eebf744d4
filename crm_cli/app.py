"""The root `crm` Typer app: global options, the commands of the registry, and the one error mapper.

Nothing heavy is imported here or at the top of any command module, so `crm --help` and
tab-completion stay free of sqlalchemy, sqlmodel, pydantic, questionary and tabulate.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import MutableMapping
from typing import Annotated, Callable, Optional

import typer
from typer.core import TyperGroup

from crm_cli import __version__, registry
from crm_cli.core import context


class LazyCommands(MutableMapping):
    """A group's commands, name -> click command, each made from its Typer definition only when it
    is looked up: `crm customer list` builds the `customer` group and its `list` command, nothing
    else (`--help` and completion, which list them all, build them all). Iteration order is the
    declaration order, as in the dict Typer would build."""

    def __init__(self, makers: dict[str, Callable | None]):
        self._makers = dict(makers)
        self._built: dict = {}

    def __getitem__(self, name):
        cmd = self._built.get(name)
        if cmd is None:
            make = self._makers[name]  # KeyError for an unknown name, as a dict
            cmd = self._built[name] = make()
        return cmd

    def __setitem__(self, name, cmd) -> None:
        self._makers.setdefault(name, None)
        self._built[name] = cmd

    def __delitem__(self, name) -> None:
        del self._makers[name]
        self._built.pop(name, None)

    def __contains__(self, name) -> bool:
        return name in self._makers

    def __iter__(self):
        return iter(list(self._makers))

    def __len__(self) -> int:
        return len(self._makers)

    def is_built(self, name: str) -> bool:
        return name in self._built


class CrmGroup(TyperGroup):
    """Maps every domain exception to a one-line message and its exit code, in one place."""

    def __init__(self, **attrs):
        super().__init__(**attrs)
        makers: dict[str, Callable | None] = {name: None for name in self.commands}
        makers.update({info.name: (lambda info=info: _build_command(info)) for info in _SINGLES.registered_commands})
        makers.update({name: (lambda name=name, module=module: _build_group(name, module))
                       for name, module in _GROUPS.items()})
        built = self.commands
        self.commands = LazyCommands(makers)
        for name, cmd in built.items():
            self.commands[name] = cmd

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
            if name in _GROUPS and not self.commands.is_built(name):
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
    """After each command: close the database connections, except inside `crm batch`, whose commands
    share the engines (their pooled connection and compiled statements) until it ends."""
    db = sys.modules.get("crm_cli.core.db")
    if db is not None and "batch" not in _sessions:
        db.dispose_all()


# ---- many commands in one process: `crm batch`, `crm shell` --------------------------------------

_root = None       # the root click command, built once per process for run()
_sessions = []     # the `crm batch` / `crm shell` running in this process (at most one)


def root_command():
    """The root click command (built once per process): for run() and the shell's completion."""
    global _root
    if _root is None:
        from typer.main import get_command

        _root = get_command(app)
    return _root


def run(args: list[str]) -> int:
    """Run one `crm` command (ARGS without the `crm`) in this process as the one-shot CLI would:
    the same output, messages and exit status; a usage error or a failure is one line on stderr.
    Each starts from a clean state: global options, config cache, held messages."""
    from crm_cli.core import config, output

    context.reset()
    config.reset()
    output.reset()
    try:
        root_command().main(args=list(args), prog_name="crm")  # standalone: always ends in SystemExit
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except Exception as exc:  # one that escaped the error mapper: still one line, and the next command runs
        from crm_cli.core.errors import handle

        code = handle(exc)
    finally:
        output.reset()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
    return code


def start_session(kind: str) -> list[str]:
    """Begin `crm batch` / `crm shell`: refused inside another one; returns the global options this
    one was started with (`crm --db X batch`), to put before every command it runs."""
    from crm_cli.core.errors import UsageError

    if _sessions:
        raise UsageError(f"'crm {kind}' cannot run inside 'crm {_sessions[-1]}'",
                         "run the commands directly")
    _sessions.append(kind)
    o = context.options
    prefix = []
    for flag, value in (("--db", o.db), ("--as", o.user), ("--now", o.now)):
        if value is not None:
            prefix += [flag, value]
    prefix += ["--no-input"] * o.no_input + ["--debug"] * o.debug
    return prefix


def end_session() -> None:
    _sessions.clear()
    context.reset()
    _finish()


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
    commands = getattr(cmd, "commands", {})
    for name in list(commands):
        if not isinstance(commands, LazyCommands) or commands.is_built(name):
            _plain_help(commands[name])


def _build_command(info):
    """One click command from its Typer definition, with the root's plain help."""
    from typer.main import get_command_from_info

    cmd = get_command_from_info(info, pretty_exceptions_short=app.pretty_exceptions_short, rich_markup_mode=None)
    _plain_help(cmd)
    return cmd


def _build_group(name: str, module: str):
    """The `crm NAME` group from the Typer app of commands/MODULE, as typer.main.get_command builds
    it, but with its commands made one by one when used (LazyCommands)."""
    from typer.main import get_group, get_install_completion_arguments

    sub = _load(module).app
    infos = sub.registered_commands
    sub.registered_commands = []  # the group alone (and its sub-groups, which are built as they are)
    try:
        group = get_group(sub)
    finally:
        sub.registered_commands = infos
    if sub._add_completion:
        group.params.extend(get_install_completion_arguments())
    group.name = name
    _plain_help(group)
    subgroups = group.commands
    makers: dict[str, Callable | None] = {}
    for info in infos:
        cmd_name = info.name or info.callback.__name__.lower().replace("_", "-")
        makers[cmd_name] = lambda info=info: _build_command(info)
    group.commands = LazyCommands(makers)
    for sub_name, cmd in subgroups.items():
        group.commands[sub_name] = cmd
    return group


def _short(text: str, limit: int) -> str:
    limit = max(limit, 20)
    return text if len(text) <= limit else text[: limit - 3].rsplit(" ", 1)[0] + "..."


# the groups and single commands come from the registry (crm_cli/registry.py); the single commands are
# declared on a Typer app of their own, whose definitions CrmGroup turns into commands when used
_GROUPS: dict[str, str] = dict(registry.command_groups())
_SINGLES = typer.Typer()
for _command in registry.COMMANDS:
    _module, _func = registry.split(_command.function)
    _SINGLES.command(_command.name)(getattr(_load(_module), _func))
