"""Ground truth: labels that arrive late, in SageMaker's JSON Lines format, by hour of upload.

::

    {"groundTruthData": {"data": "1", "encoding": "CSV"},
     "eventMetadata": {"eventId": "<the capture's inferenceId, or its eventId>"},
     "eventVersion": "0"}

Files live at ``<ground truth>/yyyy/mm/dd/hh/<name>.jsonl``, the hour being when the labels were
collected. A label uploaded again replaces the earlier one: for each id the latest wins, by
hour folder, then file name, then line.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from biaswatch.capture.diagnostics import MalformedLog
from biaswatch.capture.json_lines import LineTable, read_json_lines
from biaswatch.records import Malformed
from biaswatch.storage import hour_folder, join, list_hour_files, read_bytes, write_bytes

__all__ = [
    "GroundTruth",
    "GroundTruthRecord",
    "parse_ground_truth_line",
    "read_ground_truth",
    "upload_ground_truth",
]

_ENCODINGS = ("CSV", "JSON")


@dataclass(frozen=True, slots=True)
class GroundTruthRecord:
    """One label (or the labels of one multi-record request) for an inference or event id."""

    event_id: str
    data: str
    encoding: str = "CSV"

    def to_line(self) -> bytes:
        """The record as one line of a ground-truth file (with its newline)."""
        document = {
            "groundTruthData": {"data": self.data, "encoding": self.encoding},
            "eventMetadata": {"eventId": self.event_id},
            "eventVersion": "0",
        }
        return orjson.dumps(document) + b"\n"

    @classmethod
    def of(cls, event_id: str, label: Any) -> GroundTruthRecord:
        """A record for a plain label value (CSV) or a JSON-shaped one (dict or list)."""
        if isinstance(label, dict | list):
            return cls(event_id, orjson.dumps(label).decode(), "JSON")
        return cls(event_id, str(int(label)) if isinstance(label, bool) else str(label), "CSV")


def parse_ground_truth_line(line: bytes | str) -> GroundTruthRecord:
    """Parse one line of a ground-truth file, or raise :class:`Malformed`."""
    try:
        document = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise Malformed(f"invalid JSON: {exc.msg}") from None
    if not isinstance(document, dict):
        raise Malformed("a ground-truth record must be a JSON object")
    data = document.get("groundTruthData")
    metadata = document.get("eventMetadata")
    if not isinstance(data, dict) or not isinstance(data.get("data"), str | int | float):
        raise Malformed("groundTruthData.data is missing")
    if not isinstance(metadata, dict) or not metadata.get("eventId"):
        raise Malformed("eventMetadata.eventId is missing")
    encoding = data.get("encoding", "CSV")
    if encoding not in _ENCODINGS:
        raise Malformed(f"groundTruthData.encoding {encoding!r} is not CSV or JSON")
    value = data["data"]
    text = value if isinstance(value, str) else orjson.dumps(value).decode()
    return GroundTruthRecord(str(metadata["eventId"]), text, encoding)


_SCHEMA = pa.schema(
    [
        ("groundTruthData", pa.struct([("data", pa.string()), ("encoding", pa.string())])),
        ("eventMetadata", pa.struct([("eventId", pa.string())])),
    ]
)
_NAMES = ("event_id", "data", "encoding")


def _flatten(table: pa.Table) -> dict[str, pa.Array]:
    truth = table.column("groundTruthData").combine_chunks()
    metadata = table.column("eventMetadata").combine_chunks()
    return {
        "event_id": pc.struct_field(metadata, "eventId"),
        "data": pc.struct_field(truth, "data"),
        "encoding": pc.fill_null(pc.struct_field(truth, "encoding"), "CSV"),
    }


def _parse_line(line: bytes) -> tuple[str, str, str]:
    record = parse_ground_truth_line(line)
    return record.event_id, record.data, record.encoding


@dataclass(slots=True)
class GroundTruth:
    """The labels of a window, one per id (the latest upload wins), as Arrow columns."""

    keys: pa.Array
    data: pa.Array
    encoding: pa.Array
    files: int = 0
    read: int = 0
    duplicates: int = 0
    malformed: MalformedLog = field(default_factory=MalformedLog)
    _positions: dict[str, int] | None = None

    def position(self, key: str) -> int | None:
        """Where the ground truth of ``key`` is in the columns (an index is built on first use)."""
        if self._positions is None:
            self._positions = {k: i for i, k in enumerate(self.keys.to_pylist())}
        return self._positions.get(key)

    def record(self, key: str) -> GroundTruthRecord | None:
        """The ground truth of ``key``, if there is any."""
        position = self.position(key)
        if position is None:
            return None
        return GroundTruthRecord(key, self.data[position].as_py(), self.encoding[position].as_py())


def read_ground_truth(root: str, first: datetime, last: datetime) -> GroundTruth:
    """Read the ground truth in ``root``'s hour folders from ``first``'s hour to ``last``'s."""
    parts: list[LineTable] = []
    malformed = MalformedLog()
    files = read = 0
    for hour_file in list_hour_files(root, first, last):
        table = read_json_lines(
            hour_file.uri,
            read_bytes(hour_file.uri),
            schema=_SCHEMA,
            flatten=_flatten,
            parse_line=_parse_line,
            names=_NAMES,
        )
        table.require(
            hour_file.uri,
            {
                "event_id": "eventMetadata.eventId is missing",
                "data": "groundTruthData.data is missing",
            },
        )
        table.reject(
            hour_file.uri,
            pc.invert(pc.is_in(table.columns["encoding"], pa.array(_ENCODINGS))),
            "groundTruthData.encoding is not CSV or JSON",
        )
        files += 1
        read += table.read
        malformed.merge(table.malformed)
        parts.append(table)
    keys, data, encoding = (
        pa.concat_arrays([part.columns[name] for part in parts])
        if parts
        else pa.array([], pa.string())
        for name in _NAMES
    )
    latest = _latest_positions(keys)
    return GroundTruth(
        keys.take(latest),
        data.take(latest),
        encoding.take(latest),
        files=files,
        read=read,
        duplicates=len(keys) - len(latest),
        malformed=malformed,
    )


def _latest_positions(keys: pa.Array) -> pa.Array:
    """For each distinct key, in order of first upload, the position of its latest upload."""
    encoded = pc.dictionary_encode(keys)
    count = len(keys)
    if len(encoded.dictionary) == count:  # no key uploaded twice
        return pa.array(np.arange(count, dtype=np.int64))
    codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), np.int64)
    _, first_from_end = np.unique(codes[::-1], return_index=True)
    return pa.array(count - 1 - first_from_end)


def upload_ground_truth(
    root: str, records: Iterable[GroundTruthRecord], *, collected_at: datetime
) -> str:
    """Write ``records`` as one new file in the hour folder of ``collected_at``.

    Returns the file's URI. The file name is new every time, so nothing is overwritten.
    """
    moment = collected_at.astimezone(UTC)
    content = b"".join(record.to_line() for record in records)
    stamp = moment.strftime("%M-%S-") + f"{moment.microsecond // 1000:03d}"
    uri = join(root, hour_folder(moment), f"{stamp}-{uuid.uuid4()}.jsonl")
    write_bytes(uri, content)
    return uri
