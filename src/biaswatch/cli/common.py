"""What the CLI's commands share: the consoles, the store, times, and exit codes by status.

The command modules import biaswatch's heavy parts (the store, the analysis, the facade) inside
the commands, so that ``biaswatch --help`` and every command's start pay only for what it uses.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import orjson
import typer
from rich.console import Console

from biaswatch.errors import ConfigError
from biaswatch.status import ExecutionStatus

if TYPE_CHECKING:
    from biaswatch.model_monitor import ModelBiasMonitor
    from biaswatch.store import Store

__all__ = [
    "AsJson",
    "attach",
    "console",
    "errors",
    "exit_code",
    "open_store",
    "parse_time",
    "print_rows",
    "read_input",
    "require_schedule",
]

console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)

_EXIT_CODES = {
    ExecutionStatus.COMPLETED: 0,
    ExecutionStatus.COMPLETED_WITH_VIOLATIONS: 3,
}


def open_store() -> Store:
    """The store of ``BIASWATCH_DATABASE_URL``, else SQLite under ``BIASWATCH_HOME``."""
    from biaswatch.store import Store

    return Store.open()


def parse_time(value: str, option: str) -> datetime:
    """An ISO-8601 time from the command line; without a zone it is UTC.

    Examples
    --------
    >>> parse_time("2026-11-24T10:00", "--start").isoformat()
    '2026-11-24T10:00:00+00:00'
    >>> parse_time("2026-11-24T12:00+02:00", "--start").isoformat()
    '2026-11-24T10:00:00+00:00'
    """
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ConfigError(
            f"{option} {value!r} is not an ISO-8601 time (e.g. 2026-11-24T10:00:00Z)",
            field=option,
            value=value,
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def exit_code(status: str) -> int:
    """0 for ``Completed``, 3 for ``CompletedWithViolations``, 1 otherwise."""
    return _EXIT_CODES.get(ExecutionStatus(status), 1)


def read_input(path: Path, option: str) -> bytes:
    """The bytes of a file named on the command line; a config error (exit 2) if unreadable."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"cannot read {option} {str(path)!r}: {exc.strerror or exc}",
            field=option,
            value=str(path),
        ) from exc


def require_schedule(store: Store, schedule: str) -> None:
    """A config error (exit 2) unless a schedule called ``schedule`` exists."""
    if store.schedule(schedule) is None:
        raise ConfigError(
            f"no monitoring schedule called {schedule!r}", field="--schedule", value=schedule
        )


def attach(store: Store, schedule: str) -> ModelBiasMonitor:
    """A monitor of the schedule called ``schedule``; a config error when there is none."""
    from biaswatch.model_monitor import ModelBiasMonitor

    require_schedule(store, schedule)
    return ModelBiasMonitor.attach(schedule, store=store)


AsJson = Annotated[bool, typer.Option("--json", help="One JSON object per line, for scripts.")]


def print_rows(rows: list[dict[str, Any]], *, as_json: bool) -> None:
    """Rows as a table, or as JSON Lines (every field, untruncated)."""
    if as_json:
        for row in rows:
            console.out(orjson.dumps(row, default=str).decode(), highlight=False)
        return
    if not rows:
        console.print("(none)")
        return
    from rich.table import Table

    table = Table(*(key.replace("_", " ") for key in rows[0]))
    for row in rows:
        table.add_row(*("" if value is None else str(value) for value in row.values()))
    console.print(table)
