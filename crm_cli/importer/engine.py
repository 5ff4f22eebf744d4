"""The import engine: map, clean, dedupe, upsert and write in chunks, atomically, in constant memory.

One transaction: rows are read, checked and inserted a chunk (5,000 rows) at a time. A chunk is
handled column by column (each field's values trimmed and checked in one pass, through the
adapter's caches), then its duplicate keys are looked up in one IN query per key and table, and
its new rows go in with one Core executemany. Earlier chunks are then visible to the duplicate
checks of later ones through indexed lookups, so no key set grows with the file; keys that no
record had before the import are first checked against a fixed-size Bloom filter, and only its
hits are looked up (importer/bulk.py). On SQLite, a big load builds the indexes it does not read
at the end instead of row by row (bulk.DeferredIndexes). At the end the transaction commits, or
rolls back on --dry-run, on rejects without --allow-rejects, on any error and on Ctrl-C.
"""

from __future__ import annotations

import csv
from operator import itemgetter, methodcaller
from dataclasses import asdict, dataclass, field

from sqlalchemy import bindparam, insert, literal, select, update

from crm_cli.errors import CrmError, UsageError, ValidationError
from crm_cli.importer.base import Adapter, Options, RowError, header_key
from crm_cli.importer.bulk import DeferredIndexes, SeenKeys
from crm_cli.importer.progress import ImportProgress

IGNORE = {"ignore", "-", "skip", ""}


@dataclass
class Summary:
    entity: str
    file: str
    batch: int | None = None
    encoding: str = ""
    delimiter: str = ""
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    rejected: int = 0
    written: bool = False
    dry_run: bool = False
    mapping: dict = field(default_factory=dict)
    unmapped: list = field(default_factory=list)
    rejects_file: str | None = None
    first_rejects: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


# ---- header mapping -------------------------------------------------------------------------------

def plan_columns(adapter: Adapter, header: list[str], opts: Options, name: str):
    """-> (field -> [column indexes by priority], custom key -> index, unmapped headers)."""
    seen: dict[str, int] = {}
    for i, h in enumerate(header):
        if not h:
            continue
        k = h.casefold()
        if k in seen:
            raise ValidationError(f"{name}: the column '{h}' appears twice (columns {seen[k] + 1} and {i + 1})",
                                  "rename one of them, or remove it")
        seen[k] = i
    aliases = adapter.alias_table()
    known_fields = set(adapter.fields) | {p for parts in adapter.combine.values() for p in parts}
    overrides: dict[int, str] = {}
    for src, dst in (opts.mapping or {}).items():
        idx = seen.get(src.strip().casefold())
        if idx is None:
            raise UsageError(f"--map: the file has no column '{src}'", "columns: " + ", ".join(h for h in header if h))
        dst = dst.strip()
        if dst.lower() in IGNORE:
            overrides[idx] = ""
        elif dst.startswith("custom."):
            overrides[idx] = dst
        else:
            target = aliases.get(header_key(dst), (None, 0))[0] if dst not in known_fields else dst
            if target is None:
                raise UsageError(f"--map: '{dst}' is not a {adapter.entity} field",
                                 "fields: " + ", ".join(sorted(known_fields)) + ", custom.KEY, ignore")
            overrides[idx] = target
    candidates: dict[str, list[tuple[int, int]]] = {}
    custom: dict[str, int] = {}
    unmapped: list[str] = []
    ignore = set(adapter.ignore)
    for i, h in enumerate(header):
        if not h and i not in overrides:
            continue
        if i in overrides:
            target = overrides[i]
            if not target:
                continue
            if target.startswith("custom."):
                custom[target[7:]] = i
                continue
            candidates.setdefault(target, []).append((-1, i))
            continue
        if h.lower().startswith("custom.") and len(h) > 7:
            custom[h[7:]] = i
            continue
        hk = header_key(h)
        hit = aliases.get(hk)
        if hit:
            candidates.setdefault(hit[0], []).append((hit[1], i))
        elif hk in ignore:
            continue
        elif opts.keep_extra:
            custom[h] = i
        else:
            unmapped.append(h)
    plan = {f: [i for _p, i in sorted(c)] for f, c in candidates.items()}
    if not plan:
        raise ValidationError(f"{name}: none of the columns is a {adapter.entity} field "
                              f"(columns: {', '.join(h for h in header if h)[:200]})",
                              "name them with --map 'Header=field'")
    parts_ok = {target for target, parts in adapter.combine.items() if any(p in plan for p in parts)}
    if adapter.required and not any(r in plan or r in parts_ok for r in adapter.required):
        raise ValidationError(f"{name}: no column for {' or '.join(adapter.required)} "
                              f"(columns: {', '.join(h for h in header if h)[:200]})",
                              "name one with --map 'Header=" + adapter.required[0] + "'")
    return plan, custom, unmapped


