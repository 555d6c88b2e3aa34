"""Splitting a JSON document into its records, each with the line it starts on.

A batch-transform job with JSON output (not lines) writes one document per file: a JSON array
of records, a single record, or (``AssembleWith=None``) records one after another with or
without whitespace between them, possibly pretty-printed across lines. Each top-level value is
a record, except an array, whose elements are. Several arrays one after another are read too,
and so is a JSON Lines file (values separated by newlines).

A record that parses is yielded whatever it holds (the caller judges it), and one that holds
bytes that are not UTF-8, or ``NaN``/``Infinity`` (not JSON), is :class:`Malformed` on its own:
both are delimited, so the records after them are still read. Text that does not parse ends
the reading with one :class:`Malformed` naming the line and column of the error: the records
after it cannot be delimited.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from biaswatch.records import Malformed

__all__ = ["split_json_document"]

_SPACE = re.compile(r"[ \t\n\r]*")
_BAD_BYTE = re.compile("[\udc80-\udcff]")  # a byte that is not UTF-8, decoded by surrogateescape


class _Constant(ValueError):
    """``NaN``, ``Infinity`` or ``-Infinity``: Python's JSON reader takes them, JSON does not."""


def _reject(name: str) -> Any:
    raise _Constant(name)


_STRICT = json.JSONDecoder(parse_constant=_reject)
_LENIENT = json.JSONDecoder()  # only to find where a value with a constant in it ends


class _Text:
    """The document's text, with the line and column of positions met in increasing order."""

    def __init__(self, content: bytes) -> None:
        self.text = content.decode("utf-8", errors="surrogateescape")
        self.bad_bytes = _BAD_BYTE.search(self.text) is not None
        self._position = 0
        self._line = 1

    def line(self, position: int) -> int:
        self._line += self.text.count("\n", self._position, position)
        self._position = position
        return self._line

    def where(self, position: int) -> str:
        line = self.line(position)
        column = position - self.text.rfind("\n", 0, position)
        return f"line {line}, column {column}"

    def skip(self, position: int) -> int:
        """The position of the first character after ``position`` that is not whitespace."""
        match = _SPACE.match(self.text, position)
        assert match is not None  # the pattern matches the empty string
        return match.end()

    def value(self, position: int) -> tuple[Any, int]:
        """The value at ``position`` (or why it is malformed) and where it ends."""
        try:
            value, end = _STRICT.raw_decode(self.text, position)
        except _Constant as exc:
            _, end = _LENIENT.raw_decode(self.text, position)
            return Malformed(f"invalid JSON: {exc} is not a JSON value"), end
        if self.bad_bytes:
            bad = _BAD_BYTE.search(self.text, position, end)
            if bad is not None:
                return Malformed(self._not_utf8(bad.start())), end
        return value, end

    def _not_utf8(self, position: int) -> str:
        byte = ord(self.text[position]) - 0xDC00
        return f"not UTF-8 text: byte 0x{byte:02x} at {self.where(position)}"

    def unparseable(self, exc: json.JSONDecodeError) -> Malformed:
        """The error that ends the reading, saying where it is."""
        at = self.text[exc.pos : exc.pos + 1]
        if at and _BAD_BYTE.match(at):
            reason = self._not_utf8(exc.pos)
        else:
            reason = f"invalid JSON at {self.where(exc.pos)}: {exc.msg}"
        return Malformed(f"{reason}; the rest of the file is not read")


def split_json_document(content: bytes) -> Iterator[tuple[int, Any]]:
    r"""Each record of a JSON document (see above) with the line it starts on.

    A record that cannot be used is a :class:`Malformed` in its place.

    Examples
    --------
    >>> list(split_json_document(b'[{"a": 1},\n {"a": 2}]'))
    [(1, {'a': 1}), (2, {'a': 2})]
    >>> list(split_json_document(b'{"a": 1}{"a": 2}\n{"a":'))[-1][1].reason
    'invalid JSON at line 2, column 6: Expecting value; the rest of the file is not read'
    """
    document = _Text(content)
    text, position = document.text, document.skip(0)
    try:
        while position < len(text):
            if text[position] != "[":
                line = document.line(position)
                value, end = document.value(position)
                yield line, value
                position = document.skip(end)
                continue
            position = document.skip(position + 1)
            more = not text.startswith("]", position)
            while more:  # after "[" or ",": a value
                line = document.line(position)
                value, end = document.value(position)
                yield line, value
                position = document.skip(end)
                more = text.startswith(",", position)
                position = document.skip(position + 1) if more else position
            if not text.startswith("]", position):
                raise json.JSONDecodeError("Expecting ',' delimiter", text, position)
            position = document.skip(position + 1)
    except json.JSONDecodeError as exc:
        yield document.line(exc.pos), document.unparseable(exc)
