"""Prompts only on a TTY (questionary is imported only when a prompt is really shown).

Ctrl-C (or Ctrl-D) at a prompt cancels the command: one line, exit 130, nothing changed."""

from __future__ import annotations

from crm_cli.core import context
from crm_cli.core.errors import Cancelled, UsageError


def require(value, flag: str, question: str | None = None, choices: list[str] | None = None, convert=None):
    """Return `value`, or ask for it on a TTY, or fail naming the flag. `convert` (e.g. int) turns
    a typed answer into the option's type; an answer it refuses is a usage error naming the flag."""
    if value not in (None, ""):
        return value
    if not context.interactive():
        raise UsageError(f"missing {flag}", f"pass {flag} (no prompt without a TTY)")
    import questionary

    q = question or flag.lstrip("-").replace("-", " ").capitalize()
    if choices:
        answer = _ask(questionary.select(q, choices=choices))
    else:
        answer = _ask(questionary.text(q))
    if answer in (None, ""):
        raise UsageError(f"missing {flag}")
    if convert is not None:
        try:
            return convert(answer)
        except ValueError:
            raise UsageError(f"{flag}: '{answer}' is not a valid value") from None
    return answer


def confirm(question: str, yes: bool, flag: str = "--yes") -> None:
    """Destructive actions: need --yes, or a 'yes' at a TTY prompt."""
    if yes:
        return
    if not context.interactive():
        raise UsageError(f"{question.rstrip('?')}: refusing without {flag}", f"add {flag} to confirm")
    import questionary

    if not _ask(questionary.confirm(question, default=False)):
        raise UsageError("cancelled; nothing was changed")


def ask_yes_no(question: str) -> bool:
    """A yes/no question on a TTY; False without one."""
    if not context.interactive():
        return False
    import questionary

    return bool(_ask(questionary.confirm(question, default=False)))


def _ask(question):
    """The answer; questionary's .ask() would print its own "Cancelled by user" and return None."""
    try:
        return question.unsafe_ask()
    except (KeyboardInterrupt, EOFError):
        raise Cancelled() from None
