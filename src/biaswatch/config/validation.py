"""Pydantic's validation errors as biaswatch's :class:`~biaswatch.errors.ConfigError`.

Every config model is validated at a boundary; a person then reads one message naming the
field (dotted, as in the JSON) and the value at fault, never pydantic's error dump.
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson
from pydantic import ValidationError

from biaswatch.errors import ConfigError

__all__ = ["config_error", "shown"]


def config_error(error: ValidationError, *, source: str) -> ConfigError:
    """The first problem of ``error`` as a config error naming ``source``, the field and value.

    A :class:`ConfigError` raised inside a validator is returned as it is (it names its field
    already).
    """
    problems = error.errors()
    first = problems[0]
    cause = (first.get("ctx") or {}).get("error")
    if isinstance(cause, ConfigError):
        return cause
    field = _dotted(first["loc"])
    value = first.get("input")
    # A union reports one error per member type; count the fields, not the members.
    others = len({_dotted(p["loc"]) for p in problems} - {field})
    message = first["msg"].removeprefix("Value error, ")
    return ConfigError(
        f"{source}: {field or 'config'} = {shown(value)}: {message}"
        + (f" (and {others} more invalid field{'s' * (others > 1)})" if others else ""),
        field=field,
        value=value,
    )


def _dotted(location: Sequence[int | str]) -> str:
    parts: list[str] = []
    for part in location:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        elif part.startswith(("function-", "literal[", "list[", "str", "int", "float", "bool")):
            continue  # pydantic's union-member labels say nothing to a user
        else:
            parts.append(("." if parts else "") + part)
    return "".join(parts)


def shown(value: object) -> str:
    """``value`` as JSON for a message, cut to 80 characters."""
    text = orjson.dumps(value, default=repr).decode() if value is not None else "null"
    return text if len(text) <= 80 else text[:77] + "..."
