"""The one output layer: every listing, `show` and report renders through `emit`.

Records are plain dicts (JSON field names are a contract). Values may be str, int,
bool, None, date/datetime (shown local, ISO-8601 in machine formats), Money
(exact decimal in machine formats, symbol on a table) or lists (joined).
"""

from __future__ import annotations

import enum
import json
import os
import re
import sys
from dataclasses import dataclass
from datetime import date, datetime
from json.encoder import encode_basestring as _json_text  # C: json.dumps(text, ensure_ascii=False)
from typing import Any, Callable, Iterable

from crm_cli.core.errors import UsageError
# Format lives with the option types (core/options.py, light for --help); FormatOpt, JsonOpt and
# QuietOpt are re-exported only for commands/stage.py until it imports them from core/options.py.
from crm_cli.core.options import Format, FormatOpt, JsonOpt, QuietOpt  # noqa: F401


@dataclass(frozen=True)
class Col:
    """A column of a listing. On a narrow terminal columns with a higher `priority` number are dropped
    first (ties: the rightmost first; the first column is kept); text columns shrink to `min_width`
    (default: their header, at least 6) and are cut with an ellipsis; numbers are never cut."""

    key: str
    header: str | None = None
    justify: str = "left"
    priority: int = 0
    min_width: int = 0

    @property
    def title(self) -> str:
        return self.key.replace("_", " ") if self.header is None else self.header


# ---- safe text: no control characters reach the terminal raw ---------------------------------

# C0 (but TAB and LF, which the formats deal with), DEL, C1, and the bidi overrides that reorder text
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
LIST_CELL_MAX = 256      # plain/markdown listing cells: no 70 KB lines for a huge value
RECORD_VALUE_MAX = 4096  # one value of a `show`


def _escape_char(m: re.Match) -> str:
    from crm_cli.core.errors import escape_char

    return escape_char(m.group())


def safe(text: Any, keep: str = "\t\n") -> str:
    """`text` with control characters (ESC, BEL, CR, C1...) shown escaped (`\\x1b`), so stored text can
    never drive the terminal. TAB and LF are kept unless `keep` says otherwise."""
    text = str(text)
    if "\t" not in keep:
        text = text.replace("\t", "\\t")
    if "\n" not in keep:
        text = text.replace("\r\n", "\\n").replace("\n", "\\n")
    return _CONTROL.sub(_escape_char, text)


