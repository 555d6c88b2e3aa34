"""SageMaker's rule for the names people give: schedules, endpoints, variants, baselining jobs.

Names become parts of paths (``<output>/<endpoint>/<schedule>/…``) and of dashboard URLs, so a
name is checked wherever one is created — the Python API, the CLI, the REST API and the store.
"""

from __future__ import annotations

import re
from typing import TypeGuard

from biaswatch.errors import ConfigError

__all__ = ["NAME_RULE", "check_name", "is_name"]

#: SageMaker's pattern for EndpointName, VariantName, MonitoringScheduleName and job names.
NAME_RULE = r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$"
_NAME = re.compile(NAME_RULE.strip("^$"))


def is_name(text: object) -> TypeGuard[str]:
    """Whether ``text`` is a valid SageMaker name."""
    return isinstance(text, str) and _NAME.fullmatch(text) is not None


def check_name(name: object, *, field: str) -> str:
    """Return ``name`` if it is a valid SageMaker name, else raise a config error naming ``field``.

    Up to 63 letters, digits and hyphens, starting and ending with a letter or digit.

    Examples
    --------
    >>> check_name("churn-model-1", field="endpoint_name")
    'churn-model-1'
    >>> check_name("../x", field="monitor_schedule_name")
    Traceback (most recent call last):
    ...
    biaswatch.errors.ConfigError: monitor_schedule_name '../x' is not a valid name: ...
    """
    if not is_name(name):
        shown = name if not isinstance(name, str) or len(name) <= 80 else f"{name[:77]}..."
        raise ConfigError(
            f"{field} {shown!r} is not a valid name: up to 63 letters, digits and hyphens,"
            " starting and ending with a letter or digit",
            field=field,
            value=name,
        )
    return name