def _unquote(v: str) -> str:
    # the export layer protects cells starting with = + - @ by a leading quote; take it off again
    if len(v) > 1 and v[0] == "'" and v[1] in "=+-@\t\r":
        return v[1:]
    return v


# ---- the run ----------------------------------------------------------------------------------------

def run_import(entity: str, path: str, opts: Options) -> Summary:
    from crm_cli import context, db
    from crm_cli.importer import adapters, reader
    from crm_cli.models.lead import ImportBatch
    from crm_cli.models.system import History
    from crm_cli.models.base import UTCDateTime

    if opts.on_duplicate not in ("skip", "update", "error"):
        raise UsageError(f"--on-duplicate must be skip, update or error, not '{opts.on_duplicate}'")
    adapter = adapters.get(entity)
    table = reader.open_table(path, opts.encoding, opts.delimiter)
    plan, custom_cols, unmapped = plan_columns(adapter, table.header, opts, table.name)
    summary = Summary(entity=entity, file=table.name, encoding=table.encoding,
                      delimiter={"\t": "tab"}.get(table.delimiter, table.delimiter), dry_run=opts.dry_run,
                      mapping={f: [table.header[i] for i in idx] for f, idx in plan.items()}, unmapped=unmapped,
                      rejects_file=opts.rejects)
    ncols = len(table.header)
    model_t = adapter.model.__table__
    has_custom = "custom" in model_t.c
    now = context.now()
    user = context.current_handle()
    rejects_fh = rejects_writer = None
    if opts.rejects:
        try:
            rejects_fh = open(opts.rejects, "w", newline="", encoding="utf-8")
        except OSError as exc:
            raise CrmError(f"--rejects: cannot write {opts.rejects}: {exc.strerror}") from None
        rejects_writer = csv.writer(rejects_fh)
        rejects_writer.writerow(["line", *table.header, "reason"])

    def reject(line: int, row: list[str], reason: str) -> None:
        summary.rejected += 1
        if len(summary.first_rejects) < 5:
            summary.first_rejects.append(f"line {line}: {reason}")
        if rejects_writer:
            rejects_writer.writerow([line, *row, reason])

    combine = [(target, [p for p in parts if p in plan]) for target, parts in adapter.combine.items()]
    combine = [(t, ps) for t, ps in combine if ps]
    single = [(f, idx[0]) for f, idx in plan.items() if len(idx) == 1]
    multi = [(f, idx) for f, idx in plan.items() if len(idx) > 1]
    custom_items = list(custom_cols.items())
    keys = adapter.keys
    key_of = (lambda rec: ()) if not keys else (lambda rec, _k=keys[0]: (rec.get(_k),)) if len(keys) == 1 \
        else (lambda rec, _get=itemgetter(*keys): _get(rec))
    required = adapter.required
    base_row = {"created_at": now, "updated_at": now, "created_by": user}
    progress = ImportProgress(opts.progress, table.name, table.size)

    try:
        with db.session_scope() as session:
            conn = session.connection()
            batch_id = conn.execute(insert(ImportBatch.__table__).values(
                entity=entity, file_name=table.name[:500], user=user, started_at=now, read=0, created=0,
                updated=0, unchanged=0, skipped=0, rejected=0, status="done")).inserted_primary_key[0]
            summary.batch = batch_id
            base_row["import_batch_id"] = batch_id
            adapter.session, adapter.opts = session, opts
            adapter.prepare(session, opts)
            deferred = DeferredIndexes(conn, model_t.name, set(keys))
            seen = _seen_keys(conn, adapter)
            pending: list = []

            def write(chunk: list) -> None:
                deferred.maybe_defer(summary.read)
                _flush(conn, adapter, chunk, summary, reject, opts, base_row, has_custom, now, user, History,
                       seen)
                progress.update(table.position(), summary.read, summary.rejected)

            # chunk by chunk, column by column: each field's values are checked in one pass (with
            # the adapter's caches), not by a dict and a dozen calls per row
            for lines, rows in table.chunks(opts.chunk_size):
                summary.read += len(rows)
                lines, rows = _fit_rows(lines, rows, ncols, reject)
                if not rows:
                    continue
                n = len(rows)
                fields = _field_columns(rows, single, multi, combine)
                missing = _missing(fields, required, n)
                recs = adapter.clean_columns(fields, n, missing)
                for i in missing:
                    recs[i] = RowError(f"no {' or '.join(required)}")
                append = pending.append
                for line, row, rec, ext in zip(lines, rows, recs, fields.get("external_id") or [None] * n):
                    if type(rec) is not dict:
                        reject(line, row, str(rec))
                        continue
                    if custom_items:
                        extra = {}
                        for k, c in custom_items:
                            v = row[c].strip()
                            if v:
                                extra[k] = v
                        if extra:
                            if not has_custom:
                                reject(line, row, f"{entity} has no custom fields")
                                continue
                            rec["custom"] = extra
                    rec["external_id"] = ext
                    append((line, row, rec, key_of(rec)))
                if pending:
                    write(pending)
                    pending = []
            if summary.read == 0:
                raise ValidationError(f"{table.name} has a header but no rows", "nothing was imported")
            progress.finishing(summary.read, summary.rejected)
            keep = not (opts.dry_run or (summary.rejected and not opts.allow_rejects))
            if keep:
                deferred.restore()  # on rollback, the rollback brings the indexes back
            # history: one 'create' row per new record, in SQL (no ids pulled into Python)
            if summary.created:
                cols = ["entity", "entity_id", "action", "field", "old", "new", "user", "at"]
                sel = select(literal(entity), model_t.c.id, literal("create"), literal(None),
                             literal(None), literal(f"import batch {batch_id}"), literal(user),
                             literal(now, UTCDateTime())).where(model_t.c.import_batch_id == batch_id)
                conn.execute(insert(History.__table__).from_select(cols, sel))
            conn.execute(update(ImportBatch.__table__).where(ImportBatch.__table__.c.id == batch_id).values(
                finished_at=context.now(), read=summary.read, created=summary.created, updated=summary.updated,
                unchanged=summary.unchanged, skipped=summary.skipped, rejected=summary.rejected))
            if not keep:
                session.rollback()
                summary.written = False
                summary.batch = None
            else:
                summary.written = True
    finally:
        progress.close()
        if rejects_fh:
            rejects_fh.close()
    return summary


