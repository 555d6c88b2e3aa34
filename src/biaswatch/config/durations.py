"""ISO-8601 durations in configs: window offsets, look-backs, re-evaluation periods."""

from __future__ import annotations

from datetime import timedelta

import isodate

from biaswatch.errors import ConfigError

__all__ = ["parse_duration", "parse_period"]


def parse_duration(text: str, *, field: str, example: str) -> timedelta:
    """An ISO-8601 duration of a fixed length (days, hours, minutes; not months or years).

    ``example`` completes the message of a text that is not a duration ("such as …").
    """
    try:
        duration = isodate.parse_duration(text)
    except (isodate.ISO8601Error, ValueError, TypeError) as exc:
        raise ConfigError(
            f"{field} = {text!r}: not an ISO-8601 duration such as {example}",
            field=field,
            value=text,
        ) from exc
    if not isinstance(duration, timedelta):
        raise ConfigError(
            f"{field} = {text!r}: months and years have no fixed length; use days or hours",
            field=field,
            value=text,
        )
    return duration


def parse_period(text: str, *, field: str) -> timedelta:
    """A positive ISO-8601 duration, such as ``P2D`` or ``PT6H``.

    Examples
    --------
    >>> parse_period("P2D", field="reevaluate_within")
    datetime.timedelta(days=2)
    """
    period = parse_duration(text, field=field, example="P2D or PT6H")
    if period <= timedelta(0):
        raise ConfigError(
            f"{field} = {text!r}: must be a positive period, such as P2D", field=field, value=text
        )
    return period
