"""The platform every layer uses and that knows no entity: config, context (clock, user, TTY),
dates, money, errors, db (engine, sessions, migrations), output, prompts, validation, normalize,
and the shared option types. Nothing here imports from models, services, commands, reports or
importer; upper layers register hooks (e.g. `db.session_hooks`) instead."""