def _fit_rows(lines: list, rows: list, ncols: int, reject) -> tuple[list, list]:
    """Rows padded to the header's width; a row with extra non-empty fields is rejected."""
    ragged = [i for i, r in enumerate(rows) if len(r) != ncols]
    if not ragged:
        return lines, rows
    drop = set()
    for i in ragged:
        row = rows[i]
        if len(row) > ncols:
            if any(c.strip() for c in row[ncols:]):
                reject(lines[i], row, f"{len(row)} fields, but the header has {ncols}")
                drop.add(i)
            else:
                rows[i] = row[:ncols]
        else:
            rows[i] = row + [""] * (ncols - len(row))
    if drop:
        keep = [i for i in range(len(rows)) if i not in drop]
        lines, rows = [lines[i] for i in keep], [rows[i] for i in keep]
    return lines, rows


def _texts(column) -> list:
    """Cells -> trimmed text (U+3000 included), None when empty, export's formula quote taken off."""
    vals = [v.strip() or None for v in column]
    if "\x00'" in "\x00" + "\x00".join(filter(None, vals)):  # rare: a value starts with a quote
        vals = [_unquote(v) if v and v[0] == "'" else v for v in vals]
    return vals


def _field_columns(rows: list, single, multi, combine) -> dict[str, list]:
    """field -> its values for the chunk's rows (None where empty)."""
    def column(i: int) -> list:
        return _texts(map(itemgetter(i), rows))

    fields = {f: column(i) for f, i in single}
    for f, idx in multi:  # several columns for one field: the first non-empty one, by priority
        lists = [column(i) for i in idx]
        fields[f] = [next((v for v in vs if v is not None), None) for vs in zip(*lists)]
    for target, parts in combine:  # e.g. first + last name -> name, unless the row has a name
        parts_values = [fields.pop(p) for p in parts if p in fields]
        have = fields.get(target) or [None] * len(rows)
        out = []
        for value, *got in zip(have, *parts_values):
            if value is None:
                got = [g for g in got if g is not None]
                if got:
                    value = ("" if all(_is_cjk(g) for g in got) else " ").join(got)
            out.append(value)
        fields[target] = out
    return fields


