"""Input validation shared by every record type: run a pydantic input model, and the checks
its validators share (a value from a fixed list, an email address)."""

from __future__ import annotations

from crm_cli.core.errors import ValidationError


def validate(model_cls, **values):
    """Run a pydantic input model; its first error becomes a one-line ValidationError (exit 2)."""
    from pydantic import ValidationError as PydanticError

    try:
        return model_cls.model_validate({k: v for k, v in values.items() if v is not None})
    except PydanticError as exc:
        err = exc.errors()[0]
        msg = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        if err.get("type", "").endswith("parsing") or err.get("type") == "int_type":
            msg = f"--{str(err['loc'][0]).replace('_', '-')}: {msg}"
        raise ValidationError(msg) from None


def one_of(value, allowed, flag: str):
    """`value` if it is in `allowed` (None passes), else a ValueError naming the flag and the choices."""
    if value is not None and value not in allowed:
        raise ValueError(f"{flag} must be one of {', '.join(allowed)}, not '{value}'")
    return value


def email(value, flag: str = "--email"):
    """A normalised email address ('"Bob" <Bob@X.com>' -> 'bob@x.com'), or a ValueError."""
    from crm_cli.core import normalize

    if not value:
        return value
    if not normalize.valid_email(value):
        raise ValueError(f"{flag} '{value}' is not an email address")
    return normalize.email_key(value)
