"""Reading delimited text the world produces: encoding and delimiter detection, constant memory.

Encodings: BOM (UTF-8/16/32) > strict UTF-8 > GB18030 (when high bytes come in pairs) > cp1252 > latin-1;
`--encoding` forces one. Delimiters: sniffed among , ; TAB | from the header line; `--delimiter` forces one.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import sys
from dataclasses import dataclass
from typing import Callable, Iterator

from crm_cli.core.errors import CrmError, ValidationError

MAX_FIELD = 1 << 20  # 1 MiB: a bigger single field means this is not the file you think it is
SAMPLE = 64 * 1024
SCAN_BLOCK = 1 << 20
DELIMITERS = [",", ";", "\t", "|"]
BOMS = [(codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")]


@dataclass
class Table:
    name: str
    encoding: str
    delimiter: str
    header: list[str]
    chunks: Callable[[int], Iterator[tuple[list[int], list[list[str]]]]]  # (line numbers, rows) per chunk
    size: int | None = None                       # bytes in the file (None for stdin)
    position: Callable[[], int | None] = lambda: None  # bytes read so far (about: the reader reads ahead)


class _Chain(io.RawIOBase):
    """The bytes already sampled, then the rest of a non-seekable stream."""

    def __init__(self, head: bytes, rest):
        self.head, self.rest = head, rest

    def readable(self):
        return True

    def readinto(self, b):
        if self.head:
            n = min(len(b), len(self.head))
            b[:n] = self.head[:n]
            self.head = self.head[n:]
            return n
        data = self.rest.read(len(b))
        n = len(data)
        b[:n] = data
        return n


def _label(path: str) -> str:
    return "stdin" if path == "-" else path


def _open_binary(path: str):
    if path == "-":
        return sys.stdin.buffer, False
    try:
        fh = open(path, "rb")
    except FileNotFoundError:
        raise CrmError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CrmError(f"{path}: is a directory, not a file") from None
    except PermissionError:
        raise CrmError(f"{path}: permission denied") from None
    return fh, True


def _looks_utf16(sample: bytes) -> str | None:
    even, odd = sample[0::2], sample[1::2]
    if len(sample) >= 4:
        if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
            return "utf-16-le"
        if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
            return "utf-16-be"
    return None


def _valid_utf8(fh, sample: bytes, seekable: bool) -> bool:
    dec = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        dec.decode(sample, final=not seekable and len(sample) < SAMPLE)
        if seekable:
            fh.seek(len(sample))
            while True:
                block = fh.read(SCAN_BLOCK)
                if not block:
                    dec.decode(b"", final=True)
                    break
                dec.decode(block)
    except UnicodeDecodeError:
        return False
    finally:
        if seekable:
            fh.seek(0)
    return True


def _guess_legacy(sample: bytes) -> str:
    runs = re.findall(rb"[\x80-\xff]+", sample)
    if runs:
        paired = sum(1 for r in runs if len(r) % 2 == 0)
        if paired >= 0.9 * len(runs):
            try:
                sample.decode("gb18030")
                return "gb18030"
            except UnicodeDecodeError as exc:
                if exc.start >= len(sample) - 4:  # cut in the middle of a character
                    return "gb18030"
    try:
        sample.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def detect_encoding(fh, sample: bytes, seekable: bool, name: str = "the file") -> str:
    for bom, codec in BOMS:
        if sample.startswith(bom):
            return codec
    if b"\x00" in sample:
        guess = _looks_utf16(sample)
        if guess:
            return guess
        raise ValidationError(f"{name} contains NUL bytes: it looks binary, not like CSV text",
                              "export it as CSV (UTF-8) and try again")
    if _valid_utf8(fh, sample, seekable):
        return "utf-8"
    return _guess_legacy(sample)


def _sniff_delimiter(text: str) -> str:
    # the first line that is not inside quotes
    line, quoted = [], False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif ch in "\r\n" and not quoted:
            if line:
                break
            continue
        elif not quoted:
            line.append(ch)
    first = "".join(line)
    counts = {d: first.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: (counts[d], -DELIMITERS.index(d)))
    return best if counts[best] else ","


class _RecordLines:
    """The text's lines for the csv reader, keeping those of the record read last: at the end of the
    file, a quote opened and never closed shows there (the forgiving reader would otherwise read the
    rest of the file into one field, silently)."""

    def __init__(self, text):
        self.text = text
        self.lines: list[str] = []
        self.last: list[str] = []
        self.start = 0

    def __iter__(self):
        for line in self.text:
            self.lines.append(line)
            yield line

    def done(self, start: int) -> None:
        """A record (starting on line `start`) was read."""
        self.last, self.lines, self.start = self.lines, [], start

    def unclosed_quote(self, delimiter: str) -> bool:
        try:
            for _row in csv.reader(io.StringIO("".join(self.last), newline=""), delimiter=delimiter, strict=True):
                pass
        except csv.Error as exc:
            return "unexpected end of data" in str(exc)
        return False


def _csv_error(exc: csv.Error) -> str:
    msg = str(exc)
    if "field larger than field limit" in msg:
        return f"a field is larger than {MAX_FIELD // 1024} KiB; this does not look like a CSV of records"
    if "NUL" in msg or "null byte" in msg.lower():
        return "the file contains NUL bytes: it looks binary, not like CSV text"
    return msg


def open_table(path: str, encoding: str | None = None, delimiter: str | None = None) -> Table:
    """Open a delimited file (or '-' for stdin); clear errors for files that are not tables."""
    name = _label(path)
    fh, seekable = _open_binary(path)
    try:
        sample = fh.read(SAMPLE)
    except OSError as exc:
        raise CrmError(f"{name}: cannot read: {exc.strerror or exc}") from None
    if not sample or not sample.strip(b" \t\r\n\x00\xef\xbb\xbf"):
        raise ValidationError(f"{name} is empty: no header, no rows", "nothing was imported")
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ValidationError(f"--encoding: unknown encoding '{encoding}'",
                                  "e.g. utf-8, gb18030, gbk, cp1252, utf-16") from None
        enc = encoding
        if enc.lower().replace("_", "-") in ("utf-8", "utf8") and sample.startswith(codecs.BOM_UTF8):
            enc = "utf-8-sig"
    else:
        enc = detect_encoding(fh, sample, seekable, name)
    try:
        head_text = codecs.getincrementaldecoder(enc)("replace").decode(sample[:8192])
    except LookupError:
        raise ValidationError(f"--encoding: unknown encoding '{encoding}'") from None
    head_text = head_text.lstrip("\ufeff")
    controls = sum(1 for ch in head_text if ord(ch) < 32 and ch not in "\t\r\n")
    if controls > max(2, len(head_text) // 100):
        raise ValidationError(f"{name} does not look like CSV text (it has control characters)",
                              "export it as CSV and try again")
    if delimiter:
        delim = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}.get(delimiter.lower(),
                                                                                             delimiter)
        if len(delim) != 1:
            raise ValidationError(f"--delimiter must be one character, not '{delimiter}'", "e.g. ';' or tab")
    else:
        delim = _sniff_delimiter(head_text)
    raw = fh if seekable else io.BufferedReader(_Chain(sample, fh), buffer_size=SAMPLE)
    if seekable:
        fh.seek(0)
    text = io.TextIOWrapper(raw, encoding=enc, errors="strict", newline="")
    csv.field_size_limit(MAX_FIELD)
    record = _RecordLines(text)
    reader = csv.reader(record, delimiter=delim, quotechar='"', doublequote=True, strict=False)

    def next_row():
        try:
            row = next(reader)
        except StopIteration:
            return None
        except UnicodeDecodeError:
            raise ValidationError(f"{name}: line {reader.line_num + 1}: the bytes are not valid {enc}",
                                  "pass --encoding (e.g. gb18030, cp1252, utf-16)") from None
        except csv.Error as exc:
            raise ValidationError(f"{name}: line {reader.line_num}: {_csv_error(exc)}") from None
        return row

    header = None
    while header is None:
        row = next_row()
        if row is None:
            raise ValidationError(f"{name} is empty: no header, no rows", "nothing was imported")
        if any(cell.strip() for cell in row):
            header = row
    if header and header[0].startswith("\ufeff"):
        header[0] = header[0][1:]
    header = [h.strip().strip('"').strip() for h in header]
    record.done(reader.line_num)  # the header's lines are not part of the first record

    def chunks(size: int):
        """Up to `size` non-blank rows at a time, with the line each starts on."""
        try:
            while True:
                lines, rows = [], []
                start = reader.line_num + 1
                try:
                    for row in reader:
                        record.done(start)
                        if row and (row[0].strip() or "".join(row).strip()):  # blank rows are skipped
                            lines.append(start)
                            rows.append(row)
                            if len(rows) >= size:
                                break
                        start = reader.line_num + 1
                    else:
                        if record.last and record.unclosed_quote(delim):
                            raise ValidationError(
                                f"{name}: line {record.start}: a quoted field is never closed: the rest of the "
                                f"file would be read into it", "close the quote, or remove it")
                except UnicodeDecodeError:
                    raise ValidationError(f"{name}: line {reader.line_num + 1}: the bytes are not valid {enc}",
                                          "pass --encoding (e.g. gb18030, cp1252, utf-16)") from None
                except csv.Error as exc:
                    raise ValidationError(f"{name}: line {reader.line_num}: {_csv_error(exc)}") from None
                if not rows:
                    return
                yield lines, rows
        finally:
            text.close() if seekable else None

    size = position = None
    if seekable:
        try:
            size = os.fstat(fh.fileno()).st_size
            position = fh.tell
        except (OSError, ValueError):
            size = position = None
    return Table(name=name, encoding=enc, delimiter=delim, header=header, chunks=chunks, size=size,
                 position=position or (lambda: None))
