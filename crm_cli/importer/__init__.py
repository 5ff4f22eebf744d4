"""The one import/export engine for every record type (leads, customers, contacts, opportunities).

`crm ENTITY import FILE` and `crm ENTITY export` (added to an entity's command group by
`crm_cli.commands.io.register_io(app, "ENTITY")`) run this engine with the entity's *adapter*.
The engine does everything generic: reading (encoding and delimiter detection, BOMs, CRLF/CR/LF,
quoted newlines, ragged rows), header mapping (aliases, `--map "Header=field"`, `custom.KEY`
columns, `--keep-extra`), trimming (incl. U+3000), in-file and database duplicate detection,
`--on-duplicate skip|update|error`, `external_id` upsert, batches (`crm import list/undo`), atomic
writes with Core `insert()` executemany in chunks, `--rejects/--allow-rejects/--dry-run`, history,
the summary and the export side. An adapter only says what its entity's fields are.

Adapter protocol
================
An adapter is a subclass of `crm_cli.importer.base.Adapter` (read that class: every attribute
has a default). Register it on the entity's line in `crm_cli/registry.py`:

    Entity("opp", ..., adapter="crm_cli.importer.opp_adapter:OppAdapter")

(the engine reports "import is not available" until the module exists). Class attributes and methods:

    class OppAdapter(Adapter):
        entity = "opp"                  # the entity name (models.ENTITIES key)
        model = Opportunity             # table model; rows go in through model.__table__ (Core)
        fields = {                      # field -> header aliases (matched case-, space-,
            "title": ["opportunity name", "deal name", "商机", "商机名称"],   # punctuation- and
            "amount": ["deal amount", "金额"],                               # width-insensitively;
            "customer": ["account name", "company", "客户"],                  # the field name itself
            "close_date": ["close date", "预计成交日期"],                      # always matches)
            ...
        }
        combine = {}                    # pseudo-fields joined into a field, e.g. the lead adapter
                                        # has {"name": ("first_name", "last_name")}
        required = ("title",)           # a row missing all of these is rejected
        keys = ()                       # duplicate keys: column names of the cleaned row (e.g.
                                        # "email_key", "phone_key") checked within the file and
                                        # against the DB; external_id is always the upsert key
        label = "title"                 # column naming a record in messages ("opp 7 'Big deal'")
        export_columns = [...]          # field names written by export, in order (default: fields)

        def prepare(self, session, opts):   # once per import, before the first row: build caches
            ...                             # (user handles, stages...). opts.defaults holds
                                            # --source/--owner/--campaign/--status values (None if
                                            # not given); self.session is set for you.
        def clean(self, raw: dict) -> dict:
            # raw: field -> trimmed, non-empty text (missing/empty cells are absent).
            # Return the table columns to insert (not id, updated_at, created_by,
            # import_batch_id or external_id: the engine sets those; created_at only when the
            # file says when the record was created; custom fields the file names in
            # custom.KEY columns are added to a `custom` dict returned here).
            # Use the shared parsers: crm_cli.core.dates.parse_date, crm_cli.core.money.parse_money, the
            # pydantic input model of your service. Raise crm_cli.importer.base.RowError("reason")
            # (or let a crm_cli.core.errors.ValidationError escape) to reject the row with that reason.
        def match(self, conn, key, values) -> dict:   # optional; default: same table, column
            ...                                       # `key`, deleted_at IS NULL.
            # Returns {value: (entity, id, label)} for existing records whose `key` is in values.
        def export_rows(self, session, filters) -> Iterator[dict]   # export: field -> value,
            ...                                       # streamed; same names as `fields`, so
                                                      # export -> import round-trips.

Table requirements for an importable entity: `external_id` (String, nullable, unique through a
partial index `ix_<table>_external_id_present` declared in a migration), `import_batch_id`
(Integer, indexed, nullable, no FK needed), `deleted_at`, and optionally `custom` (JSON, receives
--keep-extra and `custom.KEY` columns).

Big loads: on SQLite, once an import has read more rows than its table held, the indexes it
does not read are dropped and built again at the end (importer/bulk.py, DeferredIndexes);
duplicate keys no record had before the import are checked through a Bloom filter instead of
database lookups (SeenKeys). An adapter whose clean_columns() checks a chunk column by column
(the lead adapter) avoids the per-row dict and calls of the default clean() path: it returns a
`Cleaned` (column names, and a tuple per row), and rows stay tuples until they are inserted.

Entry points: `crm_cli.importer.engine.run_import(entity, source, options) -> Summary` and
`crm_cli.importer.export.run_export(entity, fmt, filters, out)`; `adapters.get(entity)` returns
an adapter instance.
"""
