"""The biaswatch settings the demo runs under, whatever the user's environment says.

Everything the demo writes stays in its folder: ``BIASWATCH_HOME`` and the SQLite database
point there, CloudWatch metric data is written as files next to the outputs (never sent), and
no Prometheus text file of the user's is rewritten. The settings are process environment
variables because the executions' worker processes read them too; they are restored after.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from biaswatch.config.settings import (
    CLOUDWATCH_VARIABLE,
    HOME_VARIABLE,
    PROMETHEUS_TEXTFILE_VARIABLE,
)
from biaswatch.store import DATABASE_VARIABLE

__all__ = ["database_url_in", "demo_environment"]


def database_url_in(folder: Path) -> str:
    """The SQLite database of a demo folder."""
    return f"sqlite:///{folder / 'biaswatch.db'}"


@contextmanager
def demo_environment(folder: Path) -> Iterator[None]:
    """Set the demo's biaswatch settings for the duration of the block."""
    settings: dict[str, str | None] = {
        HOME_VARIABLE: str(folder),
        DATABASE_VARIABLE: database_url_in(folder),
        CLOUDWATCH_VARIABLE: "file",
        PROMETHEUS_TEXTFILE_VARIABLE: None,
    }
    saved = {name: os.environ.get(name) for name in settings}
    try:
        for name, value in settings.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        yield
    finally:
        for name, old in saved.items():
            if old is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = old
