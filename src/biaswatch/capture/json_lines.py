"""Reading JSON Lines files of records into Arrow columns, fast, without losing a bad line.

Arrow's JSON reader parses a whole file in C++ threads. It rejects a file on its first bad line
(and would take bytes that are not UTF-8 into its strings, so such a file is not given to it),
so a file it rejects is read again line by line in Python, where each bad line is counted and
sampled with its reason, and every good line is kept. An unterminated last line (a writer that
stopped mid-line) is always checked on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pajson

from biaswatch.capture.diagnostics import MalformedLog
from biaswatch.records import Malformed, utf8_text

__all__ = ["LineTable", "read_json_lines"]

# A line parser returns the line's values in the schema's flat column order, or raises Malformed.
LineParser = Callable[[bytes], tuple[Any, ...]]


@dataclass(slots=True)
class LineTable:
    """The good lines of a file as flat string columns, their line numbers, and the bad lines."""

    columns: dict[str, pa.Array]
    lines: pa.Array
    read: int = 0
    malformed: MalformedLog = field(default_factory=MalformedLog)

    def __len__(self) -> int:
        return len(self.lines)

    def keep(self, mask: pa.Array) -> None:
        """Keep only the rows where ``mask`` is true."""
        self.columns = {name: column.filter(mask) for name, column in self.columns.items()}
        self.lines = self.lines.filter(mask)

    def reject(self, uri: str, mask: pa.Array, reason: str) -> None:
        """Count the rows where ``mask`` is true as malformed for ``reason``, and drop them."""
        if not pc.any(mask).as_py():
            return
        for line in self.lines.filter(mask).to_pylist():
            self.malformed.add(uri, line, reason)
        self.keep(pc.invert(mask))

    def require(self, uri: str, required: dict[str, str]) -> None:
        """Reject rows where a required column is missing (``required`` maps it to the reason)."""
        for name, reason in required.items():
            self.reject(uri, pc.is_null(self.columns[name]), reason)


def read_json_lines(
    uri: str,
    content: bytes,
    *,
    schema: pa.Schema,
    flatten: Callable[[pa.Table], dict[str, pa.Array]],
    parse_line: LineParser,
    names: tuple[str, ...],
) -> LineTable:
    """Read ``content`` (the file at ``uri``) into the flat columns ``names``.

    ``flatten`` turns the Arrow reader's nested table into the flat columns (nulls where a
    field is absent); ``parse_line`` does the same for one line in Python, raising
    :class:`Malformed` with a reason.
    """
    body, tail = content, b""
    if content and not content.endswith(b"\n"):
        cut = content.rfind(b"\n") + 1
        body, tail = content[:cut], content[cut:]
    table: LineTable | None = None
    if body and b"\n\n" not in body and not body.startswith(b"\n") and _is_utf8(body):
        try:
            parsed = pajson.read_json(
                pa.BufferReader(body),
                parse_options=pajson.ParseOptions(
                    explicit_schema=schema, unexpected_field_behavior="ignore"
                ),
            )
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            parsed = None
        if parsed is not None:
            table = LineTable(
                flatten(parsed),
                pa.array(range(1, parsed.num_rows + 1), pa.int64()),
                parsed.num_rows,
            )
    if table is None:
        table = _parse_each_line(uri, body, parse_line, names, first_line=1)
    if tail.strip():
        _add_tail(uri, table, tail, parse_line, names, number=content.count(b"\n") + 1)
    return table


def _is_utf8(content: bytes) -> bool:
    """Whether ``content`` is UTF-8 text (Arrow's reader would take bad bytes into its strings)."""
    if content.isascii():
        return True
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _parse_each_line(
    uri: str, body: bytes, parse_line: LineParser, names: tuple[str, ...], *, first_line: int
) -> LineTable:
    values: list[list[Any]] = [[] for _ in names]
    lines: list[int] = []
    malformed = MalformedLog()
    read = 0
    for number, line in enumerate(body.split(b"\n"), start=first_line):
        if not line.strip():
            continue
        read += 1
        try:
            utf8_text(line)
            row = parse_line(line)
        except Malformed as exc:
            malformed.add(uri, number, exc.reason)
            continue
        lines.append(number)
        for column, value in zip(values, row, strict=True):
            column.append(value)
    columns = {
        name: pa.array(column, pa.string()) for name, column in zip(names, values, strict=True)
    }
    return LineTable(columns, pa.array(lines, pa.int64()), read, malformed)


def _add_tail(
    uri: str,
    table: LineTable,
    tail: bytes,
    parse_line: LineParser,
    names: tuple[str, ...],
    *,
    number: int,
) -> None:
    table.read += 1
    try:
        utf8_text(tail)
        row = parse_line(tail)
    except Malformed as exc:
        table.malformed.add(uri, number, f"truncated last line ({exc.reason})")
        return
    for name, value in zip(names, row, strict=True):
        table.columns[name] = pa.concat_arrays(
            [table.columns[name], pa.array([value], pa.string())]
        )
    table.lines = pa.concat_arrays([table.lines, pa.array([number], pa.int64())])
