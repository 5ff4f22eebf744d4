"""Reading delimited text the world produces: encoding and delimiter detection, constant memory.

Encodings: BOM (UTF-8/16/32) > strict UTF-8 (a UTF-8 file with a few bad bytes is refused, naming the
line and byte) > GB18030 (when high bytes come in pairs of GB2312's range and do not read better as
Korean) > charset-normalizer's guess from a bounded sample (Big5, Shift-JIS, EUC-KR, cp1252, Cyrillic...;
refused when it is not sure); `--encoding` forces one. Delimiters: sniffed among , ; TAB | from the
header line; `--delimiter` forces one.
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
from crm_cli.core.output import shorten

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


@dataclass
class _BadUtf8:
    offset: int     # of the first byte that is not UTF-8
    byte: int
    count: int      # bad bytes seen
    multibyte: int  # bytes of valid multi-byte characters seen (the scan may stop early: see `whole`)
    whole: bool = True  # the whole file was scanned


BAD_MAX = 64      # the scan stops after this many bad bytes (a legacy-encoded file has them everywhere)...
STRAY_MAX = 3     # ...or, past the first sample, after this many when little of it is UTF-8 text
STRAY_RATIO = 16  # UTF-8 "but for a few bytes": this many times as many bytes of real multi-byte characters


def _scan_utf8(fh, sample: bytes, seekable: bool) -> _BadUtf8 | None:
    """Decode as UTF-8 (the whole file when it is seekable, in blocks): None when it all is."""
    bad: _BadUtf8 | None = None
    multibyte = base = 0

    def hopeless() -> bool:
        return bad is not None and (bad.count > BAD_MAX or (
            base > len(sample) and bad.count > STRAY_MAX and multibyte < STRAY_RATIO * bad.count))

    def feed(data: bytes, final: bool) -> bytes:
        nonlocal bad, multibyte, base
        while True:
            try:
                text, used = codecs.utf_8_decode(data, "strict", final)
            except UnicodeDecodeError as exc:
                good = data[:exc.start]
                multibyte += len(good) - len(good.decode("utf-8"))
                if bad is None:
                    bad = _BadUtf8(base + exc.start, data[exc.start], 0, 0)
                bad.count += exc.end - exc.start
                base += exc.end
                data = data[exc.end:]
                if hopeless():
                    return b""
                continue
            multibyte += used - len(text)
            base += used
            return data[used:]

    try:
        pending = feed(sample, final=not seekable and len(sample) < SAMPLE)
        if seekable and not hopeless():
            fh.seek(len(sample))
            while True:
                block = fh.read(SCAN_BLOCK)
                if not block:
                    feed(pending, final=True)
                    break
                pending = feed(pending + block, final=False)
                if hopeless():
                    break
    finally:
        if seekable:
            fh.seek(0)
    if bad is not None:
        bad.multibyte = multibyte
        bad.whole = seekable and not hopeless()
    return bad


def _line_of(fh, sample: bytes, seekable: bool, offset: int) -> int:
    """The (physical) line the byte at `offset` is on."""
    if offset < len(sample) or not seekable:
        head = sample[:offset]
        return head.count(b"\n") + 1 if b"\n" in head or b"\r" not in head else head.count(b"\r") + 1
    fh.seek(0)
    lines, left = 0, offset
    try:
        while left > 0:
            block = fh.read(min(SCAN_BLOCK, left))
            if not block:
                break
            lines += block.count(b"\n")
            left -= len(block)
    finally:
        fh.seek(0)
    return lines + 1


HANGUL = re.compile("[\uac00-\ud7a3\u3131-\u318e]")
NOT_CHINESE = re.compile("[\ue000-\uf8ff\u3040-\u30ff\uac00-\ud7a3]")  # private use, kana, hangul


def _looks_gb(sample: bytes) -> bool:
    """High bytes in pairs, all of it GB18030, nearly all pairs in GB2312's range (A1-FE A1-FE: the
    common simplified characters), no kana or private-use characters, and not better read as Korean
    (EUC-KR uses the same byte range: its text is nearly all Hangul)."""
    runs = re.findall(rb"[\x80-\xff]+", sample)
    if not runs or sum(1 for r in runs if len(r) % 2 == 0) < 0.9 * len(runs):
        return False
    try:
        text = sample.decode("gb18030")
    except UnicodeDecodeError as exc:
        if exc.start < len(sample) - 4:  # not just cut in the middle of a character
            return False
        text = sample[:exc.start].decode("gb18030", "replace")
    pairs = [r[i:i + 2] for r in runs if len(r) % 2 == 0 for i in range(0, len(r), 2)]
    core = sum(1 for pr in pairs if pr[0] >= 0xA1 and pr[1] >= 0xA1)
    if core < 0.9 * len(pairs) or NOT_CHINESE.search(text):
        return False
    korean = sample.decode("cp949", "replace")
    wide = [ch for ch in korean if ord(ch) > 0x7F]
    return not wide or sum(1 for ch in wide if HANGUL.match(ch)) < 0.9 * len(wide)


# charset-normalizer's names -> the codec we read with (a superset where one exists)
FAMILY = {"gb2312": "gb18030", "gbk": "gb18030", "gb18030": "gb18030", "hz": "gb18030",
          "big5": "cp950", "cp950": "cp950", "big5hkscs": "big5hkscs",
          "euc_kr": "cp949", "cp949": "cp949", "johab": "johab",
          "shift_jis": "cp932", "cp932": "cp932", "shift_jis_2004": "shift_jis_2004",
          "shift_jisx0213": "shift_jisx0213", "euc_jp": "euc_jis_2004", "euc_jis_2004": "euc_jis_2004",
          "euc_jisx0213": "euc_jis_2004", "latin_1": "cp1252", "iso8859_1": "cp1252", "cp1252": "cp1252"}
GUESS_SAMPLE = 32 * 1024


def _codec(name: str) -> str:
    return FAMILY.get(name, name.replace("_", "-"))


def _guess_legacy(sample: bytes, name: str) -> str:
    if _looks_gb(sample):
        return "gb18030"
    from charset_normalizer import from_bytes

    results = [r for r in from_bytes(sample, cp_exclusion=["utf_8", "utf_16", "utf_16_le", "utf_16_be", "utf_32",
                                                       "utf_32_le", "utf_32_be", "utf_7"])
               if not r.encoding.startswith("utf") and r.encoding != "ascii"]
    if results:
        best = results[0]
        if any("cp1252" in r.could_be_from_charset and r.chaos <= best.chaos + 0.02
               and r.coherence >= best.coherence - 0.1 for r in results):
            return "cp1252"  # Western text (its code pages score alike): the one Windows and Excel write
        near = [r for r in results if r.chaos <= best.chaos + 0.02 and r.coherence >= best.coherence - 0.02]
        codecs_near = list(dict.fromkeys(_codec(r.encoding) for r in near))
        if best.chaos <= 0.2 and len(codecs_near) == 1:
            return codecs_near[0]
        likely = codecs_near[:4]
    else:
        likely = []
    likely = likely or ["gb18030", "cp1252", "cp950", "cp932"]
    raise ValidationError(f"{name}: cannot tell its encoding (perhaps {' or '.join(likely)})",
                          f"pass --encoding, e.g. --encoding {likely[0]}")


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
    bad = _scan_utf8(fh, sample, seekable)
    if bad is None:
        return "utf-8"
    if bad.multibyte and bad.multibyte >= STRAY_RATIO * bad.count:
        # UTF-8 text but for a stray byte or a few: reading it all as a legacy code page would turn every
        # Chinese (or accented) character into mojibake; the user fixes the bytes instead
        line = _line_of(fh, sample, seekable, bad.offset)
        others = "" if bad.count == 1 else (f" (nor are {bad.count - 1} more)" if bad.whole
                                            else " (nor are some more)")
        raise ValidationError(f"{name}: line {line}: byte 0x{bad.byte:02X} (at offset {bad.offset}) is not "
                              f"valid UTF-8{others}, though the rest of the file is",
                              "fix or remove that byte, or pass --encoding if the file is not UTF-8")
    return _guess_legacy(_window(fh, sample, seekable, bad.offset), name)


def _window(fh, sample: bytes, seekable: bool, offset: int) -> bytes:
    """Up to GUESS_SAMPLE bytes from the line where the first non-UTF-8 byte is: what the guess looks at
    (the file's first lines may be all ASCII)."""
    start = max(0, offset - GUESS_SAMPLE // 4)
    if offset + GUESS_SAMPLE // 2 <= len(sample) or not seekable:
        data = sample[start:start + GUESS_SAMPLE]
    else:
        try:
            fh.seek(start)
            data = fh.read(GUESS_SAMPLE)
        finally:
            fh.seek(0)
    if start:
        cut = data.find(b"\n")
        data = data[cut + 1:] if 0 <= cut < GUESS_SAMPLE // 4 else data
    return data


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


def _forced(encoding: str, sample: bytes, name: str) -> str:
    """The codec to read with for `--encoding`; the start of the file must be in it."""
    key = codecs.lookup(encoding).name  # "utf-8", "utf-16", "gb18030", "cp1252"...
    enc = encoding
    if key == "utf-8" and sample.startswith(codecs.BOM_UTF8):
        enc = "utf-8-sig"
    elif key in ("utf-16", "utf-32") and not any(sample.startswith(bom) for bom, _ in BOMS):
        if b"\x00" not in sample:  # text of 8-bit characters (UTF-8, GBK...): not UTF-16 without a BOM
            raise ValidationError(f"--encoding {encoding}: {name} is not {encoding} (no byte-order mark, no "
                                  f"NUL bytes)", "leave --encoding out to detect the encoding, or pass the right one")
        # Python's utf-16/32 want a BOM; without one: what the bytes look like, else little-endian (Windows)
        enc = (_looks_utf16(sample) if key == "utf-16" else None) or key + "-le"
    try:
        codecs.getincrementaldecoder(enc)("strict").decode(sample, final=len(sample) < SAMPLE)
    except UnicodeError as exc:
        where = ""
        if isinstance(exc, UnicodeDecodeError):
            line = sample[:exc.start].count(b"\n") + 1
            where = f": line {line}"
        raise ValidationError(f"--encoding {encoding}: {name}{where}: the bytes are not valid {encoding}",
                              "pass the file's encoding, or leave --encoding out to detect it") from None
    return enc


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
            raise ValidationError(f"--encoding: unknown encoding '{shorten(encoding)}'",
                                  "e.g. utf-8, gb18030, gbk, cp1252, utf-16") from None
        enc = _forced(encoding, sample, name)
    else:
        enc = detect_encoding(fh, sample, seekable, name)
    try:
        head_text = codecs.getincrementaldecoder(enc)("replace").decode(sample[:8192])
    except LookupError:
        raise ValidationError(f"--encoding: unknown encoding '{shorten(encoding)}'") from None
    except UnicodeError:  # e.g. utf-16 without a BOM
        raise ValidationError(f"{name}: the bytes are not valid {enc}", "pass another --encoding, or none") from None
    head_text = head_text.lstrip("\ufeff")
    controls = sum(1 for ch in head_text if ord(ch) < 32 and ch not in "\t\r\n")
    if controls > max(2, len(head_text) // 100):
        raise ValidationError(f"{name} does not look like CSV text (it has control characters)",
                              "export it as CSV and try again")
    if delimiter:
        delim = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}.get(delimiter.lower(),
                                                                                             delimiter)
        if len(delim) != 1:
            raise ValidationError(f"--delimiter must be one character, not '{shorten(delimiter)}'", "e.g. ';' or tab")
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
        except UnicodeError:
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
                except UnicodeError:
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
