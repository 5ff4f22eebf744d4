"""crm shell: an interactive session that pays the start-up once (prompt_toolkit, only on a terminal)."""

from __future__ import annotations

import typer

# options whose value is a record's name: the entity whose names complete it
OPTION_ENTITIES = {"--customer": "customer", "-c": "customer", "--parent": "customer", "--contact": "contact",
                   "--lead": "lead", "--opp": "opp", "--product": "product", "--pipeline": "pipeline",
                   "--owner": "user", "--as": "user", "--to": "user", "--from": "user"}
# positional arguments naming a record of the command's group (`crm customer show REF`)
REF_ARGUMENTS = {"ref", "refs", "keep", "other"}
NAMES_SHOWN = 20  # entity names offered at most per completion (a cheap query with a limit)


def shell() -> None:
    """An interactive session: every crm command, typed without the `crm`.

    Tab completes commands, options and names (customers, contacts, users...); history is kept in
    the user state directory (not with CRM_NO_HISTORY set). Ctrl-C cancels the line, Ctrl-D or
    `exit` quits. Needs a terminal: for a file or a pipe use `crm batch`.
    """
    import sys

    from crm_cli import app as root
    from crm_cli.core.errors import UsageError

    prefix = root.start_session("shell")
    try:
        if not (_isatty(sys.stdin) and _isatty(sys.stdout)):
            raise UsageError("crm shell needs a terminal", "for commands from a file or a pipe use "
                             "'crm batch FILE' or 'crm batch -'")
        from crm_cli.core import db

        code = _loop(prefix, db.database_url())
    finally:
        root.end_session()
    raise typer.Exit(code)


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def history_path():
    """The shell's history file: `shell_history` in the platformdirs user state dir."""
    from pathlib import Path

    from platformdirs import user_state_dir

    return Path(user_state_dir("crm", appauthor=False)) / "shell_history"


def _history():
    import os

    from prompt_toolkit.history import FileHistory, InMemoryHistory

    if os.environ.get("CRM_NO_HISTORY"):
        return InMemoryHistory()
    path = history_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600, exist_ok=True)
    except OSError:
        return InMemoryHistory()
    return FileHistory(str(path))


def _loop(prefix: list[str], url: str) -> int:
    from prompt_toolkit import PromptSession

    from crm_cli import app as root
    from crm_cli.core import script
    from crm_cli.core.errors import INTERRUPTED, USAGE, UsageError, say

    session = PromptSession(history=_history(), completer=_completer(prefix, url), complete_while_typing=False)
    say("crm shell: commands without 'crm'; Tab completes; 'help' lists them; Ctrl-D or 'exit' quits")
    last = 0
    while True:
        try:
            text = session.prompt("crm> ")
        except KeyboardInterrupt:  # Ctrl-C: the line is dropped
            continue
        except EOFError:  # Ctrl-D
            break
        try:
            args = script.split(text)
        except UsageError as exc:
            say(f"crm: error: {exc}")
            last = USAGE
            continue
        if not args:
            continue
        if args[0] in ("exit", "quit"):
            if len(args) > 1:
                try:
                    return int(args[1]) & 0xFF
                except ValueError:
                    say(f"crm: error: exit takes a number, not '{args[1]}'")
                    last = USAGE
                    continue
            break
        if args[0] == "help":
            args = args[1:] + ["--help"]
        try:
            last = root.run(prefix + args)
        except KeyboardInterrupt:  # Ctrl-C between the command's end and the next prompt
            last = INTERRUPTED
    return last


# ---- completion ----------------------------------------------------------------------------------

def _completer(prefix: list[str], url: str):
    from prompt_toolkit.completion import Completer, Completion

    class CrmCompleter(Completer):
        def get_completions(self, document, complete_event):
            try:
                words, current = tokens(document.text_before_cursor)
                found = complete(words, current[1], url)
            except Exception:  # a completion never breaks the prompt (e.g. the database is busy)
                return
            for text in found:
                yield Completion(_quote(text), start_position=-len(current[0]))

    return CrmCompleter()