def _missing(fields: dict, required: tuple, n: int) -> set[int]:
    """Rows with none of the required fields."""
    if not required:
        return set()
    present = [fields[r] for r in required if r in fields]
    if not present:
        return set(range(n))
    if len(present) == 1:
        return {i for i, v in enumerate(present[0]) if v is None}
    nothing = (None,) * len(present)
    return {i for i, vs in enumerate(zip(*present)) if vs == nothing}


def _is_cjk(text: str) -> bool:
    return bool(text) and all("\u2e80" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in text)


def _seen_keys(conn, adapter) -> tuple:
    """A SeenKeys per duplicate key, then one for external_id (trashed records count there)."""
    t = adapter.model.__table__
    seen = [SeenKeys(adapter.has_values(conn, key)) for key in adapter.keys]
    has_ext = conn.execute(select(t.c.id).where(t.c.external_id.is_not(None)).limit(1)).first() is not None
    return (*seen, SeenKeys(has_ext))


def _flush(conn, adapter, pending, summary, reject, opts, base_row, has_custom, now, user, History, seen):
    t = adapter.model.__table__
    keys = adapter.keys
    # 1. existing records by external id (trashed ones too: a re-import brings them back)
    ext_all = {rec["external_id"] for _l, _r, rec, _k in pending if rec["external_id"]}
    ext_ids = _padded(seen[-1].to_look_up(ext_all))
    by_ext: dict = {}
    if ext_ids:
        for ident, ext, deleted in conn.execute(select(t.c.id, t.c.external_id, t.c.deleted_at)
                                                .where(t.c.external_id.in_(ext_ids))):
            by_ext[ext] = (ident, deleted)
    # 2. existing records by duplicate keys (indexed lookups, one query per key and table)
    found: list[dict] = []
    for pos, key in enumerate(keys):
        values = seen[pos].to_look_up({kv[pos] for _l, _r, _rec, kv in pending if kv[pos]})
        found.append(adapter.match(conn, key, _padded(values)) if values else {})
    creates: list[dict] = []
    new_by_key: list[dict] = [dict() for _ in keys]
    new_by_ext: dict = {}
    updates: dict[int, dict] = {}
    restores: list[int] = []
    empty: dict = {}  # shared by new rows without custom fields (never changed in place: see _merge)
    for line, row, rec, kv in pending:
        ext = rec["external_id"]
        target = None
        if ext:
            if ext in new_by_ext:
                _merge(new_by_ext[ext], rec)
                summary.updated += 1
                continue
            hit = by_ext.get(ext)
            if hit:
                target = hit[0]
                if hit[1] is not None:
                    restores.append(target)
        if target is None:
            dup = None
            for pos, value in enumerate(kv):
                if value:
                    hit = new_by_key[pos].get(value)
                    if hit is not None:
                        dup = ("new", hit, keys[pos])
                        break
                    hit = found[pos].get(value)
                    if hit is not None:
                        dup = ("db", hit, keys[pos])
                        break
            if dup is not None:
                where, what, key = dup
                if where == "new":
                    what, first_line = what
                    label = f"line {first_line} of this file"
                else:
                    label = f"{what[0]} {what[1]} '{what[2]}'"
                if opts.on_duplicate == "error":
                    reject(line, row, f"duplicate: same {adapter.describe(key)} as {label}")
                    continue
                if opts.on_duplicate == "update":
                    if where == "new":
                        _merge(what, rec)
                        summary.updated += 1
                        continue
                    if what[0] == adapter.entity:
                        target = what[1]
                if target is None:
                    summary.skipped += 1
                    continue
        if target is not None:
            if target in updates:  # an earlier row of this chunk goes to the same record
                _merge(updates[target], rec)
                summary.updated += 1
            else:
                updates[target] = rec
            continue
        rec.update(base_row)  # adapters leave the batch's columns (timestamps, author, batch) to the engine
        if has_custom and "custom" not in rec:
            rec["custom"] = empty
        creates.append(rec)
        if ext:
            new_by_ext[ext] = rec
        for by_value, value in zip(new_by_key, kv):
            if value and value not in by_value:
                by_value[value] = (rec, line)
    if updates:
        _apply_updates(conn, adapter, t, updates, set(restores), summary, has_custom, now, user, History)
    if creates:
        _fast_insert(conn, t, creates)
        summary.created += len(creates)


_INSERTS: dict = {}


