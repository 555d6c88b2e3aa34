"""What the CLI's commands share: the consoles, the store, times, listings and exit codes.

The command modules import biaswatch's heavy parts (the store, the analysis, the facade) inside
the commands, so that ``biaswatch --help`` and every command's start pay only for what it uses.

Listings (``print_rows``) are for people by default and for scripts with ``--json``. A table
shows short values (names, statuses, counts, times to the minute, with "times in UTC" said once
in its title) in columns as wide as their longest value, so no cell is ever cut; long text
(reasons, locations) goes on a line of its own below its row, wrapped to the terminal, and is
opt-in with ``--wide`` where it would crowd the table. ``--json`` prints every field of every
row, with full ISO-8601 times.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import queue
import textwrap
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.markup import escape

from biaswatch.errors import ConfigError
from biaswatch.status import ExecutionStatus

if TYPE_CHECKING:
    from biaswatch.model_monitor import ModelBiasMonitor
    from biaswatch.store import Store

__all__ = [
    "AsJson",
    "DocumentAsJson",
    "Field",
    "attach",
    "console",
    "errors",
    "exit_code",
    "human_time",
    "logs_shown",
    "open_store",
    "parse_time",
    "print_document",
    "print_rows",
    "read_input",
    "require_schedule",
]

console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)


@contextlib.contextmanager
def logs_shown(name: str = "biaswatch", *, level: int = logging.WARNING) -> Iterator[None]:
    """Show what ``name``'s loggers log at ``level`` or above on stderr, when the block ends.

    Warnings as ``warning: …``, lower levels as ``note: …``; also when the block fails, before
    its error. The records are collected while the block runs, so that they follow its output.
    """
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    handler = logging.handlers.QueueHandler(records)
    handler.setLevel(level)
    logger = logging.getLogger(name)
    previous = logger.level
    logger.addHandler(handler)
    if logger.getEffectiveLevel() > level:
        logger.setLevel(level)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
        while not records.empty():
            record = records.get()
            kind = "[yellow]warning:[/]" if record.levelno >= logging.WARNING else "note:"
            errors.print(f"{kind} {escape(record.getMessage())}", highlight=False)


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


def human_time(moment: datetime) -> str:
    """A time for people: UTC, to the minute (say "UTC" once nearby).

    Examples
    --------
    >>> from datetime import timedelta, timezone
    >>> human_time(datetime(2026, 11, 25, 17, 0, 59, tzinfo=timezone(timedelta(hours=1))))
    '2026-11-25 16:00'
    """
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


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


AsJson = Annotated[
    bool,
    typer.Option(
        "--json",
        help="Print one JSON object per line instead of a table: every field, times in full"
        " ISO-8601 (for scripts).",
    ),
]
DocumentAsJson = Annotated[
    bool,
    typer.Option("--json", help="Print the description on one line of JSON instead of indented."),
]


@dataclass(frozen=True, slots=True)
class Field:
    """One field of a listing, as a person sees it in the table.

    ``key`` is the row's key (and its JSON name), ``header`` its label. A ``line`` field holds
    long text (a reason, a location): it is shown on a line of its own below its row, wrapped,
    instead of as a column. A ``wide`` field is shown only with ``--wide``.
    """

    key: str
    header: str
    line: bool = False
    wide: bool = False


def print_rows(
    rows: Sequence[dict[str, Any]],
    fields: Sequence[Field],
    *,
    as_json: bool,
    title: str,
    wide: bool = False,
) -> None:
    """Rows as a table titled ``title``, or as JSON Lines (every key of every row, untruncated).

    The table shows ``fields`` (the ``wide`` ones only with ``wide``): column fields in columns
    as wide as their longest value, numbers on the right; ``line`` fields below their row. A
    footer names the ``wide`` fields left out that hold something.
    """
    if as_json:
        for row in rows:
            console.out(orjson.dumps(row, default=str).decode(), highlight=False)
        return
    shown = [field for field in fields if wide or not field.wide]
    timed = any(isinstance(row.get(f.key), datetime) for row in rows for f in shown)
    heading = f"{title} (times in UTC)" if timed else title
    console.print(_wrapped("", heading, console.width), style="bold", markup=False, highlight=False)
    if not rows:
        console.out("(none)", highlight=False)
        return
    columns = [field for field in shown if not field.line]
    lines = [field for field in shown if field.line and any(_filled(row, field) for row in rows)]
    cells = [[_cell(row.get(field.key)) for field in columns] for row in rows]
    widths = [
        max(len(field.header), *(len(texts[i]) for texts in cells))
        for i, field in enumerate(columns)
    ]
    right = [
        all(isinstance(row.get(field.key), int | float | None) for row in rows) for field in columns
    ]
    console.print(
        _joined([field.header for field in columns], widths, right),
        style="bold",
        markup=False,
        highlight=False,
    )
    console.out(_joined(["─" * width for width in widths], widths, right), highlight=False)
    for row, texts in zip(rows, cells, strict=True):
        console.out(_joined(texts, widths, right), highlight=False)
        filled = [field for field in lines if _filled(row, field)]
        label_width = max((len(field.header) for field in filled), default=0)
        for field in filled:
            label = f"  {field.header + ':':<{label_width + 1}} "
            console.out(_wrapped(label, _cell(row[field.key]), console.width), highlight=False)
    hidden = [
        field.header
        for field in fields
        if field.wide and not wide and any(_filled(row, field) for row in rows)
    ]
    if hidden:
        footer = f"(--wide adds: {', '.join(hidden)}; --json gives every field)"
        console.out(_wrapped("", footer, console.width), highlight=False)


def print_document(document: dict[str, Any], *, as_json: bool) -> None:
    """A JSON document: indented for people, or one line (``as_json``) for scripts."""
    text = orjson.dumps(document, default=str).decode()
    if as_json:
        console.out(text, highlight=False)
    else:
        console.print_json(text)


def _filled(row: dict[str, Any], field: Field) -> bool:
    return row.get(field.key) not in (None, "")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return human_time(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _joined(texts: Sequence[str], widths: Sequence[int], right: Sequence[bool]) -> str:
    padded = (
        text.rjust(width) if flush else text.ljust(width)
        for text, width, flush in zip(texts, widths, right, strict=True)
    )
    return "  ".join(padded).rstrip()


def _wrapped(label: str, text: str, width: int) -> str:
    """``label`` then ``text`` wrapped to ``width`` under itself; long words folded, not cut."""
    indent = " " * len(label)
    paragraphs = text.splitlines() or [""]
    return "\n".join(
        textwrap.fill(
            paragraph,
            width=max(width, len(label) + 20),
            initial_indent=label if number == 0 else indent,
            subsequent_indent=indent,
            break_long_words=True,
            break_on_hyphens=False,
        )
        or indent.rstrip()
        for number, paragraph in enumerate(paragraphs)
    )
