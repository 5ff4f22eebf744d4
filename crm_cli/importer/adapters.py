"""Import adapters by entity: entity -> "module:Class", from the registry (`Entity.adapter`)."""

from __future__ import annotations

import importlib

from crm_cli import registry

ADAPTERS: dict[str, str] = dict(registry.adapters())


def get(entity: str):
    """An adapter instance for `entity`; a clear error when there is none (yet)."""
    from crm_cli.core.errors import CrmError

    spec = ADAPTERS.get(entity)
    if spec is None:
        raise CrmError(f"import/export is not available for '{entity}'")
    module, cls = registry.split(spec)
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name == module:
            raise CrmError(f"import/export is not available for '{entity}' yet") from None
        raise
    return getattr(mod, cls)()