def _fast_insert(conn, t, rows: list[dict]) -> None:
    """Core executemany without per-row statement machinery.

    The INSERT is compiled once per column set; values go through each column type's bind
    processor (memoised for repeated values such as the batch's timestamps and empty JSON), and the
    driver gets plain tuples (or dicts for named paramstyles). Columns empty in every row of the
    chunk are left out: binding NULLs is not free (18 instead of 29 columns took a 100k-row SQLite
    insert from 1.0 to 0.5 s).
    """
    dialect = conn.dialect
    first = rows[0]
    if all(map(first.keys().__eq__, map(dict.keys, rows))):
        present = set(first)  # the usual case: every row has the same columns
    else:
        present = set().union(*[r.keys() for r in rows])
    names = sorted(n for n in present
                   if first.get(n) is not None or set(map(methodcaller("get", n), rows)) != {None})
    cache_key = (dialect.name, t.name, tuple(names))
    entry = _INSERTS.get(cache_key)
    if entry is None:
        compiled = insert(t).compile(dialect=dialect, column_keys=names)
        order = list(compiled.positiontup) if compiled.positional else names
        procs = [t.c[n].type.dialect_impl(dialect).bind_processor(dialect) for n in order]
        entry = _INSERTS[cache_key] = (str(compiled), order, procs, compiled.positional)
    sql, order, procs, positional = entry
    for name, proc in zip(order, procs):
        if proc is None:
            continue
        last_in, last_out = object(), None
        for r in rows:
            v = r.get(name)
            if v is None:
                continue
            if v is last_in or (type(v) is type(last_in) and v == last_in):
                r[name] = last_out
            else:
                last_in, last_out = v, proc(v)
                r[name] = last_out
    getter = itemgetter(*order) if len(order) > 1 else (lambda r, _n=order[0]: (r[_n],))
    try:
        out = [getter(r) for r in rows]
    except KeyError:  # rows without some of the columns
        out = [tuple(r.get(n) for n in order) for r in rows]
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        # COPY: one stream per chunk instead of a statement per row (100k leads: 9.3 s -> 6.5 s)
        q = dialect.identifier_preparer.quote
        with conn.connection.driver_connection.cursor() as cur:
            with cur.copy(f"COPY {q(t.name)} ({', '.join(q(n) for n in order)}) FROM STDIN") as copy:
                for values in out:
                    copy.write_row(values)
    elif positional:
        conn.exec_driver_sql(sql, out)
    else:
        conn.exec_driver_sql(sql, [dict(zip(order, values)) for values in out])


def _padded(values: set) -> list:
    """The values, padded (repeating one) to a multiple of 512: few distinct IN (...) statements,
    so the driver's prepared-statement cache stays small whatever the file."""
    out = list(values)
    if out:
        out.extend([out[0]] * (-len(out) % 512))
    return out


def _merge(into: dict, rec: dict) -> None:
    for k, v in rec.items():
        if v in (None, "", {}):
            continue
        if k == "custom" and isinstance(into.get("custom"), dict):
            into["custom"] = {**into["custom"], **v}
        else:
            into[k] = v


def _apply_updates(conn, adapter, t, updates, restores, summary, has_custom, now, user, History):
    ids = list(updates)
    current = {r._mapping["id"]: r._mapping for r in conn.execute(select(t).where(t.c.id.in_(ids)))}
    history = []
    by_columns: dict[tuple, list[dict]] = {}
    for ident, rec in updates.items():
        cur = current.get(ident)
        if cur is None:
            continue
        changes = {}
        for k, v in rec.items():
            if v in (None, "", {}) or k not in t.c or k in ("id", "import_batch_id"):
                continue
            if k == "custom":
                merged = {**(cur["custom"] or {}), **v}
                if merged != (cur["custom"] or {}):
                    changes[k] = merged
            elif cur[k] != v:
                changes[k] = v
        if ident in restores:
            changes["deleted_at"] = None
        if not changes:
            summary.unchanged += 1
            continue
        shown = sorted(k for k in changes if not k.endswith("_key"))
        changes["updated_at"] = now
        changes["_id"] = ident
        by_columns.setdefault(tuple(sorted(changes)), []).append(changes)
        summary.updated += 1
        history.append(dict(entity=adapter.entity, entity_id=ident,
                            action="restore" if ident in restores else "update", field=None, old=None,
                            new=f"import batch {summary.batch}: " + ", ".join(shown), user=user, at=now))
    for columns, rows in by_columns.items():  # one executemany per set of changed columns
        stmt = update(t).where(t.c.id == bindparam("_id")).values(
            {c: bindparam(c, type_=t.c[c].type) for c in columns if c != "_id"})
        conn.execute(stmt, rows)
    if history:
        conn.execute(insert(History.__table__), history)