def _quote(text: str) -> str:
    import shlex

    return shlex.quote(text)


def tokens(text: str) -> tuple[list[str], tuple[str, str]]:
    """The complete words before the cursor, and the word being typed as (as typed, its value):
    shell quoting, an open quote allowed."""
    words: list[tuple[str, str]] = []
    raw, value, quote, in_word = "", "", None, False
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            raw += ch
            if ch == quote:
                quote = None
            elif ch == "\\" and quote == '"' and i + 1 < len(text):
                i += 1
                raw += text[i]
                value += text[i]
            else:
                value += ch
        elif ch in " \t":
            if in_word:
                words.append((raw, value))
                raw, value, in_word = "", "", False
        elif ch in "'\"":
            quote, in_word = ch, True
            raw += ch
        elif ch == "\\" and i + 1 < len(text):
            i += 1
            raw += ch + text[i]
            value += text[i]
            in_word = True
        else:
            raw += ch
            value += ch
            in_word = True
        i += 1
    current = (raw, value) if in_word else ("", "")
    done = [v for _r, v in words]
    if done and done[0] == "crm":
        done = done[1:]
    return done, current


def _takes_value(param) -> bool:
    return param.param_type_name == "option" and not getattr(param, "is_flag", False) and \
        not getattr(param, "count", False)


def _option(cmd, word: str):
    for param in cmd.params:
        if param.param_type_name == "option" and word in (*param.opts, *param.secondary_opts):
            return param
    return None


def complete(words: list[str], current: str, url: str | None = None) -> list[str]:
    """What may come next after `words` (a crm command line without `crm`), starting with `current`."""
    from crm_cli import app as root
    from crm_cli import registry

    cmd = root.root_command()
    group_name = None
    i = 0
    positional = 0
    while i < len(words):
        word = words[i]
        if word.startswith("-"):
            param = _option(cmd, word)
            if param is not None and _takes_value(param):
                i += 1  # its value
                if i == len(words):  # the value is being typed
                    return _values(param, word, current, url)
            i += 1
            continue
        if hasattr(cmd, "commands"):
            sub = cmd.commands.get(word) if word in cmd.commands else None
            if sub is None:
                return []
            if cmd is root.root_command():
                group_name = word
            cmd = sub
            positional = 0
        else:
            positional += 1
        i += 1
    if current.startswith("-"):
        names = [o for p in cmd.params if p.param_type_name == "option" for o in (*p.opts, *p.secondary_opts)]
        names += ["--help"]
        return [n for n in dict.fromkeys(names) if n.startswith(current)]
    if hasattr(cmd, "commands"):
        names = [n for n in cmd.commands if not n.startswith("_")]
        if cmd is root.root_command():
            names += ["help", "exit"]
        return [n for n in names if n.startswith(current)]
    arguments = [p for p in cmd.params if p.param_type_name == "argument"]
    if not arguments:
        return []
    arg = arguments[min(positional, len(arguments) - 1)]
    if positional >= len(arguments) and arg.nargs != -1:
        return []
    if arg.name in REF_ARGUMENTS and group_name and registry.entity(group_name) is not None:
        return _names(group_name, current, url)
    return _choices(arg, current)


def _choices(param, current: str) -> list[str]:
    holder = getattr(param, "type_descriptor", None) or getattr(param, "type", None)
    choices = [str(getattr(c, "value", c)) for c in getattr(holder, "choices", None) or ()]
    return [c for c in choices if c.startswith(current)]


def _values(param, word: str, current: str, url: str | None) -> list[str]:
    entity = next((OPTION_ENTITIES[o] for o in (word, *param.opts) if o in OPTION_ENTITIES), None)
    if entity is None:
        return _choices(param, current)
    extra = [w for w in ("me", "all") if entity == "user" and word == "--owner" and w.startswith(current)]
    return extra + _names(entity, current, url)


def _names(entity: str, current: str, url: str | None) -> list[str]:
    from crm_cli.services import names

    return names.starting_with(entity, current, NAMES_SHOWN, url)