_JSON_UNSAFE = re.compile("[\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _json(obj: Any, indent: int | None = None) -> str:
    """json.dumps escapes C0 itself; DEL, C1 and bidi overrides become \\u escapes too (same JSON value)."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(obj, ensure_ascii=False, indent=indent))


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def shorten(value: Any, width: int = 80) -> str:
    """`value` for a message: errors.clip (newlines and control characters escaped, at most `width`
    characters)."""
    from crm_cli.core.errors import clip

    return clip(value, width)


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
    kind = type(value)
    if kind is str:  # the common cases first: a listing calls this for every cell
        return value
    if kind is int:
        return str(value)
    if value is None:
        return ""
    if kind is datetime and not human:
        from crm_cli.core.dates import iso

        return iso(value)
    from crm_cli.core.money import Money

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


def _plain_cell(text: str, limit: int | None = None) -> str:
    if limit is not None and len(text) > limit:
        text = _cut(text, limit)
    if text.isprintable():  # no tab, newline or control character (the common case): as it is
        return text
    return safe(text.replace("\t", " ").replace("\r\n", " ").replace("\n", " ").replace("\r", " "))


_FORMULA_LEAD = "=+-@\t\r"


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

TABLE_PAGE = 1000  # rows a table holds at a time: the first page's fit sets the columns of the rest


def emit(records: Iterable[dict], columns: list[Col] | None = None, fmt: Format | str | None = None,
         as_json: bool = False, title: str | None = None, footer: str | None = None,
         csv_keys: Callable[[dict], list[str]] | None = None) -> None:
    """Write `records` to stdout in the chosen format.

    `records` may be any iterable (a generator over a streamed query): jsonl, json (a streamed array),
    plain and csv write each record as it comes, so memory stays flat whatever the row count, as long
    as `columns` is given (plain) and, for csv, `csv_keys` (given the first record, flattened, the whole
    header: the union of every record's keys in order of first appearance). Without them those formats
    hold the records to learn the keys. A table holds TABLE_PAGE rows at a time; markdown (a document)
    holds them all."""
    fmt = resolve_format(fmt, as_json)
    out = _Blocks(sys.stdout)
    try:
        _emit(records, columns, fmt, title, footer, csv_keys, out)
    finally:
        out.flush()


class _Blocks:
    """Text written to `out` in blocks of about 64 KiB: one write (a system call when Python runs
    unbuffered, PYTHONUNBUFFERED) a block, not one a row."""

    def __init__(self, out) -> None:
        self.out, self.parts, self.size = out, [], 0

    def write(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)
        if self.size >= 65536:
            self.flush()

    def flush(self) -> None:
        if self.parts:
            text, self.parts, self.size = "".join(self.parts), [], 0
            self.out.write(text)


def _emit(records, columns, fmt, title, footer, csv_keys, out) -> None:
    if fmt is Format.jsonl:
        for rec in records:
            out.write(_json(machine_value(rec)) + "\n")
        return
    if fmt is Format.json:
        _json_array(records, out)
        return
    if fmt is Format.csv:
        _csv(records, out, csv_keys)
        return
    if columns is None:
        records = list(records)
        keys: list[str] = []
        for rec in records:
            keys.extend(k for k in rec if k not in keys)
        columns = [Col(k) for k in keys]
    if fmt is Format.plain:
        keys = [c.key for c in columns]
        text, cell = text_value, _plain_cell
        for rec in records:
            out.write("\t".join(["" if v is None else cell(v if type(v) is str else text(v, False), LIST_CELL_MAX)
                                  for v in map(rec.get, keys)]) + "\n")
        return
    if fmt is Format.markdown:
        if title:
            out.write(f"## {_md_cell(title)}\n\n")
        out.write(_markdown([[text_value(rec.get(c.key), True) for c in columns] for rec in records], columns,
                            LIST_CELL_MAX))
        if footer:
            out.write(f"\n{_md_cell(footer)}\n")
        return
    out.flush()  # the table goes through rich's console, straight to stdout
    _rich_table(records, columns, title, footer)


def _json_array(records: Iterable[dict], out) -> None:
    """The text of _json(list, indent=2), written a record at a time."""
    n = 0
    for rec in records:
        item = "  " + _indented(machine_value(rec), 1)  # the element as the array holds it
        out.write(("[\n" if n == 0 else ",\n") + _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", item))
        n += 1
    out.write("\n]\n" if n else "[]\n")


def _indented(obj: Any, level: int) -> str:
    """json.dumps(obj, indent=2, ensure_ascii=False) nested `level` deep, scalars through the C encoder:
    json's own indenting encoder is pure Python whose closures are reference cycles, garbage that a
    process running with the collector off (app.py) would keep for every record."""
    if isinstance(obj, dict) and obj and all(isinstance(k, str) for k in obj):
        pad = "\n" + "  " * (level + 1)
        return ("{" + ",".join(pad + _json_text(k) + ": " + _indented(v, level + 1)
                               for k, v in obj.items()) + "\n" + "  " * level + "}")
    if isinstance(obj, list) and obj:
        pad = "\n" + "  " * (level + 1)
        return "[" + ",".join(pad + _indented(v, level + 1) for v in obj) + "\n" + "  " * level + "]"
    kind = type(obj)
    if kind is str:
        return _json_text(obj)
    if obj is None:
        return "null"
    if kind is bool:
        return "true" if obj else "false"
    if kind is int:
        return int.__repr__(obj)
    if isinstance(obj, (dict, list)) and obj:  # keys that are not text: json's own encoder
        return json.dumps(obj, ensure_ascii=False, indent=2).replace("\n", "\n" + "  " * level)
    return json.dumps(obj, ensure_ascii=False)


def _csv(records: Iterable[dict], out, csv_keys: Callable[[dict], list[str]] | None) -> None:
    # CSV carries every field, like JSON; nested dicts (custom fields) become key.sub columns
    import csv

    writer = csv.writer(out, lineterminator="\n")
    raw = getattr(records, "raw", None)  # services/listing.Streamed: the driver's rows, no record dicts
    table = raw() if raw is not None and csv_keys is not None else None
    if table is not None:
        _csv_raw(table, writer, csv_keys, out)
        return
    if csv_keys is None:  # the header is the union of all records' keys: hold them
        flat = [_flatten(rec) for rec in records]
        keys: list[str] = []
        for rec in flat:
            keys.extend(k for k in rec if k not in keys)
        rows: Iterable[dict] = flat
    else:
        it = iter(records)
        first = next(it, None)
        if first is None:
            writer.writerow([])
            return
        head = _flatten(first)
        keys = csv_keys(head)
        nested = [k for k, v in first.items() if isinstance(v, dict)]
        # a record whose nested dicts (custom fields) are empty is its own flat form
        rows = _chain_first(head, (_flatten(rec) if any(rec.get(k) for k in nested) else rec for rec in it))
    writer.writerow(keys)
    text, cell, lead = text_value, _csv_cell, _FORMULA_LEAD
    for rec in rows:
        values = ["" if v is None else v if type(v) is str else text(v, False) for v in map(rec.get, keys)]
        writer.writerow([v if not v or v[0] not in lead else cell(v) for v in values])


def _raw_decoders() -> dict:
    """kind (services/listing.RAW_KINDS) -> the value a record holds, from the driver's value (not None):
    text on SQLite, typed values on PostgreSQL."""
    from datetime import timezone

    utc = timezone.utc

    def stamp(v):  # models/base.UTCDateTime.process_result_value
        return (datetime.fromisoformat(v) if type(v) is str else v).replace(tzinfo=utc)

    return {"text": None, "int": None, "bool": bool, "datetime": stamp,
            "json": lambda v: dict((json.loads(v) if isinstance(v, (str, bytes)) else v) or {})}


def _csv_raw(table, writer, csv_keys, out) -> None:
    """_csv over raw rows (services/listing.raw_table), the same bytes: the header from the first row as a
    record, then each row turned into its cells by one function compiled for this header (_row_converter),
    written a chunk at a time."""
    import csv
    import io
    from itertools import islice

    names, kinds, rows = table
    first = next(rows, None)
    if first is None:
        writer.writerow([])
        return
    decode = _raw_decoders()
    rec = {k: None if v is None or decode[kind] is None else decode[kind](v) for k, kind, v in zip(names, kinds, first)}
    keys = csv_keys(_flatten(rec))
    writer.writerow(keys)
    convert = _row_converter(names, kinds, keys, decode)
    rows = _chain_first(first, rows)
    buf = io.StringIO()
    chunk_writer = csv.writer(buf, lineterminator="\n")
    while True:
        chunk = list(islice(rows, 2000))
        if not chunk:
            break
        chunk_writer.writerows(map(convert, chunk))
        out.write(buf.getvalue())
        buf.seek(0)
        buf.truncate()


def _row_converter(names, kinds, keys, decode):
    """fn(raw row) -> the CSV cells of `keys` (a None cell is written empty by csv): what text_value and
    _csv_cell make of a record's values, one expression per column chosen once (ints and ISO datetimes
    never start with a formula character; text and custom values are checked). Compiled from source so a
    row costs one call, not one a cell."""
    from crm_cli.core.dates import _local_tz

    index = {k: i for i, k in enumerate(names)}
    jsons = {k: i for k, i in index.items() if kinds[i] == "json"}
    stamp, tz = decode["datetime"], _local_tz()
    lead = _FORMULA_LEAD

    def when(v):  # a datetime column's value (not None): local ISO-8601, as dates.iso
        return stamp(v).astimezone(tz).isoformat(timespec="seconds")

    def nested(v):  # a JSON column's member: text_value, then the formula check
        if v is None:
            return None
        if type(v) is not str:
            v = text_value(v, False)
        return _csv_cell(v) if v and v[0] in lead else v

    load = decode["json"]
    body, cells = [], []
    for k in keys:
        i = index.get(k)
        if i is not None and kinds[i] != "json":
            kind, r = kinds[i], f"r[{i}]"
            cells.append({"text": f"(cell({r}) if {r} and {r}[0] in lead else {r})",
                          "int": f"(None if {r} is None else str({r}))",
                          "bool": f"(None if {r} is None else 'true' if {r} else 'false')",
                          "datetime": f"(None if {r} is None else when({r}))"}[kind])
            continue
        head, _, sub = k.partition(".")
        j = jsons.get(head)
        if j is not None and sub:
            var = f"j{j}"
            if f"    {var} = r[{j}]" not in body:
                body += [f"    {var} = r[{j}]",
                         f"    {var} = EMPTY if {var} is None or {var} == '{{}}' else load({var})"]
            cells.append(f"nested({var}.get({sub!r}))")
        else:
            cells.append("None")  # a key no column gives: a record would not hold it either
    src = "def convert(r):\n" + "\n".join(body) + "\n    return [" + ", ".join(cells) + "]\n"
    scope = {"cell": _csv_cell, "lead": lead, "when": when, "nested": nested, "load": load, "EMPTY": {}}
    exec(compile(src, "<csv row converter>", "exec"), scope)  # noqa: S102 - our own source, columns' names quoted by repr
    return scope["convert"]


def _chain_first(first, rest):
    yield first
    yield from rest


def shown_fields(fmt: Format | str | None, as_json: bool, columns: list[Col]) -> list[str] | None:
    """The fields a streamed listing reads for this format: the columns shown (table, plain, markdown),
    or None for every field (json, jsonl and csv carry the whole record)."""
    if resolve_format(fmt, as_json) in (Format.json, Format.jsonl, Format.csv):
        return None
    return [c.key for c in columns]


def emit_groups(groups: list[tuple[str, list[str]]]) -> None:
    """A text view in groups (`crm agenda`'s days): each heading, then its lines indented; a blank
    line between groups."""
    out = []
    for heading, lines in groups:
        if out:
            out.append("")
        out.append(safe(heading, keep=""))
        out.extend("  " + safe(line, keep="") for line in lines)
    if out:
        sys.stdout.write("\n".join(out) + "\n")


def _md_cell(text: str, limit: int | None = None) -> str:
    return _plain_cell(text, limit).replace("|", "\\|")


def _markdown(rows: list[list[str]], columns: list[Col], limit: int) -> str:
    """A GitHub (pipe) table, through tabulate."""
    from tabulate import tabulate

    text = tabulate([[_md_cell(v, limit) for v in row] for row in rows], headers=[_md_cell(c.title) for c in columns],
                    tablefmt="pipe", colalign=[c.justify for c in columns], disable_numparse=True)
    return text + "\n"


def console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, no_color=not color_allowed(), highlight=False,
                   soft_wrap=False if stdout_is_tty() else True)


def _rigid(col: Col, cells: list[str]) -> bool:
    """Numbers (right-aligned columns, or values without a letter: amounts, dates, phones) are never cut."""
    return col.justify == "right" or all(not any(ch.isalpha() for ch in v) for v in cells)


def fit_columns(columns: list[Col], cells: list[list[str]], width: int) -> list[tuple[int, int]]:
    """Which columns to show (by index) and how wide, so a table with one space of padding each side and
    one separator between columns is at most `width` cells wide."""
    from rich.cells import cell_len

    n = len(columns)
    natural, least = [], []
    for i, col in enumerate(columns):
        values = [row[i] for row in cells]
        head = cell_len(col.title)
        nat = max([head] + [cell_len(v) for v in values])
        natural.append(nat)
        if _rigid(col, [v for v in values if v]):
            least.append(nat)
        else:
            least.append(min(nat, max(head, col.min_width or 6)))
    shown = list(range(n))

    def overhead(k: int) -> int:
        return 3 * k - 1

    drop_order = sorted(range(1, n), key=lambda i: (-columns[i].priority, -i))
    while len(shown) > 1 and sum(least[i] for i in shown) + overhead(len(shown)) > width:
        shown.remove(drop_order.pop(0))
    widths = {i: least[i] for i in shown}
    spare = width - overhead(len(shown)) - sum(widths.values())
    while spare > 0:  # share the rest: always to the narrowest column that still wants more
        wanting = [i for i in shown if widths[i] < natural[i]]
        if not wanting:
            break
        i = min(wanting, key=lambda j: (widths[j], j))
        widths[i] += 1
        spare -= 1
    return [(i, widths[i]) for i in shown]


def _rich_table(records: Iterable[dict], columns: list[Col], title: str | None, footer: str | None) -> None:
    """A table fitted to the terminal. Rows come in pages of TABLE_PAGE: the first page's fit (which
    columns, how wide) holds for the rest, printed without a header, so memory stays flat."""
    from itertools import islice

    from rich import box
    from rich.table import Table
    from rich.text import Text

    con = console()
    width = con.width
    keys = [c.key for c in columns]
    it = iter(records)
    layout = None
    while True:
        page = [[_plain_cell(text_value(rec.get(k), True), width) for k in keys] for rec in islice(it, TABLE_PAGE)]
        if layout is not None and not page:
            break
        first = layout is None
        if first:
            layout = fit_columns(columns, page, width)
        table = Table(title=Text(safe(title, keep="")) if title and first else None,
                      box=box.SIMPLE_HEAD if color_allowed() else box.ASCII2, show_edge=False,
                      header_style="bold" if color_allowed() else None, show_header=first)
        for i, w in layout:
            c = columns[i]
            table.add_column(Text(safe(c.title, keep="")), justify=c.justify, width=w, no_wrap=True,
                             overflow="ellipsis")
        for row in page:
            table.add_row(*[Text(row[i]) for i, _w in layout])
        con.print(table)
        if len(page) < TABLE_PAGE:
            break
    if footer:
        con.print(Text(safe(footer)), soft_wrap=False)  # wrapped between words to the terminal's width


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
        text = _json(machine_value(obj), indent=2 if fmt is Format.json else None)
        sys.stdout.write(text + "\n")
        return
    if fmt is Format.csv:
        emit([record], fmt=fmt)
        return
    human = fmt in (Format.table, Format.markdown)
    rows = [{"field": k, "value": _cut(text_value(v, human), RECORD_VALUE_MAX)} for k, v in record.items()
            if not isinstance(v, (list, dict)) or v]
    if fmt is Format.table:
        from rich.table import Table
        from rich.text import Text

        con = console()
        grid = Table(box=None, show_header=False, pad_edge=False)
        grid.add_column(style="bold" if color_allowed() else None, no_wrap=True)
        grid.add_column(overflow="ellipsis")  # wrapped between words; a word wider than the screen is cut
        for r in rows:
            grid.add_row(Text(safe(r["field"], keep="")), Text(safe(r["value"], keep="\n")))
        con.print(grid)
        for name, recs, cols in sections:
            con.print()
            if recs:
                _rich_table(recs, cols, name.replace("_", " ").title(), None)
            else:
                con.print(f"{name.replace('_', ' ').title()}: none")
        return
    if fmt is Format.markdown:
        sys.stdout.write(_markdown([[r["field"], r["value"]] for r in rows], [Col("field"), Col("value")],
                                   RECORD_VALUE_MAX))
        for name, recs, cols in sections:
            sys.stdout.write("\n")
            emit(recs, cols, fmt=fmt, title=name.replace("_", " ").title())
        return
    for r in rows:
        sys.stdout.write(f"{_plain_cell(r['field'])}\t{_plain_cell(r['value'])}\n")
    for name, recs, cols in sections:
        for rec in recs:
            sys.stdout.write(name + "\t" + "\t".join(_plain_cell(text_value(rec.get(c.key), False), LIST_CELL_MAX)
                                                     for c in cols) + "\n")


# Messages about a change are held while its transaction is open (db.session_scope) and printed
# when it commits: "lead 2 is qualified" must not appear when the commit then fails.
_held: list[tuple] = []
_depth = 0


def reset() -> None:
    """Forget held messages and open holds (a new command in `crm batch` / `crm shell`)."""
    global _depth
    _depth = 0
    _held.clear()


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
    """A message for people: stderr, never stdout (held until the open transaction commits); control
    characters in it are shown escaped."""
    _say(sys.stderr, safe(message))


def created(entity: str, ident: int, label: str, quiet: bool) -> None:
    """Report a new record: the bare id on stdout with -q, a sentence on stderr otherwise."""
    if quiet:
        _say(sys.stdout, ident)
    else:
        info(f"created {entity} {ident}: {label}")


def write_document(text: str, path: str | None, option: str = "--output") -> bool:
    """A whole document (a calendar, a rendered quote): to the file `path` (UTF-8, as is), or to
    stdout. A file that cannot be written is one line naming the option. Returns True for a file."""
    if not path:
        if hasattr(sys.stdout, "buffer"):
            sys.stdout.flush()
            sys.stdout.buffer.write(text.encode("utf-8"))
            sys.stdout.buffer.flush()
        else:
            sys.stdout.write(text)
        return False
    from crm_cli.core.errors import CrmError

    try:
        with open(path, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
    except OSError as exc:
        raise CrmError(f"{option}: cannot write {path}: {exc.strerror}", "check the directory and its rights") from None
    return True
