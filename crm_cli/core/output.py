"""The one output layer: every listing, `show` and report renders through `emit`.

Records are plain dicts (JSON field names are a contract). Values may be str, int,
bool, None, date/datetime (shown local, ISO-8601 in machine formats), Money
(exact decimal in machine formats, symbol on a table) or lists (joined).
"""

from __future__ import annotations

import enum
import json
import os
import sys
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Iterable

from crm_cli.core.errors import UsageError
# Format lives with the option types (core/options.py, light for --help); FormatOpt, JsonOpt and
# QuietOpt are re-exported only for commands/stage.py until it imports them from core/options.py.
from crm_cli.core.options import Format, FormatOpt, JsonOpt, QuietOpt  # noqa: F401


@dataclass(frozen=True)
class Col:
    key: str
    header: str | None = None
    justify: str = "left"

    @property
    def title(self) -> str:
        return self.header or self.key.replace("_", " ")


def resolve_format(fmt: Format | str | None, as_json: bool = False) -> Format:
    if as_json:
        return Format.json
    if fmt is None:
        return Format.table if stdout_is_tty() else Format.plain
    if isinstance(fmt, Format):
        return fmt
    try:
        return Format(str(fmt).lower())
    except ValueError:
        raise UsageError(f"unknown format '{fmt}'", "use table, plain, json, jsonl, csv or markdown") from None


def stdout_is_tty() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def color_allowed() -> bool:
    return stdout_is_tty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


# ---- value conversion -------------------------------------------------------------------------

def machine_value(value: Any) -> Any:
    """A JSON-able value: ISO-8601 dates, exact decimal strings for money."""
    from crm_cli.core.money import Money

    if isinstance(value, (datetime, date)):
        from crm_cli.core.dates import iso

        return iso(value)
    if isinstance(value, Money):
        return value.plain()
    if isinstance(value, dict):
        return {k: machine_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [machine_value(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    return value


def text_value(value: Any, human: bool) -> str:
    from crm_cli.core.money import Money

    if value is None:
        return ""
    if isinstance(value, bool):
        return ("yes" if value else "no") if human else ("true" if value else "false")
    if isinstance(value, Money):
        return value.display() if human else value.plain()
    if isinstance(value, (datetime, date)):
        from crm_cli.core.dates import human as human_date, iso

        return human_date(value) if human else iso(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(text_value(v, human) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={text_value(v, human)}" for k, v in value.items())
    if isinstance(value, enum.Enum):
        return str(value.value)
    return str(value)


def _flatten(rec: dict) -> dict:
    out = {}
    for k, v in rec.items():
        if isinstance(v, dict):
            for sub, sv in v.items():
                out[f"{k}.{sub}"] = sv
        else:
            out[k] = v
    return out


def _plain_cell(text: str) -> str:
    return text.replace("\t", " ").replace("\r\n", " ").replace("\n", " ").replace("\r", " ")


def _csv_cell(text: str) -> str:
    # neutralise spreadsheet formulas (CSV injection): = + - @ and tab/CR lead characters; a number
    # or a phone number (+86 755 2345-6789: digits, spaces, - . ( ) only) calls nothing, stays as it is
    if text and text[0] in "=+-@\t\r":
        if text[0] in "+-" and (_is_number(text) or _is_phone(text)):
            return text
        return "'" + text
    return text


def _is_phone(text: str) -> bool:
    return set(text[1:]) <= _PHONE_CHARS and any(ch.isdigit() for ch in text)


_PHONE_CHARS = set("0123456789 ().-")


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", ""))
        return True
    except ValueError:
        return False


# ---- rendering -----------------------------------------------------------------------------------

def emit(records: Iterable[dict], columns: list[Col] | None = None, fmt: Format | str | None = None,
         as_json: bool = False, title: str | None = None, footer: str | None = None) -> None:
    """Write `records` to stdout in the chosen format."""
    fmt = resolve_format(fmt, as_json)
    out = sys.stdout
    if fmt is Format.jsonl:
        for rec in records:
            out.write(json.dumps(machine_value(rec), ensure_ascii=False) + "\n")
        return
    records = list(records)
    if fmt is Format.json:
        out.write(json.dumps([machine_value(r) for r in records], ensure_ascii=False, indent=2) + "\n")
        return
    if columns is None:
        keys: list[str] = []
        for rec in records:
            keys.extend(k for k in rec if k not in keys)
        columns = [Col(k) for k in keys]
    if fmt is Format.csv:
        # CSV carries every field, like JSON; nested dicts (custom fields) become key.sub columns
        import csv

        flat = [_flatten(rec) for rec in records]
        keys = []
        for rec in flat:
            keys.extend(k for k in rec if k not in keys)
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(keys)
        for rec in flat:
            writer.writerow([_csv_cell(text_value(rec.get(k), False)) for k in keys])
        return
    if fmt is Format.plain:
        for rec in records:
            out.write("\t".join(_plain_cell(text_value(rec.get(c.key), False)) for c in columns) + "\n")
        return
    if fmt is Format.markdown:
        def md(text: str) -> str:
            return _plain_cell(text).replace("|", "\\|")

        if title:
            out.write(f"## {title}\n\n")
        out.write("| " + " | ".join(md(c.title) for c in columns) + " |\n")
        out.write("|" + "|".join("---:" if c.justify == "right" else "---" for c in columns) + "|\n")
        for rec in records:
            out.write("| " + " | ".join(md(text_value(rec.get(c.key), True)) for c in columns) + " |\n")
        if footer:
            out.write(f"\n{footer}\n")
        return
    _rich_table(records, columns, title, footer)


def emit_groups(groups: list[tuple[str, list[str]]]) -> None:
    """A text view in groups (`crm agenda`'s days): each heading, then its lines indented; a blank
    line between groups."""
    out = []
    for heading, lines in groups:
        if out:
            out.append("")
        out.append(heading)
        out.extend("  " + line for line in lines)
    if out:
        sys.stdout.write("\n".join(out) + "\n")


def console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, no_color=not color_allowed(), highlight=False,
                   soft_wrap=False if stdout_is_tty() else True)


def _rich_table(records: list[dict], columns: list[Col], title: str | None, footer: str | None) -> None:
    from rich import box
    from rich.table import Table

    table = Table(title=title, box=box.SIMPLE_HEAD if color_allowed() else box.ASCII2, show_edge=False,
                  header_style="bold" if color_allowed() else None)
    for c in columns:
        table.add_column(c.title, justify=c.justify, overflow="fold")
    for rec in records:
        table.add_row(*[text_value(rec.get(c.key), True) for c in columns])
    con = console()
    con.print(table)
    if footer:
        con.print(footer)


def emit_record(record: dict, fmt: Format | str | None = None, as_json: bool = False,
                sections: list[tuple[str, list[dict], list[Col]]] | None = None) -> None:
    """A single record (`show`): key/value lines on a TTY or plain; the dict in JSON.

    `sections` are titled sub-listings (contacts, opportunities...) shown after the record;
    in JSON they become keys of the object.
    """
    fmt = resolve_format(fmt, as_json)
    sections = sections or []
    if fmt in (Format.json, Format.jsonl):
        obj = dict(record)
        for name, rows, _cols in sections:
            obj[name] = rows
        text = json.dumps(machine_value(obj), ensure_ascii=False, indent=2 if fmt is Format.json else None)
        sys.stdout.write(text + "\n")
        return
    if fmt is Format.csv:
        emit([record], fmt=fmt)
        return
    human = fmt in (Format.table, Format.markdown)
    rows = [{"field": k, "value": text_value(v, human)} for k, v in record.items()
            if not isinstance(v, (list, dict)) or v]
    if fmt is Format.table:
        from rich.table import Table

        con = console()
        grid = Table(box=None, show_header=False, pad_edge=False)
        grid.add_column(style="bold" if color_allowed() else None)
        grid.add_column(overflow="fold")
        for r in rows:
            grid.add_row(r["field"], r["value"])
        con.print(grid)
        for name, recs, cols in sections:
            con.print()
            if recs:
                _rich_table(recs, cols, name.replace("_", " ").title(), None)
            else:
                con.print(f"{name.replace('_', ' ').title()}: none")
        return
    if fmt is Format.markdown:
        emit(rows, [Col("field"), Col("value")], fmt=fmt)
        for name, recs, cols in sections:
            sys.stdout.write("\n")
            emit(recs, cols, fmt=fmt, title=name.replace("_", " ").title())
        return
    for r in rows:
        sys.stdout.write(f"{r['field']}\t{_plain_cell(r['value'])}\n")
    for name, recs, cols in sections:
        for rec in recs:
            sys.stdout.write(name + "\t" + "\t".join(_plain_cell(text_value(rec.get(c.key), False))
                                                     for c in cols) + "\n")


# Messages about a change are held while its transaction is open (db.session_scope) and printed
# when it commits: "lead 2 is qualified" must not appear when the commit then fails.
_held: list[tuple] = []
_depth = 0


def hold() -> None:
    global _depth
    _depth += 1


def release(committed: bool) -> None:
    """End of a transaction: print what was held (after a commit) or forget it (after a rollback)."""
    global _depth
    _depth = max(0, _depth - 1)
    if _depth:
        return
    held, _held[:] = list(_held), []
    if committed:
        for stream, text in held:
            print(text, file=stream)


def _say(stream, text) -> None:
    if _depth:
        _held.append((stream, text))
    else:
        print(text, file=stream)


def info(message: str) -> None:
    """A message for people: stderr, never stdout (held until the open transaction commits)."""
    _say(sys.stderr, message)


def created(entity: str, ident: int, label: str, quiet: bool) -> None:
    """Report a new record: the bare id on stdout with -q, a sentence on stderr otherwise."""
    if quiet:
        _say(sys.stdout, ident)
    else:
        info(f"created {entity} {ident}: {label}")
